#!/usr/bin/env bash
# API-node image, step 2: the pinned Polkadot release into /usr/bin, each
# binary checked against the sha256 of polkadot-release.env before it is
# installed. Runs as root on the builder; needs PF_UPLOAD.
# shellcheck source-path=SCRIPTDIR
set -eu
# shellcheck source=../polkadot-release.env
. "$PF_UPLOAD/polkadot-release.env"

base="https://github.com/paritytech/polkadot-sdk/releases/download/$POLKADOT_RELEASE"

# install_binary NAME SHA256: a binary already in place with the right
# checksum is left alone (a second run downloads nothing); otherwise it is
# downloaded beside its place, checked, and renamed over it, so /usr/bin never
# holds a binary that failed the check.
install_binary() {
	local name=$1 want=$2 dest=/usr/bin/$1 got
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
	v=$("/usr/bin/$b" --version)
	case "$v" in
	*" $POLKADOT_VERSION-"*) echo "$v" ;;
	*)
		echo "$b --version: '$v', expected $POLKADOT_VERSION" >&2
		exit 1
		;;
	esac
done
