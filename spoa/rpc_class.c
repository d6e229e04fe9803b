/* SPDX-License-Identifier: MIT */
/*
 * Class names: what the agent tells HAProxy (txn.rpc.class) and what
 * methods.tsv may say. A leaf, so the classifier and the methods table can
 * both use it without including each other.
 */
#include "spoa/rpc_class.h"

#include <string.h>

#include "common/compiler.h"

static const char *const rpc_class_names[RPC_CLASS_COUNT] = {
    [RPC_CLASS_READ] = "read",       [RPC_CLASS_SUBSCRIBE] = "subscribe",
    [RPC_CLASS_SUBMIT] = "submit",   [RPC_CLASS_HEAVY] = "heavy",
    [RPC_CLASS_UNKNOWN] = "unknown", [RPC_CLASS_INVALID] = "invalid",
    [RPC_CLASS_UNSAFE] = "unsafe",   [RPC_CLASS_OVERSIZE] = "oversize",
};

const char *rpc_class_name(enum rpc_class cls)
{
	/* An out-of-range value is a bug elsewhere; "invalid" makes HAProxy deny it. */
	if ((unsigned)cls >= RPC_CLASS_COUNT)
		return "invalid";
	return rpc_class_names[cls];
}

bool rpc_class_parse(const char *s, size_t len, enum rpc_class *out)
{
	static const enum rpc_class table_classes[] = {
	    RPC_CLASS_READ,      RPC_CLASS_HEAVY,  RPC_CLASS_SUBMIT,
	    RPC_CLASS_SUBSCRIBE, RPC_CLASS_UNSAFE,
	};
	size_t i;

	if (!s)
		return false;
	for (i = 0; i < PF_ARRAY_SIZE(table_classes); i++) {
		const char *name = rpc_class_names[table_classes[i]];

		if (strlen(name) == len && memcmp(name, s, len) == 0) {
			*out = table_classes[i];
			return true;
		}
	}
	return false;
}
