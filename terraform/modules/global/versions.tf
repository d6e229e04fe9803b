# The global layer: a Cloudflare load balancer per chain hostname (polkadot.<domain>,
# kusama.<domain>), DNS-only, steering each resolver to its nearer region's pool; a pool and a
# health monitor per chain and region, checking the edges' /health for that chain; and a name
# per chain and region (polkadot.eu.<domain>) for the controllers' cross-region probes.
terraform {
  required_version = ">= 1.5"
  required_providers {
    cloudflare = {
      source  = "cloudflare/cloudflare"
      version = "~> 4.40"
    }
  }
}
