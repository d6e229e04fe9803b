#!/usr/bin/env bash
# API-node image, step 3: the node's settings and its systemd unit, enabled.
# Runs as root on the builder with POLKADOT_CHAIN, POLKADOT_STATE_PRUNING and
# POLKADOT_BLOCKS_PRUNING from the template's variables, and PF_UPLOAD.
# shellcheck source-path=SCRIPTDIR
set -eu
# shellcheck source=../../lib.sh
. "$PF_UPLOAD/lib.sh"

case "$POLKADOT_CHAIN" in
polkadot | kusama) ;;
*)
	echo "POLKADOT_CHAIN: '$POLKADOT_CHAIN', expected polkadot or kusama" >&2
	exit 1
	;;
esac

# What differs between the polkadot and the kusama image; the unit reads it.
# write_file rewrites it only when the text differs.
write_file /etc/default/polkadot 0644 <<ENV
# Written by the polkfura node image (packer/node/scripts/30-unit.sh).
POLKADOT_CHAIN=$POLKADOT_CHAIN
POLKADOT_STATE_PRUNING=$POLKADOT_STATE_PRUNING
POLKADOT_BLOCKS_PRUNING=$POLKADOT_BLOCKS_PRUNING
ENV

install_file "$PF_UPLOAD/polkadot.service" /etc/systemd/system/polkadot.service 0644
systemctl daemon-reload
# Enabled, not started: the chain's volume is attached when an instance of
# the image boots. enable is a no-op for an enabled unit.
systemctl enable polkadot.service
