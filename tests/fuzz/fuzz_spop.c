/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for spoa/spop.c and spoa/answer.c. The input is a byte
 * stream as HAProxy would send it on one connection:
 *  - the decoder: frames are decoded in a loop with the agent's max-frame-size
 *    and each HELLO / DISCONNECT / NOTIFY payload is walked down to every
 *    argument byte (slices stay inside their frame, statuses are set);
 *  - the answers: the stream is played against the agent's connection rules
 *    (HELLO first, then NOTIFY until a DISCONNECT or an error), once from the
 *    HELLO state and once as if HELLO were done, at two agent frame limits.
 *    Every frame the agent would write (AGENT-HELLO, AGENT-DISCONNECT, ACK) is
 *    read back with the independent decoder of tests/harness/spop_client.c
 *    and must say what the agent decided: the negotiated frame size and
 *    capabilities, the status and its text, the stream and frame ids and
 *    each message's actions in order. An ACK is the unbounded ACK whenever
 *    that fits the frame limit, and otherwise the ACK without actions;
 *  - the encoders: varint round trips, and set-var/unset-var actions built
 *    from the input read back by the same independent decoder.
 * Built with clang -fsanitize=fuzzer for `make fuzz` and linked with
 * tests/fuzz/replay.c to replay the corpus under gcc. No I/O.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/compiler.h"
#include "spoa/answer.h"
#include "spoa/methods.h"
#include "spoa/notify.h"
#include "spoa/spop.h"
#include "tests/harness/spop_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_FRAME 16380u
#define FUZZ_BIG_ACK   (1u << 20) /* > 16380 / 13 messages x NOTIFY_ACK_MAX */

/* Fails loudly in both libFuzzer and replay builds: libFuzzer and ASan catch the abort. */
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (PF_UNLIKELY(!(cond)))                                                          \
			fuzz_fail(#cond, __LINE__);                                                \
	} while (0)

static void fuzz_fail(const char *what, int line)
{
	(void)fprintf(stderr, "fuzz_spop.c:%d: check failed: %s\n", line, what);
	abort();
}

/* Reads every byte of <s> so a slice reaching outside its input shows under ASan. */
static unsigned touch(struct pf_slice s)
{
	unsigned sum = 0;
	size_t i;

	for (i = 0; i < s.len; i++)
		sum += s.p[i];
	return sum;
}

static bool inside(struct pf_slice s, struct pf_slice outer)
{
	return s.len == 0 || (s.p >= outer.p && s.len <= outer.len &&
	                      (size_t)(s.p - outer.p) <= outer.len - s.len);
}

static unsigned fuzz_hello(struct pf_slice pl)
{
	struct spop_hello h;
	enum spop_status st = SPOP_ST_NONE;
	unsigned sum = 0;

	if (spop_hello_decode(pl, &h, &st) != 0) {
		FUZZ_CHECK(st != SPOP_ST_NONE);
		return 0;
	}
	FUZZ_CHECK(h.has_versions && h.has_max_frame_size && h.has_capabilities);
	FUZZ_CHECK(inside(h.versions, pl) && inside(h.capabilities, pl) && inside(h.engine_id, pl));
	sum += touch(h.versions) + touch(h.capabilities) + touch(h.engine_id);
	sum += spop_list_has(h.versions, SPOP_VERSION);
	sum += spop_list_has(h.capabilities, "pipelining");
	sum += spop_list_has(h.capabilities, "async");
	return sum;
}

static unsigned fuzz_disconnect(struct pf_slice pl)
{
	uint32_t code;
	struct pf_slice msg;
	enum spop_status st = SPOP_ST_NONE;

	if (spop_disconnect_decode(pl, &code, &msg, &st) != 0) {
		FUZZ_CHECK(st == SPOP_ST_INVALID);
		return 0;
	}
	FUZZ_CHECK(inside(msg, pl));
	return touch(msg) + (unsigned)strlen(spop_status_str(code));
}

