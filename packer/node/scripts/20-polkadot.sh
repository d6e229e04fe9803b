#!/usr/bin/env bash
# API-node image, step 2: the pinned Polkadot release into /usr/bin, each
# binary checked against the sha256 of polkadot-release.env before it is
# installed. Runs as root on the builder; needs PF_UPLOAD.
#
# packer/check.sh runs it offline on fakes: PF_RELEASE_ENV (another release
# file), POLKADOT_BASE_URL (a local HTTPS server) and PF_ROOT (prepended to
# /usr/bin) change where it reads, downloads and installs, not what it does.
# shellcheck source-path=SCRIPTDIR
set -eu
# shellcheck source=../polkadot-release.env
. "${PF_RELEASE_ENV:-$PF_UPLOAD/polkadot-release.env}"

base=${POLKADOT_BASE_URL:-https://github.com/paritytech/polkadot-sdk/releases/download/$POLKADOT_RELEASE}
bindir=${PF_ROOT:-}/usr/bin

# install_binary NAME SHA256: a binary already in place with the right
# checksum is left alone (a second run downloads nothing); otherwise it is
# downloaded beside its place, checked, and renamed over it, so /usr/bin never
# holds a binary that failed the check.
install_binary() {
	local name=$1 want=$2 dest=$bindir/$1 got
	if [ -x "$dest" ] && [ "$(sha256sum "$dest" | cut -d' ' -f1)" = "$want" ]; then
		echo "$name: already installed ($want)"
		return 0
	fi
	curl --fail --location --silent --show-error --retry 3 --proto '=https' \
		--output "$dest.download" "$base/$name"
	got=$(sha256sum "$dest.download" | cut -d' ' -f1)
	if [ "$got" != "$want" ]; then
		rm -f "$dest.download"
		echo "$name: sha256 $got, expected $want (polkadot-release.env)" >&2
		exit 1
	fi
	chmod 0755 "$dest.download"
	mv -f "$dest.download" "$dest"
	echo "$name: installed $POLKADOT_RELEASE ($want)"
}

install_binary polkadot "$POLKADOT_SHA256"
install_binary polkadot-prepare-worker "$POLKADOT_PREPARE_WORKER_SHA256"
install_binary polkadot-execute-worker "$POLKADOT_EXECUTE_WORKER_SHA256"

# The node refuses workers of another version; all three must say the same.
for b in polkadot polkadot-prepare-worker polkadot-execute-worker; do
	v=$("$bindir/$b" --version)
	case "$v" in
	*" $POLKADOT_VERSION-"*) echo "$v" ;;
	*)
		echo "$b --version: '$v', expected $POLKADOT_VERSION" >&2
		exit 1
		;;
	esac
done
