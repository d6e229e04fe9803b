#!/usr/bin/env bash
# make check-install: what `make install` gives an admin, checked in a DESTDIR.
#  1. the tree is exactly tests/install/expected-tree.txt (paths, types, modes);
#  2. a second install keeps an edited site file and replaces a shipped one;
#  3. systemd-sysusers makes the users the units name; systemd-analyze verify
#     says nothing about any unit (the haproxy.service drop-in on Debian's
#     unit), and does complain about a unit broken on purpose; the units'
#     exposure scores (systemd-analyze security --offline) are printed;
#  4. both man pages are lint clean (groff -ww, man --warnings);
#  5. haproxy -c on the installed config, as the drop-in's ExecStart loads it,
#     with the installed env file, on HAProxy 2.6 and 3.4;
#  6. the installed agent, run as its unit's ExecStart says, loads the installed
#     methods table, makes its socket 0660 in group haproxy, and exits 0 on SIGTERM;
#  7. make uninstall leaves exactly tests/install/expected-after-uninstall.txt.
# Needs root (the agent's --socket-group haproxy) and Debian's haproxy package.
# A failure keeps the temporary directory and says where it is.
set -eu
cd "$(dirname "$0")/../.."
umask 022
variant=${VARIANT:-release}
hap26=/usr/sbin/haproxy
hap34=${HAPROXY_34:?HAPROXY_34: the HAProxy 3.4 binary (make check-install sets it)}
work=$(mktemp -d "${TMPDIR:-/tmp}/pf-check-install.XXXXXX")
root=$work/root
agent_pid=
started=$(date +%s%N)

finish() {
	rc=$?
	if [ -n "$agent_pid" ]; then kill -KILL "$agent_pid" 2>/dev/null || true; fi
	if [ "$rc" -eq 0 ]; then rm -rf "$work"; else echo "check-install: FAILED, kept $work"; fi
}
trap finish EXIT
fail() {
	echo "check-install: $*" >&2
	exit 1
}
say() { echo "check-install: $*"; }

# The tree under $root as "mode type path", migrations folded into NNN_*.sql.
tree() {
	(cd "$root" && find . -mindepth 1 -printf '%m %y %P\n') |
		sed -E 's|^(644 f usr/local/share/polkfura/sql/)[0-9]{3}_[^/]*\.sql$|\1NNN_*.sql|' | sort -u -k3
}
expected() { grep -v '^#' "$1" | sort -k3; }
install_to() { make --no-print-directory -s VARIANT="$variant" DESTDIR="$root" "$@"; }

# 1. The tree.
install_to install >"$work/install1.log"
if ! diff <(expected tests/install/expected-tree.txt) <(tree) >"$work/tree.diff"; then
	cat "$work/tree.diff"
	fail "make install laid out another tree than tests/install/expected-tree.txt (< expected, > installed)"
fi
diff <(cd sql && ls [0-9][0-9][0-9]_*.sql) <(ls "$root/usr/local/share/polkfura/sql") ||
	fail "the installed migrations are not sql/'s"
if grep -rl '@[A-Z_]*@' "$root/etc" "$root/usr/local/share/man"; then
	fail "a @NAME@ placeholder was left in the files above"
fi
grep -q "^ExecStart=/usr/local/bin/polkfura-spoa " "$root/etc/systemd/system/polkfura-spoa.service" ||
	fail "polkfura-spoa.service does not start /usr/local/bin/polkfura-spoa"
say "tree: $(tree | wc -l) entries as expected"

# polkfura-ctl has SQLDIR built in: an install under another PREFIX is refused, not done wrong.
if make --no-print-directory -s VARIANT="$variant" DESTDIR="$work/other" PREFIX=/usr install \
	>"$work/install-usr.log" 2>&1; then
	fail "make install PREFIX=/usr installed a polkfura-ctl built for PREFIX=/usr/local"
fi
grep -q "built with another SQLDIR" "$work/install-usr.log" || fail "install under another PREFIX: no reason given"
[ ! -e "$work/other" ] || fail "the refused install left files in $work/other"

