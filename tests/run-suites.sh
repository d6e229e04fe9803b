#!/usr/bin/env bash
# Runs every Check binary given as an argument from the repository root and
# fails if any of them fails. The first argument is the per-test timeout in
# seconds (Check's CK_DEFAULT_TIMEOUT): unit tests get little, integration
# tests, which start real haproxy, agents and nodes, get more.
# A suite that runs no test at all (a CK_RUN_CASE or CK_RUN_SUITE naming
# nothing, a suite left empty) fails too: Check reports that as 100 %.
# Each suite's result line gives its wall time and the CPU time (user+sys) of
# it and of what it started and reaped, then its three slowest tests of 0.1 s
# or more (Check's XML log: the test function alone, without its checked
# set-up and teardown, so a suite's wall time well above the sum of its tests
# is fixture time); the run ends with the five slowest suites, so `make
# test`'s time can be read from its own output. The machine is often shared:
# wall time well above CPU time is time spent waiting (on a poll, a timer, or
# other people's load).
set -u
export CK_FORK=yes CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-$1}
shift
out=$(mktemp)
cpu=$(mktemp)
xml=$(mktemp)
trap 'rm -f "$out" "$cpu" "$xml"' EXIT
# Check writes each test's duration there, unless the caller wants the log itself.
own_xml=${CK_XML_LOG_FILE_NAME:-}

# Sets cpu_now to "<user> <sys>" of every child this shell has reaped, from
# `times`, which must run in this shell: a $(...) subshell has no children.
cpu_now=""
read_cpu() {
	local _self u s
	times >"$cpu"
	{
		read -r _self
		read -r u s
	} <"$cpu"
	cpu_now="$u $s"
}

failed=0
times_list=""
for t in "$@"; do
	echo "== ${t##*/}${PF_HAPROXY:+ (PF_HAPROXY=$PF_HAPROXY)}"
	t0=$EPOCHREALTIME
	read_cpu
	c0=$cpu_now
	: >"$xml"
	CK_XML_LOG_FILE_NAME=${own_xml:-$xml} "$t" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	t1=$EPOCHREALTIME
	read_cpu
	# "0m1.234s" fields: before (user sys) and after (user sys).
	took=$(echo "$t0 $t1 $c0 $cpu_now" | awk '
		function sec(f, p) { split(f, p, /[ms]/); return p[1] * 60 + p[2] }
		{ printf "%.1f s (cpu %.1f s)", $2 - $1, sec($5) + sec($6) - sec($3) - sec($4) }')
	times_list+="${took%% *} ${t##*/}"$'\n'
	slow_tests=$(awk -F '[<>]' '$2 == "id" { id = $3 } $2 == "duration" && id != "" {
		if ($3 >= 0.1) printf "%.1f %s\n", $3, id; id = "" }' "${own_xml:-$xml}" | sort -rn | head -3 |
		awk '{ printf "%s%s %s s", (NR > 1 ? ", " : ""), $2, $1 }')
	took+="${slow_tests:+; slowest tests: $slow_tests}"
	if [ "$rc" -ne 0 ]; then
		echo "FAILED: $t"
		echo "== ${t##*/} FAILED, ${took}"
		failed=1
	elif ! grep -Eq 'Checks: [1-9]' "$out"; then
		echo "FAILED: $t ran no test (CK_RUN_SUITE=${CK_RUN_SUITE-} CK_RUN_CASE=${CK_RUN_CASE-})"
		echo "== ${t##*/} FAILED, ${took}"
		failed=1
	else
		echo "== ${t##*/} ok, ${took}"
	fi
done
if [ "$#" -gt 1 ]; then
	echo "== slowest:$(printf '%s' "$times_list" | sort -rn | head -5 |
		awk '{ printf " %s %.1f s,", $2, $1 }' | sed 's/,$//')"
fi
exit $failed
