variable "domain" {
  description = "The zone's domain: the endpoints are <chain>.<domain>."
  type        = string
}

variable "zone_id" {
  description = "Cloudflare zone id of domain."
  type        = string
}

variable "account_id" {
  description = "Cloudflare account id (monitors and pools are account-wide)."
  type        = string
}

variable "chains" {
  description = "Chain names; each gets <chain>.<domain> (the edge takes the chain from the first Host label)."
  type        = list(string)
  default     = ["polkadot", "kusama"]
}

variable "regions" {
  description = "Each region's edges: a short DNS label (<chain>.<label>.<domain>) and the edges' public IPs (the region root's edge_public_ips)."
  type = map(object({
    label    = string
    edge_ips = list(string)
  }))
  validation {
    condition     = length(var.regions) >= 2
    error_message = "regions: at least two."
  }
}

variable "geo" {
  description = "Cloudflare region code -> the AWS region whose pool answers it first; the others follow as failover."
  type        = map(string)
}

variable "fallback_region" {
  description = "The region whose pool answers when every pool is unhealthy (Cloudflare's fallback pool)."
  type        = string
}

variable "monitor_interval_s" {
  description = "Seconds between two health checks of an edge, per Cloudflare check region."
  type        = number
  default     = 60
}

variable "dns_ttl" {
  description = "TTL of the load-balanced and per-region records, in seconds (how long a resolver sticks to a failed region)."
  type        = number
  default     = 60
}

variable "check_regions" {
  description = "Cloudflare regions the monitors check from (an empty list means all, Enterprise plans only)."
  type        = list(string)
  default     = ["WEU", "ENAM"]
}
