# What is open, and to whom. To the world: 80/443 on the edges and the p2p port on the nodes,
# nothing else. No SSH anywhere (shell access is SSM Session Manager). HAProxy's runtime API is a
# unix socket on the edge (haproxy/README.md, PF_ADMIN_SOCKET) and no rule here opens a port for
# it. Node RPC is open to the edges' group only; the metrics ports to metrics_cidrs (private).

locals {
  metrics_cidrs = length(var.metrics_cidrs) > 0 ? var.metrics_cidrs : [var.vpc_cidr]
}

resource "aws_security_group" "edge" {
  name        = "${var.name}-edge"
  description = "polkfura edges: HTTP/HTTPS from the world, metrics from private ranges"
  vpc_id      = aws_vpc.main.id
  tags        = merge(local.tags, { Name = "${var.name}-edge" })

  ingress {
    description = "HTTP: 308 to HTTPS, and /health for the DNS monitors"
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  ingress {
    description = "HTTPS and WSS"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  ingress {
    description = "HAProxy Prometheus exporter (PF_PROM_BIND)"
    from_port   = 8405
    to_port     = 8405
    protocol    = "tcp"
    cidr_blocks = local.metrics_cidrs
  }

  ingress {
    description = "polkfura-spoa --metrics"
    from_port   = 9464
    to_port     = 9464
    protocol    = "tcp"
    cidr_blocks = local.metrics_cidrs
  }

  ingress {
    description = "polkfura-ctl http_listen: /metrics, /status.json, admin API"
    from_port   = 9465
    to_port     = 9465
    protocol    = "tcp"
    cidr_blocks = local.metrics_cidrs
  }

  ingress {
    description = "node exporter (the edge image enables prometheus-node-exporter)"
    from_port   = 9100
    to_port     = 9100
    protocol    = "tcp"
    cidr_blocks = local.metrics_cidrs
  }

  egress {
    description = "nodes, RDS, probes of the other region, package mirrors, SSM"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "node" {
  name        = "${var.name}-node"
  description = "polkfura API nodes: p2p from the world, RPC from the edges, metrics from private ranges"
  vpc_id      = aws_vpc.main.id
  tags        = merge(local.tags, { Name = "${var.name}-node" })

  ingress {
    description = "libp2p"
    from_port   = var.p2p_port
    to_port     = var.p2p_port
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  ingress {
    description     = "JSON-RPC and WebSocket, from the edges only"
    from_port       = var.rpc_port
    to_port         = var.rpc_port
    protocol        = "tcp"
    security_groups = [aws_security_group.edge.id]
  }

  ingress {
    description = "node Prometheus endpoint"
    from_port   = 9615
    to_port     = 9615
    protocol    = "tcp"
    cidr_blocks = local.metrics_cidrs
  }

  ingress {
    description = "node exporter"
    from_port   = 9100
    to_port     = 9100
    protocol    = "tcp"
    cidr_blocks = local.metrics_cidrs
  }

  egress {
    description = "p2p peers, package mirrors, SSM"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "db" {
  name        = "${var.name}-db"
  description = "controller PostgreSQL: from the edges only"
  vpc_id      = aws_vpc.main.id
  tags        = merge(local.tags, { Name = "${var.name}-db" })

  ingress {
    description     = "PostgreSQL from polkfura-ctl on the edges"
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = [aws_security_group.edge.id]
  }
}
