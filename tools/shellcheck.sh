#!/usr/bin/env bash
# make shellcheck: shellcheck on every shell script git tracks, found by name
# (*.sh) and by first line (a #! naming sh, bash or dash), so a script without
# the extension (.ci/run, a packer provisioner) is not missed. Nothing is
# excluded: a script that needs an exception says so next to the line, with a
# `# shellcheck disable=SCxxxx # why` directive.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts=()
while IFS= read -r -d '' f; do
	[[ -f $f ]] || continue
	if [[ $f == *.sh ]] || head -n1 -- "$f" | grep -Eq '^#!.*[/ ](sh|bash|dash)( |$)'; then
		scripts+=("$f")
	fi
done < <(git ls-files -z)

if ((${#scripts[@]} == 0)); then
	echo "shellcheck: no shell script found (not a git checkout?)" >&2
	exit 1
fi
shellcheck --external-sources "${scripts[@]}"
echo "shellcheck: ${#scripts[@]} scripts clean"
