/* SPDX-License-Identifier: MIT */
/*
 * JSON-RPC 2.0 request classifier: one streaming pass over a request body
 * that validates it as JSON (RFC 8259) and as a JSON-RPC request or batch,
 * decodes the top-level "method" of each call and looks it up in the methods
 * table. Pure: no I/O, no allocation, never builds a DOM; depth is bounded
 * (RPC_MAX_DEPTH) with a fixed bit stack. Rules are those of
 * tests/data/README.md (edge-cases.jsonl) and the batch order below.
 */
#ifndef PF_SPOA_RPC_H
#define PF_SPOA_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/slice.h"
#include "spoa/rpc_class.h"

struct methods;

#define RPC_ID_MAX    64  /* raw id text longer than this is not reported */
#define RPC_MAX_DEPTH 128 /* containers, outermost included; deeper is invalid */

struct rpc_result {
	enum rpc_class cls;
	bool is_batch; /* the body is an array (false when the body is not JSON) */
	/*
	 * Calls in the body: 1 for an object (valid request or not), the number of
	 * members for an array (invalid members included); 0 when the body is not
	 * one JSON text, is a scalar or is an empty array.
	 */
	uint32_t calls;
	bool has_method;       /* <method> is set; always false when <cls> is INVALID */
	bool method_truncated; /* the decoded name was longer than RPC_METHOD_MAX (class unknown) */
	size_t method_len;     /* bytes of <method> in use, <= RPC_METHOD_MAX; 0 without a method */
	/*
	 * Decoded method name (escapes resolved) of a single call, or for a batch
	 * of the first member whose class equals the batch class. Not NUL-terminated.
	 */
	char method[RPC_METHOD_MAX];
	/*
	 * Set for a single call (not a batch) whose "id" is a string, number or
	 * null of at most RPC_ID_MAX raw bytes, named once, in a body that is
	 * valid JSON, even when the call is otherwise invalid (for the error answer).
	 * <id> is then the raw JSON text of that id, borrowed from the body;
	 * otherwise it is {NULL, 0}.
	 */
	bool has_id;
	struct pf_slice id;
};

/*
 * Classifies <body>/<len> against <table> (borrowed, may be NULL: every
 * method is then unknown) and fills <res>. Never fails: anything that is not
 * a valid request is RPC_CLASS_INVALID. Thread-safe for a shared read-only table.
 */
void rpc_classify(const struct methods *table, const uint8_t *body, size_t len,
                  struct rpc_result *res);

#endif
