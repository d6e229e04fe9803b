# Two buckets with the same hygiene (owner-enforced objects, no ACLs, SSE-S3, lifecycle) and
# different readers. The uncompressed one is requester-pays: any AWS account may read it, and
# pays the transfer; S3 refuses anonymous requests to such a bucket, so its "public" policy
# (Principal AWS *) still means "signed and billed to the reader". The compressed one is
# private and read only by the CloudFront distribution (cdn.tf).

locals {
  tags = merge(var.tags, { Project = "polkfura" })
  buckets = {
    uncompressed = var.uncompressed_bucket
    compressed   = var.compressed_bucket
  }
  tb = 1099511627776
}

resource "aws_s3_bucket" "snap" {
  for_each = local.buckets
  bucket   = each.value
  tags     = merge(local.tags, { Name = each.value, Form = each.key })
}

resource "aws_s3_bucket_ownership_controls" "snap" {
  for_each = aws_s3_bucket.snap
  bucket   = each.value.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "snap" {
  for_each = aws_s3_bucket.snap
  bucket   = each.value.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "snap" {
  for_each = aws_s3_bucket.snap
  bucket   = each.value.id

  # latest.json is rewritten by every publish, so it never gets this old while publishing
  # runs; if publishing stops for expire_days, it goes with the snapshots it names.
  rule {
    id     = "expire-old-snapshots"
    status = "Enabled"
    filter {
      prefix = var.object_prefix
    }
    expiration {
      days = var.expire_days
    }
  }

  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_multipart_days
    }
  }
}

resource "aws_s3_bucket_request_payment_configuration" "uncompressed" {
  bucket = aws_s3_bucket.snap["uncompressed"].id
  payer  = "Requester"
}

resource "aws_s3_bucket_public_access_block" "uncompressed" {
  bucket                  = aws_s3_bucket.snap["uncompressed"].id
  block_public_acls       = true
  ignore_public_acls      = true
  block_public_policy     = false
  restrict_public_buckets = false
}

resource "aws_s3_bucket_public_access_block" "compressed" {
  bucket                  = aws_s3_bucket.snap["compressed"].id
  block_public_acls       = true
  ignore_public_acls      = true
  block_public_policy     = true
  restrict_public_buckets = true
}

data "aws_iam_policy_document" "uncompressed_read" {
  statement {
    sid       = "AnyAwsAccountReadsAndPays"
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = [aws_s3_bucket.snap["uncompressed"].arn, "${aws_s3_bucket.snap["uncompressed"].arn}/*"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
  }
  statement {
    sid       = "TlsOnly"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.snap["uncompressed"].arn, "${aws_s3_bucket.snap["uncompressed"].arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "uncompressed" {
  bucket     = aws_s3_bucket.snap["uncompressed"].id
  policy     = data.aws_iam_policy_document.uncompressed_read.json
  depends_on = [aws_s3_bucket_public_access_block.uncompressed, aws_s3_bucket_request_payment_configuration.uncompressed]
}

# What the publisher (polkfura-ctl snapshot publish on the source-of-truth node) may do:
# write, list and delete under the prefix (retention), and multipart uploads.
data "aws_iam_policy_document" "publisher" {
  statement {
    actions   = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
    resources = [for b in aws_s3_bucket.snap : "${b.arn}/${var.object_prefix}*"]
  }
  statement {
    actions   = ["s3:ListBucket", "s3:ListBucketMultipartUploads"]
    resources = [for b in aws_s3_bucket.snap : b.arn]
  }
}

resource "aws_iam_policy" "publisher" {
  name        = "polkfura-snapshot-publisher"
  description = "polkfura-ctl snapshot publish: write both snapshot buckets"
  policy      = data.aws_iam_policy_document.publisher.json
  tags        = local.tags
}
