/* SPDX-License-Identifier: MIT */
/*
 * JSON-RPC request classifier: one forward pass over the body that is at the
 * same time a strict RFC 8259 validator (grammar, whitespace, escapes, UTF-8,
 * number syntax) and a JSON-RPC 2.0 request/batch checker that decodes only
 * what it needs: the top-level member names of each call, its "jsonrpc" and
 * "method" strings. No recursion (containers live on a bit stack bounded by
 * RPC_MAX_DEPTH), no allocation, no DOM, no I/O; every read is bounds-checked
 * against the body end. It decides only at the end of the body: anything
 * after or around an unsafe call that breaks the JSON makes it all invalid.
 *
 * Decisions not spelled out in tests/data/README.md:
 *   - \uXXXX escapes of unpaired surrogates are valid JSON (RFC 8259 §7/§8.2
 *     grammar) and are accepted inside params and other data; in the strings
 *     this classifier decodes (a call's member names and its jsonrpc, method
 *     and string id values) they make the call invalid, as serde_json (under
 *     jsonrpsee) fails to decode them there.
 *   - Nesting: up to RPC_MAX_DEPTH containers counting the outermost one.
 */
#include "spoa/rpc.h"

#include <stdint.h>
#include <string.h>

#include "common/compiler.h"
#include "spoa/methods.h"

#define RPC_STACK_WORDS ((RPC_MAX_DEPTH + 63) / 64)

/* Byte classes inside strings. */
enum rpc_sbyte {
	SB_PLAIN = 0, /* 0x20..0x7f except '"' and '\\' */
	SB_QUOTE,
	SB_ESC,
	SB_CTRL, /* 0x00..0x1f: must be escaped */
	SB_HIGH, /* 0x80..0xff: start (or stray part) of a UTF-8 sequence */
};

static const uint8_t rpc_sbyte[256] = {
    [0x00 ... 0x1f] = SB_CTRL,
    ['"'] = SB_QUOTE,
    ['\\'] = SB_ESC,
    [0x80 ... 0xff] = SB_HIGH,
};

