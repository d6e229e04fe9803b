/* SPDX-License-Identifier: MIT */
/*
 * getopt_long parsing of polkfura-spoa's flags into struct spoa_cfg, with
 * defaults, ranges and one error line per bad flag. No I/O beyond printing
 * the usage text; the methods file is read by main.
 */
#include "spoa/spoa_cfg.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <string.h>

#include "common/compiler.h"
#include "common/log.h"

static const struct option long_opts[] = {
    {"listen", required_argument, NULL, 'l'},    {"threads", required_argument, NULL, 't'},
    {"methods", required_argument, NULL, 'm'},   {"chains", required_argument, NULL, 'c'},
    {"max-body", required_argument, NULL, 'b'},  {"metrics", required_argument, NULL, 'M'},
    {"log-level", required_argument, NULL, 'L'}, {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},         {NULL, 0, NULL, 0},
};

void spoa_cfg_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: polkfura-spoa [options]\n"
	    "HAProxy SPOE agent: classifies JSON-RPC requests by chain, method and class.\n\n"
	    "  --listen ADDR      HOST:PORT, [IPV6]:PORT or unix:PATH; repeatable\n"
	    "                     (default " SPOA_DEFAULT_LISTEN ")\n"
	    "  --threads N        worker threads, one event loop each (default 1, max %d)\n"
	    "  --methods FILE     methods table, method<TAB>class<TAB>note\n"
	    "                     (default " SPOA_DEFAULT_METHODS "); SIGHUP reloads it\n"
	    "  --chains LIST      chain names recognised in Host (default " SPOA_DEFAULT_CHAINS
	    ")\n"
	    "  --max-body BYTES   largest body classified; larger is class oversize\n"
	    "                     (default %d, max %u)\n"
	    "  --metrics ADDR     serve Prometheus metrics on HOST:PORT /metrics (default off)\n"
	    "  --log-level LVL    err, warn, info or debug (default info)\n"
	    "  --help, --version\n\n"
	    "Signals: SIGHUP reloads the methods table; SIGTERM/SIGINT answer the frames in\n"
	    "flight, disconnect from HAProxy and exit 0.\n",
	    SPOA_MAX_THREADS, SPOA_DEFAULT_MAX_BODY, SPOA_MAX_MAX_BODY);
}

static int parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

enum spoa_cfg_result spoa_cfg_parse(int argc, char **argv, struct spoa_cfg *cfg, char *err,
                                    size_t errlen)
{
	char why[160];
	unsigned long v;
	enum pf_log_level lvl;
	int opt;

	memset(cfg, 0, sizeof(*cfg));
	cfg->threads = 1;
	cfg->methods_path = SPOA_DEFAULT_METHODS;
	cfg->max_body = SPOA_DEFAULT_MAX_BODY;
	cfg->log_level = PF_LOG_INFO;
	if (notify_chains_parse(SPOA_DEFAULT_CHAINS, &cfg->chains, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "default chains: %s", why);
		return SPOA_CFG_ERROR;
	}
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			if (cfg->n_listen == SPOA_CFG_MAX_LISTEN) {
				snprintf(err, errlen, "--listen: at most %d addresses",
				         SPOA_CFG_MAX_LISTEN);
				return SPOA_CFG_ERROR;
			}
			if (pf_addr_parse(optarg, &cfg->listen[cfg->n_listen], why, sizeof(why)) ==
			    -1) {
				snprintf(err, errlen, "--listen: %s", why);
				return SPOA_CFG_ERROR;
			}
			cfg->n_listen++;
			break;
		case 't':
			if (parse_ulong(optarg, 1, SPOA_MAX_THREADS, &v) == -1) {
				snprintf(err, errlen, "--threads: '%s': expected 1-%d", optarg,
				         SPOA_MAX_THREADS);
				return SPOA_CFG_ERROR;
			}
			cfg->threads = (unsigned)v;
			break;
		case 'm':
			cfg->methods_path = optarg;
			break;
		case 'c':
			if (notify_chains_parse(optarg, &cfg->chains, why, sizeof(why)) == -1) {
				snprintf(err, errlen, "--chains: %s", why);
				return SPOA_CFG_ERROR;
			}
			break;
		case 'b':
			if (parse_ulong(optarg, 1, SPOA_MAX_MAX_BODY, &v) == -1) {
				snprintf(err, errlen, "--max-body: '%s': expected 1-%u bytes",
				         optarg, SPOA_MAX_MAX_BODY);
				return SPOA_CFG_ERROR;
			}
			cfg->max_body = v;
			break;
		case 'M':
			if (pf_addr_parse(optarg, &cfg->metrics, why, sizeof(why)) == -1 ||
			    cfg->metrics.is_unix) {
				snprintf(err, errlen, "--metrics: %s",
				         cfg->metrics.is_unix ? "must be HOST:PORT" : why);
				return SPOA_CFG_ERROR;
			}
			cfg->has_metrics = true;
			break;
		case 'L':
			if (!pf_log_level_parse(optarg, &lvl)) {
				snprintf(err, errlen,
				         "--log-level: '%s': expected err, warn, info or debug",
				         optarg);
				return SPOA_CFG_ERROR;
			}
			cfg->log_level = (int)lvl;
			break;
		case 'h':
			return SPOA_CFG_HELP;
		case 'V':
			return SPOA_CFG_VERSION;
		case ':':
			snprintf(err, errlen, "%s: missing value", argv[optind - 1]);
			return SPOA_CFG_ERROR;
		default:
			snprintf(err, errlen, "%s: unknown option (see --help)", argv[optind - 1]);
			return SPOA_CFG_ERROR;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "'%s': unexpected argument (see --help)", argv[optind]);
		return SPOA_CFG_ERROR;
	}
	if (cfg->n_listen == 0 && pf_addr_parse(SPOA_DEFAULT_LISTEN, &cfg->listen[cfg->n_listen++],
	                                        why, sizeof(why)) == -1) {
		snprintf(err, errlen, "default listen: %s", why);
		return SPOA_CFG_ERROR;
	}
	return SPOA_CFG_RUN;
}
