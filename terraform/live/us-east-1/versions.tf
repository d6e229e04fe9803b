# Root of region us-east-1: its own state and its own plan (make drift plans it alone).
# N. Virginia serves the Americas, East Asia and Oceania; the storage (global root) is in this AWS region too.
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.60"
    }
  }
  # Partial configuration: bucket, key, region and lock table come from
  # terraform init -backend-config=backend.hcl (backend.hcl.example; terraform/README.md).
  backend "s3" {}
}

provider "aws" {
  region = var.region
  default_tags {
    tags = { Project = "polkfura", Region = var.region }
  }
}