# 2. Re-install: the edited site file stays, the shipped file comes back.
echo "# edited by check-install" >>"$root/etc/polkfura/haproxy.env"
echo "# edited by check-install" >>"$root/etc/haproxy/backends.cfg"
echo "# edited by check-install" >>"$root/etc/haproxy/polkfura.cfg"
install_to install >"$work/install2.log"
for f in etc/polkfura/haproxy.env etc/haproxy/backends.cfg; do
	tail -1 "$root/$f" | grep -qx "# edited by check-install" || fail "re-install overwrote the edited $f"
	grep -q "install: kept $root/$f" "$work/install2.log" || fail "re-install did not say it kept $f"
done
cmp -s haproxy/haproxy.cfg "$root/etc/haproxy/polkfura.cfg" ||
	fail "re-install did not replace the shipped polkfura.cfg"
say "re-install: kept 2 edited site files, replaced the shipped polkfura.cfg"

# 3. systemd. The users, made by sysusers in a root of their own (copies of
# this machine's passwd and group: Debian's haproxy group must exist).
sysroot=$work/sysroot
mkdir -p "$sysroot/etc/sysusers.d"
cp /etc/passwd /etc/group "$sysroot/etc/"
cp "$root/etc/sysusers.d/polkfura.conf" "$sysroot/etc/sysusers.d/"
systemd-sysusers --root="$sysroot" >"$work/sysusers.log" 2>&1 || {
	cat "$work/sysusers.log"
	fail "systemd-sysusers refused etc/sysusers.d/polkfura.conf"
}
gid_of() { awk -F: -v g="$1" '$1 == g { print $3 }' "$sysroot/etc/group"; }
pgid_of() { awk -F: -v u="$1" '$1 == u { print $4 }' "$sysroot/etc/passwd"; }
if [ -z "$(gid_of haproxy)" ] || [ "$(pgid_of polkfura-spoa)" != "$(gid_of haproxy)" ]; then
	fail "sysusers: polkfura-spoa's primary group is not haproxy"
fi
if [ -z "$(gid_of polkfura)" ] || [ "$(pgid_of polkfura-ctl)" != "$(gid_of polkfura)" ]; then
	fail "sysusers: polkfura-ctl's primary group is not polkfura"
fi
for u in polkfura-spoa polkfura-ctl polkfura-ctl-migrate; do
	unit=$root/etc/systemd/system/$u.service
	user=$(sed -n 's/^User=//p' "$unit")
	group=$(sed -n 's/^Group=//p' "$unit")
	[ -n "$(pgid_of "$user")" ] || fail "$u.service runs as '$user', a user sysusers does not make"
	[ -n "$(gid_of "$group")" ] || fail "$u.service runs in group '$group', which does not exist"
done

# verify finds ExecStart binaries and man pages on this machine, so the units
# are checked in a copy whose binary paths point into $root and whose man
# pages are $root's (MANPATH). Anything it prints fails the check: it warns
# about an unknown key but still exits 0.
vdir=$work/verify
mkdir -p "$vdir/haproxy.service.d"
for u in polkfura-spoa polkfura-ctl polkfura-ctl-migrate polkfura-snapshot; do
	sed "s|/usr/local/bin/|$root/usr/local/bin/|g" "$root/etc/systemd/system/$u.service" >"$vdir/$u.service"
done
cp "$root/etc/systemd/system/polkfura-snapshot.timer" "$vdir/"
cp /lib/systemd/system/haproxy.service "$vdir/"
sed "s|/etc/polkfura/|$root/etc/polkfura/|g" "$root/etc/systemd/system/haproxy.service.d/polkfura.conf" \
	>"$vdir/haproxy.service.d/polkfura.conf"
verify() {
	local out rc=0
	out=$(MANPATH=$root/usr/local/share/man systemd-analyze verify "$@" 2>&1) || rc=$?
	if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
		echo "$out"
		return 1
	fi
}
verify "$vdir"/polkfura-*.service "$vdir"/polkfura-*.timer || fail "systemd-analyze verify: the polkfura units"
# Debian's unit documents man:haproxy(1), which Debian's docker images leave out.
verify --man=no "$vdir/haproxy.service" || fail "systemd-analyze verify: haproxy.service with the drop-in"
# The check must be able to fail: a misspelt key, and a drop-in starting a missing binary.
sed 's/^NoNewPrivileges=/NoNewPrivilege=/' "$vdir/polkfura-spoa.service" >"$work/broken.service"
if verify "$work/broken.service" >/dev/null; then fail "systemd-analyze verify passed a unit with a misspelt key"; fi
mkdir -p "$work/broken/haproxy.service.d"
cp "$vdir/haproxy.service" "$work/broken/"
sed 's|^ExecStart=/usr/sbin/haproxy|ExecStart=/usr/sbin/haproxy-missing|' "$vdir/haproxy.service.d/polkfura.conf" \
	>"$work/broken/haproxy.service.d/polkfura.conf"