static const uint8_t rpc_ws[256] = {[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1};

/* Hex digit value + 1; 0 is "not a hex digit". */
static const uint8_t rpc_hex1[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* Top-level members of a call that the rules look at. */
enum rpc_member {
	MB_NONE = 0, /* not a call member, or one whose value is only validated */
	MB_JSONRPC,
	MB_METHOD,
	MB_PARAMS,
	MB_ID,
};

/* The call object being scanned (a single request or one batch member). */
struct rpc_call {
	uint8_t seen; /* bit (1 << enum rpc_member) per member met */
	bool bad;     /* already known not to be a valid request */
	bool id_ok;   /* <id> holds a string/number/null id */
	bool id_dup;  /* "id" was named twice: report none */
	size_t mlen;  /* decoded method length, may exceed RPC_METHOD_MAX */
	/*
	 * The decoded method: borrowed from the body when it has no escapes
	 * (the common case, no copy), else <mbuf>. Valid up to the call's end.
	 */
	const char *mptr;
	struct pf_slice id;
	char mbuf[RPC_METHOD_MAX]; /* first RPC_METHOD_MAX decoded bytes of an escaped method */
};

/* ---- lexical helpers: each gets a pointer to a byte < end ---------------- */

static inline const uint8_t *rpc_skip_ws(const uint8_t *p, const uint8_t *end)
{
	while (p < end && rpc_ws[*p])
		p++;
	return p;
}

static inline bool rpc_is_digit(uint8_t c)
{
	return (uint8_t)(c - '0') < 10;
}

/*
 * <p> is at a byte >= 0x80. Returns the end of a well-formed UTF-8 sequence
 * (Unicode Table 3-7: no overlongs, no UTF-16 surrogates, nothing above
 * U+10FFFF) or NULL.
 */
static const uint8_t *rpc_utf8(const uint8_t *p, const uint8_t *end)
{
	uint8_t c = p[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c < 0xc2)
		return NULL;
	if (c < 0xe0) {
		n = 1;
	} else if (c < 0xf0) {
		n = 2;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c < 0xf5) {
		n = 3;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return NULL;
	}
	if ((size_t)(end - p) <= n)
		return NULL;
	if (p[1] < lo || p[1] > hi)
		return NULL;
	for (i = 2; i <= n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return NULL;
	return p + n + 1;
}

/* Reads 4 hex digits at <p> (caller checked 4 bytes are there); -1 if not hex. */
static inline int32_t rpc_hex4(const uint8_t *p)
{
	uint32_t a = rpc_hex1[p[0]], b = rpc_hex1[p[1]], c = rpc_hex1[p[2]], d = rpc_hex1[p[3]];

	if (!a || !b || !c || !d)
		return -1;
	return (int32_t)(((a - 1) << 12) | ((b - 1) << 8) | ((c - 1) << 4) | (d - 1));
}

/*
 * <p> is at a backslash. Returns the end of the escape (a surrogate pair
 * written as two \u escapes counts as one) or NULL if malformed. Sets <*cp>
 * to the code point, or to -1 for an unpaired surrogate.
 */
static const uint8_t *rpc_escape(const uint8_t *p, const uint8_t *end, int32_t *cp)
{
	int32_t u, lo;

	if (end - p < 2)
		return NULL;
	switch (p[1]) {
	case '"':
	case '\\':
	case '/':
		*cp = p[1];
		return p + 2;
	case 'b':
		*cp = '\b';
		return p + 2;
	case 'f':
		*cp = '\f';
		return p + 2;
	case 'n':
		*cp = '\n';
		return p + 2;
	case 'r':
		*cp = '\r';
		return p + 2;
	case 't':
		*cp = '\t';
		return p + 2;
	case 'u':
		break;
	default:
		return NULL;
	}
	if (end - p < 6 || (u = rpc_hex4(p + 2)) < 0)
		return NULL;
	p += 6;
	if (u < 0xd800 || u > 0xdfff) {
		*cp = u;
		return p;
	}
	*cp = -1;
	if (u >= 0xdc00 || end - p < 6 || p[0] != '\\' || p[1] != 'u')
		return p;
	lo = rpc_hex4(p + 2);
	if (lo < 0xdc00 || lo > 0xdfff)
		return p; /* not hex is caught when the next escape is read */
	*cp = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
	return p + 6;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define RPC_SWAR 1
#define RPC_ONES (~(uint64_t)0 / 255)
#define RPC_HIGH (RPC_ONES * 0x80)
#else
#define RPC_SWAR 0
#endif

/* What rpc_skip_string() met on its way, besides plain bytes. */
#define RPC_STR_ESC  0x1u /* an escape: the raw bytes are not the decoded string */
#define RPC_STR_LONE 0x2u /* an unpaired surrogate escape */

/*
 * Validates a string; <p> is just past the opening quote. Returns the byte
 * after the closing quote or NULL. ORs RPC_STR_* into <*flags>.
 *
 * Plain bytes go 8 at a time (SWAR): <m> flags (0x80 in the byte) every byte
 * that is < 0x20, '"', '\\' or >= 0x80. Borrows only run upwards, so the
 * lowest flag is exact, and so is the quote mask's bit at that position: the
 * common "closing quote" exit needs no second look at the byte. The word
 * loop never reads at or past <end>; the tail goes byte by byte.
 */
static const uint8_t *rpc_skip_string(const uint8_t *p, const uint8_t *end, unsigned *flags)
{
	int32_t cp;

	for (;;) {
#if RPC_SWAR
		while (end - p >= 8) {
			uint64_t w, q, b, mq, m;

			memcpy(&w, p, 8);
			q = w ^ (RPC_ONES * '"');
			b = w ^ (RPC_ONES * '\\');
			mq = (q - RPC_ONES) & ~q & RPC_HIGH;
			m = ((w - RPC_ONES * 0x20) & ~w) | ((b - RPC_ONES) & ~b) | w;
			m = (m & RPC_HIGH) | mq;
			if (m) {
				p += __builtin_ctzll(m) >> 3;
				if (mq & m & -m)
					return p + 1;
				break;
			}
			p += 8;
		}
#endif
		while (p < end && rpc_sbyte[*p] == SB_PLAIN)
			p++;
		if (p >= end)
			return NULL;
		switch (rpc_sbyte[*p]) {
		case SB_QUOTE:
			return p + 1;
		case SB_ESC:
			p = rpc_escape(p, end, &cp);
			if (!p)
				return NULL;
			*flags |= cp < 0 ? RPC_STR_ESC | RPC_STR_LONE : RPC_STR_ESC;
			break;
		case SB_HIGH:
			p = rpc_utf8(p, end);
			if (!p)
				return NULL;
			break;
		default: /* SB_CTRL */
			return NULL;
		}
	}
}

/* Appends <c> to a decode buffer, counting bytes past its capacity. */
static inline void rpc_put(uint8_t *buf, size_t cap, size_t *len, uint8_t c)
{
	if (*len < cap)
		buf[*len] = c;
	(*len)++;
}

/*
 * Decodes the contents <s>..<q> of a string that rpc_skip_string() already
 * validated (<q> is its closing quote) into <buf>/<cap>. Returns the full
 * decoded length, which may exceed <cap>. Only strings with escapes get
 * here. An unpaired surrogate becomes U+FFFD (its call is invalid anyway).
 */
static size_t rpc_unescape(const uint8_t *s, const uint8_t *q, uint8_t *buf, size_t cap)
{
	size_t len = 0;
	int32_t cp;

	while (s < q) {
		if (*s != '\\') {
			rpc_put(buf, cap, &len, *s++);
			continue;
		}
		s = rpc_escape(s, q, &cp);
		if (!s)
			return len; /* cannot happen: the string was validated */
		if (cp < 0)
			cp = 0xfffd;
		if (cp < 0x80) {
			rpc_put(buf, cap, &len, (uint8_t)cp);
		} else if (cp < 0x800) {
			rpc_put(buf, cap, &len, (uint8_t)(0xc0 | (cp >> 6)));
			rpc_put(buf, cap, &len, (uint8_t)(0x80 | (cp & 0x3f)));
		} else if (cp < 0x10000) {
			rpc_put(buf, cap, &len, (uint8_t)(0xe0 | (cp >> 12)));
			rpc_put(buf, cap, &len, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)));
			rpc_put(buf, cap, &len, (uint8_t)(0x80 | (cp & 0x3f)));
		} else {
			rpc_put(buf, cap, &len, (uint8_t)(0xf0 | (cp >> 18)));
			rpc_put(buf, cap, &len, (uint8_t)(0x80 | ((cp >> 12) & 0x3f)));
			rpc_put(buf, cap, &len, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)));
			rpc_put(buf, cap, &len, (uint8_t)(0x80 | (cp & 0x3f)));
		}
	}
	return len;
}

