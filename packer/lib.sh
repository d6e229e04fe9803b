# shellcheck shell=bash
# Helpers the provisioning scripts of both images source (uploaded beside
# them). Each one leaves the system as asked whatever state it finds, so a
# script run twice does the same thing twice and changes nothing the second
# time.

# install_file SRC DEST MODE: puts SRC at DEST with MODE (owner root) unless
# DEST already has those bytes and that mode; prints "changed DEST" when it
# wrote. The copy goes to a temporary name in DEST's directory first and is
# renamed over DEST, so DEST is never half written.
install_file() {
	local src=$1 dest=$2 mode=$3
	if [ -f "$dest" ] && cmp -s "$src" "$dest" &&
		[ "$(stat -c %a "$dest")" = "${mode#0}" ]; then
		return 0
	fi
	install -d -m 0755 "$(dirname "$dest")"
	install -m "$mode" "$src" "$dest.tmp.$$"
	mv -f "$dest.tmp.$$" "$dest"
	echo "changed $dest"
}

# write_file DEST MODE: install_file with the text read from stdin.
write_file() {
	local dest=$1 mode=$2 scratch
	scratch=$(mktemp)
	cat >"$scratch"
	install_file "$scratch" "$dest" "$mode"
	rm -f "$scratch"
}

# apt_install PKG...: installs the packages that are not installed yet;
# nothing (not even apt-get update) when all are.
apt_install() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			missing+=("$p")
	done
	[ "${#missing[@]}" -eq 0 ] && return 0
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# system_user NAME HOME: a system user and group NAME without a login shell,
# made once.
system_user() {
	local name=$1 home=$2
	getent group "$name" >/dev/null || groupadd --system "$name"
	getent passwd "$name" >/dev/null ||
		useradd --system --gid "$name" --home-dir "$home" --no-create-home \
			--shell /usr/sbin/nologin "$name"
}
