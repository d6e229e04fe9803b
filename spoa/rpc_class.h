/* SPDX-License-Identifier: MIT */
/*
 * The request classes of a JSON-RPC call, their names and their order of
 * restriction. Pure; includes nothing of the agent.
 */
#ifndef PF_SPOA_RPC_CLASS_H
#define PF_SPOA_RPC_CLASS_H

#include <stdbool.h>
#include <stddef.h>

#define RPC_METHOD_MAX 128 /* decoded method bytes kept; longer names are unknown */

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

/* Lower-case class name ("read", ..., "oversize"); never NULL. */
const char *rpc_class_name(enum rpc_class cls);

/* Parses a class name of methods.tsv (the five request classes only). */
bool rpc_class_parse(const char *s, size_t len, enum rpc_class *out);

#endif