static unsigned fuzz_arg(const struct spop_arg *a, struct pf_slice pl)
{
	const struct spop_data *d = &a->val;
	unsigned sum = touch(a->name);

	FUZZ_CHECK(inside(a->name, pl));
	FUZZ_CHECK(d->type <= SPOP_DATA_BINARY);
	if (d->type == SPOP_DATA_STRING || d->type == SPOP_DATA_BINARY) {
		FUZZ_CHECK(inside(d->v.s, pl));
		sum += touch(d->v.s);
	}
	if (d->type == SPOP_DATA_UINT32)
		FUZZ_CHECK(d->v.u <= UINT32_MAX);
	if (d->type == SPOP_DATA_INT32)
		FUZZ_CHECK(d->v.i >= INT32_MIN && d->v.i <= INT32_MAX);
	return sum;
}

static unsigned fuzz_notify(struct pf_slice pl)
{
	struct spop_message m;
	enum spop_status st = SPOP_ST_NONE;
	size_t off = 0, prev = 0;
	unsigned sum = 0, i;
	int r;

	while ((r = spop_message_next(pl, &off, &m, &st)) == 1) {
		FUZZ_CHECK(off > prev && off <= pl.len);
		prev = off;
		FUZZ_CHECK(m.nargs <= SPOP_MAX_ARGS);
		FUZZ_CHECK(inside(m.name, pl));
		sum += touch(m.name);
		for (i = 0; i < m.nargs; i++)
			sum += fuzz_arg(&m.args[i], pl);
		sum += spop_message_arg(&m, "body") != NULL;
	}
	if (r == -1)
		FUZZ_CHECK((st == SPOP_ST_INVALID || st == SPOP_ST_RES) && off == prev);
	else
		FUZZ_CHECK(r == 0 && off == pl.len);
	return sum;
}

/* Frames back to back, as the agent's read loop sees them. */
static unsigned fuzz_frames(const uint8_t *data, size_t size, uint32_t max)
{
	size_t off = 0;
	unsigned sum = 0;

	for (;;) {
		struct spop_frame f;
		enum spop_status st = SPOP_ST_NONE;
		struct pf_slice all;
		int r = spop_frame_decode(data + off, size - off, max, &f, &st);

		if (r == PF_AGAIN)
			break;
		if (r == PF_EPROTO) {
			FUZZ_CHECK(st == SPOP_ST_TOO_BIG || st == SPOP_ST_INVALID);
			break;
		}
		FUZZ_CHECK(r > SPOP_FRAME_LEN_SIZE && (size_t)r <= size - off);
		FUZZ_CHECK((size_t)r - SPOP_FRAME_LEN_SIZE <= max);
		all = (struct pf_slice){data + off, (size_t)r};
		FUZZ_CHECK(inside(f.payload, all));
		off += (size_t)r;
		switch (f.type) {
		case SPOP_FRAME_HAPROXY_HELLO:
			sum += fuzz_hello(f.payload);
			break;
		case SPOP_FRAME_HAPROXY_DISCONNECT:
			sum += fuzz_disconnect(f.payload);
			break;
		case SPOP_FRAME_NOTIFY:
			sum += fuzz_notify(f.payload);
			break;
		default:
			sum += touch(f.payload);
			break;
		}
	}
	return sum;
}

static uint64_t load_u64(const uint8_t *data, size_t size)
{
	uint64_t v = 0;

	if (size > 0)
		memcpy(&v, data, size < sizeof(v) ? size : sizeof(v));
	return v;
}

static void fuzz_varint(const uint8_t *data, size_t size)
{
	uint8_t out[SPOP_VARINT_MAX];
	uint64_t v = load_u64(data, size), back = 0;
	size_t n = spop_varint_encode(out, v);
	int r;

	FUZZ_CHECK(n >= 1 && n <= SPOP_VARINT_MAX);
	FUZZ_CHECK(spop_varint_decode(out, n, &back) == (int)n && back == v);
	FUZZ_CHECK(spop_varint_decode(out, n - 1, &back) == PF_AGAIN);
	/* raw input as a varint: a success re-encodes to the same bytes (one encoding per value) */
	r = spop_varint_decode(data, size, &v);
	if (r > 0) {
		FUZZ_CHECK(r <= SPOP_VARINT_MAX);
		n = spop_varint_encode(out, v);
		FUZZ_CHECK(n == (size_t)r && memcmp(out, data, n) == 0);
	}
}

