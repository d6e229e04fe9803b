#!/usr/bin/env bash
# Are the API node's RPC limits (node/files/polkadot.service) in step with the
# edge's (haproxy/haproxy.cfg, haproxy/backends.cfg, the agent's --max-body)?
# The edge must be the one that refuses: its refusals are the JSON-RPC errors
# the README documents, counted per source and logged, while a node's refusal
# is a closed connection or an error no rule of the edge accounts for. Each
# rule below says which way it goes and why. Prints one line per rule and
# exits 1 if any fails. Run by packer/check.sh; PF_REPO (default: this
# repository) is read, so a test can point it at a modified copy.
set -eu

repo=${PF_REPO:-$(cd "$(dirname "$0")/.." && pwd)}
cfg=$repo/haproxy/haproxy.cfg
backends=$repo/haproxy/backends.cfg
unit=$repo/packer/node/files/polkadot.service
fail=0

die() {
	echo "check-node-limits: $*" >&2
	exit 1
}

# edge_var NAME: the value HAProxy runs with: the site env file's (dist/, as
# make install ships it) if it sets NAME, else the "${NAME-default}" of
# haproxy.cfg. Every default of NAME in haproxy.cfg must be the same.
edge_var() {
	local name=$1 v env=$repo/dist/etc/haproxy.env.in
	if [ -f "$env" ] && v=$(sed -n "s/^$name=\([0-9]*\)$/\1/p" "$env" | tail -1) && [ -n "$v" ]; then
		echo "$v"
		return
	fi
	v=$(grep -o "\${$name-[0-9]*}" "$cfg" | sed 's/.*-\([0-9]*\)}/\1/' | sort -u)
	[ -n "$v" ] || die "$cfg: no \${$name-...} default"
	[ "$(printf '%s\n' "$v" | wc -l)" -eq 1 ] || die "$cfg: $name has several defaults: $v"
	echo "$v"
}

# node_flag FLAG: the value after FLAG in the unit's ExecStart.
node_flag() {
	local v
	v=$(sed -n "s/^[[:space:]]*$1 \([^ ]*\) *\\\\\{0,1\}$/\1/p" "$unit")
	[ -n "$v" ] || die "$unit: no $1"
	[ "$(printf '%s\n' "$v" | wc -l)" -eq 1 ] || die "$unit: $1 given more than once"
	echo "$v"
}

# max_maxconn SUFFIX: the largest per-server maxconn of the backends be_<chain>
# (SUFFIX empty) or be_<chain>_heavy (SUFFIX _heavy) in backends.cfg.
max_maxconn() {
	awk -v suf="$1" '
		$1 == "backend" { b = $2; heavy = (b ~ /_heavy$/) }
		$1 == "default-server" && b ~ /^be_/ && (suf == "_heavy") == heavy {
			for (i = 1; i < NF; i++) if ($i == "maxconn") { if ($(i+1) > m) m = $(i+1) }
		}
		END { print m + 0 }
	' "$backends"
}

# The most edges one region may run: terraform's bound on edge_count when
# terraform/ has it, else 8.
edges_max() {
	local tf=$repo/terraform/modules/region/variables.tf v=""
	[ -f "$tf" ] && v=$(sed -n 's/.*var\.edge_count <= \([0-9][0-9]*\).*/\1/p' "$tf" | head -1)
	echo "${v:-8}"
}

rule() {
	local ok=$1 text=$2
	if [ "$ok" = 1 ]; then
		echo "ok    $text"
	else
		echo "FAIL  $text"
		fail=1
	fi
}
ge() { [ "$1" -ge "$2" ] && echo 1 || echo 0; }

batch_edge=$(edge_var PF_BATCH_MAX)
ws_per_src=$(edge_var PF_WS_PER_SRC)
req_full=$(edge_var PF_REQ_FULL)
bufsize=$(sed -n 's/^[[:space:]]*tune\.bufsize \([0-9]*\)$/\1/p' "$cfg")
[ -n "$bufsize" ] || die "$cfg: no tune.bufsize"
max_body=$(sed -n 's/^#define SPOA_DEFAULT_MAX_BODY[[:space:]]*\([0-9]*\)$/\1/p' "$repo/spoa/spoa_cfg.h")
if [ -f "$repo/dist/etc/spoa.env" ]; then
	v=$(grep -o -- '--max-body [0-9]*' "$repo/dist/etc/spoa.env" | tail -1 | cut -d' ' -f2)
	max_body=${v:-$max_body}
fi
[ -n "$max_body" ] || die "no --max-body default in spoa/spoa_cfg.h"
srv=$(max_maxconn "")
srv_heavy=$(max_maxconn _heavy)
if [ "$srv" -eq 0 ] || [ "$srv_heavy" -eq 0 ]; then
	die "$backends: no maxconn on be_<chain> or be_<chain>_heavy"
