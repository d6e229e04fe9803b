#!/usr/bin/env bash
# `make packer-check`: everything about packer/ that can be checked offline,
# in a few seconds, without AWS credentials (packer validate needs none: the
# amazon-ebs builder only reaches AWS during a build). Exits 1 at the first
# failing step, with what failed.
#
#   1. packer fmt -check on both templates
#   2. packer validate: the edge with HAProxy 2.6 and 3.4, the node for
#      polkadot and kusama; and refused: an HAProxy or a chain not offered
#   3. the node's AMI name takes the release from polkadot-release.env, and no
#      other file under packer/ holds a sha256
#   4. shellcheck on every script under packer/; every provisioning script
#      is run by its template; the node image enables the snapshot timer
#   5. systemd-analyze verify on the node's unit
#   6. the node's RPC limits against the edge's (check-node-limits.sh)
#   7. the edge's wiring (edge/scripts/40-wiring.sh) run twice on what
#      `make install DESTDIR=` lays out: the second run changes nothing; the
#      same for lib.sh's file writers
#   8. haproxy -c on the config as the edge image lays it out (the installed
#      polkfura.cfg and backends.cfg, the site env file after the wiring), with
#      Debian's 2.6 and with the 3.4 of `make deps-test` when it is there
# shellcheck source-path=SCRIPTDIR
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
PF_CACHE=${PF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/polkfura}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/packer-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

step() { printf 'packer-check: %s\n' "$*"; }
fail() {
	printf 'packer-check: FAILED: %s\n' "$*" >&2
	exit 1
}
for t in packer shellcheck haproxy systemd-analyze openssl; do
	command -v "$t" >/dev/null || fail "$t not found (make deps-test installs it)"
done

# packer with an empty environment: no AWS_* variable, no ~/.aws, no plugin
# directory of the user's; HOME is a scratch directory. Where this user may
# make a network namespace (root, or unprivileged user namespaces), packer
# runs in one with no network at all, so a check that reached AWS would fail.
netns=()
if unshare -n true 2>/dev/null; then
	netns=(unshare -n)
elif unshare -rn true 2>/dev/null; then
	netns=(unshare -rn)
fi
pk() { "${netns[@]}" env -i PATH="$PATH" HOME="$tmp" packer "$@"; }

step "1 fmt"
for d in edge node; do
	out=$(pk fmt -check "$here/$d" 2>&1) || fail "packer fmt -check packer/$d: ${out:-not formatted} (run: packer fmt packer/$d)"
done

step "2 validate"
# The file provisioner wants the tarball to exist; validate only looks at it.
: >"$tmp/polkfura-src.tar.gz"
for h in 2.6 3.4; do
	out=$(pk validate -var "haproxy_version=$h" -var "source_tarball=$tmp/polkfura-src.tar.gz" \
		"$here/edge" 2>&1) || fail "packer validate edge haproxy_version=$h: $out"
done
for c in polkadot kusama; do
	out=$(pk validate -var "chain=$c" -var "source_tarball=$tmp/polkfura-src.tar.gz" "$here/node" 2>&1) ||
		fail "packer validate node chain=$c: $out"
done
# The variables' rules: what make test does not run is not offered. Refused
# by the rule itself, not by anything else that could go wrong.
refused() {
	local why=$1 out
	shift
	out=$(pk validate "$@" 2>&1) && fail "packer validate $*: accepted"
	printf '%s\n' "$out" | grep -q "$why" || fail "packer validate $*: not refused for '$why': $out"
}
refused "haproxy_version must be 2.6 or 3.4" -var haproxy_version=2.8 \
	-var "source_tarball=$tmp/polkfura-src.tar.gz" "$here/edge"
refused "chain must be polkadot or kusama" -var chain=westend "$here/node"
refused "state_pruning must be" -var chain=polkadot -var state_pruning=everything "$here/node"
refused "regions must be a non-empty list" -var chain=polkadot -var 'regions=["us-east-1","us-east-1"]' "$here/node"

