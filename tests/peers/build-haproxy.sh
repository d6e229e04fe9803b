#!/usr/bin/env bash
# Builds the pinned HAProxy source tarball of tests/peers/ (haproxy-3.4.0.tar.gz)
# once into a cache dir OUTSIDE the repo:  $PF_CACHE/haproxy-3.4.0/haproxy
#
#   PF_CACHE defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/polkfura
#
# Usage:
#   tests/peers/build-haproxy.sh               build if needed (status on stderr)
#   tests/peers/build-haproxy.sh --print-path  same, then print the binary's path on stdout
#   tests/peers/build-haproxy.sh --force       rebuild even if the stamp matches
#
# The tarball's sha256 is checked against the .sha256 file beside it first,
# every time. A stamp records the tarball's checksum, the build
# recipe and the binary's own checksum; when all three match, nothing is built
# (~0.1 s).
# The build takes 1-3 minutes on 2 cores. On failure it prints one line
# "build-haproxy.sh: FAILED ..." on stderr and exits 1.
set -u -o pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
name=haproxy-3.4.0
tarball="$here/$name.tar.gz"
PF_CACHE=${PF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/polkfura}
dir="$PF_CACHE/$name"
bin="$dir/haproxy"
stamp="$dir/.polkfura-build.stamp"
make_args=(TARGET=linux-glibc USE_OPENSSL=1 USE_ZLIB=1 USE_PROMEX=1)
recipe="v1 make ${make_args[*]}"

print_path=0
force=0
for a in "$@"; do
	case "$a" in
	--print-path) print_path=1 ;;
	--force) force=1 ;;
	-h | --help)
		sed -n "2,17p" "$0" | sed "s/^# \{0,1\}//"
		exit 0
		;;
	*)
		echo "build-haproxy.sh: FAILED: unknown argument '$a' (see --help)" >&2
		exit 2
		;;
	esac
done

fail() {
	echo "build-haproxy.sh: FAILED: $*" >&2
	exit 1
}

want_sum=$(cut -d' ' -f1 "$tarball.sha256") || fail "cannot read $tarball.sha256"
[[ $want_sum =~ ^[0-9a-f]{64}$ ]] || fail "$tarball.sha256 holds no sha256"
want="$want_sum $recipe"
got_sum=$(sha256sum "$tarball" | cut -d' ' -f1) || fail "cannot hash $tarball"
[[ $got_sum == "$want_sum" ]] || fail "$tarball: sha256 $got_sum, expected $want_sum"

done_msg() {
	[[ $print_path == 1 ]] && echo "$bin"
	exit 0
}

# The stamp's first line is <want>, its second the sha256 of the binary built.
is_current() {
	[[ $force == 0 && -x $bin && -f $stamp ]] || return 1
	[[ "$(sed -n 1p "$stamp")" == "$want" ]] || return 1
	[[ "$(sed -n 2p "$stamp")" == "$(sha256sum "$bin" | cut -d' ' -f1)" ]]
}

# Fast path, no lock needed.
if is_current; then
	echo "build-haproxy.sh: $name up to date in $dir" >&2
	done_msg
fi

mkdir -p "$dir" || fail "cannot create $dir"
# Serialise concurrent builds (make -j, two shells).
exec 9>"$dir/.lock" || fail "cannot open lock $dir/.lock"
if command -v flock >/dev/null 2>&1; then
	flock -w 1200 9 || fail "timed out waiting for another build (lock $dir/.lock)"
fi
if is_current; then
	echo "build-haproxy.sh: $name up to date in $dir" >&2
	done_msg
fi

rm -f "$stamp" "$bin"

src="$dir/src"
log="$dir/build.log"
rm -rf "$src"
mkdir -p "$src" || fail "cannot create $src"
tar -xzf "$tarball" -C "$src" --strip-components=1 || fail "cannot extract $tarball"
jobs=$(nproc 2>/dev/null || echo 2)
echo "build-haproxy.sh: building $name into $dir with -j$jobs (1-3 min on 2 cores; log: $log) ..." >&2
t0=$(date +%s)
if ! make -C "$src" -j"$jobs" "${make_args[@]}" >"$log" 2>&1; then
	fail "make failed after $(($(date +%s) - t0))s: $(grep -m1 -E 'error' "$log" || tail -n1 "$log") (full log: $log)"
fi
"$src/haproxy" -v >>"$log" 2>&1 || fail "the built haproxy does not run (log: $log)"
cp "$src/haproxy" "$bin.tmp" || fail "cannot copy the binary to $bin.tmp"
mv "$bin.tmp" "$bin" || fail "cannot install $bin"
rm -rf "$src"
bin_sum=$(sha256sum "$bin" | cut -d' ' -f1) || fail "cannot hash $bin"
printf '%s\n%s\n' "$want" "$bin_sum" >"$stamp" || fail "cannot write stamp $stamp"
echo "build-haproxy.sh: $name built in $(($(date +%s) - t0))s: $bin" >&2
done_msg
