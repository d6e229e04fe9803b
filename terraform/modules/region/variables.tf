variable "name" {
  description = "Prefix of every resource name and the Name tag (polkfura-<region> in the roots)."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name: 2-31 chars, lower-case letters, digits and '-', starting with a letter."
  }
}

variable "vpc_cidr" {
  description = "The VPC's IPv4 block, a /16. Give each region its own so the two can be peered later."
  type        = string
  validation {
    condition     = can(cidrnetmask(var.vpc_cidr)) && endswith(var.vpc_cidr, "/16")
    error_message = "vpc_cidr: an IPv4 /16 such as 10.40.0.0/16."
  }
}

variable "az_count" {
  description = "Availability zones used: a public and a private subnet in each, a NAT gateway in each."
  type        = number
  default     = 2
  validation {
    condition     = var.az_count >= 2 && var.az_count <= 3
    error_message = "az_count: 2 or 3 (RDS Multi-AZ needs at least 2)."
  }
}

variable "edge_count" {
  description = "Edge instances (HAProxy + agent + controller), each with an Elastic IP the DNS load balancer points at."
  type        = number
  default     = 2
  validation {
    condition     = var.edge_count >= 1 && var.edge_count <= 8
    error_message = "edge_count: 1 to 8."
  }
}

variable "edge_instance_type" {
  description = "Instance type of the edges."
  type        = string
  default     = "c7i.large"
}

variable "edge_ami_id" {
  description = "AMI of the edges; null takes the newest polkfura-edge-* image owned by this account (packer/)."
  type        = string
  default     = null
}

variable "node_ami_ids" {
  description = "AMI per chain; a chain left out takes the newest polkfura-node-<chain>-* image owned by this account."
  type        = map(string)
  default     = {}
}

variable "chains" {
  description = "One auto-scaling group of API nodes per chain: instance type, data volume and group sizes."
  type = map(object({
    instance_type  = string
    volume_size_gb = number
    min_size       = number
    desired_size   = number
    max_size       = number
  }))
  validation {
    condition     = alltrue([for c in values(var.chains) : c.max_size <= 6])
    error_message = "chains: max_size is at most 6 per chain (the controller's lag rules are written for 2-6 nodes)."
  }
  validation {
    condition     = alltrue([for c in values(var.chains) : c.min_size >= 0 && c.min_size <= c.desired_size && c.desired_size <= c.max_size])
    error_message = "chains: 0 <= min_size <= desired_size <= max_size."
  }
  validation {
    condition     = alltrue([for k in keys(var.chains) : can(regex("^[a-z][a-z0-9-]{0,31}$", k))])
    error_message = "chains: keys are chain names as the controller spells them (polkadot, kusama)."
  }
}

variable "p2p_port" {
  description = "The nodes' libp2p port, open to the world (TCP)."
  type        = number
  default     = 30333
  validation {
    condition     = !contains([22, 5432, 8405, 9100, 9464, 9465, 9615, 9944], var.p2p_port)
    error_message = "p2p_port: not SSH, RPC or a metrics port: this one is open to the world."
  }
}

variable "rpc_port" {
  description = "The nodes' JSON-RPC/WebSocket port, reachable from the edges only."
  type        = number
  default     = 9944
}

variable "metrics_cidrs" {
  description = "Where the central Prometheus scrapes from (HAProxy 8405, agent 9464, controller 9465, node 9615, node exporter 9100). Private ranges only; empty means the VPC's own block."
  type        = list(string)
  default     = []
  validation {
    condition     = !contains(var.metrics_cidrs, "0.0.0.0/0") && !contains(var.metrics_cidrs, "::/0")
    error_message = "metrics_cidrs: the metrics ports are never open to the world."
  }
}

variable "node_extra_policy_arns" {
  description = "IAM policies attached to the nodes' role, e.g. the snapshot publisher policy the global root outputs, for the source-of-truth node."
  type        = list(string)
  default     = []
}

variable "db_instance_class" {
  description = "RDS instance class of the controller's PostgreSQL."
  type        = string
  default     = "db.t4g.medium"
}

variable "db_engine_version" {
  description = "PostgreSQL major version (the tests run 15, Debian 12's)."
  type        = string
  default     = "15"
}

variable "db_allocated_storage_gb" {
  description = "RDS storage in GB (gp3)."
  type        = number
  default     = 50
}

variable "db_backup_retention_days" {
  description = "Days of automated RDS backups."
  type        = number
  default     = 7
}

variable "tags" {
  description = "Tags added to every resource (Project=polkfura is always set)."
  type        = map(string)
  default     = {}
}
