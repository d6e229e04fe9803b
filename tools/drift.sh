#!/usr/bin/env bash
# make drift: does what runs in AWS and Cloudflare still match terraform/? Runs
#   terraform -chdir=<root> plan -detailed-exitcode -lock=false -input=false
# in every root under terraform/live/ (or the roots named as arguments) and prints one line
# per root: "matches" (plan exit 0), "DRIFT" (2: the plan would change something) or
# "ERROR" (1, or anything else). -lock=false: a read-only look must not wait for, or block,
# an apply in progress. Each plan's full output is kept in build/drift/<root>.log.
#
# Exit status: 0 every root matches, 2 drift in at least one root and no error, 1 an error
# in at least one root (terraform missing, a root not initialised, a plan that failed).
# Needs credentials (AWS in the environment or profile, CLOUDFLARE_API_TOKEN for global) and
# `terraform init -backend-config=backend.hcl` done once in each root (terraform/README.md).
#
#   tools/drift.sh [ROOT...]        PF_TF_LIVE=dir  TERRAFORM=path  PF_DRIFT_LOGS=dir
set -eu
cd "$(dirname "$0")/.."
live=${PF_TF_LIVE:-terraform/live}
tf=${TERRAFORM:-terraform}
logs=${PF_DRIFT_LOGS:-build/drift}

if ! command -v "$tf" >/dev/null 2>&1; then
	echo "drift: terraform is not installed ('$tf' not found): install Terraform >= 1.5" \
		"(https://developer.hashicorp.com/terraform/install), or set TERRAFORM" >&2
	exit 1
fi

if [ $# -gt 0 ]; then
	roots=("$@")
else
	roots=()
	for d in "$live"/*/; do
		[ -f "$d/versions.tf" ] && roots+=("$(basename "$d")")
	done
fi
if [ ${#roots[@]} -eq 0 ]; then
	echo "drift: no root under $live" >&2
	exit 1
fi

mkdir -p "$logs"
errors=0
drifted=0
for r in "${roots[@]}"; do
	dir=$live/$r
	log=$logs/$r.log
	if [ ! -f "$dir/versions.tf" ]; then
		echo "drift: $r: ERROR: no root $dir"
		errors=$((errors + 1))
		continue
	fi
	if [ ! -d "$dir/.terraform" ]; then
		echo "drift: $r: ERROR: not initialised: run" \
			"terraform -chdir=$dir init -backend-config=backend.hcl"
		errors=$((errors + 1))
		continue
	fi
	rc=0
	"$tf" -chdir="$dir" plan -detailed-exitcode -lock=false -input=false -no-color >"$log" 2>&1 || rc=$?
	case $rc in
	0) echo "drift: $r: matches (no changes)" ;;
	2)
		summary=$(grep -m1 -E '^Plan: ' "$log" || true)
		echo "drift: $r: DRIFT: ${summary:-the plan has changes} (plan in $log)"
		drifted=$((drifted + 1))
		;;
	*)
		why=$(grep -m1 -E '^(│ )?Error: ' "$log" | sed 's/^│ //' || true)
		echo "drift: $r: ERROR: terraform plan exit $rc: ${why:-see $log}"
		errors=$((errors + 1))
		;;
	esac
done

if [ "$errors" -gt 0 ]; then
	echo "drift: $errors of ${#roots[@]} roots could not be checked"
	exit 1
fi
if [ "$drifted" -gt 0 ]; then
	echo "drift: $drifted of ${#roots[@]} roots differ from the repository"
	exit 2
fi
echo "drift: all ${#roots[@]} roots match the repository"