step "3 the release, pinned in one place"
rel=$here/node/polkadot-release.env
release=$(sed -n 's/^POLKADOT_RELEASE=\(polkadot-stable[0-9]\{4\}\(-[0-9]\{1,\}\)\{0,1\}\)$/\1/p' "$rel")
[ -n "$release" ] || fail "$rel: no POLKADOT_RELEASE=polkadot-stableYYMM[-N]"
grep -Eq '^POLKADOT_VERSION=[0-9]+\.[0-9]+\.[0-9]+$' "$rel" || fail "$rel: no POLKADOT_VERSION=X.Y.Z"
for v in POLKADOT_SHA256 POLKADOT_PREPARE_WORKER_SHA256 POLKADOT_EXECUTE_WORKER_SHA256; do
	[ "$(grep -Ec "^$v=[0-9a-f]{64}$" "$rel")" = 1 ] || fail "$rel: $v is not one sha256"
done
got=$(echo 'local.release' | pk console -var chain=polkadot "$here/node" 2>&1) || fail "packer console: $got"
[ "$got" = "$release" ] || fail "node.pkr.hcl reads the release as '$got', $rel says '$release'"
others=$(grep -rlE '(^|[^0-9a-f])[0-9a-f]{64}([^0-9a-f]|$)' "$here" | grep -v "^$rel$" || true)
[ -z "$others" ] || fail "a sha256 outside polkadot-release.env: $others"

