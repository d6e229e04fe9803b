#!/usr/bin/env bash
# Runs `terraform test` on modules/region and modules/storage (their tests/*.tftest.hcl, with
# a mocked AWS provider: offline, no credentials) and `terraform validate` on the two region
# roots when this machine has what it needs: a
# terraform binary >= 1.7 (mock providers) and the hashicorp/aws 5.x provider in a
# filesystem mirror (PF_TF_PLUGINS, default /opt/tf-plugins; terraform init cannot download
# it offline). Otherwise it says what is missing and skips (exit 0): Debian ships neither,
# so CI skips, and tests/terraform/check.py stays the check that always runs.
# modules/global and live/global need the cloudflare provider, which no mirror here holds.
# Part of make terraform-check.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tree=$here/../../terraform
tf=${TERRAFORM:-terraform}
plugins=${PF_TF_PLUGINS:-/opt/tf-plugins}

if ! command -v "$tf" >/dev/null 2>&1; then
	echo "tf-test: skipped: no terraform binary"
	exit 0
fi
ver=$("$tf" version 2>/dev/null | sed -n '1s/^Terraform v\([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
read -r major minor <<<"${ver:-0 0}"
if [ "$major" -lt 1 ] || { [ "$major" -eq 1 ] && [ "$minor" -lt 7 ]; }; then
	echo "tf-test: skipped: terraform ${major}.${minor} has no mock providers (1.7+)"
	exit 0
fi
aws=$(find "$plugins/registry.terraform.io/hashicorp/aws" -mindepth 2 -maxdepth 2 -path "*/5.*/linux_amd64" \
	-type d 2>/dev/null | sort -V | tail -1)
if [ -z "$aws" ]; then
	echo "tf-test: skipped: no hashicorp/aws 5.x under $plugins (PF_TF_PLUGINS)"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tf-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp -r "$tree" "$tmp/terraform"
rm -rf "$tmp"/terraform/*/*/.terraform
# dev_overrides: the provider runs from the mirror as it is, with no terraform init (which
# would copy its 690 MB into each module) and no lock file.
cat >"$tmp/cli.tfrc" <<EOF
provider_installation {
  dev_overrides {
    "hashicorp/aws" = "$aws"
  }
  direct {}
}
EOF
export TF_CLI_CONFIG_FILE=$tmp/cli.tfrc TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1

fail=0
for m in region storage; do
	dir=$tmp/terraform/modules/$m
	if "$tf" -chdir="$dir" test -no-color >"$tmp/test-$m.log" 2>&1; then
		echo "tf-test: modules/$m: $(grep -E '^Success!' "$tmp/test-$m.log")"
	else
		echo "tf-test: modules/$m: terraform test failed:"
		grep -v '^  - ' "$tmp/test-$m.log" | sed 's/^/    /'
		fail=1
	fi
done
# The region roots as a whole: module inputs, types, provider and backend blocks
# (terraform get installs the local module; the provider comes from the override).
for r in eu-central-1 us-east-1; do
	dir=$tmp/terraform/live/$r
	if "$tf" -chdir="$dir" get -no-color >"$tmp/get-$r.log" 2>&1 &&
		"$tf" -chdir="$dir" validate -no-color >"$tmp/validate-$r.log" 2>&1; then
		echo "tf-test: live/$r: terraform validate: valid"
	else
		echo "tf-test: live/$r: terraform validate failed:"
		cat "$tmp/get-$r.log" "$tmp/validate-$r.log" 2>/dev/null | sed 's/^/    /'
		fail=1
	fi
done
exit $fail