/* ---- the encoders, read back independently -------------------------------- */

/* What fuzz_encoders() wrote, for the action callback to compare with. */
struct fuzz_enc {
	const uint8_t *val;
	size_t vlen;
	uint32_t u;
	unsigned n; /* actions read back so far */
};

static bool bytes_eq(struct spc_bytes b, const void *p, size_t len)
{
	return b.len == len && (len == 0 || memcmp(b.p, p, len) == 0);
}

static bool name_is(struct spc_bytes b, const char *name)
{
	return bytes_eq(b, name, strlen(name));
}

/* spc_action_fn: the three actions of fuzz_encoders(), in order. */
static void fuzz_enc_action_cb(void *arg, const struct spc_action *a)
{
	struct fuzz_enc *e = arg;

	switch (e->n++) {
	case 0:
		FUZZ_CHECK(a->type == SPOP_ACT_SET_VAR && a->scope == SPOP_SCOPE_TXN);
		FUZZ_CHECK(name_is(a->name, "polkfura_class") && a->data_type == SPOP_DATA_STRING);
		FUZZ_CHECK(bytes_eq(a->str, e->val, e->vlen));
		break;
	case 1:
		FUZZ_CHECK(a->type == SPOP_ACT_SET_VAR && a->scope == SPOP_SCOPE_TXN);
		FUZZ_CHECK(name_is(a->name, "calls") && a->data_type == SPOP_DATA_UINT32);
		FUZZ_CHECK(a->num == e->u);
		break;
	case 2:
		FUZZ_CHECK(a->type == SPOP_ACT_UNSET_VAR && a->scope == SPOP_SCOPE_SESS);
		FUZZ_CHECK(name_is(a->name, "x") && a->data_type == -1);
		break;
	default:
		fuzz_fail("an action the encoder did not write", __LINE__);
	}
}

/*
 * An ACK built from the input, in a buffer that may be too small: it fails
 * as a whole or decodes back as the same frame, with both decoders.
 */
static void fuzz_encoders(const uint8_t *data, size_t size)
{
	static uint8_t mem[FUZZ_MAX_FRAME + SPOP_FRAME_LEN_SIZE];
	struct spop_buf b;
	struct spop_frame f;
	struct spc_reply rep;
	enum spop_status st = SPOP_ST_NONE;
	uint64_t sid = load_u64(data, size);
	size_t cap = size > 0 ? (size_t)data[0] * 64 : sizeof(mem);
	struct fuzz_enc e = {size > 8 ? data + 8 : NULL, size > 8 ? size - 8 : 0, (uint32_t)sid, 0};
	size_t start;
	int r, end;

	if (cap > sizeof(mem))
		cap = sizeof(mem);
	spop_buf_init(&b, mem, cap);
	start = spop_frame_begin(&b, SPOP_FRAME_ACK, SPOP_FLAG_FIN, sid, sid >> 7);
	spop_put_set_var_string(&b, SPOP_SCOPE_TXN, "polkfura_class", (const char *)e.val, e.vlen);
	spop_put_set_var_uint32(&b, SPOP_SCOPE_TXN, "calls", e.u);
	spop_put_unset_var(&b, SPOP_SCOPE_SESS, "x");
	end = spop_frame_end(&b, start, FUZZ_MAX_FRAME);
	FUZZ_CHECK(b.len <= b.cap);
	FUZZ_CHECK((end == 0) == !b.failed);
	if (end != 0)
		return;
	r = spop_frame_decode(mem, b.len, FUZZ_MAX_FRAME, &f, &st);
	FUZZ_CHECK(r == (int)b.len);
	FUZZ_CHECK(f.type == SPOP_FRAME_ACK && f.flags == SPOP_FLAG_FIN);
	FUZZ_CHECK(f.stream_id == sid && f.frame_id == sid >> 7);
	FUZZ_CHECK(spc_parse_actions(mem, b.len, &rep, fuzz_enc_action_cb, &e) == (long)b.len);
	FUZZ_CHECK(rep.type == SPOP_FRAME_ACK && rep.flags == SPOP_FLAG_FIN);
	FUZZ_CHECK(rep.stream_id == sid && rep.frame_id == sid >> 7);
	FUZZ_CHECK(e.n == 3 && rep.n_actions == 3);
}