step "4 shellcheck"
mapfile -t scripts < <(find "$here" -name '*.sh' | sort)
shellcheck -x -P SCRIPTDIR "${scripts[@]}" || fail "shellcheck (above)"
# A provisioning script the template does not list never runs: each one of
# <image>/scripts/ is in <image>.pkr.hcl. The node image enables the snapshot
# timer (its service's condition is checked by tests/install/check-install.sh).
for d in edge node; do
	for f in "$here/$d"/scripts/*.sh; do
		grep -qF "/scripts/$(basename "$f")\"" "$here/$d/$d.pkr.hcl" ||
			fail "$d/$d.pkr.hcl does not run scripts/$(basename "$f")"
	done
done
grep -qx 'systemctl enable polkfura-snapshot.timer' "$here/node/scripts/40-polkfura.sh" ||
	fail "node/scripts/40-polkfura.sh does not enable polkfura-snapshot.timer"

step "5 systemd-analyze verify"
# verify wants ExecStart's binary to exist: the unit is checked as written,
# with only that path pointed at a stub.
printf '#!/bin/sh\n' >"$tmp/polkadot"
chmod +x "$tmp/polkadot"
sed "s|/usr/bin/polkadot|$tmp/polkadot|" "$here/node/files/polkadot.service" >"$tmp/polkadot.service"
out=$(systemd-analyze verify "$tmp/polkadot.service" 2>&1) || fail "systemd-analyze verify polkadot.service: $out"
# It exits 0 on an unknown key or a bad value, but says so.
[ -z "$out" ] || fail "systemd-analyze verify polkadot.service: $out"

step "6 node limits against the edge's"
PF_REPO=$repo "$here/check-node-limits.sh" >"$tmp/limits.txt" || {
	cat "$tmp/limits.txt"
	fail "check-node-limits.sh"
}

step "7 the edge's wiring, twice"
# The files as the image has them: `make install DESTDIR=` with the image's
# SYSCONFDIR (PREFIX stays the build's: it only moves binaries and units,
# and make install wants the one the binaries were built for). Before the
# Makefile installed HAProxy's and the site's files, the repository's
# haproxy/ stands for them.
root=$tmp/root
if [ -f "$repo/dist/etc/haproxy.env.in" ]; then
	make -s -C "$repo" install DESTDIR="$root" SYSCONFDIR=/etc >"$tmp/install.log" 2>&1 || {
		cat "$tmp/install.log"
		fail "make install DESTDIR=$root (make all first)"
	}
	hap_cfg=$root/etc/haproxy/polkfura.cfg
	hap_dir=$root/etc/haproxy
	layout="make install DESTDIR="
else
	mkdir -p "$root/etc/polkfura"
	echo 'PF_LOG_TARGET=/dev/log' >"$root/etc/polkfura/haproxy.env"
	echo 'POLKFURA_SPOA_OPTS=--threads 2' >"$root/etc/polkfura/spoa.env"
	hap_cfg=$repo/haproxy/haproxy.cfg
	hap_dir=$repo/haproxy
	layout="the repository's haproxy/ (no dist/ yet)"
fi
step "  on $layout"
PF_ROOT=$root "$here/edge/scripts/40-wiring.sh" >/dev/null || fail "40-wiring.sh"
cp -a "$root" "$tmp/root.1"
out=$(PF_ROOT=$root "$here/edge/scripts/40-wiring.sh") || fail "40-wiring.sh, second run"
[ -z "$out" ] || fail "40-wiring.sh, second run changed: $out"
diff -r "$tmp/root.1" "$root" >/dev/null || fail "40-wiring.sh, second run changed the files"
# lib.sh's writers: the second write of the same text and mode says nothing.
out=$(
	# shellcheck source=lib.sh
	. "$here/lib.sh"
	echo a | write_file "$tmp/lib/f" 0640
	echo a | write_file "$tmp/lib/f" 0640
	install_file "$tmp/lib/f" "$tmp/lib/g" 0600
	install_file "$tmp/lib/f" "$tmp/lib/g" 0600
)
[ "$out" = "changed $tmp/lib/f
changed $tmp/lib/g" ] || fail "lib.sh: writing twice: $out"
[ "$(stat -c %a "$tmp/lib/f")" = 640 ] || fail "lib.sh: write_file mode"
env_file=$root/etc/polkfura/haproxy.env
grep -qx 'PF_LOG_TARGET=127.0.0.1:5514' "$env_file" || fail "haproxy.env: HAProxy does not log to the controller"
grep -q '"log_listen": "udp:127.0.0.1:5514"' "$root/etc/polkfura/ctl-wiring.json" ||
	fail "ctl-wiring.json: the controller does not listen where HAProxy logs"
grep -q '^POLKFURA_SPOA_OPTS=.*--metrics 0.0.0.0:9464' "$root/etc/polkfura/spoa.env" ||
	fail "spoa.env: no --metrics"

step "8 haproxy -c"
# HAProxy as the image starts it: the installed config and backends.cfg, the
# env file as the wiring left it, its /etc paths moved under the copy, and a
# certificate in the certificate directory.
mkdir -p "$tmp/certs"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=packer-check \
	-keyout "$tmp/site.key" -out "$tmp/site.crt" >/dev/null 2>&1 || fail "openssl req"
cat "$tmp/site.crt" "$tmp/site.key" >"$tmp/certs/site.pem"
# First what this machine has in place of the image's (the runtime files in
# the scratch directory; the admin socket's group when there is no polkfura
# group here: the image's sysusers make it), and the files haproxy.cfg
# defaults to; then the env file's NAME=value lines (systemd's syntax: no
# quotes, no spaces here), which win, with their /etc/haproxy/ paths moved
# into the installed copy.
admin_group=polkfura
getent group polkfura >/dev/null || admin_group=$(id -gn)
pf_env=(PF_SPOE_CONF="$hap_dir/spoe-polkfura.conf" PF_CHAINS_MAP="$hap_dir/chains.map"
	PF_UNSAFE_METHODS="$hap_dir/unsafe-methods.txt" PF_CERT_DIR="$tmp/certs")
while IFS= read -r line; do
	name=${line%%=*} value=${line#*=}
	case "$value" in
	/etc/haproxy/*) value=$root/etc/haproxy/${value#/etc/haproxy/} ;;
	esac
	pf_env+=("$name=$value")
done < <(grep -E '^PF_[A-Z_]+=' "$env_file")
pf_env+=(PF_SERVER_STATE_FILE="$tmp/server-state" PF_ADMIN_SOCKET="$tmp/admin.sock"
	PF_ADMIN_GROUP="$admin_group")
[ -d "$root/etc/haproxy/certs" ] && cp "$tmp/certs/site.pem" "$root/etc/haproxy/certs/"
haps=(/usr/sbin/haproxy)
[ -x "$PF_CACHE/haproxy-3.4.0/haproxy" ] && haps+=("$PF_CACHE/haproxy-3.4.0/haproxy")
for hap in "${haps[@]}"; do
	out=$(env -i PATH="$PATH" "${pf_env[@]}" \
		"$hap" -c -V -f "$hap_cfg" -f "$hap_dir/backends.cfg" 2>&1) || fail "$hap -c: $out"
	printf '%s\n' "$out" | grep -q 'Configuration file is valid' || fail "$hap -c: $out"
done

step "9 the node's download, on fakes"
# Three shell scripts stand for the binaries, served over HTTPS on loopback
# (curl's --proto =https stays), with a release file of their checksums;
# PF_ROOT takes the place of /.
www=$tmp/www
mkdir -p "$www" "$tmp/noderoot/usr/bin"
for b in polkadot polkadot-prepare-worker polkadot-execute-worker; do
	printf '#!/bin/sh\necho "%s 9.9.9-0000000"\n' "$b" >"$www/$b"
done
sum() { sha256sum "$www/$1" | cut -d' ' -f1; }
{
	echo POLKADOT_RELEASE=polkadot-stable0000
	echo POLKADOT_VERSION=9.9.9
	echo "POLKADOT_SHA256=$(sum polkadot)"
	echo "POLKADOT_PREPARE_WORKER_SHA256=$(sum polkadot-prepare-worker)"
	echo "POLKADOT_EXECUTE_WORKER_SHA256=$(sum polkadot-execute-worker)"
} >"$tmp/good.env"
sed "s/^POLKADOT_EXECUTE_WORKER_SHA256=.*/POLKADOT_EXECUTE_WORKER_SHA256=$(printf '0%.0s' $(seq 64))/" \
	"$tmp/good.env" >"$tmp/bad.env"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$tmp/www.key" -out "$tmp/www.crt" \
	>/dev/null 2>&1 || fail "openssl req (www)"
