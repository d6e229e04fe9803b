/* SPDX-License-Identifier: MIT */
/*
 * The controller's poll of one node: builds the JSON-RPC request bodies
 * (one batch of system_health, chain_getHeader, chain_getFinalizedHead and
 * chain_getBlockHash(0), or the same calls one by one for nodes that refuse
 * batches, plus chain_getHeader(<finalized hash>) and system_syncState) and parses the
 * replies into a struct node_poll. No I/O, no clock, no logging; parsing
 * uses cJSON (not a hot path: a few replies per node per interval) and frees
 * everything it allocates. Transport results (timeout, connect, HTTP status,
 * latency) are written into the same struct by the poller.
 */
#ifndef PF_CTL_POLL_NODERPC_H
#define PF_CTL_POLL_NODERPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"

/* Request ids; a reply is matched to its call by id, never by position. */
#define NODERPC_ID_HEALTH           1 /* system_health */
#define NODERPC_ID_HEADER           2 /* chain_getHeader (best) */
#define NODERPC_ID_FINALIZED_HEAD   3 /* chain_getFinalizedHead */
#define NODERPC_ID_FINALIZED_HEADER 4 /* chain_getHeader(<finalized hash>) */
#define NODERPC_ID_SYNC_STATE       5 /* system_syncState */
#define NODERPC_ID_GENESIS          6 /* chain_getBlockHash(0): which network the node is on */
#define NODERPC_ID_MAX              6

#define NODERPC_HASH_LEN   66    /* "0x" + 64 hex digits */
#define NODERPC_DETAIL_MAX 96    /* sizeof(node_poll.detail) */
#define NODERPC_BODY_MAX   65536 /* longer replies are malformed (a header is ~1 KiB) */
#define NODERPC_POLL_CAP   512   /* enough for noderpc_build_poll() and every single call */

enum node_poll_err {
	NODE_POLL_OK = 0,
	NODE_POLL_TIMEOUT,
	NODE_POLL_CONNECT,
	NODE_POLL_HTTP,
	NODE_POLL_RPC_ERROR,
	NODE_POLL_MALFORMED,
	NODE_POLL_ERR_COUNT
};

/*
 * One node's answer for one round. Reset it with noderpc_poll_reset() before
 * the round; each noderpc_parse() adds what its body carries. Hashes are
 * stored lower-case, NUL-terminated.
 */
struct node_poll {
	enum node_poll_err err;
	/*
	 * Human text for <err>, NUL-terminated, printable ASCII only: "timeout 800 ms",
	 * "HTTP 503", "connect: Connection refused" (written by the poller),
	 * "rpc error -32603 Internal error", "malformed: number \"0xZZ\" is not hex".
	 */
	char detail[NODERPC_DETAIL_MAX];
	/*
	 * The body was one error object with a null id: the node refused the whole
	 * request (batches disabled or too large). Only meaningful as the answer to
	 * the noderpc_build_poll() batch: reset and retry with single calls.
	 */
	bool batch_refused;

	bool has_health; /* system_health: <peers>, <syncing>, <should_have_peers> */
	uint32_t peers;
	bool syncing;
	bool should_have_peers; /* true when the node omits it */

	bool has_best; /* chain_getHeader: <best>, <best_parent_hash> */
	uint64_t best;
	char best_parent_hash[NODERPC_HASH_LEN + 1];

	bool has_finalized_hash; /* chain_getFinalizedHead */
	char finalized_hash[NODERPC_HASH_LEN + 1];
	/*
	 * Number of the finalized block: from chain_getHeader(<finalized_hash>), or
	 * best - 1 when the best header's parent is the finalized hash.
	 */
	bool has_finalized;
	uint64_t finalized;

	bool has_genesis; /* chain_getBlockHash(0): the hash of block 0 names the network */
	char genesis_hash[NODERPC_HASH_LEN + 1];

	bool has_sync; /* system_syncState (optional call) */
	bool has_sync_highest;
	uint64_t sync_starting, sync_current, sync_highest;

	uint32_t latency_ms; /* written by the poller */
};

