#!/usr/bin/env bash
# Installs what the machine lacks, in two sets:
#
#   tools/deps.sh demo   (make deps)       what `make` and `make demo` need: the build's
#                        Debian packages, HAProxy, OpenSSL, curl, PostgreSQL, Node.js >= 18.14
#                        (Debian 12's 18 will do) and the npm packages ws (the node
#                        simulator's WebSocket) and s3rver (the demo's S3), pinned as in
#                        tests/peers/package.json
#   tools/deps.sh test   (make deps-test)  the demo set, then what `make test` and
#                        `make bench` add: Check, clang/libFuzzer, clang-format, cppcheck and
#                        ShellCheck, packer, systemd-analyze, man, chromium, wrk, jq, promtool
#                        and prometheus, every pinned npm test peer (Node.js >= 20: @polkadot/api,
#                        chopsticks, @cdktf/hcl2json, ...) and HAProxy 3.4
#
# A new tool goes in one place: a Debian package into TEST_PKGS (DEMO_PKGS only if make demo
# uses it), an npm package into tests/peers/package.json, anything else as a block of its own
# at the end of this file.
#
# Debian packages come from apt-get (update once, then only the missing ones, with sudo
# when not root); npm packages, promtool and HAProxy 3.4 go into $PF_CACHE, never into
# the repository. Idempotent: a second run installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-test}
case $mode in
demo | test) ;;
*)
	echo "usage: tools/deps.sh demo|test" >&2
	exit 2
	;;
esac
PF_CACHE=${PF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/polkfura}

DEMO_PKGS=(
	# build
	gcc make pkg-config libev-dev libcjson-dev libcurl4-openssl-dev libmicrohttpd-dev libpq-dev
	# the demo's edge, its throw-away CA and its requests
	haproxy openssl curl
	# the controller's database (initdb, postgres, pg_isready, psql)
	postgresql
	# the controller's snapshots (issue 13): tar + zstd (libarchive), sha256 (libcrypto)
	libarchive-dev libzstd-dev libssl-dev
)
TEST_PKGS=(
	# unit tests, sanitizers, fuzzing, lint
	check libsubunit-dev clang libclang-rt-14-dev clang-format cppcheck shellcheck
	# HAProxy 3.4 built from tests/peers/ (USE_OPENSSL=1 USE_ZLIB=1)
	libssl-dev zlib1g-dev
	# benchmarks: wrk load, Lua classifier baseline
	wrk lua-cjson jq
	# make packer-check: packer (1.6.6, amazon-ebs built in; shellcheck is above,
	# systemd-analyze below)
	packer
	# test_status_page renders the status page in a headless browser
	chromium
	# make check-install: systemd-analyze and systemd-sysusers (nothing is started),
	# man and groff to lint the man pages
	systemd man-db groff-base
	# test_snapshot_pack unpacks the packer's stream with GNU tar --zstd, which runs zstd
	zstd
	# test_s3_sigv4 re-signs the S3 client's requests with botocore's S3SigV4Auth
	python3-botocore
)

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
	SUDO=(sudo)
fi
apt_updated=
apt_update() {
	[[ -n $apt_updated ]] && return 0
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	apt_updated=1
}

