#!/usr/bin/env bash
# Every metric name the rules and dashboards use exists: either some exporter
# printed it in one of the scrapes given (the /metrics text of polkfura-ctl,
# polkfura-spoa and HAProxy, saved by tests/integration/test_monitoring.c), or
# it is in future-metrics.txt with the issue that brings it. Also: every
# recording-rule name used is recorded by the rules, and no entry of
# future-metrics.txt is stale (printed already, or used nowhere).
#
#   haproxy/monitoring/check-names.sh SCRAPE_FILE...
#
# Prints each problem on its own line and exits 1, or prints a summary and exits 0.
set -euo pipefail
(($# > 0)) || { echo "usage: $0 SCRAPE_FILE..." >&2; exit 2; }
scrapes=()
for f in "$@"; do
	scrapes+=("$(realpath "$f")")
done
cd "$(dirname "$0")"

sources=(rules/*.yml dashboards/*.json)
exported=$(sed -n 's/^\([a-zA-Z_:][a-zA-Z0-9_:]*\)[{ ].*/\1/p' "${scrapes[@]}" | sort -u)
allowed=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' future-metrics.txt | awk '{print $1}' | sort -u)
tokens=$(grep -ohE '[a-zA-Z_:][a-zA-Z0-9_:]*' "${sources[@]}" | sort -u)
used=$(grep -E '^(polkfura|haproxy)_[a-z0-9_]+$' <<<"$tokens" || true)
# level:metric:operations (https://prometheus.io/docs/practices/rules/)
used_rec=$(grep -E '^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$' <<<"$tokens" || true)
recorded=$(sed -n 's/^ *- record: *\([^ ]*\) *$/\1/p' rules/*.yml | sort -u)

bad=0
problem() {
	echo "check-names: $*"
	bad=1
}
for n in $used; do
	grep -qxF "$n" <<<"$exported" && continue
	grep -qxF "$n" <<<"$allowed" && continue
	problem "$n is used in $(grep -lw -- "$n" "${sources[@]}" | tr '\n' ' ')but no exporter printed it"
done
for n in $used_rec; do
	grep -qxF "$n" <<<"$recorded" || problem "$n is used but no rule records it"
done
for n in $allowed; do
	grep -qxF "$n" <<<"$exported" && problem "$n is in future-metrics.txt but an exporter prints it now: remove it"
	grep -qxF "$n" <<<"$used" || problem "$n is in future-metrics.txt but nothing uses it: remove it"
done
while read -r name rest; do
	[[ $rest == *"issue "[0-9]* ]] || problem "future-metrics.txt: $name does not name its issue"
done < <(sed -e '/^#/d' -e '/^[[:space:]]*$/d' future-metrics.txt)
((bad == 0)) || exit 1
echo "check-names: $(wc -w <<<"$used") metric names used, $(wc -w <<<"$used_rec") recorded series;" \
	"all exported by the $# scrapes but the $(wc -w <<<"$allowed") of future-metrics.txt"
