/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for ctl/poll/noderpc.c. Parses the input as a node's reply and
 * checks the result's invariants (check_poll), that a second parse agrees,
 * and that parsing into an already-filled poll is safe; then compares
 * noderpc_parse_hex_u64() and noderpc_is_hash() on the raw input with
 * independent reference checks, and that a request built around a valid hash
 * is JSON. Links cJSON. Corpus: tests/fuzz/corpus/noderpc/.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/compiler.h"
#include "ctl/poll/noderpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool fz_is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static void fz_check_hash(const char *h)
{
	size_t i;

	if (strlen(h) != NODERPC_HASH_LEN || h[0] != '0' || h[1] != 'x')
		abort();
	for (i = 2; i < NODERPC_HASH_LEN; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			abort(); /* stored lower-case */
}

static void fz_check_poll(const struct node_poll *p, int rc)
{
	size_t i, n = strnlen(p->detail, sizeof(p->detail));

	if (rc != 0 && rc != -1)
		abort();
	if ((rc == 0) != (p->err == NODE_POLL_OK))
		abort();
	if (p->err != NODE_POLL_OK && p->err != NODE_POLL_RPC_ERROR &&
	    p->err != NODE_POLL_MALFORMED)
		abort(); /* transport errors are the poller's */
	if (n >= sizeof(p->detail))
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)p->detail[i] < 0x20 || (unsigned char)p->detail[i] > 0x7e)
			abort();
	if (p->err == NODE_POLL_OK && n != 0)
		abort();
	if (p->err == NODE_POLL_MALFORMED && strncmp(p->detail, "malformed: ", 11) != 0)
		abort();
	if (p->err == NODE_POLL_RPC_ERROR && strncmp(p->detail, "rpc error ", 10) != 0)
		abort();
	if (p->batch_refused && p->err != NODE_POLL_RPC_ERROR)
		abort();
	if (p->has_best)
		fz_check_hash(p->best_parent_hash);
	if (p->has_finalized_hash)
		fz_check_hash(p->finalized_hash);
	if (p->has_genesis)
		fz_check_hash(p->genesis_hash);
	if (p->has_sync_highest && !p->has_sync)
		abort();
	if (!p->has_health && (p->peers != 0 || p->syncing))
		abort();
	if (p->latency_ms != 0)
		abort();
}

/* Reference for the strict block number, written without the module's helpers. */
static bool fz_hex_ref(const uint8_t *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len < 3 || len > 18 || s[0] != '0' || s[1] != 'x')
		return false;
	for (i = 2; i < len; i++) {
		char c = (char)s[i];

		if (!fz_is_hex(c))
			return false;
		v = v * 16 + (uint64_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	*out = v;
	return true;
}

static void fz_scalars(const uint8_t *data, size_t size)
{
	uint64_t a = 1, b = 2;
	bool ra = noderpc_parse_hex_u64((const char *)data, size, &a);
	bool rb = fz_hex_ref(data, size, &b);
	bool hash = size == NODERPC_HASH_LEN && size >= 2 && data[0] == '0' && data[1] == 'x';
	size_t i;

	if (ra != rb || (ra && a != b) || (!ra && a != 1))
		abort();
	for (i = 2; hash && i < size; i++)
		hash = fz_is_hex((char)data[i]);
	if (noderpc_is_hash((const char *)data, size) != hash)
		abort();
	if (hash) {
		char h[NODERPC_HASH_LEN + 1], buf[NODERPC_POLL_CAP];
		cJSON *j;
		int n;

		memcpy(h, data, NODERPC_HASH_LEN);
		h[NODERPC_HASH_LEN] = '\0';
		n = noderpc_build_header_at(buf, sizeof(buf), h);
		if (n <= 0 || (size_t)n != strlen(buf))
			abort();
		j = cJSON_Parse(buf);
		if (!j)
			abort();
		cJSON_Delete(j);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct node_poll p, q;
	int rc, rc2;

	noderpc_poll_reset(&p);
	rc = noderpc_parse((const char *)data, size, &p);
	fz_check_poll(&p, rc);

	/* Pure: the same input gives the same answer. */
	noderpc_poll_reset(&q);
	rc2 = noderpc_parse((const char *)data, size, &q);
	if (rc != rc2 || p.err != q.err || strcmp(p.detail, q.detail) != 0 ||
	    p.has_health != q.has_health || p.has_best != q.has_best || p.best != q.best ||
	    p.has_finalized != q.has_finalized || p.finalized != q.finalized ||
	    p.has_genesis != q.has_genesis || strcmp(p.genesis_hash, q.genesis_hash) != 0)
		abort();

	/* Adding into a filled poll (the single-call path) is safe; the first error stays. */
	rc2 = noderpc_parse((const char *)data, size, &q);
	if (p.err != NODE_POLL_OK && (q.err != p.err || strcmp(q.detail, p.detail) != 0))
		abort();
	if (rc2 != 0 && rc2 != -1)
		abort();

	fz_scalars(data, size);
	return 0;
}
