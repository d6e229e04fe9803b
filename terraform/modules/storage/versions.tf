# The quick-sync storage (issue 13): a requester-pays bucket for uncompressed snapshots, a
# private bucket behind CloudFront for compressed ones, and CloudWatch alarms on what each
# serves, notifying one SNS topic. Called from the global root, whose provider is us-east-1:
# CloudFront publishes its metrics only there, and an alarm notifies a topic of its own region.
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.60"
    }
  }
}
