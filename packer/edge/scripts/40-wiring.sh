#!/usr/bin/env bash
# Edge image, step 4: the log and metrics wiring, written into the site files
# `make install` created (it never overwrites them) and into one file of the
# image's own:
#
#   HAProxy's access log -> the controller's log_listen, UDP 127.0.0.1:5514
#     /etc/polkfura/haproxy.env   PF_LOG_TARGET=127.0.0.1:5514
#     /etc/polkfura/ctl-wiring.json  {"log_listen": "udp:127.0.0.1:5514", ...}
#   metrics on every IPv4 address of the host (on EC2: loopback and the
#   private address; the public address is the internet gateway's, so the
#   security group decides who reaches them, and it must keep them private):
#     HAProxy's exporter  /etc/polkfura/haproxy.env  PF_PROM_BIND=0.0.0.0:8405
#     the agent           /etc/polkfura/spoa.env     --metrics 0.0.0.0:9464
#     the controller      ctl-wiring.json            "http_listen": "*:9465"
#     node exporter       Debian's default           :9100
#
# ctl.json itself is the site's (region, chains, database): the instance's
# boot writes it, merged with ctl-wiring.json (packer/README.md).
#
# Every edit sets a value, whatever was there, and writes a file only when its
# text changes: a second run changes nothing. PF_ROOT (default empty) is
# prepended to every path, so packer/check.sh runs this script against a
# copy of the installed files; nothing here runs a command outside PF_ROOT.
set -eu

root=${PF_ROOT:-}
etc=$root/etc/polkfura

# set_var FILE NAME VALUE: the line NAME=VALUE in a systemd EnvironmentFile,
# replacing any NAME= line (only the first is kept: systemd takes the last,
# and two would mislead a reader) or appending one.
set_var() {
	local file=$1 name=$2 value=$3 tmp
	[ -f "$file" ] || {
		echo "$file: missing (make install writes it)" >&2
		exit 1
	}
	tmp=$(mktemp)
	awk -v n="$name" -v v="$value" '
		index($0, n "=") == 1 { if (!done) print n "=" v; done = 1; next }
		{ print }
		END { if (!done) print n "=" v }
	' "$file" >"$tmp"
	if cmp -s "$tmp" "$file"; then
		rm -f "$tmp"
	else
		chmod --reference="$file" "$tmp"
		mv -f "$tmp" "$file"
		echo "changed $file: $name=$value"
	fi
}

# set_flag FILE VAR FLAG VALUE: FLAG VALUE inside the options variable VAR
# (POLKFURA_SPOA_OPTS=...), replacing the flag's value if it is there.
set_flag() {
	local file=$1 var=$2 flag=$3 value=$4 line opts
	line=$(grep "^$var=" "$file" | head -1 || true)
	opts=${line#"$var="}
	if printf '%s\n' "$opts" | grep -q -- "$flag "; then
		opts=$(printf '%s\n' "$opts" | sed "s|$flag [^ ]*|$flag $value|")
	else
		opts="${opts:+$opts }$flag $value"
	fi
	set_var "$file" "$var" "$opts"
}

set_var "$etc/haproxy.env" PF_LOG_TARGET 127.0.0.1:5514
set_var "$etc/haproxy.env" PF_LOG_FORMAT rfc3164
set_var "$etc/haproxy.env" PF_PROM_BIND 0.0.0.0:8405
set_flag "$etc/spoa.env" POLKFURA_SPOA_OPTS --metrics 0.0.0.0:9464

tmp=$(mktemp)
cat >"$tmp" <<'JSON'
{
	"log_listen": "udp:127.0.0.1:5514",
	"http_listen": "*:9465"
}
JSON
if ! cmp -s "$tmp" "$etc/ctl-wiring.json" 2>/dev/null; then
	install -m 0644 "$tmp" "$etc/ctl-wiring.json"
	echo "changed $etc/ctl-wiring.json"
fi
rm -f "$tmp"
