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

struct methods;

#define RPC_METHOD_MAX 128 /* decoded bytes kept; longer names are unknown */
#define RPC_ID_MAX     64  /* raw id text longer than this is not reported */
#define RPC_MAX_DEPTH  128 /* deeper nesting is invalid (serde_json's limit) */

/*
 * Ordered by restriction: a batch takes the numerically largest class of its
 * members. OVERSIZE is never produced by rpc_classify(); the agent sets it
 * when HAProxy passed less body than the request has.
 */
enum rpc_class {
	RPC_CLASS_READ = 0,
	RPC_CLASS_SUBSCRIBE,
	RPC_CLASS_SUBMIT,
	RPC_CLASS_HEAVY,
	RPC_CLASS_UNKNOWN,
	RPC_CLASS_INVALID,
	RPC_CLASS_UNSAFE,
	RPC_CLASS_OVERSIZE,
	RPC_CLASS_COUNT
};

struct rpc_result {
	enum rpc_class cls;
	bool is_batch;         /* the body is an array */
	uint32_t calls;        /* calls in the body (1 for a single call); 0 when invalid */
	bool has_method;       /* <method> is set */
	bool method_truncated; /* the decoded name was longer than RPC_METHOD_MAX */
	size_t method_len;
	/*
	 * Decoded method name (escapes resolved) of a single call, or for a batch
	 * of the first member whose class equals the batch class. Not NUL-terminated.
	 */
	char method[RPC_METHOD_MAX];
	bool has_id;
	struct pf_slice id; /* raw JSON text of a single call's id, borrowed from the body */
};

/* Lower-case class name ("read", ..., "oversize"); never NULL. */
const char *rpc_class_name(enum rpc_class cls);

/* Parses a class name of methods.tsv (the five request classes only). */
bool rpc_class_parse(const char *s, size_t len, enum rpc_class *out);

/*
 * Classifies <body>/<len> against <table> (borrowed, may be NULL: every
 * method is then unknown) and fills <res>. Never fails: anything that is not
 * a valid request is RPC_CLASS_INVALID. Thread-safe for a shared read-only table.
 */
void rpc_classify(const struct methods *table, const uint8_t *body, size_t len,
                  struct rpc_result *res);

#endif
