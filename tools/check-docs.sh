#!/usr/bin/env bash
# make check-docs: fails when a flag, environment knob or Makefile target
# exists in the code but not in the documentation (pgbouncer's optscan idea).
set -euo pipefail
cd "$(dirname "$0")/.."
missing=0

# Every long option of polkfura-spoa appears as `--name` in README.md.
while read -r flag; do
	if ! grep -q -- "--$flag" README.md; then
		echo "check-docs: README.md does not document polkfura-spoa --$flag"
		missing=1
	fi
done < <(grep -o '{"[a-z-]*", [a-z_]*_argument' spoa/spoa_cfg.c | cut -d'"' -f2)

# Every PF_* knob of the shipped HAProxy configs appears in haproxy/README.md.
while read -r var; do
	if ! grep -q "$var" haproxy/README.md; then
		echo "check-docs: haproxy/README.md does not document $var"
		missing=1
	fi
done < <(grep -oh '[$]{PF_[A-Z_]*' haproxy/*.cfg haproxy/*.conf | cut -c3- | sort -u)

# Every polkfura-ctl config key appears as `key` in ctl/CONFIG.md, every command in README.md.
ctl=${PF_BUILD:-build/release}/polkfura-ctl
if [[ -x $ctl ]]; then
	for key in $("$ctl" keys | cut -f1 | sed 's/.*\.//' | sort -u); do
		if ! grep -q "\`$key\`" ctl/CONFIG.md; then
			echo "check-docs: ctl/CONFIG.md does not document config key $key"
			missing=1
		fi
	done
else
	echo "check-docs: $ctl not built; run make first"
	missing=1
fi
for cmd in run check status drain undrain keys "db migrate" "db status" report note usage; do
	if ! grep -q "polkfura-ctl $cmd" README.md; then
		echo "check-docs: README.md does not document polkfura-ctl $cmd"
		missing=1
	fi
done

# Every option of polkfura-ctl report appears in README.md, and README's sample report is the
# one test_report checks (tests/data/report/expected.md), unchanged.
for opt in from to format region chain since until by top capacity node-capacity target-util min-minutes; do
	if ! grep -q -- "--$opt" README.md; then
		echo "check-docs: README.md does not document polkfura-ctl report --$opt"
		missing=1
	fi
done
if ! sed -n '/^<!-- sample-report: /,/^<!-- \/sample-report -->/p' README.md | sed '1,2d;$d' |
	sed '$d' | cmp -s - tests/data/report/expected.md; then
	echo "check-docs: README.md's sample report differs from tests/data/report/expected.md"
	missing=1
fi

# Every public Makefile target appears in README.md.
for t in test demo deps deps-test unit integration asan fuzz bench lint shellcheck format install clean check-docs; do
	if ! grep -q "make $t" README.md; then
		echo "check-docs: README.md does not mention make $t"
		missing=1
	fi
done

exit $missing
