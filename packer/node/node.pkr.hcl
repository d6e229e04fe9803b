# The API-node image: Debian 12 with the pinned Polkadot release
# (polkadot-release.env), its systemd unit (files/polkadot.service), node
# exporter and polkfura-ctl's snapshot timer (enabled; it publishes only where
# /etc/polkfura/publish.json exists), for one chain. Built in the first region and copied to the others.
# AWS credentials come from the environment (AWS_PROFILE, AWS_ACCESS_KEY_ID,
# an instance role); nothing here holds one. packer/README.md has the commands.

variable "chain" {
  type        = string
  description = "The relay chain the node follows: polkadot or kusama."
  validation {
    condition     = contains(["polkadot", "kusama"], var.chain)
    error_message = "The chain must be polkadot or kusama."
  }
}

variable "regions" {
  type        = list(string)
  default     = ["eu-central-1", "us-east-1"]
  description = "AWS regions that get the AMI: built in the first, copied to the others."
  validation {
    condition     = length(var.regions) >= 1 && length(distinct(var.regions)) == length(var.regions)
    error_message = "The regions must be a non-empty list without duplicates."
  }
}

variable "state_pruning" {
  type        = string
  default     = "archive-canonical"
  description = "--state-pruning: archive, archive-canonical or a number of blocks."
  validation {
    condition     = regex_replace(var.state_pruning, "^(archive|archive-canonical|[1-9][0-9]*)$", "") == ""
    error_message = "The state_pruning must be archive, archive-canonical or a number of blocks."
  }
}

variable "blocks_pruning" {
  type        = string
  default     = "archive-canonical"
  description = "--blocks-pruning: archive, archive-canonical or a number of blocks."
  validation {
    condition     = regex_replace(var.blocks_pruning, "^(archive|archive-canonical|[1-9][0-9]*)$", "") == ""
    error_message = "The blocks_pruning must be archive, archive-canonical or a number of blocks."
  }
}

variable "source_tarball" {
  type        = string
  default     = "build/polkfura-src.tar.gz"
  description = "The repository as `make packer-src` archives it, for polkfura-ctl's snapshot publisher (scripts/40-polkfura.sh)."
}

variable "instance_type" {
  type        = string
  default     = "c6i.large"
  description = "Instance type of the builder (not of the nodes)."
}

variable "subnet_id" {
  type        = string
  default     = ""
  description = "Subnet of the builder; empty: the region's default VPC."
}

locals {
  # The release tag, read from the one file that pins it.
  release = regex_replace(file("${abspath(path.root)}/polkadot-release.env"), "(?s)^.*\nPOLKADOT_RELEASE=([a-z0-9.-]+)\n.*$", "$1")
  stamp   = formatdate("YYYYMMDDhhmmss", timestamp())
  upload  = "/tmp/polkfura-node"
}

source "amazon-ebs" "node" {
  region        = var.regions[0]
  ami_regions   = slice(var.regions, 1, length(var.regions))
  ami_name      = "polkfura-node-${var.chain}-${local.release}-${local.stamp}"
  instance_type = var.instance_type
  subnet_id     = var.subnet_id
  ssh_username  = "admin"

  source_ami_filter {
    filters = {
      name                = "debian-12-amd64-*"
      architecture        = "x86_64"
      virtualization-type = "hvm"
      root-device-type    = "ebs"
    }
    # Debian's own account: the official Debian 12 images.
    owners      = ["136693071363"]
    most_recent = true
  }

  # terraform/ picks the newest image named polkfura-node-<chain>-* with tag Project=polkfura.
  tags = {
    Name                = "polkfura-node-${var.chain}"
    Project             = "polkfura"
    "polkfura:role"     = "node"
    "polkfura:chain"    = var.chain
    "polkfura:release"  = local.release
    "polkfura:pruning"  = "state=${var.state_pruning},blocks=${var.blocks_pruning}"
    "polkfura:built-at" = local.stamp
  }
}

build {
  sources = ["source.amazon-ebs.node"]

  provisioner "shell" {
    inline = ["mkdir -p ${local.upload}"]
  }

  provisioner "file" {
    sources = [
      "${path.root}/../lib.sh",
      "${path.root}/polkadot-release.env",
      "${path.root}/files/polkadot.service",
    ]
    destination = "${local.upload}/"
  }

  provisioner "file" {
    source      = var.source_tarball
    destination = "${local.upload}/polkfura-src.tar.gz"
  }

  provisioner "shell" {
    environment_vars = [
      "PF_UPLOAD=${local.upload}",
      "PF_TARBALL=${local.upload}/polkfura-src.tar.gz",
      "POLKADOT_CHAIN=${var.chain}",
      "POLKADOT_STATE_PRUNING=${var.state_pruning}",
      "POLKADOT_BLOCKS_PRUNING=${var.blocks_pruning}",
    ]
    execute_command = "chmod +x {{ .Path }}; sudo env {{ .Vars }} {{ .Path }}"
    scripts = [
      "${path.root}/scripts/10-base.sh",
      "${path.root}/scripts/20-polkadot.sh",
      "${path.root}/scripts/30-unit.sh",
      "${path.root}/scripts/40-polkfura.sh",
    ]
  }

  provisioner "shell" {
    inline = ["sudo rm -rf ${local.upload}"]
  }
}
