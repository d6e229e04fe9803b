/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for ctl/ctl_cfg.c: parses the input as a polkfura-ctl
 * config and checks the result's invariants (check_cfg): a refused config
 * leaves an empty struct and a message, an accepted one holds only values
 * its validation allows. Corpus: tests/fuzz/corpus/ctl_cfg/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/compiler.h"
#include "ctl/ctl_cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_node(const struct ctl_node_cfg *n)
{
	if (n->name[0] == '\0' || n->host[0] == '\0' || n->path[0] != '/' || n->port == 0)
		abort();
	if (strncmp(n->rpc_url, n->tls ? "https://" : "http://", n->tls ? 8 : 7) != 0)
		abort();
	if (ctl_node_cfg_is_template(n) && (n->addr_family == 0 || n->addr[0] == '\0'))
		abort();
	if ((n->addr_family == 0) != (n->addr[0] == '\0'))
		abort();
}

static void check_cfg(const struct ctl_cfg *cfg)
{
	unsigned nodes = 0;
	char err[256];

	if (cfg->region[0] == '\0' || cfg->timeout_ms >= cfg->interval_ms)
		abort();
	if (cfg->n_haproxy < 1 || cfg->n_haproxy > CTL_CFG_MAX_HAPROXY || cfg->http_listen.is_unix)
		abort();
	if (cfg->state_file[0] != '/')
		abort();
	if (cfg->n_chains < 1 || cfg->n_chains > CTL_CFG_MAX_CHAINS || cfg->chains == NULL)
		abort();
	for (unsigned i = 0; i < cfg->n_chains; i++) {
		const struct ctl_chain_cfg *ch = &cfg->chains[i];

		if (ch->n_nodes < 1 || ch->n_nodes > CTL_CFG_MAX_CHAIN_NODE || ch->nodes == NULL)
			abort();
		if (ch->n_heavy > CTL_CFG_MAX_HEAVY || ch->backend[0] == '\0')
			abort();
		if (ch->block_time_ms < 100 || ch->block_time_ms > 600000)
			abort();
		/* A genesis is absent or "0x" and 64 lower-case hex digits, as the poller stores
		 * it. */
		if (ch->genesis[0] != '\0' &&
		    (strlen(ch->genesis) != CTL_CFG_HASH_LEN ||
		     strspn(ch->genesis + 2, "0123456789abcdef") != CTL_CFG_HASH_LEN - 2 ||
		     strncmp(ch->genesis, "0x", 2) != 0))
			abort();
		for (unsigned j = 0; j < ch->n_nodes; j++)
			check_node(&ch->nodes[j]);
		nodes += ch->n_nodes;
	}
	if (nodes != cfg->n_nodes || nodes > CTL_CFG_MAX_NODES)
		abort();
	/* A config may always be reloaded over itself. */
	if (ctl_cfg_reload_check(cfg, cfg, err, sizeof(err)) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_cfg cfg;
	char err[512];

	err[0] = '\0';
	if (ctl_cfg_parse((const char *)data, size, &cfg, err, sizeof(err)) == 0) {
		check_cfg(&cfg);
	} else if (err[0] == '\0' || cfg.chains != NULL || cfg.n_chains != 0 || cfg.n_nodes != 0 ||
	           cfg.region[0] != '\0') {
		/* A refused config leaves nothing behind. */
		abort();
	}
	ctl_cfg_free(&cfg);
	return 0;
}
