#!/usr/bin/env bash
# make lint (structure): the layout rules of the style guide, checked on the
# include graph of every tracked C file.
# - no include cycle between modules (foo.c + foo.h count as one module);
# - pure modules include no event-loop, HTTP, curl or PostgreSQL header;
# - common/ includes nothing of spoa/ or ctl/;
# - a sub-folder of ctl/ never includes ctl/ctl.h (it reports back by callback).
set -euo pipefail
cd "$(dirname "$0")/.."

PURE="spoa/spop spoa/rpc spoa/rpc_class spoa/answer spoa/notify ctl/node ctl/hapi/plan ctl/hapi/hapi_cmd ctl/poll/noderpc ctl/db/migplan ctl/db/sha256 ctl/db/reccodec ctl/report/report_fmt ctl/report/report_render ctl/report/report_html ctl/probe/probe_eval ctl/stats/syslog ctl/stats/logline ctl/stats/hist ctl/stats/agg ctl/usage/usage_args ctl/usage/usage_agg ctl/usage/capacity ctl/usage/capacity_render ctl/usage/usage_render ctl/usage/usage_table ctl/snapshot/exclude ctl/snapshot/safepath ctl/snapshot/manifest ctl/snapshot/filelist ctl/snapshot/s3xml ctl/snapshot/ipfs_add_parse ctl/snapshot/snapcfg ctl/snapshot/fetchcfg"
IO_HEADERS='<(ev\.h|curl/curl\.h|libpq-fe\.h|microhttpd\.h)>'
fail=0
declare -A deps

files=$(git ls-files 'common/*.[ch]' 'spoa/*.[ch]' 'ctl/*.[ch]' 'ctl/*/*.[ch]')
for f in $files; do
	mod=${f%.[ch]}
	while IFS= read -r inc; do
		[[ -f $inc ]] || continue
		dep=${inc%.[ch]}
		[[ $dep == "$mod" ]] && continue
		deps[$mod]+=" $dep"
	done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
	case $f in
	common/*)
		if grep -Eq '^#include "(spoa|ctl)/' "$f"; then
			echo "structure: $f: common/ includes spoa/ or ctl/"
			fail=1
		fi
		;;
	ctl/*/*)
		if grep -q '^#include "ctl/ctl\.h"' "$f"; then
			echo "structure: $f: a ctl/ sub-folder includes ctl/ctl.h"
			fail=1
		fi
		;;
	esac
	for p in $PURE; do
		if [[ $mod == "$p" ]] && grep -Eq "^#include $IO_HEADERS" "$f"; then
			echo "structure: $f: pure module includes $(grep -Eo "$IO_HEADERS" "$f" | head -1)"
			fail=1
		fi
	done
done

# Depth-first search for a cycle in the module graph.
declare -A color
cycle=""
visit() {
	local m=$1 d
	color[$m]=grey
	for d in ${deps[$m]:-}; do
		if [[ ${color[$d]:-} == grey ]]; then
			cycle="$m -> $d"
			return 1
		fi
		if [[ -z ${color[$d]:-} ]]; then
			visit "$d" || { cycle="$m -> $cycle"; return 1; }
		fi
	done
	color[$m]=black
}
for m in "${!deps[@]}"; do
	if [[ -z ${color[$m]:-} ]] && ! visit "$m"; then
		echo "structure: include cycle: $cycle"
		fail=1
		break
	fi
done

[[ $fail -eq 0 ]] && echo "structure: ok ($(wc -w <<<"$files") files)"
exit $fail
