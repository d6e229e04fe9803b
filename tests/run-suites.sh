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
# PF_SUITE_JOBS=N runs up to N suites at once; each suite's output is held
# and printed whole when it ends, in the order they end.
set -u
export CK_FORK=yes CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-$1}
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Check writes each test's duration there, unless the caller wants the log itself.
own_xml=${CK_XML_LOG_FILE_NAME:-}
jobs_max=${PF_SUITE_JOBS:-1}

# Runs suite <t> with its output into <dir>/out (and to stdout when <live>),
# its exit code into <dir>/rc and "<t0> <t1> <cpu before> <cpu after>" into
# <dir>/time. `times` must run in the shell that reaped the suite.
run_one() {
	local t=$1 dir=$2 live=$3 t0 c0 rc _self u s
	mkdir -p "$dir"
	: >"$dir/xml"
	times >"$dir/cpu"
	{
		read -r _self
		read -r u s
	} <"$dir/cpu"
	c0="$u $s"
	t0=$EPOCHREALTIME
	if [ "$live" = 1 ]; then
		CK_XML_LOG_FILE_NAME=${own_xml:-$dir/xml} "$t" 2>&1 | tee "$dir/out"
		rc=${PIPESTATUS[0]}
	else
		CK_XML_LOG_FILE_NAME=${own_xml:-$dir/xml} "$t" >"$dir/out" 2>&1
		rc=$?
	fi
	times >"$dir/cpu"
	{
		read -r _self
		read -r u s
	} <"$dir/cpu"
	echo "$t0 $EPOCHREALTIME $c0 $u $s" >"$dir/time"
	echo "$rc" >"$dir/rc"
}

failed=0
times_list=""
# Prints the result line of suite <t> from <dir>; sets failed.
report() {
	local t=$1 dir=$2 rc took slow_tests
	rc=$(cat "$dir/rc")
	# "0m1.234s" fields: before (user sys) and after (user sys).
	took=$(awk '
		function sec(f, p) { split(f, p, /[ms]/); return p[1] * 60 + p[2] }
		{ printf "%.1f s (cpu %.1f s)", $2 - $1, sec($5) + sec($6) - sec($3) - sec($4) }' \
		"$dir/time")
	times_list+="${took%% *} ${t##*/}"$'\n'
	slow_tests=$(awk -F '[<>]' '$2 == "id" { id = $3 } $2 == "duration" && id != "" {
		if ($3 >= 0.1) printf "%.1f %s\n", $3, id; id = "" }' "${own_xml:-$dir/xml}" |
		sort -rn | head -3 | awk '{ printf "%s%s %s s", (NR > 1 ? ", " : ""), $2, $1 }')
	took+="${slow_tests:+; slowest tests: $slow_tests}"
	if [ "$rc" -ne 0 ]; then
		echo "FAILED: $t"
		echo "== ${t##*/} FAILED, ${took}"
		failed=1
	elif ! grep -Eq 'Checks: [1-9]' "$dir/out"; then
		echo "FAILED: $t ran no test (CK_RUN_SUITE=${CK_RUN_SUITE-} CK_RUN_CASE=${CK_RUN_CASE-})"
		echo "== ${t##*/} FAILED, ${took}"
		failed=1
	else
		echo "== ${t##*/} ok, ${took}"
	fi
}

header() {
	echo "== ${1##*/}${PF_HAPROXY:+ (PF_HAPROXY=$PF_HAPROXY)}"
}

if [ "$jobs_max" -le 1 ] || [ -n "$own_xml" ]; then
	for t in "$@"; do
		header "$t"
		run_one "$t" "$work/one" 1
		report "$t" "$work/one"
	done
else
	declare -A name_of=()
	n=0
	# Waits for one running suite to end and prints it whole.
	reap_one() {
		local pid
		wait -n -p pid
		header "${name_of[$pid]}"
		cat "$work/$pid/out"
		report "${name_of[$pid]}" "$work/$pid"
		unset "name_of[$pid]"
		n=$((n - 1))
	}
	for t in "$@"; do
		[ "$n" -lt "$jobs_max" ] || reap_one
		run_one "$t" "$work/$BASHPID" 0 &
		# The job's directory is named after its pid, known only now.
		name_of[$!]=$t
		n=$((n + 1))
	done
	while [ "$n" -gt 0 ]; do
		reap_one
	done
fi
if [ "$#" -gt 1 ]; then
	echo "== slowest:$(printf '%s' "$times_list" | sort -rn | head -5 |
		awk '{ printf " %s %.1f s,", $2, $1 }' | sed 's/,$//')"
fi
exit $failed
