# Instance roles: SSM (Session Manager is the only shell access; there is no SSH key and no
# port 22) and the CloudWatch agent, on both kinds of instance. The edges may also read the RDS
# master secret, which the controller's database_password_file is filled from at boot.

data "aws_iam_policy_document" "ec2_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "edge" {
  name               = "${var.name}-edge"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json
  tags               = local.tags
}

resource "aws_iam_role" "node" {
  name               = "${var.name}-node"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json
  tags               = local.tags
}

locals {
  managed_policies = [
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy",
  ]
}

resource "aws_iam_role_policy_attachment" "edge" {
  for_each   = toset(local.managed_policies)
  role       = aws_iam_role.edge.name
  policy_arn = each.value
}

resource "aws_iam_role_policy_attachment" "node" {
  for_each   = toset(concat(local.managed_policies, var.node_extra_policy_arns))
  role       = aws_iam_role.node.name
  policy_arn = each.value
}

data "aws_iam_policy_document" "edge_db_secret" {
  statement {
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [aws_db_instance.ctl.master_user_secret[0].secret_arn]
  }
}

resource "aws_iam_role_policy" "edge_db_secret" {
  name   = "db-secret"
  role   = aws_iam_role.edge.id
  policy = data.aws_iam_policy_document.edge_db_secret.json
}

resource "aws_iam_instance_profile" "edge" {
  name = "${var.name}-edge"
  role = aws_iam_role.edge.name
  tags = local.tags
}

resource "aws_iam_instance_profile" "node" {
  name = "${var.name}-node"
  role = aws_iam_role.node.name
  tags = local.tags
}