if verify --man=no "$work/broken/haproxy.service" >/dev/null; then
	fail "systemd-analyze verify passed a drop-in that starts a missing binary"
fi
# The node image enables the snapshot timer on every node: the service must skip
# where the file its ExecStart publishes from is absent, and run where it is,
# as systemd itself evaluates the unit's condition.
unit=$root/etc/systemd/system/polkfura-snapshot.service
cond=$(sed -n 's/^ConditionPathExists=//p' "$unit")
cfg=$(sed -n 's/^ExecStart=.* --config \([^ ]*\).*/\1/p' "$unit")
if [ -z "$cond" ] || [ "$cond" != "$cfg" ]; then
	fail "polkfura-snapshot.service: ConditionPathExists='$cond', not its --config '$cfg'"
fi
ccheck=$work/condition${cond}
if systemd-analyze condition "ConditionPathExists=$ccheck" >/dev/null 2>&1; then
	fail "polkfura-snapshot.service would run without $cond"
fi
mkdir -p "$(dirname "$ccheck")" && : >"$ccheck"
systemd-analyze condition "ConditionPathExists=$ccheck" >/dev/null 2>&1 ||
	fail "polkfura-snapshot.service would not run with $cond"
scores=
for u in polkfura-spoa polkfura-ctl polkfura-ctl-migrate polkfura-snapshot; do
	s=$(systemd-analyze security --offline=yes "$vdir/$u.service" 2>/dev/null |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	[ -n "$s" ] || fail "systemd-analyze security gave no score for $u"
	scores="$scores $u=$s"
done
say "systemd: users made, 6 units verified (and 2 broken ones refused), exposure$scores"

# 4. Man pages.
for m in polkfura-spoa polkfura-ctl; do
	page=$root/usr/local/share/man/man8/$m.8
	w=$(groff -ww -z -man "$page" 2>&1; LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	[ -z "$w" ] || fail "man page $m.8: $w"
done
say "man pages: lint clean"

# 5. haproxy -c on the installed config, the files as the drop-in names them and
# the environment from the installed haproxy.env, re-rooted into $root. Only
# two values differ from a real host: the server-state file (not written yet)
# and PF_ADMIN_GROUP (sysusers makes polkfura on a real host, not here).
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=polkadot.example.net \
	-keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
cat "$work/cert.pem" "$work/key.pem" >"$root/etc/haproxy/certs/site.pem"
chmod 600 "$root/etc/haproxy/certs/site.pem"
mapfile -t envs < <(grep -E '^PF_[A-Z_]+=' "$root/etc/polkfura/haproxy.env" | sed "s|=/etc/|=$root/etc/|")
envs+=("PF_SERVER_STATE_FILE=$work/server-state" "PF_ADMIN_GROUP=haproxy")
exec_start=$(sed -n 's/^ExecStart=\(.\)/\1/p' "$root/etc/systemd/system/haproxy.service.d/polkfura.conf")
mapfile -t cfgs < <(echo "$exec_start" | grep -o -- '-f [^ ]*' | sed "s|^-f |-f\n$root|")
[ "${#cfgs[@]}" -eq 4 ] || fail "the drop-in's ExecStart does not load two -f files: $exec_start"
for hap in "$hap26" "$hap34"; do
	[ -x "$hap" ] || fail "no $hap (make deps-test builds HAProxy 3.4)"
	env "${envs[@]}" "$hap" -c -V "${cfgs[@]}" >"$work/hap-c.log" 2>&1 || {
		cat "$work/hap-c.log"
		fail "$hap -c refused the installed config"
	}
	grep -q 'Configuration file is valid' "$work/hap-c.log" || fail "$hap -c did not say valid"
done
say "haproxy -c: the installed config is valid on $("$hap26" -v | sed -n '1s/.*version \([^ ]*\).*/\1/p') and $("$hap34" -v | sed -n '1s/.*version \([^ ]*\).*/\1/p')"

# 6. The agent as its unit starts it, on a socket of this directory. Flags
# from spoa.env are left out but --threads (its --metrics port is the host's).
sock=$work/spoa.sock
cmd=$(sed -n 's/^ExecStart=//p' "$root/etc/systemd/system/polkfura-spoa.service" |
	sed -e "s|^/usr/local/bin/|$root/usr/local/bin/|" -e "s|unix:/var/lib/haproxy/polkfura/spoa.sock|unix:$sock|" \
		-e "s|/etc/polkfura/|$root/etc/polkfura/|" -e "s|\\\$POLKFURA_SPOA_OPTS|--threads 2|")
case $cmd in "$root"/usr/local/bin/polkfura-spoa*unix:"$sock"*"$root"/etc/polkfura/methods.tsv*) ;;
*) fail "polkfura-spoa.service's ExecStart is not what this check rewrites: $cmd" ;;
esac
# shellcheck disable=SC2086 # the unit's command line, split as systemd splits it
$cmd 2>"$work/agent.log" &
agent_pid=$!
for _ in $(seq 200); do
	[ -S "$sock" ] && break
	kill -0 "$agent_pid" 2>/dev/null || break
	sleep 0.05
