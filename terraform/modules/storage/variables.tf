variable "uncompressed_bucket" {
  description = "Name of the requester-pays bucket (the database's own files and their file list)."
  type        = string
}

variable "compressed_bucket" {
  description = "Name of the private bucket CloudFront serves (one zstd tar per snapshot)."
  type        = string
}

variable "object_prefix" {
  description = "Where the publisher writes: <prefix><chain>/latest.json and <prefix><chain>/<snapshot>/... . The lifecycle rules and the S3 metrics filter cover this prefix."
  type        = string
  default     = "chains/"
  validation {
    condition     = can(regex("^[a-z0-9-]+/$", var.object_prefix))
    error_message = "object_prefix: one path segment ending in '/', such as chains/."
  }
}

variable "expire_days" {
  description = "Objects older than this are deleted; keep it well above publish interval x retention."
  type        = number
  default     = 60
  validation {
    condition     = var.expire_days >= 7
    error_message = "expire_days: at least 7."
  }
}

variable "abort_multipart_days" {
  description = "An incomplete multipart upload is aborted (its parts deleted) after this many days."
  type        = number
  default     = 3
}

variable "cdn_price_class" {
  description = "CloudFront price class."
  type        = string
  default     = "PriceClass_100"
}

variable "alarm_tb" {
  description = "Thresholds in TB (2^40 bytes, AWS's billing unit) downloaded per alarm_period_s: one alarm per value and per storage."
  type        = list(number)
  default     = [1, 5, 10]
  validation {
    condition     = length(var.alarm_tb) > 0 && alltrue([for t in var.alarm_tb : t >= 1 && floor(t) == t])
    error_message = "alarm_tb: whole TB, at least 1."
  }
}

variable "alarm_period_s" {
  description = "The window the alarms sum BytesDownloaded over, in seconds (86400: one day)."
  type        = number
  default     = 86400
  validation {
    condition     = var.alarm_period_s >= 3600 && var.alarm_period_s % 60 == 0 && var.alarm_period_s <= 86400
    error_message = "alarm_period_s: whole minutes, 1 h to 1 day."
  }
}

variable "alarm_email" {
  description = "Address subscribed to the alarm topic (AWS mails a confirmation link first); null: none."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource (Project=polkfura is always set)."
  type        = map(string)
  default     = {}
}