/* Validates a number (RFC 8259 §6); <p> is at '-' or a digit. */
static const uint8_t *rpc_skip_number(const uint8_t *p, const uint8_t *end)
{
	if (*p == '-' && ++p == end)
		return NULL;
	if (*p == '0') {
		p++;
	} else if (rpc_is_digit(*p)) {
		while (++p < end && rpc_is_digit(*p))
			;
	} else {
		return NULL;
	}
	if (p < end && *p == '.') {
		if (++p == end || !rpc_is_digit(*p))
			return NULL;
		while (++p < end && rpc_is_digit(*p))
			;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || !rpc_is_digit(*p))
			return NULL;
		while (++p < end && rpc_is_digit(*p))
			;
	}
	return p;
}

/* Validates true/false/null at <p>; <*is_null> tells which. */
static const uint8_t *rpc_skip_literal(const uint8_t *p, const uint8_t *end, bool *is_null)
{
	size_t left = (size_t)(end - p);

	*is_null = false;
	if (*p == 't' && left >= 4 && memcmp(p, "true", 4) == 0)
		return p + 4;
	if (*p == 'f' && left >= 5 && memcmp(p, "false", 5) == 0)
		return p + 5;
	if (*p == 'n' && left >= 4 && memcmp(p, "null", 4) == 0) {
		*is_null = true;
		return p + 4;
	}
	return NULL;
}

/* ---- JSON-RPC rules ------------------------------------------------------ */

