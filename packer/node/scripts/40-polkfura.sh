#!/usr/bin/env bash
# API-node image, step 4: polkfura-ctl for quick-sync snapshots (issue 13),
# built and installed from the source tarball as the edge image does it
# (edge/scripts/30-polkfura.sh: `make all PREFIX=/usr`, `make install
# PREFIX=/usr SYSCONFDIR=/etc`), then polkfura-snapshot.timer enabled. Every
# node has it; polkfura-snapshot.service runs only where
# /etc/polkfura/publish.json exists, so only the source-of-truth node, which
# is given that file, publishes (packer/README.md). Runs as root with
# PF_UPLOAD and PF_TARBALL.
# shellcheck source-path=SCRIPTDIR
set -eu
# shellcheck source=../../lib.sh
. "$PF_UPLOAD/lib.sh"

# What `make all` links against (the runtime libraries come with the -dev
# packages); the same list as the edge's, with the snapshot libraries.
apt_install gcc make pkg-config libev-dev libcjson-dev libcurl4-openssl-dev \
	libmicrohttpd-dev libpq-dev libarchive-dev libzstd-dev libssl-dev

src=/usr/src/polkfura
rm -rf "$src"
install -d -m 0755 "$src"
tar -xzf "$PF_TARBALL" -C "$src"
make -C "$src" -j"$(nproc)" all PREFIX=/usr
make -C "$src" install PREFIX=/usr SYSCONFDIR=/etc

systemctl daemon-reload
# Enabled, not started; enable is a no-op for an enabled unit. The agent's and
# the controller's units that make install also lays down stay disabled: a
# node runs neither.
systemctl enable polkfura-snapshot.timer
polkfura-ctl --version
