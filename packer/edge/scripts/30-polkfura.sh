#!/usr/bin/env bash
# Edge image, step 3: polkfura built and installed from the source tarball
# with `make all PREFIX=/usr` and `make install PREFIX=/usr SYSCONFDIR=/etc` (binaries,
# man pages, configs under /etc/polkfura/, HAProxy's files, the systemd units
# and HAProxy's drop-in: the Makefile decides the layout, not this script),
# then the units enabled. Runs as root with PF_UPLOAD and PF_TARBALL.
set -eu

# Extracted afresh (20-haproxy.sh may have done it already; the result is the
# same), built in a clean tree so a second run builds the same binaries.
src=/usr/src/polkfura
rm -rf "$src"
install -d -m 0755 "$src"
tar -xzf "$PF_TARBALL" -C "$src"
# The same PREFIX for both: polkfura-ctl has the SQL directory compiled in,
# and make install refuses a binary built for another one.
make -C "$src" -j"$(nproc)" all PREFIX=/usr
# make install copies the same files over themselves on a second run.
make -C "$src" install PREFIX=/usr SYSCONFDIR=/etc

systemctl daemon-reload
# The agent, the controller (its database migration runs before it, pulled in
# by its unit), HAProxy after the agent, node exporter. enable is a no-op for
# an enabled unit. None is started here: the site's settings (region, chains,
# database, certificates) come when an instance boots (packer/README.md).
for unit in polkfura-spoa.service polkfura-ctl.service haproxy.service \
	prometheus-node-exporter.service; do
	systemctl enable "$unit"
done
polkfura-spoa --version
polkfura-ctl --version
