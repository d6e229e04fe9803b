#!/usr/bin/env bash
# Tests tools/drift.sh (make drift) offline: a stub `terraform` first on PATH stands in for
# the real CLI, which the tests cannot run without credentials and providers. The stub is
# not shipped and only plays what terraform documents for plan -detailed-exitcode: 0 no
# changes, 1 error, 2 changes. It records its arguments, so the test also checks that
# drift.sh plans each root with exactly those flags. Part of make terraform-check.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
drift=$here/../../tools/drift.sh
tmp=$(mktemp -d "${TMPDIR:-/tmp}/drift-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fails=0

mkdir -p "$tmp/bin" "$tmp/live"
cat >"$tmp/bin/terraform" <<'EOF'
#!/bin/sh
# Stub: terraform -chdir=DIR plan ...: exits with DIR/stub-rc, prints what plan would.
dir=${1#-chdir=}
shift
echo "$dir $*" >>"$STUB_LOG"
rc=$(cat "$dir/stub-rc")
case $rc in
0) echo "No changes. Your infrastructure matches the configuration." ;;
2) echo "Plan: 1 to add, 2 to change, 0 to destroy." ;;
*) printf '╷\n│ Error: No valid credential sources found\n╵\n' ;;
esac
exit "$rc"
EOF
chmod +x "$tmp/bin/terraform"

# roots "name=rc ..."; rc "-" leaves the root uninitialised.
setup() {
	rm -rf "$tmp/live" "$tmp/logs"
	: >"$tmp/stub.log"
	for spec in "$@"; do
		d=$tmp/live/${spec%=*}
		mkdir -p "$d"
		touch "$d/versions.tf"
		if [ "${spec#*=}" != - ]; then
			mkdir -p "$d/.terraform"
			echo "${spec#*=}" >"$d/stub-rc"
		fi
	done
}

# expect NAME WANT_RC GREP_PATTERN... : runs drift.sh, checks its exit status and output.
expect() {
	name=$1 want=$2
	shift 2
	rc=0
	PATH=$tmp/bin:$PATH STUB_LOG=$tmp/stub.log PF_TF_LIVE=$tmp/live PF_DRIFT_LOGS=$tmp/logs \
		"$drift" >"$tmp/out" 2>&1 || rc=$?
	if [ "$rc" != "$want" ]; then
		echo "drift_test: $name: exit $rc, want $want"
		sed 's/^/    /' "$tmp/out"
		fails=$((fails + 1))
		return
	fi
	for pat in "$@"; do
		if ! grep -Eq -- "$pat" "$tmp/out"; then
			echo "drift_test: $name: no line matching '$pat' in:"
			sed 's/^/    /' "$tmp/out"
			fails=$((fails + 1))
		fi
	done
}

setup eu=0 global=0 us=0
expect "all match" 0 '^drift: eu: matches' '^drift: global: matches' '^drift: us: matches' \
	'^drift: all 3 roots match'
# Every root planned once, with the flags make drift promises (read-only, no prompt).
for r in eu global us; do
	if [ "$(grep -c "^$tmp/live/$r plan -detailed-exitcode -lock=false -input=false -no-color\$" \
		"$tmp/stub.log")" != 1 ]; then
		echo "drift_test: root $r not planned once with the expected flags:"
		sed 's/^/    /' "$tmp/stub.log"
		fails=$((fails + 1))
	fi
done

setup eu=0 global=0 us=2
expect "drift in one root" 2 '^drift: us: DRIFT: Plan: 1 to add, 2 to change, 0 to destroy' \
	'^drift: eu: matches' '^drift: 1 of 3 roots differ'

setup eu=1 global=0 us=0
expect "error in one root" 1 '^drift: eu: ERROR: terraform plan exit 1: Error: No valid credential' \
	'^drift: 1 of 3 roots could not be checked'

setup eu=2 global=1 us=0
expect "an error wins over drift" 1 '^drift: eu: DRIFT' '^drift: global: ERROR'

setup eu=3 us=0
expect "an unknown exit status is an error" 1 '^drift: eu: ERROR: terraform plan exit 3'

setup eu=0 us=-
expect "a root not initialised" 1 '^drift: us: ERROR: not initialised: run terraform -chdir=.*/us init' \
	'^drift: eu: matches'
if grep -q "/us " "$tmp/stub.log"; then
	echo "drift_test: the uninitialised root was planned anyway"
	fails=$((fails + 1))
fi

setup eu=0
rc=0
PATH=/usr/bin:/bin TERRAFORM=terraform-not-installed-here PF_TF_LIVE=$tmp/live \
	PF_DRIFT_LOGS=$tmp/logs "$drift" >"$tmp/out" 2>&1 || rc=$?
if [ "$rc" != 1 ] || ! grep -q "terraform is not installed" "$tmp/out"; then
	echo "drift_test: no terraform: exit $rc, output:"
	sed 's/^/    /' "$tmp/out"
	fails=$((fails + 1))
fi

if [ "$fails" -gt 0 ]; then
	echo "drift_test: $fails failures"
	exit 1
fi
echo "drift_test: 7 cases passed (exit 0/2/1 mapping, flags, uninitialised root, no terraform)"
