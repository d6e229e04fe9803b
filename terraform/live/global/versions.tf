# The global root: DNS load balancing (Cloudflare) over the two regions' edges, and the
# quick-sync storage with its alarms (AWS, us-east-1). Applied after both region roots, whose
# outputs it reads from their state.
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.60"
    }
    cloudflare = {
      source  = "cloudflare/cloudflare"
      version = "~> 4.40"
    }
  }
  backend "s3" {}
}

# CloudFront's metrics, and so its alarms and their SNS topic, exist in us-east-1 only.
provider "aws" {
  region = "us-east-1"
  default_tags {
    tags = { Project = "polkfura" }
  }
}

# The API token comes from the environment (CLOUDFLARE_API_TOKEN), never from a variable:
# it needs Zone DNS edit and Account Load Balancing edit on the zone's account.
provider "cloudflare" {}
