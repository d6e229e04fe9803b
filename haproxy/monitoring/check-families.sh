#!/usr/bin/env bash
# The Prometheus text format wants each metric family in one group, after its
# own # TYPE line; a scraper that reads family by family (promtool 2.42 does
# not) would otherwise see a second family of the same name. Prints every
# sample that is not under its family's # TYPE line and exits 1, or exits 0.
#
#   haproxy/monitoring/check-families.sh METRICS_FILE
set -euo pipefail
(($# == 1)) || { echo "usage: $0 METRICS_FILE" >&2; exit 2; }
awk '
	/^# TYPE / { fam = $3; type = $4; next }
	/^#/ || /^[[:space:]]*$/ { next }
	{
		name = $0
		sub(/[{ ].*/, "", name)
		ok = name == fam
		if (type == "histogram")
			ok = ok || name == fam "_bucket" || name == fam "_sum" || name == fam "_count"
		if (type == "summary")
			ok = ok || name == fam "_sum" || name == fam "_count"
		if (!ok) {
			printf "line %d: %s outside its family (under # TYPE %s)\n", NR, name, fam
			bad = 1
		}
	}
	END { exit bad }
' "$1"
