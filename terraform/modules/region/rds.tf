# The controller's PostgreSQL (incidents, samples, usage: sql/). Multi-AZ, encrypted, protected
# from deletion. The master password is generated and kept by RDS in Secrets Manager
# (manage_master_user_password): it is never in a variable, the state or the repository.

resource "aws_db_subnet_group" "ctl" {
  name       = "${var.name}-ctl"
  subnet_ids = aws_subnet.private[*].id
  tags       = local.tags
}

resource "aws_db_instance" "ctl" {
  identifier                  = "${var.name}-ctl"
  engine                      = "postgres"
  engine_version              = var.db_engine_version
  instance_class              = var.db_instance_class
  allocated_storage           = var.db_allocated_storage_gb
  storage_type                = "gp3"
  storage_encrypted           = true
  multi_az                    = true
  db_name                     = "polkfura"
  username                    = "polkfura"
  manage_master_user_password = true
  db_subnet_group_name        = aws_db_subnet_group.ctl.name
  vpc_security_group_ids      = [aws_security_group.db.id]
  publicly_accessible         = false
  deletion_protection         = true
  backup_retention_period     = var.db_backup_retention_days
  skip_final_snapshot         = false
  final_snapshot_identifier   = "${var.name}-ctl-final"
  auto_minor_version_upgrade  = true
  copy_tags_to_snapshot       = true
  tags                        = local.tags
}
