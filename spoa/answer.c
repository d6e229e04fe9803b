/* SPDX-License-Identifier: MIT */
/*
 * The agent's answers (see answer.h): which frame to write for each frame
 * HAProxy sends, and its bytes, through spop.c's encoders. The connection
 * state machine that picks which function to call stays in agent.c.
 */
#include "spoa/answer.h"

#include <string.h>

#include "common/compiler.h"

enum spop_status answer_hello_negotiate(const struct spop_hello *h, uint32_t agent_max,
                                        struct answer_hello *a)
{
	if (!spop_list_has(h->versions, SPOP_VERSION))
		return SPOP_ST_BAD_VSN;
	if (h->max_frame_size < SPOP_MIN_FRAME_SIZE)
		return SPOP_ST_BAD_FRAME_SIZE;
	a->max_frame_size = h->max_frame_size < agent_max ? h->max_frame_size : agent_max;
	a->pipelining = spop_list_has(h->capabilities, "pipelining");
	a->async = spop_list_has(h->capabilities, "async");
	return SPOP_ST_NONE;
}

const char *answer_hello_caps(const struct answer_hello *a)
{
	if (a->pipelining)
		return a->async ? "pipelining,async" : "pipelining";
	return a->async ? "async" : "";
}

int answer_hello_put(struct spop_buf *b, const struct answer_hello *a)
{
	const char *caps = answer_hello_caps(a);
	size_t start = spop_frame_begin(b, SPOP_FRAME_AGENT_HELLO, SPOP_FLAG_FIN, 0, 0);

	spop_put_kv_string(b, "version", SPOP_VERSION, strlen(SPOP_VERSION));
	spop_put_kv_uint32(b, "max-frame-size", a->max_frame_size);
	spop_put_kv_string(b, "capabilities", caps, strlen(caps));
	return spop_frame_end(b, start, a->max_frame_size);
}

int answer_disconnect_put(struct spop_buf *b, enum spop_status status, uint32_t max_frame_size)
{
	const char *msg = spop_status_str((uint32_t)status);
	size_t start = spop_frame_begin(b, SPOP_FRAME_AGENT_DISCONNECT, SPOP_FLAG_FIN, 0, 0);

	spop_put_kv_uint32(b, "status-code", (uint32_t)status);
	spop_put_kv_string(b, "message", msg, strlen(msg));
	return spop_frame_end(b, start, max_frame_size);
}

enum spop_status answer_notify_put(struct spop_buf *b, const struct spop_frame *f,
                                   const struct answer_env *env, answer_seen_cb_fn *seen, void *arg)
{
	struct spop_message m;
	struct notify_verdict v;
	enum spop_status st = SPOP_ST_NONE;
	size_t off = 0, mark = b->len, start;
	int r;

	if ((f->flags & SPOP_FLAG_FIN) == 0)
		return SPOP_ST_FRAG_NOT_SUPPORTED;
	if (f->stream_id == 0 && f->frame_id == 0)
		return SPOP_ST_FRAMEID_NOTFOUND;
	start = spop_frame_begin(b, SPOP_FRAME_ACK, SPOP_FLAG_FIN, f->stream_id, f->frame_id);
	while ((r = spop_message_next(f->payload, &off, &m, &st)) == 1) {
		if (!pf_slice_eq_str(m.name, NOTIFY_MESSAGE)) {
			if (seen != NULL)
				seen(arg, NULL);
			continue;
		}
		notify_decide(&m, env->table, env->chains, env->max_body, &v);
		if (seen != NULL)
			seen(arg, &v);
		notify_put_actions(&v, env->chains, b);
	}
	if (r == -1)
		return st;
	if (spop_frame_end(b, start, env->max_frame_size) == 0)
		return SPOP_ST_NONE;
	/* The actions do not fit one frame: drop them (the buffer is the caller's value type). */
	b->len = mark;
	b->failed = false;
	start = spop_frame_begin(b, SPOP_FRAME_ACK, SPOP_FLAG_FIN, f->stream_id, f->frame_id);
	if (spop_frame_end(b, start, env->max_frame_size) == -1)
		return SPOP_ST_RES;
	return SPOP_ST_NONE;
}