/* Identifies a decoded member name of a call. */
static enum rpc_member rpc_member_of(const uint8_t *k, size_t n)
{
	switch (n) {
	case 2:
		return memcmp(k, "id", 2) == 0 ? MB_ID : MB_NONE;
	case 6:
		if (memcmp(k, "method", 6) == 0)
			return MB_METHOD;
		return memcmp(k, "params", 6) == 0 ? MB_PARAMS : MB_NONE;
	case 7:
		return memcmp(k, "jsonrpc", 7) == 0 ? MB_JSONRPC : MB_NONE;
	default:
		return MB_NONE;
	}
}

/* The class of a finished call object. */
static enum rpc_class rpc_call_class(const struct methods *table, const struct rpc_call *c)
{
	enum rpc_class cls;

	if (c->bad || !(c->seen & (1u << MB_JSONRPC)) || !(c->seen & (1u << MB_METHOD)))
		return RPC_CLASS_INVALID;
	if (c->mlen > RPC_METHOD_MAX || !methods_lookup(table, c->mptr, c->mlen, &cls))
		return RPC_CLASS_UNKNOWN;
	return cls;
}

/*
 * Folds one call's class into the result: the most restrictive class wins,
 * and the method reported is that of the first call reaching it.
 */
static void rpc_fold(struct rpc_result *res, int *best, enum rpc_class cls,
                     const struct rpc_call *c)
{
	if ((int)cls <= *best)
		return;
	*best = (int)cls;
	if (cls == RPC_CLASS_INVALID || !c)
		return;
	res->method_len = c->mlen > RPC_METHOD_MAX ? RPC_METHOD_MAX : c->mlen;
	res->method_truncated = c->mlen > RPC_METHOD_MAX;
	memcpy(res->method, c->mptr, res->method_len);
}

/*
 * Checks the value of call member <mb> starting at <p> (a valid value start
 * byte) and scans it if it is a string or scalar. Returns the end of a
 * scalar, <p> itself for a container (the caller opens it), or NULL if the
 * JSON is broken.
 */
static const uint8_t *rpc_member_value(const uint8_t *p, const uint8_t *end, enum rpc_member mb,
                                       struct rpc_call *c)
{
	const uint8_t *start = p, *s;
	unsigned flags = 0;
	uint8_t v[4];
	bool is_null;
	size_t n;

	switch (*p) {
	case '{':
	case '[':
		if (mb != MB_PARAMS)
			c->bad = true;
		return p;
	case '"':
		s = p + 1;
		p = rpc_skip_string(s, end, &flags);
		if (!p)
			return NULL;
		n = (size_t)(p - 1 - s);
		if (flags & RPC_STR_LONE)
			c->bad = true;
		if (mb == MB_METHOD) {
			if (flags & RPC_STR_ESC) {
				c->mlen =
				    rpc_unescape(s, p - 1, (uint8_t *)c->mbuf, sizeof(c->mbuf));
				c->mptr = c->mbuf;
			} else {
				c->mlen = n;
				c->mptr = (const char *)s;
			}
		} else if (mb == MB_JSONRPC) {
			if (flags & RPC_STR_ESC) {
				n = rpc_unescape(s, p - 1, v, sizeof(v));
				s = v;
			}
			if (n != 3 || s[0] != '2' || s[1] != '.' || s[2] != '0')
				c->bad = true;
		} else if (mb == MB_PARAMS) {
			c->bad = true;
		}
		break;
	case 't':
	case 'f':
	case 'n':
		p = rpc_skip_literal(p, end, &is_null);
		if (mb != MB_ID || !is_null)
			c->bad = true;
		if (!is_null)
			return p; /* true/false: never an id */
		break;
	default:
		p = rpc_skip_number(p, end);
		if (mb != MB_ID)
			c->bad = true;
		break;
	}
	if (p && mb == MB_ID) {
		c->id.p = start;
		c->id.len = (size_t)(p - start);
		c->id_ok = true;
	}
	return p;
}

/*
 * Reads a member name of a call object; <p> is at its opening quote. Sets
 * <*mb> to the member it names (after decoding escapes) and marks the call
 * bad for a repeated member or an unpaired surrogate. Returns the byte after
 * the closing quote or NULL.
 */
