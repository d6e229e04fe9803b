#!/usr/bin/env bash
# make monitoring: the rules, their unit tests, the Prometheus config and the
# Grafana dashboards, checked without a running Prometheus or Grafana.
#   - promtool check config prometheus.yml (which checks the rule files it names)
#   - promtool check rules and promtool test rules tests/*.test.yml
#   - every dashboard parses (jq), has a schemaVersion, a `region` template
#     variable, unique panel ids, and a PromQL target on every panel; every
#     PromQL expression parses: each one goes into a throw-away rule file, with
#     the template variables replaced, for promtool check rules.
# Whether the metric names exist is check-names.sh's job (test_monitoring).
#
#   PROMTOOL=path/to/promtool haproxy/monitoring/check.sh
set -euo pipefail
cd "$(dirname "$0")"
PROMTOOL=${PROMTOOL:-promtool}
command -v "$PROMTOOL" >/dev/null || { echo "monitoring: no promtool ($PROMTOOL); run make deps-test"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() {
	if ! "$@" >"$tmp/out" 2>&1; then
		cat "$tmp/out"
		echo "monitoring: FAILED: $*"
		exit 1
	fi
}
run "$PROMTOOL" check config prometheus.yml
run "$PROMTOOL" check rules rules/*.yml
run "$PROMTOOL" test rules tests/*.test.yml

bad=0
exprs=0
dashboards=0
{
	echo "groups:"
	echo "  - name: dashboards"
	echo "    rules:"
} >"$tmp/dash.rules.yml"
for f in dashboards/*.json; do
	dashboards=$((dashboards + 1))
	if ! jq -e . "$f" >/dev/null 2>&1; then
		echo "monitoring: $f: not JSON"
		bad=1
		continue
	fi
	jq -e '.schemaVersion | numbers' "$f" >/dev/null || { echo "monitoring: $f: no schemaVersion"; bad=1; }
	jq -e '.uid | strings' "$f" >/dev/null || { echo "monitoring: $f: no uid"; bad=1; }
	jq -e '.templating.list | map(select(.name == "region")) | length == 1' "$f" >/dev/null ||
		{ echo "monitoring: $f: no region template variable"; bad=1; }
	jq -e '[.panels[].id] | length == (unique | length)' "$f" >/dev/null ||
		{ echo "monitoring: $f: panel ids not unique"; bad=1; }
	jq -r '.panels[] | select(.type != "row") | select(([.targets[]?.expr | strings | select(length > 0)] | length) == 0) | .title' \
		"$f" >"$tmp/empty"
	while read -r t; do
		echo "monitoring: $f: panel \"$t\" has no PromQL target"
		bad=1
	done <"$tmp/empty"
	# Template variables as Grafana expands them for "All" (allValue .*).
	while IFS= read -r e; do
		e=${e//\$__all/.*}
		e=$(sed -E 's/\$\{?(region|chain|method)\}?/.*/g' <<<"$e")
		exprs=$((exprs + 1))
		printf '      - record: dashboard:expr:e%d\n        expr: %s\n' "$exprs" "$(jq -Rn --arg e "$e" '$e')" \
			>>"$tmp/dash.rules.yml"
	done < <(jq -r '.panels[].targets[]?.expr | strings' "$f")
done
run "$PROMTOOL" check rules "$tmp/dash.rules.yml"
((bad == 0)) || exit 1
echo "monitoring: prometheus.yml, $(grep -c '^ *- \(alert\|record\):' rules/*.yml) rules, their tests" \
	"and $dashboards dashboards ($exprs PromQL expressions) check out"
