# One region of polkfura: the network, the edges (HAProxy, polkfura-spoa, polkfura-ctl),
# an auto-scaling group of API nodes per chain and the controller's PostgreSQL.
# The root that calls it (terraform/live/<region>/) owns the provider and the state.
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.60"
    }
  }
}
