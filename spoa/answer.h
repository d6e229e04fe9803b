/* SPDX-License-Identifier: MIT */
/*
 * What polkfura-spoa writes back to each frame HAProxy sends: the AGENT-HELLO
 * negotiated from a HAPROXY-HELLO, an AGENT-DISCONNECT, and the ACK of a
 * NOTIFY carrying notify.c's actions. Pure: the agent decodes frames with
 * spop.c, hands them here with a buffer at the tail of its write queue and
 * sends what was written. Nothing here knows the connection (its state, its
 * buffers, when to close); tests/fuzz/fuzz_spop.c decodes every frame these
 * functions write with the independent decoder of tests/harness/spop_client.c.
 */
#ifndef PF_SPOA_ANSWER_H
#define PF_SPOA_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "spoa/notify.h"
#include "spoa/spop.h"

struct methods;

/* The agent's side of a HELLO exchange. */
struct answer_hello {
	uint32_t max_frame_size; /* the smaller of HAProxy's and the agent's */
	bool pipelining;         /* HAProxy offered it, so the agent takes it */
	bool async;              /* likewise */
};

/* What answering a NOTIFY needs besides the frame. */
struct answer_env {
	const struct methods *table;        /* borrowed, may be NULL (every method unknown) */
	const struct notify_chains *chains; /* borrowed */
	size_t max_body;                    /* longer bodies are class oversize */
	uint32_t max_frame_size;            /* negotiated in HELLO */
};

/*
 * Called once per message of a NOTIFY frame, in order: <v> is its verdict, or
 * NULL for a message not named NOTIFY_MESSAGE (acknowledged without actions).
 */
typedef void answer_seen_cb_fn(void *arg, const struct notify_verdict *v);

/*
 * Negotiates the answer to HELLO <h> for an agent whose own limit is
 * <agent_max> bytes: SPOP_VERSION must be among the versions offered and
 * HAProxy's max-frame-size at least SPOP_MIN_FRAME_SIZE. Returns SPOP_ST_NONE
 * with <a> filled, or the status to disconnect with (SPOP_ST_BAD_VSN,
 * SPOP_ST_BAD_FRAME_SIZE).
 */
enum spop_status answer_hello_negotiate(const struct spop_hello *h, uint32_t agent_max,
                                        struct answer_hello *a);

/* The "capabilities" value of <a>: "", "pipelining", "async" or "pipelining,async"; static. */
const char *answer_hello_caps(const struct answer_hello *a);

/*
 * Appends the AGENT-HELLO frame of <a> to <b>: version, max-frame-size and
 * capabilities, the frame itself at most a->max_frame_size bytes. Returns 0,
 * or -1 when it did not fit (<b> failed).
 */
PF_MUSTCHECK int answer_hello_put(struct spop_buf *b, const struct answer_hello *a);

/*
 * Appends an AGENT-DISCONNECT frame to <b>: status-code <status> and message
 * spop_status_str(<status>), at most <max_frame_size> bytes. Returns 0, or -1
 * when it did not fit (<b> failed).
 */
PF_MUSTCHECK int answer_disconnect_put(struct spop_buf *b, enum spop_status status,
                                       uint32_t max_frame_size);

/*
 * Appends the ACK of NOTIFY frame <f> to <b>, with the same stream and frame
 * ids: for each NOTIFY_MESSAGE message, the actions of its verdict
 * (notify_decide(), then notify_put_actions()). When those do not fit
 * <env>->max_frame_size (or <b>), the ACK goes out without actions and
 * HAProxy carries on unclassified. <seen>(<arg>, ...) is called per message
 * (<seen> may be NULL). Returns SPOP_ST_NONE, or the status to disconnect
 * with: SPOP_ST_FRAG_NOT_SUPPORTED (no FIN flag), SPOP_ST_FRAMEID_NOTFOUND
 * (stream and frame id both 0), the decoder's status for a malformed message,
 * SPOP_ST_RES when not even an empty ACK fits; <b> then holds a partial frame
 * the caller must not send.
 */
enum spop_status answer_notify_put(struct spop_buf *b, const struct spop_frame *f,
                                   const struct answer_env *env, answer_seen_cb_fn *seen,
                                   void *arg);

#endif
