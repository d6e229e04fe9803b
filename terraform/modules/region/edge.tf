# The edges are plain instances with Elastic IPs, not an auto-scaling group: the DNS load
# balancer's pools list origin addresses, and an address that changed with every replacement
# would have to be re-applied in the global root each time. One edge per zone, round robin.

data "aws_ami" "edge" {
  count       = var.edge_ami_id == null ? 1 : 0
  most_recent = true
  owners      = ["self"]
  filter {
    name   = "name"
    values = ["polkfura-edge-*"]
  }
  filter {
    name   = "tag:Project"
    values = ["polkfura"]
  }
}

locals {
  # one(): the data source has no instance when edge_ami_id is set, and both branches are evaluated.
  edge_ami = var.edge_ami_id != null ? var.edge_ami_id : one(data.aws_ami.edge[*].id)
  edge_facts = jsonencode({
    region              = data.aws_region.current.name
    database            = "host=${aws_db_instance.ctl.address} port=5432 dbname=polkfura user=polkfura sslmode=require"
    database_secret_arn = aws_db_instance.ctl.master_user_secret[0].secret_arn
  })
}

resource "aws_instance" "edge" {
  count                  = var.edge_count
  ami                    = local.edge_ami
  instance_type          = var.edge_instance_type
  subnet_id              = aws_subnet.public[count.index % var.az_count].id
  vpc_security_group_ids = [aws_security_group.edge.id]
  iam_instance_profile   = aws_iam_instance_profile.edge.name
  monitoring             = true

  metadata_options {
    http_tokens   = "required"
    http_endpoint = "enabled"
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = 30
    encrypted   = true
  }

  # What this region's Terraform knows and the controller's ctl.json needs (region,
  # database); ctl.json itself is written by the operator (terraform/README.md, "Controller").
  user_data = <<-EOT
    #cloud-config
    write_files:
      - path: /etc/polkfura/terraform.json
        permissions: "0644"
        content: ${jsonencode(local.edge_facts)} # a JSON string is a YAML scalar
    EOT

  # A new AMI is rolled out by replacing edges one at a time (terraform apply -replace=...),
  # not by every apply that finds a newer image.
  lifecycle {
    ignore_changes = [ami, user_data]
  }

  tags = merge(local.tags, { Name = "${var.name}-edge-${count.index + 1}", Role = "edge" })
}

resource "aws_eip" "edge" {
  count    = var.edge_count
  domain   = "vpc"
  instance = aws_instance.edge[count.index].id
  tags     = merge(local.tags, { Name = "${var.name}-edge-${count.index + 1}" })
}
