output "endpoints" {
  description = "The load-balanced hostnames."
  value       = [for c in var.chains : "${c}.${var.domain}"]
}

output "probe_urls" {
  description = "Per region and chain, the /health URL the other regions' controllers list in `probe`."
  value       = { for k, p in local.pools : k => "https://${p.chain}.${p.label}.${var.domain}/health" }
}
