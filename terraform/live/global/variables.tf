variable "domain" {
  description = "The zone's domain; the endpoints are polkadot.<domain> and kusama.<domain>."
  type        = string
}

variable "cloudflare_zone_id" {
  description = "Cloudflare zone id of domain."
  type        = string
}

variable "cloudflare_account_id" {
  description = "Cloudflare account id."
  type        = string
}

variable "chains" {
  description = "Chains served: one load-balanced hostname each."
  type        = list(string)
  default     = ["polkadot", "kusama"]
}

variable "state_bucket" {
  description = "The bucket holding the region roots' state (the bucket of their backend.hcl)."
  type        = string
}

variable "state_bucket_region" {
  description = "That bucket's region."
  type        = string
  default     = "eu-central-1"
}

variable "region_states" {
  description = "Per region root: its state object in state_bucket (the key of its backend.hcl) and its DNS label."
  type = map(object({
    state = string
    label = string
  }))
  default = {
    "eu-central-1" = { state = "polkfura/eu-central-1/terraform.tfstate", label = "eu" }
    "us-east-1"    = { state = "polkfura/us-east-1/terraform.tfstate", label = "us" }
  }
}

variable "geo" {
  description = "Cloudflare region code -> the AWS region answering it first."
  type        = map(string)
  default = {
    WNAM = "us-east-1"
    ENAM = "us-east-1"
    NSAM = "us-east-1"
    SSAM = "us-east-1"
    NEAS = "us-east-1"
    SEAS = "us-east-1"
    OC   = "us-east-1"
    WEU  = "eu-central-1"
    EEU  = "eu-central-1"
    ME   = "eu-central-1"
    NAF  = "eu-central-1"
    SAF  = "eu-central-1"
    SAS  = "eu-central-1"
  }
}

variable "fallback_region" {
  description = "The pool Cloudflare answers with when every pool is unhealthy."
  type        = string
  default     = "eu-central-1"
}

variable "uncompressed_bucket" {
  description = "Name of the requester-pays snapshot bucket (globally unique)."
  type        = string
}

variable "compressed_bucket" {
  description = "Name of the bucket behind CloudFront (globally unique)."
  type        = string
}

variable "snapshot_expire_days" {
  description = "Snapshot objects are deleted after this many days."
  type        = number
  default     = 60
}

variable "alarm_tb" {
  description = "Download alarm thresholds, TB (2^40 bytes) per alarm_period_s, on each storage."
  type        = list(number)
  default     = [1, 5, 10]
}

variable "alarm_period_s" {
  description = "The window the download alarms sum over, in seconds."
  type        = number
  default     = 86400
}

variable "alarm_email" {
  description = "Email address subscribed to the alarms' SNS topic; null: none."
  type        = string
  default     = null
}
