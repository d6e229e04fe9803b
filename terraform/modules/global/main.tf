locals {
  # One pool per (chain, region), keyed "<chain>/<region>".
  pools = merge([
    for c in var.chains : {
      for r, v in var.regions : "${c}/${r}" => { chain = c, region = r, label = v.label, ips = v.edge_ips }
    }
  ]...)
  # The per-region names, one record per edge address.
  records = merge([
    for k, p in local.pools : {
      for i, ip in p.ips : "${k}/${i}" => { name = "${p.chain}.${p.label}", ip = ip }
    }
  ]...)
}

# GET /health on a chain's host is answered by the edge itself from be_<chain> (haproxy.cfg):
# 200 {"status":"ok"}, 503 when no node of the chain is in rotation or the chain is saturated.
# Only 200 counts as healthy. It is answered on 443 (and on 80, which skips the redirect).
resource "cloudflare_load_balancer_monitor" "health" {
  for_each         = local.pools
  account_id       = var.account_id
  description      = "polkfura ${each.value.chain} ${each.value.region}"
  type             = "https"
  method           = "GET"
  path             = "/health"
  port             = 443
  expected_codes   = "200"
  expected_body    = "ok"
  follow_redirects = false
  allow_insecure   = false
  interval         = var.monitor_interval_s
  timeout          = 5
  retries          = 2
  header {
    header = "Host"
    values = ["${each.value.chain}.${var.domain}"]
  }
}

resource "cloudflare_load_balancer_pool" "region" {
  for_each        = local.pools
  account_id      = var.account_id
  name            = "polkfura-${each.value.chain}-${each.value.region}"
  description     = "${each.value.chain} edges in ${each.value.region}"
  monitor         = cloudflare_load_balancer_monitor.health[each.key].id
  minimum_origins = 1
  check_regions   = var.check_regions

  dynamic "origins" {
    for_each = each.value.ips
    content {
      name    = "${each.value.region}-edge-${origins.key + 1}"
      address = origins.value
      enabled = true
      header {
        header = "Host"
        values = ["${each.value.chain}.${var.domain}"]
      }
    }
  }
}

# DNS-only (proxied is left at false; the provider refuses ttl next to it): clients connect
# to the edges themselves, which see their addresses for the per-source limits, and
# WebSockets stay up as long as the edge allows. Geo steering then goes by the client subnet
# the resolver passes on (EDNS), else by the resolver's own address.
resource "cloudflare_load_balancer" "chain" {
  for_each        = toset(var.chains)
  zone_id         = var.zone_id
  name            = "${each.key}.${var.domain}"
  description     = "polkfura ${each.key}"
  ttl             = var.dns_ttl
  steering_policy = "geo"

  location_strategy {
    prefer_ecs = "always"
    mode       = "resolver_ip"
  }
  fallback_pool_id = cloudflare_load_balancer_pool.region["${each.key}/${var.fallback_region}"].id
  default_pool_ids = concat(
    [cloudflare_load_balancer_pool.region["${each.key}/${var.fallback_region}"].id],
    [for r in sort(keys(var.regions)) : cloudflare_load_balancer_pool.region["${each.key}/${r}"].id if r != var.fallback_region]
  )

  # Preconditions, not validation blocks: a validation may name another variable only from
  # Terraform 1.9 on, and this tree supports 1.5.
  lifecycle {
    precondition {
      condition     = alltrue([for r in values(var.geo) : contains(keys(var.regions), r)])
      error_message = "geo: every value is one of the regions."
    }
    precondition {
      condition     = contains(keys(var.regions), var.fallback_region)
      error_message = "fallback_region: one of the regions."
    }
  }

  dynamic "region_pools" {
    for_each = var.geo
    content {
      region = region_pools.key
      pool_ids = concat(
        [cloudflare_load_balancer_pool.region["${each.key}/${region_pools.value}"].id],
        [for r in sort(keys(var.regions)) : cloudflare_load_balancer_pool.region["${each.key}/${r}"].id if r != region_pools.value]
      )
    }
  }
}

# <chain>.<label>.<domain>: one region's edges, for the controllers' probe URLs
# (https://kusama.us.<domain>/health) and for reaching a region on purpose.
resource "cloudflare_record" "region" {
  for_each = local.records
  zone_id  = var.zone_id
  name     = each.value.name
  type     = "A"
  content  = each.value.ip
  ttl      = var.dns_ttl
  proxied  = false
  comment  = "polkfura edge"
}
