# terraform test for modules/storage with a mocked AWS provider (see
# modules/region/tests/region.tftest.hcl). The thresholds below are written out by hand:
# 1 TB = 2^40 = 1,099,511,627,776 bytes, AWS's billing unit.

mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::mock-bucket" }
  }
  mock_resource "aws_cloudfront_distribution" {
    defaults = { arn = "arn:aws:cloudfront::123456789012:distribution/EMOCK", id = "EMOCK" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:us-east-1:123456789012:polkfura-storage-alarms" }
  }
  mock_resource "aws_iam_policy" {
    defaults = { arn = "arn:aws:iam::123456789012:policy/polkfura-snapshot-publisher" }
  }
}

variables {
  uncompressed_bucket = "example-snapshots"
  compressed_bucket   = "example-snapshots-zst"
  alarm_email         = "ops@example.net"
}

run "defaults" {
  command = apply

  assert {
    condition     = aws_s3_bucket_request_payment_configuration.uncompressed.payer == "Requester" && aws_s3_bucket_request_payment_configuration.uncompressed.bucket == aws_s3_bucket.snap["uncompressed"].id
    error_message = "the uncompressed bucket is not requester-pays"
  }
  assert {
    condition     = one(aws_cloudfront_distribution.compressed.origin).domain_name == aws_s3_bucket.snap["compressed"].bucket_regional_domain_name
    error_message = "CloudFront's origin is not the compressed bucket"
  }
  assert {
    condition     = one(aws_cloudfront_distribution.compressed.origin).origin_access_control_id == aws_cloudfront_origin_access_control.compressed.id
    error_message = "CloudFront reads the bucket without the origin access control"
  }
  assert {
    condition     = toset([for a in aws_cloudwatch_metric_alarm.s3_downloaded : a.threshold]) == toset([1099511627776, 5497558138880, 10995116277760])
    error_message = "the S3 alarms are not at 1, 5 and 10 TB"
  }
  assert {
    condition     = toset([for a in aws_cloudwatch_metric_alarm.cdn_downloaded : a.threshold]) == toset([1099511627776, 5497558138880, 10995116277760])
    error_message = "the CloudFront alarms are not at 1, 5 and 10 TB"
  }
  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.s3_downloaded : a.dimensions["FilterId"] == aws_s3_bucket_metric.uncompressed_downloads.name && a.dimensions["BucketName"] == aws_s3_bucket.snap["uncompressed"].id && a.namespace == "AWS/S3" && a.period == 86400])
    error_message = "an S3 alarm does not watch the bucket's filtered request metrics per day"
  }
  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.cdn_downloaded : a.dimensions["DistributionId"] == "EMOCK" && a.dimensions["Region"] == "Global" && a.namespace == "AWS/CloudFront"])
    error_message = "a CloudFront alarm does not watch the distribution (Region=Global)"
  }
  assert {
    condition     = alltrue([for a in concat(values(aws_cloudwatch_metric_alarm.s3_downloaded), values(aws_cloudwatch_metric_alarm.cdn_downloaded)) : toset(a.alarm_actions) == toset([aws_sns_topic.alarms.arn])])
    error_message = "an alarm does not notify the SNS topic"
  }
  assert {
    condition     = aws_sns_topic_subscription.email[0].endpoint == "ops@example.net"
    error_message = "alarm_email is not subscribed"
  }
  assert {
    condition     = aws_s3_bucket_public_access_block.compressed.block_public_policy && aws_s3_bucket_public_access_block.compressed.restrict_public_buckets
    error_message = "the compressed bucket does not block public policies"
  }
}

run "fractional_tb_refused" {
  command = plan
  variables {
    alarm_tb = [0.5]
  }
  expect_failures = [var.alarm_tb]
}
