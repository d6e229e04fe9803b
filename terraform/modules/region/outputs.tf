data "aws_region" "current" {}

output "region" {
  description = "The AWS region; also the controller's `region` key."
  value       = data.aws_region.current.name
}

output "vpc_id" {
  description = "The VPC (packer builds can run in its public subnets)."
  value       = aws_vpc.main.id
}

output "public_subnet_ids" {
  description = "Edge subnets; packer's subnet_id for builds inside the VPC."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Node and RDS subnets."
  value       = aws_subnet.private[*].id
}

output "edge_public_ips" {
  description = "The edges' Elastic IPs: the global root's pool origins."
  value       = aws_eip.edge[*].public_ip
}

output "edge_private_ips" {
  description = "The edges' private addresses."
  value       = aws_instance.edge[*].private_ip
}

output "edge_instance_ids" {
  description = "For aws ssm start-session --target."
  value       = aws_instance.edge[*].id
}

output "node_asg_names" {
  description = "The auto-scaling group of each chain."
  value       = { for c, g in aws_autoscaling_group.node : c => g.name }
}

output "db_address" {
  description = "The controller's `database` host: host=<this> port=5432 dbname=polkfura user=polkfura sslmode=require."
  value       = aws_db_instance.ctl.address
}

output "db_master_secret_arn" {
  description = "Secrets Manager secret holding the database password, for database_password_file."
  value       = aws_db_instance.ctl.master_user_secret[0].secret_arn
}

output "node_role_name" {
  description = "The nodes' IAM role."
  value       = aws_iam_role.node.name
}