/* ---- the agent's answers, read back independently ------------------------- */

static const char fuzz_table_tsv[] = "method\tclass\tnote\n"
                                     "system_health\tread\t\n"
                                     "chain_getBlockHash\tread\t\n"
                                     "chain_subscribeNewHeads\tsubscribe\t\n"
                                     "author_submitExtrinsic\tsubmit\t\n"
                                     "state_call\theavy\t\n"
                                     "author_insertKey\tunsafe\t\n";

struct fuzz_env {
	struct methods *table; /* owned, for the life of the process */
	struct notify_chains chains;
};

static const struct fuzz_env *fuzz_env(void)
{
	static struct fuzz_env env;
	char err[256];

	if (env.table == NULL) {
		env.table =
		    methods_parse(fuzz_table_tsv, sizeof(fuzz_table_tsv) - 1, err, sizeof(err));
		FUZZ_CHECK(env.table != NULL);
		FUZZ_CHECK(notify_chains_parse("polkadot,kusama", &env.chains, err, sizeof(err)) ==
		           0);
	}
	return &env;
}

/* Reads back the single frame <p>/<len>: the independent decoder must take all of it. */
static void fuzz_read_back(const uint8_t *p, size_t len, uint32_t max_frame, struct spc_reply *rep,
                           spc_action_fn *each, void *arg)
{
	FUZZ_CHECK(len >= SPOP_FRAME_LEN_SIZE && len - SPOP_FRAME_LEN_SIZE <= max_frame);
	FUZZ_CHECK(spc_parse_actions(p, len, rep, each, arg) == (long)len);
	FUZZ_CHECK(rep->flags == SPOP_FLAG_FIN);
}

/* AGENT-DISCONNECT: fits the smallest frame HAProxy allows and says <st> and its text. */
static void fuzz_disconnect_answer(enum spop_status st, uint32_t max_frame)
{
	uint8_t mem[SPOP_MIN_FRAME_SIZE + SPOP_FRAME_LEN_SIZE];
	struct spop_buf b;
	struct spc_reply rep;

	spop_buf_init(&b, mem, sizeof(mem));
	FUZZ_CHECK(answer_disconnect_put(&b, st, max_frame) == 0);
	fuzz_read_back(mem, b.len, max_frame, &rep, NULL, NULL);
	FUZZ_CHECK(rep.type == SPOP_FRAME_AGENT_DISCONNECT);
	FUZZ_CHECK(rep.stream_id == 0 && rep.frame_id == 0);
	FUZZ_CHECK(rep.status_code == (uint32_t)st);
	FUZZ_CHECK(strcmp(rep.message, spop_status_str(st)) == 0);
}

/* Whether the comma-separated capability list <caps> names <item>. */
static bool caps_has(const char *caps, const char *item)
{
	size_t n = strlen(item);

	for (const char *p = caps; *p != '\0';) {
		const char *comma = strchr(p, ',');
		size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);

		if (len == n && memcmp(p, item, n) == 0)
			return true;
		p += len + (comma != NULL);
	}
	return false;
}

/*
 * AGENT-HELLO: fits the smallest frame, version 2.0, the smaller frame size,
 * and exactly the capabilities the agent has that HAProxy offered.
 */
