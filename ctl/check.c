/* SPDX-License-Identifier: MIT */
/* ctl_check_haproxy(): the nodes of the config as the planner sees them, verified per instance. */
#include "ctl/check.h"

#include "common/net.h"
#include "ctl/hapi/plan.h"
#include "ctl/hapi/reconcile.h"

struct check_out {
	FILE *out;
	const char *instance;
};

static void print_problem(void *ctx, const char *problem)
{
	struct check_out *o = ctx;

	fprintf(o->out, "haproxy %s: %s\n", o->instance, problem);
}

unsigned ctl_check_haproxy(const struct ctl_cfg *cfg, FILE *out, unsigned *unreadable)
{
	struct plan_node *nodes = calloc(cfg->n_nodes + 1, sizeof(*nodes));
	const char *heavy[CTL_CFG_MAX_CHAINS][CTL_CFG_MAX_HEAVY];
	double timeout_s = cfg->timeout_ms < 2000 ? 2.0 : (double)cfg->timeout_ms / 1000.0;
	unsigned problems = 0;
	size_t n = 0;

	*unreadable = 0;
	if (nodes == NULL) {
		fprintf(out, "out of memory\n");
		return 1;
	}
	for (unsigned c = 0; c < cfg->n_chains; c++) {
		const struct ctl_chain_cfg *ch = &cfg->chains[c];

		for (unsigned h = 0; h < ch->n_heavy; h++)
			heavy[c][h] = ch->heavy_backends[h];
		for (unsigned i = 0; i < ch->n_nodes; i++) {
			const struct ctl_node_cfg *nd = &ch->nodes[i];
			bool tpl = ctl_node_cfg_is_template(nd);

			nodes[n++] = (struct plan_node){nd->name,
			                                ch->backend,
			                                heavy[c],
			                                ch->n_heavy,
			                                tpl ? NULL : nd->server,
			                                tpl ? nd->addr : NULL,
			                                nd->port,
			                                HAPI_WANT_READY,
			                                0,
			                                ch->name};
		}
	}
	for (unsigned h = 0; h < cfg->n_haproxy; h++) {
		char name[128], err[256];
		struct check_out o = {out, pf_addr_str(&cfg->haproxy[h], name, sizeof(name))};
		long k = recon_verify_once(&cfg->haproxy[h], timeout_s, nodes, n, print_problem, &o,
		                           err, sizeof(err));

		if (k < 0) {
			fprintf(out, "haproxy %s: cannot read it: %s\n", name, err);
			(*unreadable)++;
		} else {
			problems += (unsigned)k;
		}
	}
	free(nodes);
	return problems;
}