# apt_install PKG...: installs those of PKG that are not installed.
apt_install() {
	local p missing=()
	for p in "$@"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
			missing+=("$p")
		fi
	done
	((${#missing[@]} > 0)) || return 0
	if ((${#SUDO[@]} > 0)) && ! command -v sudo >/dev/null; then
		echo "deps: need root or sudo to install: ${missing[*]}" >&2
		exit 1
	fi
	echo "deps: installing ${missing[*]}"
	apt_update
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
}

# node_at_least MAJOR MINOR: whether the node on PATH is at least MAJOR.MINOR.
node_at_least() {
	node -e 'const [a, b] = process.versions.node.split(".").map(Number);
		process.exit(a > +process.argv[1] || (a == +process.argv[1] && b >= +process.argv[2]) ? 0 : 1)' \
		"$1" "$2"
}

# ---- demo (make deps) ------------------------------------------------------

pkgs=("${DEMO_PKGS[@]}")
[[ $mode == test ]] && pkgs+=("${TEST_PKGS[@]}")
list=()
for p in "${pkgs[@]}"; do
	[[ $p == \#* ]] || list+=("$p")
done
# Node.js: Debian's own (18.20 on Debian 12) unless the machine has one already
# (NodeSource's, say); its npm comes with it.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	list+=(nodejs npm)
fi
apt_install "${list[@]}"

# The node simulator (tests/harness/nodesim.js) uses buffer.isUtf8, new in Node.js 18.14;
# its self-test passes on Debian 12's 18.20.4. The test peers need 20 (below).
if ! node_at_least 18 14; then
	echo "deps: Node.js $(node -v) is too old for the node simulator: it needs 18.14 or newer" \
		"(Debian 12's nodejs package is 18.20)" >&2
	exit 1
fi

# The npm packages the demo uses, at the versions tests/peers/package.json pins, into the
# directory the full test peers use ($PF_CACHE/npm): make deps-test later installs the rest
# beside them. ws: the simulator's WebSocket side and the demo's wss:// line; s3rver (issue
# 13): the demo's S3 for quick-sync snapshots (with ws, 109 packages and 15 MB in an empty
# cache, 4.6 s). Both in one npm run, so neither removes the other.
npm_want=()
for p in ws s3rver; do
	want=$(node -p "require('./tests/peers/package.json').dependencies['$p']")
	have=$(node -p "try { require('$PF_CACHE/npm/node_modules/$p/package.json').version } catch (e) { '' }")
	npm_want+=("$p@$want")
	[[ $have == "$want" ]] || npm_missing=1
done
if [[ -n ${npm_missing:-} ]]; then
	echo "deps: npm ${npm_want[*]} into $PF_CACHE/npm"
	mkdir -p "$PF_CACHE/npm"
	npm install --prefix "$PF_CACHE/npm" --no-save --no-package-lock --no-audit --no-fund \
		--no-update-notifier --loglevel=warn "${npm_want[@]}" >/dev/null
fi

[[ $mode == test ]] || exit 0

# ---- test (make deps-test) -------------------------------------------------

# The pinned test peers: @polkadot/api and chopsticks need Node.js 20 (chopsticks 1.5.1
# declares >= 22 and runs on 20; some of their dependencies declare >= 20).
if ! node_at_least 20 0; then
	echo "deps: make deps-test needs Node.js 20 or newer for the npm test peers" \
		"(tests/peers/package.json); this machine has $(node -v), Debian 12 ships 18." \
		"Install 20 (NodeSource's nodejs package, or a binary from nodejs.org) and run it again;" \
		"make deps and make demo work with 18." >&2
	exit 1
fi

# promtool and prometheus, as files: installing the prometheus package would
# start a Prometheus server on :9090 as a service and pull in its web assets, so
# its .deb is downloaded and only usr/bin/promtool and usr/bin/prometheus are
# extracted into the cache (static Go binaries, libc only). promtool checks the
# rules (make monitoring); test_monitoring runs the server against the shipped
# prometheus.yml. The stamp holds the package version: a point release replaces them.
prom_dir=$PF_CACHE/prometheus
prom_ver=$(apt-cache policy prometheus 2>/dev/null | sed -n 's/^ *Candidate: //p')
if [[ -z $prom_ver || $prom_ver == '(none)' ]]; then
	apt_update
	prom_ver=$(apt-cache policy prometheus | sed -n 's/^ *Candidate: //p')
fi
if [[ ! -x $prom_dir/promtool || ! -x $prom_dir/prometheus ||
	"$(cat "$prom_dir/.stamp" 2>/dev/null)" != "$prom_ver" ]]; then
	echo "deps: promtool and prometheus $prom_ver into $prom_dir"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	# As root apt warns that its _apt user cannot write to $tmp; the download works.
	if ! (cd "$tmp" && apt-get download -qq "prometheus=$prom_ver" 2>"$tmp/err"); then
		cat "$tmp/err" >&2
		echo "deps: cannot download the prometheus package" >&2
		exit 1
	fi
	mkdir -p "$prom_dir"
	dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb |
		tar -x -C "$tmp" ./usr/bin/promtool ./usr/bin/prometheus
	mv "$tmp/usr/bin/promtool" "$tmp/usr/bin/prometheus" "$prom_dir/"
	"$prom_dir/promtool" --version >/dev/null
	"$prom_dir/prometheus" --version >/dev/null
	echo "$prom_ver" >"$prom_dir/.stamp"
fi

PF_CACHE=$PF_CACHE tests/peers/install.sh
PF_CACHE=$PF_CACHE tests/peers/build-haproxy.sh

# ---- test: further tools ---------------------------------------------------
# One block per tool below (packer, hcl2json, ...), each idempotent and saying in a
# comment which test needs it; Debian packages through apt_install, npm packages
# pinned into $PF_CACHE.