static const uint8_t *rpc_call_key(const uint8_t *p, const uint8_t *end, struct rpc_call *c,
                                   enum rpc_member *mb)
{
	const uint8_t *s = p + 1;
	unsigned flags = 0;
	uint8_t key[8];
	size_t klen;

	p = rpc_skip_string(s, end, &flags);
	if (!p)
		return NULL;
	klen = (size_t)(p - 1 - s);
	if (flags & RPC_STR_ESC) {
		klen = rpc_unescape(s, p - 1, key, sizeof(key));
		s = key;
	}
	*mb = klen <= sizeof(key) ? rpc_member_of(s, klen) : MB_NONE;
	if (flags & RPC_STR_LONE)
		c->bad = true;
	if (*mb != MB_NONE) {
		if (c->seen & (1u << *mb)) {
			c->bad = true;
			c->id_dup |= *mb == MB_ID;
		}
		c->seen |= (uint8_t)(1u << *mb);
	}
	return p;
}

/* ---- the scanner --------------------------------------------------------- */

/* State of one rpc_classify() run besides the read position. */
struct rpc_scanner {
	const struct methods *table;     /* borrowed, may be NULL */
	struct rpc_result *res;          /* borrowed: the caller's result */
	unsigned depth;                  /* open containers */
	unsigned call_depth;             /* depth inside a call object: 1 single, 2 batch */
	int best;                        /* most restrictive class folded so far, -1 none */
	bool top_obj;                    /* the body's value is an object */
	enum rpc_member mb;              /* the call member whose value comes next */
	uint64_t stack[RPC_STACK_WORDS]; /* bit set: object, clear: array */
	struct rpc_call call;
};

static inline bool rpc_is_value_start(uint8_t c)
{
	return c == '{' || c == '[' || c == '"' || c == 't' || c == 'f' || c == 'n' || c == '-' ||
	       rpc_is_digit(c);
}

/* Whether the innermost open container is an object. */
static inline bool rpc_in_object(const struct rpc_scanner *sc)
{
	unsigned top = sc->depth - 1;

	return (sc->stack[top / 64] >> (top % 64)) & 1;
}

/* Skips a string, literal or number at <p>. */
static const uint8_t *rpc_skip_scalar(const uint8_t *p, const uint8_t *end)
{
	unsigned flags = 0;
	bool is_null;

	if (*p == '"')
		return rpc_skip_string(p + 1, end, &flags);
	if (*p == 't' || *p == 'f' || *p == 'n')
		return rpc_skip_literal(p, end, &is_null);
	return rpc_skip_number(p, end);
}

/*
 * A value starts with byte <c>: notes what the body is (at the top) or
 * counts a batch member, which is invalid unless an object.
 */
static bool rpc_value_begin(struct rpc_scanner *sc, uint8_t c)
{
	struct rpc_result *res = sc->res;

	if (sc->depth == 0) {
		res->is_batch = c == '[';
		sc->top_obj = c == '{';
		sc->call_depth = res->is_batch ? 2 : 1;
	} else if (sc->depth == 1 && res->is_batch) {
		if (res->calls == UINT32_MAX)
			return false; /* cannot be counted; far above any body limit */
		res->calls++;
		if (c != '{')
			rpc_fold(res, &sc->best, RPC_CLASS_INVALID, NULL);
	}
	return true;
}

/* Opens the container <c> ('{' or '['); false past RPC_MAX_DEPTH. */
static bool rpc_open(struct rpc_scanner *sc, uint8_t c)
{
	uint64_t bit = (uint64_t)1 << (sc->depth % 64);

	if (sc->depth == RPC_MAX_DEPTH)
		return false;
	if (c == '{') {
		sc->stack[sc->depth / 64] |= bit;
		if (sc->depth + 1 == sc->call_depth)
			memset(&sc->call, 0, offsetof(struct rpc_call, mbuf));
	} else {
		sc->stack[sc->depth / 64] &= ~bit;
	}
	sc->depth++;
	return true;
}

/*
 * Closes the innermost container with <c> ('}' or ']'); false if it does
 * not match. A call object closing folds its class in; a single call also
 * gives its id.
 */
