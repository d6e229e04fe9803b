/* SPDX-License-Identifier: MIT */
/*
 * What the agent answers to one "rpc-request" message: the chain from the
 * Host header, the classification of the body, and the ACK actions that
 * carry them (chain, class, method, batch, id as transaction variables).
 * Pure: the agent passes the decoded message, this module fills the ACK.
 */
#ifndef PF_SPOA_NOTIFY_H
#define PF_SPOA_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "common/text.h"
#include "spoa/rpc.h"
#include "spoa/spop.h"

#define NOTIFY_MESSAGE    "rpc-request"
#define NOTIFY_MAX_CHAINS 16
#define NOTIFY_CHAIN_MAX  PF_CHAIN_NAME_MAX /* bytes of a chain name (common/text.h) */
#define NOTIFY_ACK_MAX    512               /* upper bound of one ACK's actions for one message */

struct notify_chains {
	unsigned n;
	char names[NOTIFY_MAX_CHAINS][NOTIFY_CHAIN_MAX + 1];
};

struct notify_verdict {
	int chain; /* index into notify_chains, -1 for unknown */
	struct rpc_result rpc;
};

/*
 * Parses a comma-separated chain list ("polkadot,kusama"): lower-case
 * letters, digits and '-', each 1..NOTIFY_CHAIN_MAX bytes, no duplicates.
 * Returns 0, or -1 with the reason in <err>.
 */
PF_MUSTCHECK int notify_chains_parse(const char *list, struct notify_chains *out, char *err,
                                     size_t errlen);

/*
 * Index of the chain named by the first label of <host> (case-insensitive,
 * port stripped), or -1 when it is none of <chains>.
 */
int notify_chain_of_host(const struct notify_chains *chains, struct pf_slice host);

/*
 * Decides the verdict for message <m> (args host, body, size). A body longer
 * than <max_body>, or shorter than the advertised <size>, is
 * RPC_CLASS_OVERSIZE and is not scanned. <table> is borrowed.
 */
void notify_decide(const struct spop_message *m, const struct methods *table,
                   const struct notify_chains *chains, size_t max_body, struct notify_verdict *v);

/*
 * Appends the SET-VAR actions of <v> (scope txn) to <b>, at most
 * NOTIFY_ACK_MAX bytes. Method names with bytes outside printable ASCII have
 * them replaced by '?', so a crafted name cannot break a log line.
 */
void notify_put_actions(const struct notify_verdict *v, const struct notify_chains *chains,
                        struct spop_buf *b);

#endif
