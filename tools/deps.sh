#!/usr/bin/env bash
# Installs what `make test` and `make demo` need and the machine lacks:
# Debian 12 packages (apt-get update once, then only the missing ones, with
# sudo when not root), the pinned npm test peers (tests/peers/install.sh) and
# HAProxy 3.4 built from tests/peers/haproxy-3.4.0.tar.gz
# (tests/peers/build-haproxy.sh), both into $PF_CACHE, never into the repository,
# and promtool and prometheus (haproxy/monitoring/) taken from Debian's prometheus
# package into $PF_CACHE/prometheus/.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(
	# build
	gcc make pkg-config libev-dev libcjson-dev libcurl4-openssl-dev libmicrohttpd-dev libpq-dev
	# unit tests, sanitizers, fuzzing, lint
	check libsubunit-dev clang libclang-rt-14-dev clang-format cppcheck
	# integration tests and demo
	haproxy openssl curl
	# the PostgreSQL the harness starts for the db suites (initdb, postgres, psql, pg_isready)
	postgresql
	# HAProxy 3.4 built from tests/peers/ (USE_OPENSSL=1 USE_ZLIB=1)
	libssl-dev zlib1g-dev
	# benchmarks: wrk load, Lua classifier baseline
	wrk lua-cjson jq
	# make packer-check: packer (1.6.6, amazon-ebs built in), shellcheck (systemd-analyze: below)
	packer shellcheck
	# test_status_page renders the status page in a headless browser
	chromium
	# make check-install: systemd-analyze and systemd-sysusers (nothing is started),
	# man and groff to lint the man pages
	systemd man-db groff-base
)

missing=()
for p in "${PKGS[@]}"; do
	[[ $p == \#* ]] && continue
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing+=("$p")
	fi
done
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	missing+=(nodejs npm)
fi

if ((${#missing[@]} > 0)); then
	SUDO=()
	if [[ $(id -u) -ne 0 ]]; then
		command -v sudo >/dev/null || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
		SUDO=(sudo)
	fi
	echo "deps: installing ${missing[*]}"
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
fi

# promtool and prometheus, as files: installing the prometheus package would
# start a Prometheus server on :9090 as a service and pull in its web assets, so
# its .deb is downloaded and only usr/bin/promtool and usr/bin/prometheus are
# extracted into the cache (static Go binaries, libc only). promtool checks the
# rules (make monitoring); test_monitoring runs the server against the shipped
# prometheus.yml. The stamp holds the package version: a point release replaces them.
prom_dir=${PF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/polkfura}/prometheus
prom_ver=$(apt-cache policy prometheus 2>/dev/null | sed -n 's/^ *Candidate: //p')
if [[ -z $prom_ver || $prom_ver == '(none)' ]]; then
	SUDO=()
	[[ $(id -u) -ne 0 ]] && SUDO=(sudo)
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
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

if [[ -x tests/peers/install.sh ]]; then
	tests/peers/install.sh
fi
tests/peers/build-haproxy.sh
