# CloudFront in front of the compressed bucket, reading it through an origin access control
# (SigV4-signed requests from the distribution); the bucket policy lets that one distribution
# read and nobody else. latest.json changes with every publish and is not cached; the
# snapshots themselves never change under their name and are cached as long as CloudFront will.

resource "aws_cloudfront_origin_access_control" "compressed" {
  name                              = "${var.compressed_bucket}-oac"
  description                       = "polkfura compressed snapshots"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

locals {
  # AWS managed cache policies (the same ids in every account).
  caching_optimized = "658327ea-f89d-4fab-a63e-7e88639e58f6"
  caching_disabled  = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
  origin_id         = "compressed-snapshots"
}

resource "aws_cloudfront_distribution" "compressed" {
  enabled         = true
  comment         = "polkfura compressed snapshots"
  is_ipv6_enabled = true
  http_version    = "http2and3"
  price_class     = var.cdn_price_class

  origin {
    origin_id                = local.origin_id
    domain_name              = aws_s3_bucket.snap["compressed"].bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.compressed.id
  }

  default_cache_behavior {
    target_origin_id       = local.origin_id
    viewer_protocol_policy = "redirect-to-https"
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
    cache_policy_id        = local.caching_optimized
    compress               = false
  }

  ordered_cache_behavior {
    path_pattern           = "*/latest.json"
    target_origin_id       = local.origin_id
    viewer_protocol_policy = "redirect-to-https"
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
    cache_policy_id        = local.caching_disabled
    compress               = true
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }

  tags = local.tags
}

data "aws_iam_policy_document" "compressed_cdn_only" {
  statement {
    sid       = "CloudFrontDistributionReads"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.snap["compressed"].arn}/*"]
    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.compressed.arn]
    }
  }
}

resource "aws_s3_bucket_policy" "compressed" {
  bucket     = aws_s3_bucket.snap["compressed"].id
  policy     = data.aws_iam_policy_document.compressed_cdn_only.json
  depends_on = [aws_s3_bucket_public_access_block.compressed]
}
