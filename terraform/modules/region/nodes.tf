# One auto-scaling group of API nodes per chain, in the private subnets. The group replaces a
# dead instance; it does not scale on load by itself (no policy): the operator sets
# desired_size, within max_size <= 6. New instances sync from the quick-sync snapshot
# (issue 13) before they answer RPC, which the controller sees and keeps them out meanwhile.

data "aws_ami" "node" {
  for_each    = { for c in keys(var.chains) : c => c if !contains(keys(var.node_ami_ids), c) }
  most_recent = true
  owners      = ["self"]
  filter {
    name   = "name"
    values = ["polkfura-node-${each.key}-*"]
  }
  filter {
    name   = "tag:Project"
    values = ["polkfura"]
  }
}

locals {
  node_amis = merge({ for c, a in data.aws_ami.node : c => a.id }, var.node_ami_ids)
}

resource "aws_launch_template" "node" {
  for_each               = var.chains
  name_prefix            = "${var.name}-node-${each.key}-"
  image_id               = local.node_amis[each.key]
  instance_type          = each.value.instance_type
  vpc_security_group_ids = [aws_security_group.node.id]
  update_default_version = true

  iam_instance_profile {
    name = aws_iam_instance_profile.node.name
  }

  metadata_options {
    http_tokens   = "required"
    http_endpoint = "enabled"
  }

  monitoring {
    enabled = true
  }

  # The chain database's volume, formatted on first boot and mounted at /var/lib/polkadot,
  # where the image's polkadot.service (RequiresMountsFor) keeps it. cloud-init does it in
  # its init stage, before network-online.target, so before the node starts. On Nitro
  # instances without instance storage (the m7i default) this volume is /dev/nvme1n1.
  user_data = base64encode(<<-EOT
    #cloud-config
    fs_setup:
      - label: polkadot-db
        filesystem: ext4
        device: /dev/nvme1n1
        overwrite: false
    mounts:
      - ["LABEL=polkadot-db", "/var/lib/polkadot", "ext4", "defaults,noatime,nofail", "0", "2"]
    EOT
  )

  # The chain database: an archive node's grows without end, so it is sized per chain.
  block_device_mappings {
    device_name = "/dev/sdf"
    ebs {
      volume_type           = "gp3"
      volume_size           = each.value.volume_size_gb
      iops                  = 6000
      throughput            = 400
      encrypted             = true
      delete_on_termination = true
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge(local.tags, { Name = "${var.name}-node-${each.key}", Role = "node", Chain = each.key })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(local.tags, { Name = "${var.name}-node-${each.key}", Chain = each.key })
  }

  tags = local.tags
}

resource "aws_autoscaling_group" "node" {
  for_each            = var.chains
  name                = "${var.name}-node-${each.key}"
  min_size            = each.value.min_size
  desired_capacity    = each.value.desired_size
  max_size            = each.value.max_size
  vpc_zone_identifier = aws_subnet.private[*].id
  health_check_type   = "EC2"

  launch_template {
    id      = aws_launch_template.node[each.key].id
    version = "$Latest"
  }

  dynamic "tag" {
    for_each = merge(local.tags, { Chain = each.key })
    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = false
    }
  }
}
