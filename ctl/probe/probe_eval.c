/* SPDX-License-Identifier: MIT */
/*
 * probe_eval.h: a probe's reason from the edge's /health answer, and the
 * fall/rise run counter. The body is parsed with cJSON: it is a few bytes,
 * once per probe interval, a cold path.
 */
#include "ctl/probe/probe_eval.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/compiler.h"
#include "common/text.h"

#define BODY_PARSE_MAX 4096 /* a /health body is a few dozen bytes; more is not one */

/* Appends to <why> at <*n>, keeping it NUL-terminated inside <whylen>. */
PF_PRINTF(4, 5)
static void add(char *why, size_t whylen, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*n + 1 >= whylen)
		return;
	va_start(ap, fmt);
	w = vsnprintf(why + *n, whylen - *n, fmt, ap);
	va_end(ap);
	if (w > 0)
		*n += (size_t)w < whylen - *n ? (size_t)w : whylen - *n - 1;
}

/* <s>/<len> cut to PROBE_FIELD_MAX and made printable ('"' and '\' too) into <out>. */
static const char *clean(const char *s, size_t len, char out[PROBE_FIELD_MAX + 1])
{
	(void)pf_printable(out, PROBE_FIELD_MAX + 1, s, len, "\"\\");
	return out;
}

/* The body's "status" and "reason" strings after "HTTP <code>"; the body's start otherwise. */
static void add_body(const struct probe_answer *a, char *why, size_t whylen, size_t *n)
{
	char f[PROBE_FIELD_MAX + 1];
	cJSON *root = NULL;
	const cJSON *st, *re;

	if (a->body == NULL || a->len == 0)
		return;
	if (a->len <= BODY_PARSE_MAX)
		root = cJSON_ParseWithLength(a->body, a->len);
	st = cJSON_GetObjectItemCaseSensitive(root, "status");
	re = cJSON_GetObjectItemCaseSensitive(root, "reason");
	if (cJSON_IsString(st) && st->valuestring != NULL) {
		add(why, whylen, n, ": %s", clean(st->valuestring, strlen(st->valuestring), f));
		if (cJSON_IsString(re) && re->valuestring != NULL)
			add(why, whylen, n, " (%s)",
			    clean(re->valuestring, strlen(re->valuestring), f));
	} else {
		add(why, whylen, n, ": %s", clean(a->body, a->len, f));
	}
	cJSON_Delete(root);
}

bool probe_classify(const struct probe_answer *a, char *why, size_t whylen)
{
	size_t n = 0;

	if (whylen == 0)
		return a->answered && a->http_status == 200;
	why[0] = '\0';
	if (!a->answered) {
		const char *e = a->error != NULL && a->error[0] != '\0' ? a->error : "no answer";

		/* curl's reason is ours to trust in length (CURL_ERROR_SIZE), not in bytes. */
		(void)pf_printable(why, whylen, e, strlen(e), "\"\\");
		return false;
	}
	add(why, whylen, &n, "HTTP %ld", a->http_status);
	if (a->http_status == 200)
		return true;
	add_body(a, why, whylen, &n);
	return false;
}

void probe_track_init(struct probe_track *t)
{
	memset(t, 0, sizeof(*t));
	t->state = PROBE_UNKNOWN;
}

bool probe_track_feed(struct probe_track *t, const struct probe_limits *lim, bool ok,
                      const char *why, int64_t at_ms)
{
	enum probe_state want = ok ? PROBE_REACHABLE : PROBE_UNREACHABLE;
	unsigned need = ok ? lim->rise : lim->fall;

	t->probes++;
	t->failures += !ok;
	(void)snprintf(t->last_why, sizeof(t->last_why), "%s", why != NULL ? why : "");
	if (t->run == 0 || t->last_ok != ok) {
		t->last_ok = ok;
		t->run = 0;
		t->run_since_ms = at_ms;
	}
	if (t->run < UINT_MAX)
		t->run++;
	if (t->state == want || t->run < (need > 0 ? need : 1))
		return false;
	t->first = t->state == PROBE_UNKNOWN;
	t->state = want;
	t->since_ms = t->run_since_ms;
	t->at_ms = at_ms;
	memcpy(t->why, t->last_why, sizeof(t->why));
	return true;
}

const char *probe_state_name(enum probe_state s)
{
	switch (s) {
	case PROBE_REACHABLE:
		return "reachable";
	case PROBE_UNREACHABLE:
		return "unreachable";
	case PROBE_UNKNOWN:
		break;
	}
	return "unknown";
}
