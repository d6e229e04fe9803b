/* SPDX-License-Identifier: MIT */
/*
 * JSON-RPC request classifier: one forward pass over the body that is at the
 * same time a strict RFC 8259 validator (grammar, whitespace, escapes, UTF-8,
 * number syntax) and a JSON-RPC 2.0 request/batch checker that decodes only
 * what it needs: the top-level member names of each call, its "jsonrpc" and
 * "method" strings. No recursion (containers live on a byte stack bounded by
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

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define RPC_SWAR 1
#define RPC_ONES (~(uint64_t)0 / 255)
#define RPC_HIGH (RPC_ONES * 0x80)
#define RPC_LOW7 (RPC_ONES * 0x7f)

/* 0x80 in every byte of <w> that differs from <c>; exact, no carry crosses a byte. */
static inline uint64_t rpc_swar_ne(uint64_t w, uint8_t c)
{
	uint64_t x = w ^ (RPC_ONES * c);

	return (((x & RPC_LOW7) + RPC_LOW7) | x) & RPC_HIGH;
}
#else
#define RPC_SWAR 0
#endif

/* A run of whitespace at <p>: 8 bytes at a time past the first 8 (indentation, padding). */
static const uint8_t *rpc_skip_ws_run(const uint8_t *p, const uint8_t *end)
{
	const uint8_t *stop = end - p > 8 ? p + 8 : end;

	while (p < stop && rpc_ws[*p])
		p++;
	if (p < stop)
		return p;
#if RPC_SWAR
	while (end - p >= 8) {
		uint64_t w, m;

		memcpy(&w, p, 8);
		m = rpc_swar_ne(w, ' ') & rpc_swar_ne(w, '\n') & rpc_swar_ne(w, '\t') &
		    rpc_swar_ne(w, '\r');
		if (m)
			return p + (__builtin_ctzll(m) >> 3);
		p += 8;
	}
#endif
	while (p < end && rpc_ws[*p])
		p++;
	return p;
}

static inline const uint8_t *rpc_skip_ws(const uint8_t *p, const uint8_t *end)
{
	/* Most tokens follow one another without whitespace: one compare says so. */
	if (end > p && *p > ' ')
		return p;
	return rpc_skip_ws_run(p, end);
}