static bool rpc_close(struct rpc_scanner *sc, uint8_t c)
{
	const struct rpc_call *call = &sc->call;
	struct rpc_result *res = sc->res;

	if ((c == '}') != rpc_in_object(sc))
		return false;
	if (sc->depth == sc->call_depth && c == '}') {
		rpc_fold(res, &sc->best, rpc_call_class(sc->table, call), call);
		if (!res->is_batch && call->id_ok && !call->id_dup && call->id.len <= RPC_ID_MAX) {
			res->has_id = true;
			res->id = call->id;
		}
	}
	sc->depth--;
	return true;
}

/* The whole body was one JSON text: settle class, calls and method. */
static void rpc_finish(const struct rpc_scanner *sc)
{
	struct rpc_result *res = sc->res;
	int best = sc->best;

	if (sc->top_obj)
		res->calls = 1;
	else if (!res->is_batch || res->calls == 0)
		best = RPC_CLASS_INVALID; /* a scalar, or an empty batch */
	res->cls = (enum rpc_class)best;
	res->has_method = res->cls != RPC_CLASS_INVALID;
	if (!res->has_method) {
		/* A batch member folded before an invalid one may have left these. */
		res->method_len = 0;
		res->method_truncated = false;
	}
}

/*
 * Scans the whole body: labelled states instead of recursion, with the
 * container kinds on a bit stack. Returns false if the body is not one JSON
 * text; otherwise the result is complete.
 */
static bool rpc_scan(struct rpc_scanner *sc, const uint8_t *p, const uint8_t *end)
{
	unsigned flags;

value:
	p = rpc_skip_ws(p, end);
	if (p == end || !rpc_is_value_start(*p) || !rpc_value_begin(sc, *p))
		return false;
	if (sc->mb != MB_NONE) {
		bool container = *p == '{' || *p == '[';

		p = rpc_member_value(p, end, sc->mb, &sc->call);
		sc->mb = MB_NONE;
		if (!p)
			return false;
		if (!container)
			goto after;
	}
	if (*p != '{' && *p != '[') {
		p = rpc_skip_scalar(p, end);
		if (!p)
			return false;
		goto after;
	}
	if (!rpc_open(sc, *p))
		return false;
	p = rpc_skip_ws(p + 1, end);
	if (p == end)
		return false;
	if (*p == '}' || *p == ']')
		goto close;
	if (!rpc_in_object(sc))
		goto value;
	goto key;

after:
	p = rpc_skip_ws(p, end);
	if (sc->depth == 0) {
		if (p != end)
			return false;
		rpc_finish(sc);
		return true;
	}
	if (p == end)
		return false;
	if (*p == ',') {
		p = rpc_skip_ws(p + 1, end);
		if (!rpc_in_object(sc))
			goto value;
		goto key;
	}

close:
	if ((*p != '}' && *p != ']') || !rpc_close(sc, *p))
		return false;
	p++;
	goto after;

key: /* a member name must come next */
	if (p == end || *p != '"')
		return false;
	if (sc->depth == sc->call_depth) {
		p = rpc_call_key(p, end, &sc->call, &sc->mb);
	} else {
		flags = 0;
		p = rpc_skip_string(p + 1, end, &flags);
	}
	if (!p)
		return false;
	p = rpc_skip_ws(p, end);
	if (p == end || *p != ':')
		return false;
	p++;
	goto value;
}

/* Everything but the method bytes, which are only meaningful up to <method_len>. */
static void rpc_result_reset(struct rpc_result *res)
{
	memset(res, 0, offsetof(struct rpc_result, method));
	res->has_id = false;
	res->id.p = NULL;
	res->id.len = 0;
}

void rpc_classify(const struct methods *table, const uint8_t *body, size_t len,
                  struct rpc_result *res)
{
	struct rpc_scanner sc;

	rpc_result_reset(res);
	memset(&sc, 0, offsetof(struct rpc_scanner, call));
	sc.table = table;
	sc.res = res;
	sc.call_depth = 1;
	sc.best = -1;
	sc.mb = MB_NONE;
	if (len == 0 || !body || !rpc_scan(&sc, body, body + len)) {
		rpc_result_reset(res);
		res->cls = RPC_CLASS_INVALID;
	}
}
