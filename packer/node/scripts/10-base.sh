#!/usr/bin/env bash
# API-node image, step 1: the packages and the node's user and directory.
# Runs as root on the builder (node.pkr.hcl); PF_UPLOAD is where the
# template uploaded packer/lib.sh and the node's files.
# shellcheck source-path=SCRIPTDIR
set -eu
# shellcheck source=../../lib.sh
. "$PF_UPLOAD/lib.sh"

# Node exporter for the host's metrics (CPU, disk, the chain volume's space),
# listening on :9100 as Debian's package starts it; curl for the download.
# Idempotent: apt_install installs only what is missing.
apt_install ca-certificates curl prometheus-node-exporter

# The node runs as its own user, owning only its database directory. useradd
# runs only when the user is missing; install -d sets owner and mode every time.
system_user polkadot /var/lib/polkadot
install -d -o polkadot -g polkadot -m 0750 /var/lib/polkadot

# Node exporter starts at boot (the package enables it; say so again).
systemctl enable prometheus-node-exporter.service
