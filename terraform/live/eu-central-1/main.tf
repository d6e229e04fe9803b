module "region" {
  source                 = "../../modules/region"
  name                   = "polkfura-${var.region}"
  vpc_cidr               = var.vpc_cidr
  az_count               = var.az_count
  edge_count             = var.edge_count
  edge_instance_type     = var.edge_instance_type
  edge_ami_id            = var.edge_ami_id
  node_ami_ids           = var.node_ami_ids
  chains                 = var.chains
  metrics_cidrs          = var.metrics_cidrs
  node_extra_policy_arns = var.node_extra_policy_arns
  db_instance_class      = var.db_instance_class
}