fi
edges=$(edges_max)

batch_node=$(node_flag --rpc-max-batch-request-len)
conns_node=$(node_flag --rpc-max-connections)
req_mib=$(node_flag --rpc-max-request-size)
resp_mib=$(node_flag --rpc-max-response-size)
methods=$(node_flag --rpc-methods)
cors=$(node_flag --rpc-cors)
nofile=$(sed -n 's/^LimitNOFILE=\([0-9]*\)$/\1/p' "$unit")
[ -n "$nofile" ] || die "$unit: no LimitNOFILE"

# Batches: the edge answers a batch longer than PF_BATCH_MAX with the node's
# own -32010 error; the node's limit must not be lower, or a batch the edge
# passed (and counted per call) would fail at the node instead. WebSocket
# batches never meet the edge's rule, so the node's limit is theirs: equal is
# the intent, >= is the requirement.
rule "$(ge "$batch_node" "$batch_edge")" \
	"--rpc-max-batch-request-len $batch_node >= PF_BATCH_MAX $batch_edge (the edge refuses the long batch)"

# Connections: each edge opens at most maxconn connections to a node for
# be_<chain> plus maxconn for be_<chain>_heavy (the same nodes), WebSocket
# tunnels included (a tunnel holds its server connection). With every edge of
# the region at its cap the node must still accept, so requests queue in
# HAProxy (which answers /health "saturated") instead of failing at the
# node. PF_MAXCONN (client connections per edge) is not compared: clients
# reach a node only through those server slots.
need=$((edges * (srv + srv_heavy)))
rule "$(ge "$conns_node" "$need")" \
	"--rpc-max-connections $conns_node >= $edges edges x ($srv + $srv_heavy server maxconn) = $need (HAProxy queues, the node never refuses)"

# WebSocket tunnels: one source holds at most PF_WS_PER_SRC tunnels per edge;
# even with all of them, on every edge, landing on one node, that node must
# keep connections for everyone else (strictly below its cap).
ws_all=$((edges * ws_per_src))
rule "$([ "$ws_all" -lt "$conns_node" ] && echo 1 || echo 0)" \
	"$edges edges x PF_WS_PER_SRC $ws_per_src = $ws_all < --rpc-max-connections $conns_node (one source cannot take a node's connections)"

# Request bodies: over HTTP the edge refuses what does not fit a buffer
# (tune.bufsize $bufsize, PF_REQ_FULL $req_full, the agent's --max-body
# $max_body) with 400/-32600; the node must take anything the edge lets
# through, so its limit (MiB) is at least the largest of these.
largest=$bufsize
[ "$max_body" -gt "$largest" ] && largest=$max_body
[ "$req_full" -gt "$largest" ] && largest=$req_full
rule "$(ge $((req_mib * 1048576)) "$largest")" \
	"--rpc-max-request-size $req_mib MiB >= $largest bytes (the edge refuses a large body first)"

# Responses: the edge sets no limit on them (HAProxy streams a response), so
# the node's is the only one, and nothing at the edge can be out of step with
# it. It must not go below polkadot-sdk's default (15 MiB,
# RPC_DEFAULT_MAX_RESPONSE_SIZE_MB in substrate/client/cli/src/config.rs):
# below it the endpoint would fail safe calls (a large state query, the
# runtime's metadata) that any node with default settings answers.
rule "$(ge "$resp_mib" 15)" \
	"--rpc-max-response-size $resp_mib MiB >= 15 MiB (polkadot-sdk's default; the edge does not limit responses)"

# File descriptors: every RPC connection is one, on top of what Substrate
# asks for itself (10,000: RECOMMENDED_OPEN_FILE_DESCRIPTOR_LIMIT in
# substrate/client/cli/src/config.rs) for peers and the database.
rule "$(ge "$nofile" $((conns_node + 10000)))" \
	"LimitNOFILE $nofile >= --rpc-max-connections $conns_node + 10000"

# The second guard behind the edge's unsafe filter (haproxy/README.md, "Fail
# closed"), and CORS left to the edge: the edge answers preflights and sets
# Access-Control-Allow-Origin itself, and a node with its default list
# (localhost, polkadot.js.org) would refuse every other origin's request the
# edge passed on.
rule "$([ "$methods" = Safe ] && echo 1 || echo 0)" "--rpc-methods $methods is Safe"
rule "$([ "$cors" = all ] && echo 1 || echo 0)" "--rpc-cors $cors is all (the edge does CORS)"

exit "$fail"