/* Metrics label of <err>: "ok", "timeout", "connect", "http", "rpc_error", "malformed", or "?". */
const char *node_poll_err_name(enum node_poll_err err);

/* Method name of request id <id> (NODERPC_ID_*), or NULL for any other id. */
const char *noderpc_method(unsigned id);

/* Zeroes <p>: err OK, nothing known. */
void noderpc_poll_reset(struct node_poll *p);

/*
 * Records a failure in <p> if none is recorded yet (the first error of a round
 * wins): sets <err> and formats <detail> (truncated, non-printable bytes
 * replaced by '?'). For the poller's transport errors. Callback-safe.
 */
void noderpc_poll_fail(struct node_poll *p, enum node_poll_err err, const char *fmt, ...)
    PF_PRINTF(3, 4);

/*
 * Writes the poll batch (ids 1, 2, 3 and 6) into <buf>/<cap>, NUL-terminated.
 * Returns its length without the NUL, or -1 when <cap> is too small
 * (NODERPC_POLL_CAP always suffices).
 */
PF_MUSTCHECK int noderpc_build_poll(char *buf, size_t cap);

/*
 * Writes one call {"jsonrpc":"2.0","id":<id>,"method":<method>,"params":<params_json>}
 * into <buf>/<cap>. <method> must be 1..64 bytes of [A-Za-z0-9_]; <params_json>
 * is inserted verbatim (trusted, the caller's own JSON array), NULL means [].
 * Returns the length without the NUL, or -1 on a bad argument or short buffer.
 */
PF_MUSTCHECK int noderpc_build_call(char *buf, size_t cap, unsigned id, const char *method,
                                    const char *params_json);

/*
 * The single-call fallback for id <id> (HEALTH, HEADER, FINALIZED_HEAD,
 * SYNC_STATE without params, GENESIS with [0]). Returns as noderpc_build_call();
 * -1 for FINALIZED_HEADER (use noderpc_build_header_at()) or an unknown id.
 */
PF_MUSTCHECK int noderpc_build_single(char *buf, size_t cap, unsigned id);

/*
 * chain_getHeader([<hash>]) with id NODERPC_ID_FINALIZED_HEADER, to learn the
 * finalized block's number. <hash> must be "0x" + 64 hex digits (the
 * node_poll.finalized_hash). Returns as noderpc_build_call().
 */
PF_MUSTCHECK int noderpc_build_header_at(char *buf, size_t cap, const char *hash);

/*
 * True when <p> has the finalized hash but not yet its number: the caller then
 * sends noderpc_build_header_at(p->finalized_hash) and parses the reply into <p>.
 */
bool noderpc_needs_finalized_header(const struct node_poll *p);

/*
 * Parses one reply body <body>/<len> (need not be NUL-terminated) into <p>.
 * Accepts a batch (an array whose members are matched by id 1..6, in any
 * order; ids 1, 2, 3 and 6 must all be there) or a single reply object (matched
 * by its id). Returns 0, or -1 after noderpc_poll_fail() with
 * NODE_POLL_RPC_ERROR (an error member; <batch_refused> too when its id is
 * null) or NODE_POLL_MALFORMED (invalid JSON, wrong shape or type, bad hex,
 * a missing, duplicated or unknown id). Fields of members read before the
 * failure may be set; a failure already in <p> stays (the return value is
 * about this body only). Never reads past <len>; frees everything it allocates.
 */
PF_MUSTCHECK int noderpc_parse(const char *body, size_t len, struct node_poll *p);

/*
 * Strict block number: "0x" followed by 1..16 hex digits of either case,
 * nothing else (no sign, no spaces, no "0X"). On success stores the value in
 * <out> and returns true; otherwise returns false and leaves <out> alone.
 */
PF_MUSTCHECK bool noderpc_parse_hex_u64(const char *s, size_t len, uint64_t *out);

/* True when <s>/<len> is "0x" followed by exactly 64 hex digits of either case. */
bool noderpc_is_hash(const char *s, size_t len);

#endif