static void fuzz_hello_answer(const struct spop_hello *h, const struct answer_hello *a,
                              uint32_t agent_max)
{
	uint8_t mem[SPOP_MIN_FRAME_SIZE + SPOP_FRAME_LEN_SIZE];
	uint32_t want = h->max_frame_size < agent_max ? h->max_frame_size : agent_max;
	bool pipe = spop_list_has(h->capabilities, "pipelining");
	bool async = spop_list_has(h->capabilities, "async");
	struct spop_buf b;
	struct spc_reply rep;

	spop_buf_init(&b, mem, sizeof(mem));
	FUZZ_CHECK(answer_hello_put(&b, a) == 0);
	fuzz_read_back(mem, b.len, want, &rep, NULL, NULL);
	FUZZ_CHECK(rep.type == SPOP_FRAME_AGENT_HELLO);
	FUZZ_CHECK(rep.stream_id == 0 && rep.frame_id == 0);
	FUZZ_CHECK(strcmp(rep.version, SPOP_VERSION) == 0);
	FUZZ_CHECK(rep.max_frame_size == want && a->max_frame_size == want);
	FUZZ_CHECK(caps_has(rep.capabilities, "pipelining") == pipe);
	FUZZ_CHECK(caps_has(rep.capabilities, "async") == async);
	FUZZ_CHECK(strlen(rep.capabilities) ==
	           (size_t)((pipe ? 10 : 0) + (async ? 5 : 0) + (pipe && async ? 1 : 0)));
}

/* HELLO state: the answer to frame <f>; on success <*max> is the negotiated frame size. */
static enum spop_status fuzz_hello_state(const struct spop_frame *f, uint32_t agent_max,
                                         uint32_t *max)
{
	struct spop_hello h;
	struct answer_hello a;
	enum spop_status st = SPOP_ST_NONE;

	if (f->type != SPOP_FRAME_HAPROXY_HELLO)
		return SPOP_ST_INVALID;
	if (spop_hello_decode(f->payload, &h, &st) != 0)
		return st;
	st = answer_hello_negotiate(&h, agent_max, &a);
	FUZZ_CHECK((st == SPOP_ST_BAD_VSN) == !spop_list_has(h.versions, SPOP_VERSION));
	if (st == SPOP_ST_BAD_VSN)
		return st;
	FUZZ_CHECK((st == SPOP_ST_BAD_FRAME_SIZE) == (h.max_frame_size < SPOP_MIN_FRAME_SIZE));
	if (st != SPOP_ST_NONE)
		return st;
	fuzz_hello_answer(&h, &a, agent_max);
	*max = a.max_frame_size;
	return SPOP_ST_NONE;
}

/* One action an ACK must carry. */
struct fuzz_want {
	const char *name;
	enum spop_data_type type; /* STRING or UINT32 */
	const uint8_t *s;         /* STRING: static, the frame's, or <buf> */
	size_t len;
	uint64_t u; /* UINT32 */
	uint8_t buf[RPC_METHOD_MAX];
};

/*
 * The actions an ACK must carry, in order, made from a second walk of the
 * NOTIFY payload: per "rpc-request" message, chain and class; then, unless
 * the class is invalid or oversize, method ("batch" for a batch, printable
 * ASCII with every other byte, '"' and '\\' as '?') and batch (the number of
 * calls); then id for a single call that has one.
 */
struct fuzz_ack {
	struct pf_slice payload; /* borrowed: the NOTIFY frame's */
	size_t off;
	const struct answer_env *env;
	struct notify_verdict v;
	struct fuzz_want want[5];
	unsigned n, next; /* wants of the current message, the next one due */
	unsigned messages;
};

static void want_str(struct fuzz_want *w, const char *name, const void *s, size_t len)
{
	w->name = name;
	w->type = SPOP_DATA_STRING;
	w->s = s;
	w->len = len;
}

static unsigned fuzz_wants(const struct notify_verdict *v, const struct notify_chains *chains,
                           struct fuzz_want *w)
{
	const struct rpc_result *r = &v->rpc;
	const char *chain = v->chain >= 0 ? chains->names[v->chain] : "unknown";
	const char *cls = rpc_class_name(r->cls);
	unsigned n = 0;

