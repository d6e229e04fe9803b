#!/usr/bin/env bash
# Edge image, step 1: Debian packages. Runs as root on the builder
# (edge.pkr.hcl) with PF_UPLOAD and HAPROXY_VERSION.
# shellcheck source-path=SCRIPTDIR
set -eu
# shellcheck source=../../lib.sh
. "$PF_UPLOAD/lib.sh"

# What `make all` links against (the runtime libraries come with the -dev
# packages; libarchive, libzstd and libssl for the snapshot commands), HAProxy,
# jq for the config edits of 40-wiring.sh and node exporter. Debian's haproxy package is installed in both cases: with 3.4 it
# still provides the unit, the haproxy user, the empty chroot
# /var/lib/haproxy and the rsyslog socket inside it, and 20-haproxy.sh puts
# the 3.4 binary in its place. Idempotent: apt_install installs only what is
# missing.
apt_install gcc make pkg-config libev-dev libcjson-dev libcurl4-openssl-dev \
	libmicrohttpd-dev libpq-dev libarchive-dev libzstd-dev libssl-dev haproxy jq \
	prometheus-node-exporter
if [ "$HAPROXY_VERSION" = 3.4 ]; then
	# What tests/peers/build-haproxy.sh builds with (USE_OPENSSL, USE_ZLIB).
	apt_install zlib1g-dev
fi
