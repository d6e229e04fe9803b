# The edge image: Debian 12 with HAProxy (Debian's 2.6, or 3.4 built as
# `make deps` builds it), polkfura built from a source tarball of this
# repository and installed by `make install`, its units enabled, HAProxy's log
# sent to the controller and every metrics listener on the host's private
# address. Built in the first region and copied to the others. AWS credentials
# come from the environment (AWS_PROFILE, AWS_ACCESS_KEY_ID, an instance
# role); nothing here holds one. packer/README.md has the commands.

variable "haproxy_version" {
  type        = string
  default     = "2.6"
  description = "2.6: Debian 12's haproxy package. 3.4: built from tests/peers/haproxy-3.4.0.tar.gz by tests/peers/build-haproxy.sh."
  validation {
    condition     = contains(["2.6", "3.4"], var.haproxy_version)
    error_message = "The haproxy_version must be 2.6 or 3.4, the two versions make test runs."
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

variable "source_tarball" {
  type        = string
  default     = "build/polkfura-src.tar.gz"
  description = "The repository as `make packer-src` archives it (git archive of HEAD), relative to where packer runs."
}

variable "source_version" {
  type        = string
  default     = "unknown"
  description = "What the tarball was made from (git describe), for the AMI's tags."
}

variable "instance_type" {
  type        = string
  default     = "c6i.large"
  description = "Instance type of the builder (not of the edges)."
}

variable "subnet_id" {
  type        = string
  default     = ""
  description = "Subnet of the builder; empty: the region's default VPC."
}

locals {
  hap    = "hap${replace(var.haproxy_version, ".", "")}"
  stamp  = formatdate("YYYYMMDDhhmmss", timestamp())
  upload = "/tmp/polkfura-edge"
}

source "amazon-ebs" "edge" {
  region        = var.regions[0]
  ami_regions   = slice(var.regions, 1, length(var.regions))
  ami_name      = "polkfura-edge-${local.hap}-${local.stamp}"
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

  # terraform/ picks the newest image named polkfura-edge-* with tag Project=polkfura.
  tags = {
    Name                = "polkfura-edge-${local.hap}"
    Project             = "polkfura"
    "polkfura:role"     = "edge"
    "polkfura:haproxy"  = var.haproxy_version
    "polkfura:source"   = var.source_version
    "polkfura:built-at" = local.stamp
  }
}

build {
  sources = ["source.amazon-ebs.edge"]

  provisioner "shell" {
    inline = ["mkdir -p ${local.upload}"]
  }

  provisioner "file" {
    source      = "${path.root}/../lib.sh"
    destination = "${local.upload}/lib.sh"
  }

  provisioner "file" {
    source      = var.source_tarball
    destination = "${local.upload}/polkfura-src.tar.gz"
  }

  provisioner "shell" {
    environment_vars = [
      "PF_UPLOAD=${local.upload}",
      "PF_TARBALL=${local.upload}/polkfura-src.tar.gz",
      "HAPROXY_VERSION=${var.haproxy_version}",
    ]
    execute_command = "chmod +x {{ .Path }}; sudo env {{ .Vars }} {{ .Path }}"
    scripts = [
      "${path.root}/scripts/10-base.sh",
      "${path.root}/scripts/20-haproxy.sh",
      "${path.root}/scripts/30-polkfura.sh",
      "${path.root}/scripts/40-wiring.sh",
    ]
  }

  provisioner "shell" {
    inline = ["sudo rm -rf ${local.upload}"]
  }
}