	FUZZ_CHECK(v->chain >= -1 && v->chain < (int)chains->n);
	want_str(&w[n++], "chain", chain, strlen(chain));
	want_str(&w[n++], "class", cls, strlen(cls));
	if (r->cls != RPC_CLASS_INVALID && r->cls != RPC_CLASS_OVERSIZE) {
		if (r->is_batch) {
			want_str(&w[n++], "method", "batch", 5);
		} else if (r->has_method) {
			for (size_t i = 0; i < r->method_len; i++) {
				uint8_t c = (uint8_t)r->method[i];

				w[n].buf[i] =
				    c >= '!' && c <= '~' && c != '"' && c != '\\' ? c : '?';
			}
			want_str(&w[n], "method", w[n].buf, r->method_len);
			n++;
		}
		w[n].name = "batch";
		w[n].type = SPOP_DATA_UINT32;
		w[n++].u = r->calls;
	}
	if (r->has_id && !r->is_batch)
		want_str(&w[n++], "id", r->id.p, r->id.len);
	return n;
}

/* Makes an action due if one is left; false when the payload has no more. */
static bool fuzz_ack_fill(struct fuzz_ack *k)
{
	struct spop_message m;
	enum spop_status st;

	while (k->next == k->n) {
		if (spop_message_next(k->payload, &k->off, &m, &st) != 1)
			return false;
		k->messages++;
		if (!pf_slice_eq_str(m.name, NOTIFY_MESSAGE))
			continue;
		notify_decide(&m, k->env->table, k->env->chains, k->env->max_body, &k->v);
		k->n = fuzz_wants(&k->v, k->env->chains, k->want);
		k->next = 0;
	}
	return true;
}

/* spc_action_fn: each action of the ACK is the one due. */
static void fuzz_ack_action_cb(void *arg, const struct spc_action *a)
{
	struct fuzz_ack *k = arg;
	const struct fuzz_want *w;

	FUZZ_CHECK(fuzz_ack_fill(k)); /* else: an action no message asked for */
	w = &k->want[k->next++];
	FUZZ_CHECK(a->type == SPOP_ACT_SET_VAR && a->scope == SPOP_SCOPE_TXN);
	FUZZ_CHECK(name_is(a->name, w->name));
	FUZZ_CHECK(a->data_type == (int)w->type);
	if (w->type == SPOP_DATA_STRING)
		FUZZ_CHECK(bytes_eq(a->str, w->s, w->len));
	else
		FUZZ_CHECK(a->num == w->u);
}

/* answer_seen_cb_fn: counts messages. */
static void fuzz_seen_cb(void *arg, const struct notify_verdict *v)
{
	(void)v;
	(*(unsigned *)arg)++;
}

/* The status a NOTIFY must be refused with, from the frame and a walk of its messages. */
static enum spop_status fuzz_notify_refusal(const struct spop_frame *f)
{
	struct spop_message m;
	enum spop_status st = SPOP_ST_NONE;
	size_t off = 0;
	int r;

	if ((f->flags & SPOP_FLAG_FIN) == 0)
		return SPOP_ST_FRAG_NOT_SUPPORTED;
	if (f->stream_id == 0 && f->frame_id == 0)
		return SPOP_ST_FRAMEID_NOTFOUND;
	while ((r = spop_message_next(f->payload, &off, &m, &st)) == 1)
		;
	return r == 0 ? SPOP_ST_NONE : st;
}

/*
 * READY state, a NOTIFY: the ACK written with the agent's frame limit is the
 * unbounded ACK (every action due, in order) when that fits the limit, and
 * else an ACK without actions. Returns the status the agent refuses it with.
 */
static enum spop_status fuzz_notify_answer(const struct spop_frame *f, const struct answer_env *env)
{
	static uint8_t big[FUZZ_BIG_ACK];
	static uint8_t mem[2 * FUZZ_MAX_FRAME + SPOP_FRAME_LEN_SIZE];
	struct answer_env unbounded = *env;
	struct fuzz_ack k = {f->payload, 0, env, {0}, {{0}}, 0, 0, 0};
	enum spop_status st, want_st = fuzz_notify_refusal(f);
	struct spop_buf bb, b;
	struct spc_reply rep;
	unsigned seen = 0;