python3 - "$www" "$tmp/www.crt" "$tmp/www.key" "$tmp/www.port" "$tmp/www.log" <<'PY' &
import functools, http.server, ssl, sys
root, crt, key, port_file, log = sys.argv[1:]
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        with open(log, "a") as f:
            f.write(self.path + "\n")
srv = http.server.HTTPServer(("127.0.0.1", 0), functools.partial(H, directory=root))
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(crt, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os; os.rename(port_file + ".tmp", port_file)
srv.serve_forever()
PY
www_pid=$!
trap 'kill "$www_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do
	[ -s "$tmp/www.port" ] && break
	kill -0 "$www_pid" 2>/dev/null || fail "the HTTPS server did not start"
	sleep 0.05
done
[ -s "$tmp/www.port" ] || fail "the HTTPS server did not start within 5 s"
dl() {
	env PF_RELEASE_ENV="$1" POLKADOT_BASE_URL="https://127.0.0.1:$(cat "$tmp/www.port")" \
		PF_ROOT="$tmp/noderoot" CURL_CA_BUNDLE="$tmp/www.crt" \
		"$here/node/scripts/20-polkadot.sh" 2>&1
}
bin=$tmp/noderoot/usr/bin
out=$(dl "$tmp/bad.env") && fail "20-polkadot.sh installed a binary with the wrong sha256: $out"
printf '%s\n' "$out" | grep -q 'polkadot-execute-worker: sha256 .*, expected 0000' ||
	fail "20-polkadot.sh, wrong sha256: $out"
if [ -e "$bin/polkadot-execute-worker" ] || [ -e "$bin/polkadot-execute-worker.download" ]; then
	fail "20-polkadot.sh left the binary that failed its check: $(ls "$bin")"
fi
out=$(dl "$tmp/good.env") || fail "20-polkadot.sh on matching checksums: $out"
for b in polkadot polkadot-prepare-worker polkadot-execute-worker; do
	if ! cmp -s "$www/$b" "$bin/$b" || [ ! -x "$bin/$b" ]; then
		fail "20-polkadot.sh: $b not installed: $out"
	fi
done
n=$(wc -l <"$tmp/www.log")
out=$(dl "$tmp/good.env") || fail "20-polkadot.sh, second run: $out"
[ "$(wc -l <"$tmp/www.log")" = "$n" ] || fail "20-polkadot.sh, second run downloaded again: $out"
[ "$(printf '%s\n' "$out" | grep -c ': already installed')" = 3 ] ||
	fail "20-polkadot.sh, second run: $out"

step "ok (${#haps[@]} HAProxy versions, release $release, packer ${netns[*]:+offline, }${netns[*]:-with the network})"