static inline bool rpc_is_digit(uint8_t c)
{
	return (uint8_t)(c - '0') < 10;
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

/*
 * String contents as one DFA over bytes (Unicode Table 3-7 for UTF-8: no
 * overlongs, no UTF-16 surrogates, nothing above U+10FFFF; RFC 8259 §7 for
 * control bytes and the short escapes), in the shift-based form: each state
 * is a bit offset, and the row of a byte holds at that offset the next
 * state. One step is a load that depends only on the input and a shift that
 * depends on the state, with no branch, so the cost per byte is the same
 * whatever mix of 1- to 4-byte characters or short escapes an attacker
 * sends. RS_EXIT (absorbing) is where the DFA hands over: the closing quote,
 * a \u escape (its value decides surrogate pairing, which the 10 states
 * that fit in 64 bits cannot track), or an error; the byte loop then tells
 * which from the state before it.
 */
#define RS_ACC  0u  /* between characters */
#define RS_C1   6u  /* one continuation byte 80..BF to go */
#define RS_C2   12u /* two */
#define RS_C3   18u /* three */
#define RS_E0   24u /* after E0: A0..BF, then one (no overlong) */
#define RS_ED   30u /* after ED: 80..9F, then one (no surrogate) */
#define RS_F0   36u /* after F0: 90..BF, then two (no overlong) */
#define RS_F4   42u /* after F4: 80..8F, then two (<= U+10FFFF) */
#define RS_ESC  48u /* after a backslash */
#define RS_EXIT 54u

#define RS_IN(b, lo, hi)         ((b) >= (lo) && (b) <= (hi))
#define RS_CONT(b, lo, hi, next) (RS_IN(b, lo, hi) ? (next) : RS_EXIT)
#define RS_FROM_ACC(b)                                                                             \
	((b) < 0x20 || (b) == '"' ? RS_EXIT                                                        \
	 : (b) == '\\'            ? RS_ESC                                                         \
	 : (b) < 0x80             ? RS_ACC                                                         \
	 : RS_IN(b, 0xc2, 0xdf)   ? RS_C1                                                          \
	 : (b) == 0xe0            ? RS_E0                                                          \
	 : (b) == 0xed            ? RS_ED                                                          \
	 : RS_IN(b, 0xe1, 0xef)   ? RS_C2                                                          \
	 : (b) == 0xf0            ? RS_F0                                                          \
	 : (b) == 0xf4            ? RS_F4                                                          \
	 : RS_IN(b, 0xf1, 0xf3)   ? RS_C3                                                          \
	                          : RS_EXIT)
#define RS_FROM_ESC(b)                                                                             \
	((b) == '"' || (b) == '\\' || (b) == '/' || (b) == 'b' || (b) == 'f' || (b) == 'n' ||      \
	         (b) == 'r' || (b) == 't'                                                          \
	     ? RS_ACC                                                                              \
	     : RS_EXIT)
#define RS_ROW(b)                                                                                  \
	((uint64_t)RS_FROM_ACC(b) << RS_ACC | (uint64_t)RS_CONT(b, 0x80, 0xbf, RS_ACC) << RS_C1 |  \
	 (uint64_t)RS_CONT(b, 0x80, 0xbf, RS_C1) << RS_C2 |                                        \
	 (uint64_t)RS_CONT(b, 0x80, 0xbf, RS_C2) << RS_C3 |                                        \
	 (uint64_t)RS_CONT(b, 0xa0, 0xbf, RS_C1) << RS_E0 |                                        \
	 (uint64_t)RS_CONT(b, 0x80, 0x9f, RS_C1) << RS_ED |                                        \
	 (uint64_t)RS_CONT(b, 0x90, 0xbf, RS_C2) << RS_F0 |                                        \
	 (uint64_t)RS_CONT(b, 0x80, 0x8f, RS_C2) << RS_F4 | (uint64_t)RS_FROM_ESC(b) << RS_ESC |   \
	 (uint64_t)RS_EXIT << RS_EXIT)
#define RS_ROW4(b)  RS_ROW(b), RS_ROW((b) + 1), RS_ROW((b) + 2), RS_ROW((b) + 3)
#define RS_ROW16(b) RS_ROW4(b), RS_ROW4((b) + 4), RS_ROW4((b) + 8), RS_ROW4((b) + 12)
#define RS_ROW64(b) RS_ROW16(b), RS_ROW16((b) + 16), RS_ROW16((b) + 32), RS_ROW16((b) + 48)

static const uint64_t rpc_str_dfa[256] = {RS_ROW64(0), RS_ROW64(64), RS_ROW64(128), RS_ROW64(192)};

/* One DFA step. <st> keeps the bits above its offset: the shift uses only the low 6. */
static inline uint64_t rpc_str_step(uint64_t st, uint8_t c)
{
	return rpc_str_dfa[c] >> (st & 63);
}

/* What rpc_skip_string() met on its way, besides plain bytes. */
#define RPC_STR_ESC  0x1u /* an escape: the raw bytes are not the decoded string */
#define RPC_STR_LONE 0x2u /* an unpaired surrogate escape */

#if RPC_SWAR
/*
 * Skips 8-byte words of a string from <*pp> while the DFA does not exit,
 * and leaves <*pp> at the start of the word where it does (or where fewer
 * than 8 bytes are left) with <*st> the state there. Returns the byte after
 * the closing quote when a word of plain bytes ends the string, else NULL.
 *
 * A word of plain ASCII in state RS_ACC is skipped whole (SWAR): <m> flags
 * (0x80 in the byte) every byte that is < 0x20, '"', '\\' or >= 0x80.
 * Borrows only run upwards, so the lowest flag is exact, and so is the
 * quote mask's bit at that position: the common "closing quote" exit needs
 * no second look. Any other word goes through the DFA, 8 steps unrolled.
 * Never reads at or past <end>.
 */
static inline const uint8_t *rpc_str_words(const uint8_t **pp, const uint8_t *end, uint64_t *st,
                                           unsigned *flags)
{
	const uint8_t *p = *pp;
	uint64_t s = *st;

	while (end - p >= 8) {
		uint64_t w, q, b, mq, mb, m, t;

		memcpy(&w, p, 8);
		q = w ^ (RPC_ONES * '"');
		b = w ^ (RPC_ONES * '\\');
		mq = (q - RPC_ONES) & ~q & RPC_HIGH;
		mb = (b - RPC_ONES) & ~b & RPC_HIGH;
		m = ((((w - RPC_ONES * 0x20) & ~w) | w | mb) & RPC_HIGH) | mq;
		if ((s & 63) == RS_ACC) {
			/* the best case, as tight as it can be: plain words */
			while (!m) {
				p += 8;
				if (end - p < 8)
					goto out;
				memcpy(&w, p, 8);
				q = w ^ (RPC_ONES * '"');
				b = w ^ (RPC_ONES * '\\');
				mq = (q - RPC_ONES) & ~q & RPC_HIGH;
				mb = (b - RPC_ONES) & ~b & RPC_HIGH;
				m = ((((w - RPC_ONES * 0x20) & ~w) | w | mb) & RPC_HIGH) | mq;
			}
			if (mq & m & -m) {
				*pp = p;
				return p + (__builtin_ctzll(m) >> 3) + 1;
			}
		}
		t = rpc_str_step(s, p[0]);
		t = rpc_str_step(t, p[1]);
		t = rpc_str_step(t, p[2]);
		t = rpc_str_step(t, p[3]);
		t = rpc_str_step(t, p[4]);
		t = rpc_str_step(t, p[5]);
		t = rpc_str_step(t, p[6]);
		t = rpc_str_step(t, p[7]);
		if ((t & 63) == RS_EXIT)
			break; /* the byte loop finds where, from <s> */
		if (mb)
			*flags |= RPC_STR_ESC;
		s = t;
		p += 8;
	}
out:
	*pp = p;
	*st = s;
	return NULL;
}
#endif

/*
 * DFA steps one byte at a time from <*pp> up to <lim>. Returns true with
 * <*pp> at the byte where the DFA exits and <*st> the state before it, or
 * false with <*pp> at <lim>.
 */
static inline bool rpc_str_bytes(const uint8_t **pp, const uint8_t *lim, uint64_t *st,
                                 unsigned *flags)
{
	const uint8_t *p = *pp;
	uint64_t s = *st, t;

	for (; p < lim; p++) {
		t = rpc_str_step(s, *p);
		if ((t & 63) == RS_EXIT)
			break;
		if ((t & 63) == RS_ESC)
			*flags |= RPC_STR_ESC;
		s = t;
	}
	*pp = p;
	*st = s;
	return p < lim;
}

/*
 * The rest of a string from <p>, where rpc_skip_string() met a byte other
 * than a plain one or the closing quote, or has fewer than 8 bytes left.
 * The first 16 bytes go one DFA step at a time (most strings that get
 * here, "é" or "\n", end there, and a word would be set up for nothing),
 * then words through rpc_str_words(), then bytes again for the rest of the
 * body (fewer than 8 bytes) or the word where the DFA exits. The exit is
 * settled from the state before it. Kept out of line: the callers' common
 * case is a plain string.
 */
static __attribute__((noinline)) const uint8_t *
rpc_skip_string_rest(const uint8_t *p, const uint8_t *end, unsigned *flags)
{
	uint64_t st = RS_ACC;
	int32_t cp;

	for (;;) {
		if (!rpc_str_bytes(&p, end - p > 16 ? p + 16 : end, &st, flags)) {
#if RPC_SWAR
			const uint8_t *r = rpc_str_words(&p, end, &st, flags);

			if (r)
				return r;
#endif
			if (!rpc_str_bytes(&p, end, &st, flags))
				return NULL;
		}
		if ((st & 63) == RS_ACC && *p == '"')
			return p + 1;
		if ((st & 63) != RS_ESC || *p != 'u')
			return NULL;
		/* \u escapes, as many as follow one another */
		p--;
		do {
			p = rpc_escape(p, end, &cp);
			if (!p)
				return NULL;
			*flags |= cp < 0 ? RPC_STR_ESC | RPC_STR_LONE : RPC_STR_ESC;
		} while (end - p >= 2 && p[0] == '\\' && p[1] == 'u');
		st = RS_ACC;
	}
}

/*
 * Validates a string; <p> is just past the opening quote. Returns the byte
 * after the closing quote or NULL. ORs RPC_STR_* into <*flags>. Inline,
 * the plain case: "" on a predicted branch, then plain words (as in
 * rpc_str_words()) up to the closing quote; anything else goes on in
 * rpc_skip_string_rest().
 */
static inline const uint8_t *rpc_skip_string(const uint8_t *p, const uint8_t *end, unsigned *flags)
{
	if (p < end && *p == '"')
		return p + 1;
#if RPC_SWAR
	while (end - p >= 8) {
		uint64_t w, q, b, mq, m;

		memcpy(&w, p, 8);
		q = w ^ (RPC_ONES * '"');
		b = w ^ (RPC_ONES * '\\');
		mq = (q - RPC_ONES) & ~q & RPC_HIGH;
		m = ((((w - RPC_ONES * 0x20) & ~w) | ((b - RPC_ONES) & ~b) | w) & RPC_HIGH) | mq;
		if (m) {
			if (mq & m & -m)
				return p + (__builtin_ctzll(m) >> 3) + 1;
			break;
		}
		p += 8;
	}
#endif
	return rpc_skip_string_rest(p, end, flags);
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

/*
 * End of the run of digits from <p> (which is a digit), 8 at a time where
 * 8 bytes are left: <nd> flags every byte outside '0'..'9'. The low 7 bits
 * plus 0x50 (or 0x46) set bit 7 exactly when they are >= 0x30 (or >= 0x3a)
 * and never carry into the next byte; bytes >= 0x80 are flagged by <w>.
 */
static inline const uint8_t *rpc_skip_digits(const uint8_t *p, const uint8_t *end)
{
#if RPC_SWAR
	while (end - p >= 8) {
		uint64_t w, x, nd;

		memcpy(&w, p, 8);
		x = w & (RPC_ONES * 0x7f);
		nd = (~(x + RPC_ONES * 0x50) | (x + RPC_ONES * 0x46) | w) & RPC_HIGH;
		if (nd)
			return p + (__builtin_ctzll(nd) >> 3);
		p += 8;
	}
#endif
	while (p < end && rpc_is_digit(*p))
		p++;
	return p;
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

/*
 * A number at <p>, which is a digit: integers inline, a fraction or an
 * exponent through rpc_skip_number(). After a leading 0 the number ends
 * (a digit there is left for the caller to refuse, as rpc_skip_number()
 * does). A branch for the second digit keeps short numbers off the SWAR
 * path, whose length (a ctz of loaded data) would sit on the chain from
 * one token to the next.
 */
static inline const uint8_t *rpc_skip_integer(const uint8_t *p, const uint8_t *end)
{
	const uint8_t *q = p + 1;

	if (*p != '0' && q < end && rpc_is_digit(*q))
		q = rpc_skip_digits(q + 1, end);
	return q < end && (*q == '.' || (*q | 0x20) == 'e') ? rpc_skip_number(p, end) : q;
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
	const struct methods *table; /* borrowed, may be NULL */
	struct rpc_result *res;      /* borrowed: the caller's result */
	unsigned depth;              /* open containers */
	unsigned call_depth;         /* depth inside a call object: 1 single, 2 batch */
	int best;                    /* most restrictive class folded so far, -1 none */
	bool top_obj;                /* the body's value is an object */
	bool batch;                  /* the body's value is an array: <res>->is_batch, at hand */
	enum rpc_member mb;          /* the call member whose value comes next */
	struct rpc_call call;
	/*
	 * Per open container, 1: object, 0: array; written when it opens, so
	 * never cleared. Bytes rather than bits: an open is one store and a
	 * close one load, where bits took a read-modify-write and shifts.
	 */
	uint8_t stack[RPC_MAX_DEPTH];
};

/* The bytes a JSON value can start with. */
static const uint8_t rpc_vstart[256] = {
    ['{'] = 1, ['['] = 1, ['"'] = 1, ['t'] = 1, ['f'] = 1, ['n'] = 1, ['-'] = 1, ['0' ... '9'] = 1,
};

static inline bool rpc_is_value_start(uint8_t c)
{
	return rpc_vstart[c];
}

/* Whether the innermost open container is an object. */
static inline bool rpc_in_object(const struct rpc_scanner *sc)
{
	unsigned top = sc->depth - 1;

	return sc->stack[top];
}

/* Skips a string, literal or number at <p>. */
static const uint8_t *rpc_skip_scalar(const uint8_t *p, const uint8_t *end)
{
	unsigned flags = 0;
	bool is_null;

	if (*p == '"')
		return rpc_skip_string(p + 1, end, &flags);
	if (rpc_is_digit(*p))
		return rpc_skip_integer(p, end);
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
		sc->batch = res->is_batch;
		sc->top_obj = c == '{';
		sc->call_depth = res->is_batch ? 2 : 1;
	} else if (sc->depth == 1 && sc->batch) {
		if (res->calls == UINT32_MAX)
			return false; /* cannot be counted; far above any body limit */
		res->calls++;
		if (c != '{')
			rpc_fold(res, &sc->best, RPC_CLASS_INVALID, NULL);
	}
	return true;
}

/*
 * A new call object. Field by field rather than a memset: the stores are
 * then the width of the loads that read them back a few bytes later (a
 * batch of {} reads <bad> right after), which keeps store forwarding fast.
 */
static inline void rpc_call_reset(struct rpc_call *c)
{
	c->seen = 0;
	c->bad = false;
	c->id_ok = false;
	c->id_dup = false;
	c->mlen = 0;
	c->mptr = NULL;
	c->id.p = NULL;
	c->id.len = 0;
}

/* Opens the container <c> ('{' or '['); false past RPC_MAX_DEPTH. */
static bool rpc_open(struct rpc_scanner *sc, uint8_t c)
{
	if (sc->depth == RPC_MAX_DEPTH)
		return false;
	sc->stack[sc->depth] = c == '{';
	if (c == '{' && sc->depth + 1 == sc->call_depth)
		rpc_call_reset(&sc->call);
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
		if (!sc->batch && call->id_ok && !call->id_dup && call->id.len <= RPC_ID_MAX) {
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

/* Opens container <c> at <*depth> on the stack; false past RPC_MAX_DEPTH. */
static inline bool rpc_data_open(struct rpc_scanner *sc, unsigned *depth, uint8_t c)
{
	if (*depth == RPC_MAX_DEPTH)
		return false;
	sc->stack[(*depth)++] = c == '{';
	return true;
}

/*
 * After a member name: the ':' (at once, the common case, or after
 * whitespace) and the whitespace after it. Returns the byte after them
 * (possibly <end>), or NULL when no ':' comes.
 */
static inline const uint8_t *rpc_colon(const uint8_t *p, const uint8_t *end)
{
	if (end - p >= 2 && p[0] == ':' && p[1] > ' ')
		return p + 1;
	p = rpc_skip_ws(p, end);
	if (p == end || *p != ':')
		return NULL;
	return rpc_skip_ws(p + 1, end);
}

/*
 * Scans the data inside a container that lies deeper than the call object
 * (a params value, or anything nested in a member's value): there only the
 * JSON grammar and the depth cap apply, so this loop keeps the innermost
 * container's kind and the depth in locals, has no JSON-RPC rule to look at
 * between tokens, and takes the common ",<value>" step with one test, which
 * keeps bodies made of tiny tokens ([[[...]]], [1,1,...], {"a":0,...}) near
 * the cost of strings. <p> is just past the opening bracket of the container
 * at depth <sc->depth>. Returns the byte after its closing bracket, or NULL
 * if the JSON is broken.
 */
static const uint8_t *rpc_scan_data(struct rpc_scanner *sc, const uint8_t *p, const uint8_t *end)
{
	unsigned depth = sc->depth, base = depth - 1, flags = 0;
	bool obj = rpc_in_object(sc), is_null;

first: /* just past an opening bracket */
	p = rpc_skip_ws(p, end);
	if (p == end)
		return NULL;
	if (*p == (obj ? '}' : ']'))
		goto close;
	if (obj)
		goto key;

value:
	switch (*p) {
	case '"':
		p = rpc_skip_string(p + 1, end, &flags);
		break;
	case '[':
		/* [[[[: the run opens in a tight loop */
		do {
			if (!rpc_data_open(sc, &depth, '['))
				return NULL;
		} while (++p < end && *p == '[');
		obj = false;
		goto first;
	case '{':
		if (!rpc_data_open(sc, &depth, '{'))
			return NULL;
		obj = true;
		p++;
		goto first;
	case 't':
	case 'f':
	case 'n':
		p = rpc_skip_literal(p, end, &is_null);
		break;
	case '0' ... '9':
		p = rpc_skip_integer(p, end);
		break;
	case '-':
		p = rpc_skip_number(p, end);
		break;
	default:
		return NULL;
	}
	if (!p)
		return NULL;

after: /* after a value */
	if (end - p >= 2 && p[0] == ',' && p[1] > ' ') {
		p++;
		goto next;
	}
	p = rpc_skip_ws(p, end);
	if (p == end)
		return NULL;
	if (*p == ',') {
		p = rpc_skip_ws(p + 1, end);
		if (p == end)
			return NULL;
		goto next;
	}

close:
	if (*p != (obj ? '}' : ']'))
		return NULL;
	p++;
	if (--depth == base) {
		sc->depth = depth;
		return p;
	}
	obj = sc->stack[depth - 1];
	if (end > p && *p == (obj ? '}' : ']'))
		goto close; /* ]]]]: no comma or space to look for */
	goto after;

next: /* past a comma */
	if (!obj)
		goto value;

key:
	if (*p != '"' || !(p = rpc_skip_string(p + 1, end, &flags)) || !(p = rpc_colon(p, end)) ||
	    p == end)
		return NULL;
	goto value;
}

/*
 * Scans the whole body: labelled states instead of recursion, with the
 * container kinds on a byte stack. Returns false if the body is not one JSON
 * text; otherwise the result is complete.
 */
static bool rpc_scan(struct rpc_scanner *sc, const uint8_t *p, const uint8_t *end)
{
	unsigned flags = 0; /* of non-call member names: not looked at */

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
		if (!(p = rpc_skip_scalar(p, end)))
			return false;
		goto after;
	}
open:
	if (!rpc_open(sc, *p))
		return false;
	if (sc->depth > sc->call_depth) {
		/* params or a member's container: grammar only, in its own loop */
		if (!(p = rpc_scan_data(sc, p + 1, end)))
			return false;
		goto after;
	}
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
		if (sc->depth == 1 && sc->batch && p != end && *p == '{')
			goto member; /* the next call of a batch: the common case */
		if (!rpc_in_object(sc))
			goto value;
		goto key;
	}

close:
	if ((*p != '}' && *p != ']') || !rpc_close(sc, *p))
		return false;
	p++;
	goto after;

member: /* <p> is at the '{' of a batch member past the first */
	if (!rpc_value_begin(sc, '{'))
		return false;
	goto open;

key: /* a member name must come next */
	if (p == end || *p != '"')
		return false;
	p = sc->depth == sc->call_depth ? rpc_call_key(p, end, &sc->call, &sc->mb)
	                                : rpc_skip_string(p + 1, end, &flags);
	if (!p || !(p = rpc_colon(p, end)))
		return false;
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
