# SPDX-License-Identifier: MIT
# Helpers shared by the benchmark scripts (sourced, not run).

USED_PORTS=" "

# free_port VAR: a port below the ephemeral range that nothing listens on.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 12000))
		[[ $USED_PORTS == *" $p "* ]] && continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			USED_PORTS+="$p "
			printf -v "$1" '%s' "$p"
			return
		fi
	done
}

# cpu_ticks PID: utime+stime of every thread, in clock ticks. Fields counted
# after the ")" that ends comm, so a comm with spaces cannot shift them.
cpu_ticks() {
	local s
	s=$(<"/proc/$1/stat")
	s=${s##*) }
	awk '{ print $12 + $13 }' <<<"$s"
}
