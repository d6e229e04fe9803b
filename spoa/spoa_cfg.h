/* SPDX-License-Identifier: MIT */
/*
 * Command-line settings of polkfura-spoa: parsed and validated in one place,
 * so main() either gets a complete struct or one line naming the bad flag.
 */
#ifndef PF_SPOA_SPOA_CFG_H
#define PF_SPOA_SPOA_CFG_H

#include <stdbool.h>
#include <stddef.h>

#include "common/compiler.h"
#include "common/net.h"
#include "spoa/notify.h"

#define SPOA_CFG_MAX_LISTEN        8
#define SPOA_DEFAULT_LISTEN        "127.0.0.1:12345"
#define SPOA_DEFAULT_METHODS       "/etc/polkfura/methods.tsv"
#define SPOA_DEFAULT_CHAINS        "polkadot,kusama,westend"
#define SPOA_DEFAULT_MAX_BODY      65536
#define SPOA_MAX_MAX_BODY          (16u << 20)
#define SPOA_MAX_THREADS           64
#define SPOA_FRAME_HEADROOM        4096 /* frame bytes beyond the body: host, names, ids */
/*
 * HAProxy 2.6 opens agent connections per thread (a handful), 3.4 grew to
 * 25-44 for 2,000 concurrent requests: a few hundred leaves room for several
 * HAProxy processes during reloads while bounding fds and buffers (~200 KB each).
 */
#define SPOA_DEFAULT_MAX_CONNS     256
#define SPOA_MAX_MAX_CONNS         65536
/* Longer than HAProxy's own idle timers (2.6: "timeout idle 30s"; 3.4: "timeout server 3m"). */
#define SPOA_DEFAULT_IDLE_TIMEOUT  300
#define SPOA_DEFAULT_FRAME_TIMEOUT 5
#define SPOA_MAX_TIMEOUT           86400
#define SPOA_DEFAULT_SOCKET_MODE   0660

enum spoa_cfg_result {
	SPOA_CFG_RUN = 0,
	SPOA_CFG_HELP,
	SPOA_CFG_VERSION,
	SPOA_CFG_ERROR,
};

struct spoa_cfg {
	struct pf_addr listen[SPOA_CFG_MAX_LISTEN];
	unsigned n_listen;
	unsigned threads;
	const char *methods_path; /* borrowed from argv or a literal */
	struct notify_chains chains;
	size_t max_body;
	bool has_metrics;
	struct pf_addr metrics;
	int log_level;            /* enum pf_log_level */
	unsigned max_conns;       /* per listener */
	unsigned idle_timeout;    /* seconds without a frame after HELLO */
	unsigned frame_timeout;   /* seconds for a started frame to complete */
	unsigned socket_mode;     /* unix listeners' permission bits */
	const char *socket_group; /* borrowed from argv, or NULL: the agent's own group */
};

/*
 * Parses <argc>/<argv> into <cfg>. Returns SPOA_CFG_RUN, HELP or VERSION, or
 * SPOA_CFG_ERROR with "--flag: reason" in <err>.
 */
enum spoa_cfg_result spoa_cfg_parse(int argc, char **argv, struct spoa_cfg *cfg, char *err,
                                    size_t errlen);

/* Prints the usage text to <out>. */
void spoa_cfg_usage(FILE *out);

#endif
