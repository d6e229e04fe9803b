output "uncompressed_bucket" {
  description = "The requester-pays bucket: the publisher's S3 target, and `fetch --from s3`."
  value       = aws_s3_bucket.snap["uncompressed"].id
}

output "compressed_bucket" {
  description = "The bucket behind the CDN: the publisher's compressed target."
  value       = aws_s3_bucket.snap["compressed"].id
}

output "cdn_domain" {
  description = "CloudFront's domain: `fetch --from https://<this>/<prefix><chain>`."
  value       = aws_cloudfront_distribution.compressed.domain_name
}

output "cdn_distribution_id" {
  description = "For invalidations and the CloudFront console."
  value       = aws_cloudfront_distribution.compressed.id
}

output "publisher_policy_arn" {
  description = "Attach to the source-of-truth node's role (the region root's node_extra_policy_arns)."
  value       = aws_iam_policy.publisher.arn
}

output "alarm_topic_arn" {
  description = "The SNS topic the download alarms notify."
  value       = aws_sns_topic.alarms.arn
}
