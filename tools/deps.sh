#!/usr/bin/env bash
# Installs what `make test` and `make demo` need and the machine lacks:
# Debian 12 packages (apt-get update once, then only the missing ones, with
# sudo when not root), the pinned npm test peers (tests/peers/install.sh) and
# HAProxy 3.4 built from tests/peers/haproxy-3.4.0.tar.gz
# (tests/peers/build-haproxy.sh), both into $PF_CACHE, never into the repository.
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

if [[ -x tests/peers/install.sh ]]; then
	tests/peers/install.sh
fi
tests/peers/build-haproxy.sh