done
[ -S "$sock" ] || {
	cat "$work/agent.log"
	fail "the installed agent made no socket"
}
# The unit's ExecStartPost, which holds HAProxy back until the socket exists,
# run as systemd would ($$ is a $), on this socket: it must see it.
post=$(sed -n 's/^ExecStartPost=//p' "$root/etc/systemd/system/polkfura-spoa.service" |
	sed -e 's/\$\$/$/g' -e "s|/var/lib/haproxy/polkfura/spoa.sock|$sock|")
[ -n "$post" ] || fail "polkfura-spoa.service has no ExecStartPost"
eval "$post" || fail "the unit's ExecStartPost did not see the agent's socket: $post"
[ "$(stat -c '%a %G' "$sock")" = "660 haproxy" ] || fail "agent socket is $(stat -c '%a %G' "$sock"), not 660 haproxy"
# The table's rows, counted here: lines that are not the header, blank or a comment.
rows=$(awk -F'\t' 'NR > 1 && NF >= 2 && $1 !~ /^#/' "$root/etc/polkfura/methods.tsv" | wc -l)
for _ in $(seq 100); do
	grep -q 'ready:' "$work/agent.log" && break
	sleep 0.05
done
grep -q "ready: threads=2 methods=$rows " "$work/agent.log" || {
	cat "$work/agent.log"
	fail "the agent did not say ready with the $rows methods of the installed table"
}
kill -TERM "$agent_pid"
rc=0
wait "$agent_pid" || rc=$?
agent_pid=
[ "$rc" -eq 0 ] || fail "the agent exited $rc on SIGTERM"
[ ! -e "$sock" ] || fail "the agent left its socket behind"
if grep -E 'Sanitizer|runtime error' "$work/agent.log"; then fail "sanitizer report in the agent's log"; fi
say "agent: installed binary ready with the installed table ($rows methods), socket 660 haproxy, exit 0"

# The controller's example config, with its paths moved into $work, passes the
# installed polkfura-ctl's own check (keys, values, the state directory).
mkdir -p "$work/state"
sed -e "s|/var/lib/polkfura|$work/state|g" -e "s|\"/etc/polkfura/|\"$root/etc/polkfura/|g" \
	"$root/etc/polkfura/ctl.json.example" >"$work/ctl.json"
"$root/usr/local/bin/polkfura-ctl" check --config "$work/ctl.json" >"$work/ctl-check.log" 2>&1 || {
	cat "$work/ctl-check.log"
	fail "polkfura-ctl check refused the installed ctl.json.example"
}
say "controller: the installed ctl.json.example passes polkfura-ctl check"

# 7. Uninstall.
install_to uninstall >"$work/uninstall.log"
grep -q "kept the site files" "$work/uninstall.log" || fail "make uninstall did not say what it keeps"
if ! diff <(expected tests/install/expected-after-uninstall.txt) <(tree) >"$work/tree.diff"; then
	cat "$work/tree.diff"
	fail "make uninstall left another tree than tests/install/expected-after-uninstall.txt"
fi
tail -1 "$root/etc/polkfura/haproxy.env" | grep -qx "# edited by check-install" ||
	fail "make uninstall changed the edited haproxy.env"
say "uninstall: left the site files, the certificate and the state directory only"
say "passed in $((($(date +%s%N) - started) / 1000000)) ms"
