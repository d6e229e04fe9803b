# Read by the global root (terraform_remote_state) and by the operator for packer and the
# controller's config (terraform/README.md, "Outputs").
output "region" {
  description = "The AWS region, and the controller's region key."
  value       = module.region.region
}

output "vpc_id" {
  description = "The VPC."
  value       = module.region.vpc_id
}

output "public_subnet_ids" {
  description = "Edge subnets (packer subnet_id)."
  value       = module.region.public_subnet_ids
}

output "edge_public_ips" {
  description = "The edges' Elastic IPs (Cloudflare pool origins)."
  value       = module.region.edge_public_ips
}

output "edge_private_ips" {
  description = "The edges' private addresses."
  value       = module.region.edge_private_ips
}

output "edge_instance_ids" {
  description = "For aws ssm start-session."
  value       = module.region.edge_instance_ids
}

output "node_asg_names" {
  description = "Each chain's auto-scaling group."
  value       = module.region.node_asg_names
}

output "db_address" {
  description = "The controller's database host."
  value       = module.region.db_address
}

output "db_master_secret_arn" {
  description = "Secrets Manager secret with the database password."
  value       = module.region.db_master_secret_arn
}
