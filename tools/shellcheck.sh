#!/usr/bin/env bash
# make shellcheck: shellcheck on every shell script git tracks, found by name
# (*.sh) and by first line (a #! naming sh, bash or dash), so a script without
# the extension (.ci/run, a packer provisioner) is not missed. Nothing is
# excluded: a script that needs an exception says so next to the line, with a
# `# shellcheck disable=SCxxxx # why` directive.
set -euo pipefail
cd "$(dirname "$0")/.."

# One awk over every tracked file reads each first line only (a process per file would
# take seconds on ~1,700 files).
scripts=()
while IFS= read -r f; do
	scripts+=("$f")
done < <(
	{
		git ls-files '*.sh'
		git ls-files -z | xargs -0 awk 'FNR == 1 && /^#!.*[\/ ](sh|bash|dash)( |$)/ { print FILENAME } { nextfile }'
	} | sort -u
)

if ((${#scripts[@]} == 0)); then
	echo "shellcheck: no shell script found (not a git checkout?)" >&2
	exit 1
fi
shellcheck --external-sources "${scripts[@]}"
echo "shellcheck: ${#scripts[@]} scripts clean"
