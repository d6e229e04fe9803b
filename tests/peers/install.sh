#!/usr/bin/env bash
# Install the pinned third-party test peers (tests/peers/package.json) into a
# cache dir OUTSIDE the repo:  $PF_CACHE/npm   (node_modules + package-lock.json)
#
#   PF_CACHE defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/polkfura
#
# Usage:
#   tests/peers/install.sh                    install if needed (status on stderr)
#   tests/peers/install.sh --print-node-path  same, then print the NODE_PATH to use on stdout
#   tests/peers/install.sh --force            reinstall even if the stamp matches
#
# Idempotent: a stamp file records a hash of package.json (plus the install
# recipe and Node's major version); when it matches, npm is not run at all.
# Install scripts are NOT run (--ignore-scripts): the only one in the tree is
# sqlite3's (prebuild download, which fails offline, then a ~60 s node-gyp
# build), and chopsticks only needs sqlite3 for --db, which we do not use.
# On failure it prints one line "install.sh: FAILED ..." on stderr and exits 1.
set -u -o pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pkg="$here/package.json"
PF_CACHE=${PF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/polkfura}
dir="$PF_CACHE/npm"
stamp="$dir/.polkfura-install.stamp"
recipe="v1 npm install --no-audit --no-fund --ignore-scripts --engine-strict=false"

print_path=0
force=0
for a in "$@"; do
	case "$a" in
	--print-node-path) print_path=1 ;;
	--force) force=1 ;;
	-h|--help) sed -n "2,17p" "$0" | sed "s/^# \{0,1\}//"; exit 0 ;;
	*) echo "install.sh: FAILED: unknown argument '$a' (see --help)" >&2; exit 2 ;;
	esac
done

fail() { echo "install.sh: FAILED: $*" >&2; exit 1; }

command -v node >/dev/null 2>&1 || fail "node not found in PATH (need Node.js >= 20)"
command -v npm >/dev/null 2>&1 || fail "npm not found in PATH"
node_major=$(node -p 'process.versions.node.split(".")[0]') || fail "cannot run node"
[ "$node_major" -ge 20 ] 2>/dev/null || fail "Node.js >= 20 required (found $(node -v))"

want=$( { cat "$pkg"; echo "$recipe"; echo "node$node_major"; } | sha256sum | cut -d' ' -f1 ) \
	|| fail "cannot hash $pkg"

mkdir -p "$dir" || fail "cannot create $dir"

done_msg() {
	[ "$print_path" = 1 ] && echo "$dir/node_modules"
	exit 0
}

is_current() {
	[ "$force" = 0 ] && [ -f "$stamp" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] \
		&& [ -d "$dir/node_modules/@polkadot/api" ]
}

# Fast path, no lock needed.
if is_current; then
	echo "install.sh: test peers up to date in $dir" >&2
	done_msg
fi

# Serialise concurrent installs (make -j, two shells).
exec 9>"$dir/.lock" || fail "cannot open lock $dir/.lock"
if command -v flock >/dev/null 2>&1; then
	flock -w 900 9 || fail "timed out waiting for another install (lock $dir/.lock)"
fi
if is_current; then
	echo "install.sh: test peers up to date in $dir" >&2
	done_msg
fi

rm -f "$stamp"
cp "$pkg" "$dir/package.json" || fail "cannot copy package.json to $dir"
log="$dir/install.log"
echo "install.sh: installing test peers into $dir (log: $log) ..." >&2
t0=$(date +%s)
if ! (cd "$dir" && npm install --no-audit --no-fund --ignore-scripts --engine-strict=false \
	--no-update-notifier --loglevel=warn) >"$log" 2>&1; then
	fail "npm install failed in $dir after $(( $(date +%s) - t0 ))s: $(grep -m1 -E 'npm (error|ERR!)' "$log" || tail -n1 "$log") (full log: $log)"
fi

# Check that every pinned package resolves at its exact version.
# shellcheck disable=SC2016 # ${n} and friends are JavaScript's, not the shell's
(cd "$dir" && node -e '
const deps = require("./package.json").dependencies;
const bad = [];
for (const [n, v] of Object.entries(deps)) {
  let got;
  try { got = require(require("path").resolve("node_modules", n, "package.json")).version; }
  catch (e) { got = "missing"; }
  if (got !== v) bad.push(`${n}: want ${v}, got ${got}`);
}
if (bad.length) { console.error(bad.join("; ")); process.exit(1); }
') >>"$log" 2>&1 || fail "installed versions do not match package.json: $(tail -n1 "$log") (log: $log)"

echo "$want" >"$stamp" || fail "cannot write stamp $stamp"
echo "install.sh: test peers installed in $(( $(date +%s) - t0 ))s into $dir" >&2
done_msg
