#!/usr/bin/env bash
# Edge image, step 2: the HAProxy the image runs. 2.6: Debian's package as
# 10-base.sh installed it, nothing to do. 3.4: built from the repository's
# pinned tarball by the same script `make deps` runs, then put at
# /usr/sbin/haproxy with the package's binary diverted, so Debian's
# haproxy.service (Type=notify, -Ws: 3.4 notifies systemd itself) runs it and an
# apt upgrade of the package cannot put 2.6 back. Runs as root with PF_UPLOAD,
# PF_TARBALL and HAPROXY_VERSION.
# shellcheck source-path=SCRIPTDIR
set -eu
# shellcheck source=../../lib.sh
. "$PF_UPLOAD/lib.sh"

case "$HAPROXY_VERSION" in
2.6)
	haproxy -v | head -1
	exit 0
	;;
3.4) ;;
*)
	echo "HAPROXY_VERSION: '$HAPROXY_VERSION', expected 2.6 or 3.4" >&2
	exit 1
	;;
esac

# The source tree 30-polkfura.sh builds from; extracted afresh each run.
src=/usr/src/polkfura
rm -rf "$src"
install -d -m 0755 "$src"
tar -xzf "$PF_TARBALL" -C "$src"

# build-haproxy.sh checks the tarball's sha256 and skips the build when its
# stamp (tarball, recipe and binary checksums) matches: a second run builds
# nothing.
bin=$(PF_CACHE=/var/cache/polkfura "$src/tests/peers/build-haproxy.sh" --print-path)

# The diversion is added once (dpkg-divert --list tells), the binary copied
# only when it differs.
if ! dpkg-divert --list /usr/sbin/haproxy | grep -q haproxy.debian; then
	dpkg-divert --local --rename --divert /usr/sbin/haproxy.debian --add /usr/sbin/haproxy
fi
install_file "$bin" /usr/sbin/haproxy 0755
haproxy -v | head -1
haproxy -v | grep -q '^HAProxy version 3\.4\.' || {
	echo "/usr/sbin/haproxy is not 3.4" >&2
	exit 1
}
