output "endpoints" {
  description = "The load-balanced hostnames."
  value       = module.global.endpoints
}

output "probe_urls" {
  description = "Per chain and region, the /health URL for the other region's controller's probe key."
  value       = module.global.probe_urls
}

output "uncompressed_bucket" {
  description = "Requester-pays snapshot bucket."
  value       = module.storage.uncompressed_bucket
}

output "compressed_bucket" {
  description = "Bucket behind CloudFront."
  value       = module.storage.compressed_bucket
}

output "cdn_domain" {
  description = "CloudFront domain of the compressed snapshots."
  value       = module.storage.cdn_domain
}

output "publisher_policy_arn" {
  description = "IAM policy for the snapshot publisher; give it to the source-of-truth region's node_extra_policy_arns."
  value       = module.storage.publisher_policy_arn
}

output "alarm_topic_arn" {
  description = "SNS topic of the download alarms."
  value       = module.storage.alarm_topic_arn
}