	unbounded.max_frame_size = UINT32_MAX;
	spop_buf_init(&bb, big, sizeof(big));
	st = answer_notify_put(&bb, f, &unbounded, fuzz_seen_cb, &seen);
	FUZZ_CHECK(st == want_st);
	/* The agent's write buffer may have more room than a frame: the limit must still hold. */
	spop_buf_init(&b, mem, 2 * (size_t)env->max_frame_size + SPOP_FRAME_LEN_SIZE);
	FUZZ_CHECK(answer_notify_put(&b, f, env, NULL, NULL) == st);
	if (st != SPOP_ST_NONE)
		return st;

	fuzz_read_back(big, bb.len, UINT32_MAX, &rep, fuzz_ack_action_cb, &k);
	FUZZ_CHECK(rep.type == SPOP_FRAME_ACK);
	FUZZ_CHECK(rep.stream_id == f->stream_id && rep.frame_id == f->frame_id);
	FUZZ_CHECK(!fuzz_ack_fill(&k)); /* else: an action due that the ACK lacks */
	FUZZ_CHECK(seen == k.messages);
	if (bb.len - SPOP_FRAME_LEN_SIZE <= env->max_frame_size) {
		FUZZ_CHECK(b.len == bb.len && memcmp(mem, big, b.len) == 0);
		return SPOP_ST_NONE;
	}
	fuzz_read_back(mem, b.len, env->max_frame_size, &rep, NULL, NULL);
	FUZZ_CHECK(rep.type == SPOP_FRAME_ACK && rep.n_actions == 0);
	FUZZ_CHECK(rep.stream_id == f->stream_id && rep.frame_id == f->frame_id);
	return SPOP_ST_NONE;
}

/*
 * Plays <data> as one connection under the agent's rules (agent.c
 * conn_process, conn_on_frame): HELLO first unless <hello_done>, then NOTIFY
 * frames; anything else, or an error, ends it with an AGENT-DISCONNECT.
 */
static void fuzz_conn(const uint8_t *data, size_t size, uint32_t agent_max, bool hello_done)
{
	const struct fuzz_env *fe = fuzz_env();
	struct answer_env env = {fe->table, &fe->chains, agent_max / 2, agent_max};
	enum spop_status st = SPOP_ST_NONE;
	size_t off = 0;

	for (;;) {
		struct spop_frame f;
		int r = spop_frame_decode(data + off, size - off, env.max_frame_size, &f, &st);

		if (r == PF_AGAIN)
			return;
		if (r == PF_EPROTO)
			break;
		off += (size_t)r;
		if (!hello_done) {
			st = fuzz_hello_state(&f, agent_max, &env.max_frame_size);
			hello_done = st == SPOP_ST_NONE;
		} else if (f.type == SPOP_FRAME_NOTIFY) {
			st = fuzz_notify_answer(&f, &env);
		} else {
			st = f.type == SPOP_FRAME_HAPROXY_DISCONNECT ? SPOP_ST_NONE
			                                             : SPOP_ST_INVALID;
			break;
		}
		if (st != SPOP_ST_NONE)
			break;
	}
	fuzz_disconnect_answer(st, env.max_frame_size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t empty[1];
	volatile unsigned sink;

	if (data == NULL) /* replay of an empty file may hand in malloc(0) == NULL */
		data = empty;
	sink = fuzz_frames(data, size, FUZZ_MAX_FRAME);
	/* the smallest limit HAProxy allows, to reach the TOO_BIG path often */
	sink += fuzz_frames(data, size, SPOP_MIN_FRAME_SIZE);
	(void)sink;
	fuzz_varint(data, size);
	fuzz_encoders(data, size);
	fuzz_conn(data, size, FUZZ_MAX_FRAME, false);
	fuzz_conn(data, size, FUZZ_MAX_FRAME, true);
	fuzz_conn(data, size, SPOP_MIN_FRAME_SIZE, false);
	fuzz_conn(data, size, SPOP_MIN_FRAME_SIZE, true);
	return 0;
}
