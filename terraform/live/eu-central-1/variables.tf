variable "region" {
  description = "The AWS region of this root; the directory's name."
  type        = string
  default     = "eu-central-1"
  validation {
    condition     = var.region == "eu-central-1"
    error_message = "region: this root is eu-central-1; copy the directory for another region."
  }
}

variable "vpc_cidr" {
  description = "The VPC's /16, distinct per region."
  type        = string
  default     = "10.40.0.0/16"
}

variable "az_count" {
  description = "Availability zones (2 or 3)."
  type        = number
  default     = 2
}

variable "edge_count" {
  description = "Edge instances, spread over the zones."
  type        = number
  default     = 2
}

variable "edge_instance_type" {
  description = "Instance type of the edges."
  type        = string
  default     = "c7i.large"
}

variable "edge_ami_id" {
  description = "Edge AMI; null: the newest polkfura-edge-* of this account."
  type        = string
  default     = null
}

variable "node_ami_ids" {
  description = "Node AMI per chain; a chain left out: the newest polkfura-node-<chain>-* of this account."
  type        = map(string)
  default     = {}
}

variable "chains" {
  description = "Per chain: instance type, data volume (GB) and group sizes (max_size <= 6)."
  type = map(object({
    instance_type  = string
    volume_size_gb = number
    min_size       = number
    desired_size   = number
    max_size       = number
  }))
  default = {
    polkadot = { instance_type = "m7i.2xlarge", volume_size_gb = 4000, min_size = 2, desired_size = 3, max_size = 6 }
    kusama   = { instance_type = "m7i.2xlarge", volume_size_gb = 6000, min_size = 2, desired_size = 2, max_size = 6 }
  }
  validation {
    condition     = alltrue([for c in values(var.chains) : c.max_size <= 6])
    error_message = "chains: max_size is at most 6 per chain."
  }
}

variable "metrics_cidrs" {
  description = "Private ranges the central Prometheus scrapes from; empty: this VPC."
  type        = list(string)
  default     = []
}

variable "node_extra_policy_arns" {
  description = "Extra IAM policies for the nodes (the global root's publisher_policy_arn for the source-of-truth region)."
  type        = list(string)
  default     = []
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.medium"
}
