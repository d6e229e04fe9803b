# terraform test for modules/region with a mocked AWS provider: the module is planned and
# "applied" against generated values, offline and without credentials, so the variables'
# validations, the counts and the rules are evaluated by Terraform itself. Needs a terraform
# binary and the hashicorp/aws provider (tests/terraform/tf-test.sh finds both or skips).

mock_provider "aws" {
  mock_data "aws_availability_zones" {
    defaults = { names = ["xx-test-1a", "xx-test-1b", "xx-test-1c"] }
  }
  mock_data "aws_region" {
    defaults = { name = "xx-test-1" }
  }
  mock_data "aws_ami" {
    defaults = { id = "ami-0123456789abcdef0" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_resource "aws_launch_template" {
    defaults = { id = "lt-0123456789abcdef0" }
  }
  mock_resource "aws_db_instance" {
    defaults = {
      address            = "db.example.internal"
      master_user_secret = [{ secret_arn = "arn:aws:secretsmanager:xx-test-1:123456789012:secret:db", secret_status = "active", kms_key_id = "k" }]
    }
  }
}

variables {
  name     = "polkfura-test"
  vpc_cidr = "10.40.0.0/16"
  chains = {
    polkadot = { instance_type = "m7i.2xlarge", volume_size_gb = 100, min_size = 2, desired_size = 3, max_size = 6 }
    kusama   = { instance_type = "m7i.2xlarge", volume_size_gb = 100, min_size = 1, desired_size = 1, max_size = 2 }
  }
}

run "defaults" {
  command = apply

  assert {
    condition     = length(aws_subnet.public) == 2 && length(aws_subnet.private) == 2 && length(aws_nat_gateway.main) == 2
    error_message = "want a public subnet, a private subnet and a NAT gateway in each of 2 zones"
  }
  assert {
    condition     = toset([for s in aws_subnet.private : s.availability_zone]) == toset(["xx-test-1a", "xx-test-1b"])
    error_message = "the private subnets are not in two distinct zones"
  }
  assert {
    condition     = aws_autoscaling_group.node["polkadot"].max_size == 6 && aws_autoscaling_group.node["kusama"].max_size == 2
    error_message = "the groups do not take max_size from chains"
  }
  assert {
    condition     = length(aws_instance.edge) == 2 && length(aws_eip.edge) == 2
    error_message = "want 2 edges with an Elastic IP each"
  }
  assert {
    condition     = toset([for r in aws_security_group.edge.ingress : r.from_port if contains(coalesce(r.cidr_blocks, ["none"]), "0.0.0.0/0")]) == toset([80, 443])
    error_message = "the edge opens something else than 80 and 443 to the world"
  }
  assert {
    condition     = toset([for r in aws_security_group.node.ingress : r.from_port if contains(coalesce(r.cidr_blocks, ["none"]), "0.0.0.0/0")]) == toset([30333])
    error_message = "the nodes open something else than 30333 to the world"
  }
  assert {
    condition     = alltrue([for r in aws_security_group.node.ingress : r.cidr_blocks == null && r.ipv6_cidr_blocks == null if r.from_port == 9944])
    error_message = "node RPC is open to an address range"
  }
  assert {
    condition     = alltrue([for r in concat(tolist(aws_security_group.edge.ingress), tolist(aws_security_group.node.ingress)) : toset(r.cidr_blocks) == toset(["10.40.0.0/16"]) if !contains([80, 443, 30333, 9944], r.from_port)])
    error_message = "a metrics port is open beyond the VPC"
  }
  assert {
    condition     = aws_db_instance.ctl.multi_az && aws_db_instance.ctl.storage_encrypted && aws_db_instance.ctl.deletion_protection && !aws_db_instance.ctl.publicly_accessible
    error_message = "RDS is not Multi-AZ, encrypted, protected and private"
  }
  assert {
    condition     = jsondecode(local.edge_facts).database == "host=db.example.internal port=5432 dbname=polkfura user=polkfura sslmode=require"
    error_message = "the edges' terraform.json does not carry the database conninfo"
  }
}

run "max_size_7_refused" {
  command = plan
  variables {
    chains = {
      polkadot = { instance_type = "m7i.2xlarge", volume_size_gb = 100, min_size = 2, desired_size = 3, max_size = 7 }
    }
  }
  expect_failures = [var.chains]
}

run "metrics_to_the_world_refused" {
  command = plan
  variables {
    metrics_cidrs = ["0.0.0.0/0"]
  }
  expect_failures = [var.metrics_cidrs]
}
