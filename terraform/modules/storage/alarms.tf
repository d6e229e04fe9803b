# What the storage serves costs money: an alarm per threshold in alarm_tb (TB summed over
# alarm_period_s) on each storage, notifying one SNS topic, and again when back under (OK).
# S3 publishes BytesDownloaded only for a request-metrics configuration, and only with its
# filter id as a dimension; CloudFront publishes it in us-east-1 with Region=Global.

resource "aws_s3_bucket_metric" "uncompressed_downloads" {
  bucket = aws_s3_bucket.snap["uncompressed"].id
  name   = "snapshots"
  filter {
    prefix = var.object_prefix
  }
}

resource "aws_sns_topic" "alarms" {
  name = "polkfura-storage-alarms"
  tags = local.tags
}

resource "aws_sns_topic_subscription" "email" {
  count     = var.alarm_email == null ? 0 : 1
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

resource "aws_cloudwatch_metric_alarm" "s3_downloaded" {
  for_each            = toset([for t in var.alarm_tb : tostring(t)])
  alarm_name          = "polkfura-s3-${var.uncompressed_bucket}-downloaded-${each.key}tb"
  alarm_description   = "More than ${each.key} TB downloaded from s3://${var.uncompressed_bucket}/${var.object_prefix} in ${var.alarm_period_s} s (requester-pays: readers pay the transfer, we pay requests)"
  namespace           = "AWS/S3"
  metric_name         = "BytesDownloaded"
  statistic           = "Sum"
  period              = var.alarm_period_s
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = tonumber(each.key) * local.tb
  treat_missing_data  = "notBreaching"
  dimensions = {
    BucketName = aws_s3_bucket.snap["uncompressed"].id
    FilterId   = aws_s3_bucket_metric.uncompressed_downloads.name
  }
  alarm_actions = [aws_sns_topic.alarms.arn]
  ok_actions    = [aws_sns_topic.alarms.arn]
  tags          = local.tags
}

resource "aws_cloudwatch_metric_alarm" "cdn_downloaded" {
  for_each            = toset([for t in var.alarm_tb : tostring(t)])
  alarm_name          = "polkfura-cdn-${var.compressed_bucket}-downloaded-${each.key}tb"
  alarm_description   = "More than ${each.key} TB downloaded through CloudFront from ${var.compressed_bucket} in ${var.alarm_period_s} s (we pay this transfer)"
  namespace           = "AWS/CloudFront"
  metric_name         = "BytesDownloaded"
  statistic           = "Sum"
  period              = var.alarm_period_s
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = tonumber(each.key) * local.tb
  treat_missing_data  = "notBreaching"
  dimensions = {
    DistributionId = aws_cloudfront_distribution.compressed.id
    Region         = "Global"
  }
  alarm_actions = [aws_sns_topic.alarms.arn]
  ok_actions    = [aws_sns_topic.alarms.arn]
  tags          = local.tags
}
