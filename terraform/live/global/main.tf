# The region roots' outputs, read from their state: the edges' addresses for the pools.
data "terraform_remote_state" "region" {
  for_each = var.region_states
  backend  = "s3"
  config = {
    bucket = var.state_bucket
    key    = each.value.state
    region = var.state_bucket_region
  }
}

module "global" {
  source          = "../../modules/global"
  domain          = var.domain
  zone_id         = var.cloudflare_zone_id
  account_id      = var.cloudflare_account_id
  chains          = var.chains
  geo             = var.geo
  fallback_region = var.fallback_region
  regions = {
    for r, s in var.region_states : r => {
      label    = s.label
      edge_ips = data.terraform_remote_state.region[r].outputs.edge_public_ips
    }
  }
}

module "storage" {
  source              = "../../modules/storage"
  uncompressed_bucket = var.uncompressed_bucket
  compressed_bucket   = var.compressed_bucket
  expire_days         = var.snapshot_expire_days
  alarm_tb            = var.alarm_tb
  alarm_period_s      = var.alarm_period_s
  alarm_email         = var.alarm_email
}
