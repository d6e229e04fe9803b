/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for spoa/rpc.c and spoa/methods.c. Classifies the input
 * against a small table built once and checks the result's invariants (see
 * check_result); then parses the input as a methods table and checks that
 * every row it accepted can be found again. Corpus: tests/fuzz/corpus/rpc/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/compiler.h"
#include "spoa/methods.h"
#include "spoa/rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_table_tsv[] = "method\tclass\tnote\n"
                                     "system_health\tread\t\n"
                                     "chain_getHeader\tread\t\n"
                                     "chain_subscribeNewHeads\tsubscribe\t\n"
                                     "author_submitExtrinsic\tsubmit\t\n"
                                     "state_call\theavy\t\n"
                                     "author_insertKey\tunsafe\t\n"
                                     "a\tunsafe\t\n";

static const struct methods *fuzz_table(void)
{
	static struct methods *table;
	char err[256];

	if (!table) {
		table = methods_parse(fuzz_table_tsv, sizeof(fuzz_table_tsv) - 1, err, sizeof(err));
		if (!table)
			abort();
	}
	return table;
}

static void check_result(const uint8_t *data, size_t size, const struct rpc_result *r)
{
	if ((unsigned)r->cls >= RPC_CLASS_OVERSIZE)
		abort();
	if (r->has_method) {
		if (r->method_len > RPC_METHOD_MAX)
			abort();
		if (r->method_truncated && r->method_len != RPC_METHOD_MAX)
			abort();
		if (r->cls == RPC_CLASS_INVALID)
			abort();
		if (r->method_truncated && r->cls != RPC_CLASS_UNKNOWN)
			abort();
	} else if (r->cls != RPC_CLASS_INVALID || r->method_truncated || r->method_len != 0) {
		/* Every valid request has a method; only invalid ones lack it. */
		abort();
	}
	if (r->has_id) {
		if (r->is_batch || r->id.len == 0 || r->id.len > RPC_ID_MAX)
			abort();
		if (r->id.p < data || r->id.p + r->id.len > data + size)
			abort();
	} else if (r->id.p != NULL || r->id.len != 0) {
		abort();
	}
	/* Single calls are 0 or 1; a batch counts members; a valid body has calls. */
	if (!r->is_batch && r->calls > 1)
		abort();
	if (r->cls != RPC_CLASS_INVALID && r->calls == 0)
		abort();
	if (r->calls > size / 2)
		abort();
}

/* An accepted table must answer for each of its rows: re-walk the text. */
static void check_table(const uint8_t *data, size_t size, const struct methods *m)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	size_t rows = 0;
	enum rpc_class cls;

	nl = memchr(p, '\n', size);
	p = nl ? nl + 1 : end; /* skip the header */
	while (p < end) {
		const char *tab = memchr(p, '\t', (size_t)(end - p));

		nl = memchr(p, '\n', (size_t)(end - p));
		if (!tab || (nl && tab > nl))
			abort();
		if (!methods_lookup(m, p, (size_t)(tab - p), &cls))
			abort();
		if (cls != RPC_CLASS_READ && cls != RPC_CLASS_HEAVY && cls != RPC_CLASS_SUBMIT &&
		    cls != RPC_CLASS_SUBSCRIBE && cls != RPC_CLASS_UNSAFE)
			abort();
		rows++;
		p = nl ? nl + 1 : end;
	}
	if (rows != methods_count(m) || rows == 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rpc_result r, r2;
	struct methods *m;
	char err[128];

	rpc_classify(fuzz_table(), data, size, &r);
	check_result(data, size, &r);
	/* Pure: a second run gives the same answer. */
	rpc_classify(fuzz_table(), data, size, &r2);
	if (r.cls != r2.cls || r.calls != r2.calls || r.has_method != r2.has_method ||
	    r.method_len != r2.method_len || r.has_id != r2.has_id ||
	    (r.has_method && memcmp(r.method, r2.method, r.method_len) != 0))
		abort();
	/* Without a table nothing is known, so nothing can be unsafe. */
	rpc_classify(NULL, data, size, &r2);
	if (r2.cls != RPC_CLASS_INVALID && r2.cls != RPC_CLASS_UNKNOWN)
		abort();
	if ((r.cls == RPC_CLASS_INVALID) != (r2.cls == RPC_CLASS_INVALID) && !r.is_batch)
		abort();

	err[0] = '\0';
	m = methods_parse((const char *)data, size, err, sizeof(err));
	if (m) {
		check_table(data, size, m);
		methods_free(m);
	} else if (strncmp(err, "line ", 5) != 0) {
		abort();
	}
	return 0;
}
