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
    {"listen", required_argument, NULL, 'l'},
    {"threads", required_argument, NULL, 't'},
    {"methods", required_argument, NULL, 'm'},
    {"chains", required_argument, NULL, 'c'},
    {"max-body", required_argument, NULL, 'b'},
    {"metrics", required_argument, NULL, 'M'},
    {"log-level", required_argument, NULL, 'L'},
    {"max-conns", required_argument, NULL, 'C'},
    {"idle-timeout", required_argument, NULL, 'I'},
    {"frame-timeout", required_argument, NULL, 'F'},
    {"socket-mode", required_argument, NULL, 'P'},
    {"socket-group", required_argument, NULL, 'G'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
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
	    "  --max-conns N      connections per listener; more are accepted and closed\n"
	    "                     (default %d, max %d)\n"
	    "  --idle-timeout S   close a connection with no frame for S seconds after\n"
	    "                     HELLO (default %d; keep it above HAProxy's own)\n"
	    "  --frame-timeout S  close a connection whose started frame is not complete\n"
	    "                     after S seconds (default %d)\n"
	    "  --socket-mode MODE permission bits of unix listeners, octal (default %04o)\n"
	    "  --socket-group G   group (name or number) of unix listeners (default: own)\n"
	    "  --help, --version\n\n"
	    "A unix listener is bound under a temporary name and renamed over PATH, so a new\n"
	    "agent can start while the old one drains; TCP listeners use SO_REUSEPORT.\n"
	    "Signals: SIGHUP reloads the methods table; SIGTERM/SIGINT close the listeners,\n"
	    "answer the frames in flight, disconnect from HAProxy and exit 0.\n",
	    SPOA_MAX_THREADS, SPOA_DEFAULT_MAX_BODY, SPOA_MAX_MAX_BODY, SPOA_DEFAULT_MAX_CONNS,
	    SPOA_MAX_MAX_CONNS, SPOA_DEFAULT_IDLE_TIMEOUT, SPOA_DEFAULT_FRAME_TIMEOUT,
	    SPOA_DEFAULT_SOCKET_MODE);
}

static int parse_ulong_base(const char *s, int base, unsigned long min, unsigned long max,
                            unsigned long *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, base);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	return parse_ulong_base(s, 10, min, max, out);
}

/* A group name as useradd accepts it, or a number: checked here, looked up when listening. */
static bool is_group_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32 || s[0] == '-')
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* The flags that guard the agent's resources; 1 when <opt> is not one of them. */
static int parse_guard(int opt, const char *arg, struct spoa_cfg *cfg, char *err, size_t errlen)
{
	unsigned long v;

	switch (opt) {
	case 'C':
		if (parse_ulong(arg, 1, SPOA_MAX_MAX_CONNS, &v) == -1)
			goto bad_range;
		cfg->max_conns = (unsigned)v;
		return 0;
	case 'I':
		if (parse_ulong(arg, 1, SPOA_MAX_TIMEOUT, &v) == -1)
			goto bad_seconds;
		cfg->idle_timeout = (unsigned)v;
		return 0;
	case 'F':
		if (parse_ulong(arg, 1, SPOA_MAX_TIMEOUT, &v) == -1)
			goto bad_seconds;
		cfg->frame_timeout = (unsigned)v;
		return 0;
	case 'P':
		if (parse_ulong_base(arg, 8, 0, 0777, &v) == -1) {
			snprintf(err, errlen, "--socket-mode: '%s': expected octal 0000-0777", arg);
			return -1;
		}
		cfg->socket_mode = (unsigned)v;
		return 0;
	case 'G':
		if (!is_group_name(arg)) {
			snprintf(err, errlen, "--socket-group: '%s': not a group name or number",
			         arg);
			return -1;
		}
		cfg->socket_group = arg;
		return 0;
	default:
		return 1;
	}
bad_range:
	snprintf(err, errlen, "--max-conns: '%s': expected 1-%d", arg, SPOA_MAX_MAX_CONNS);
	return -1;
bad_seconds:
	snprintf(err, errlen, "--%s: '%s': expected 1-%d seconds",
	         opt == 'I' ? "idle-timeout" : "frame-timeout", arg, SPOA_MAX_TIMEOUT);
	return -1;
}

static void set_defaults(struct spoa_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->threads = 1;
	cfg->methods_path = SPOA_DEFAULT_METHODS;
	cfg->max_body = SPOA_DEFAULT_MAX_BODY;
	cfg->log_level = PF_LOG_INFO;
	cfg->max_conns = SPOA_DEFAULT_MAX_CONNS;
	cfg->idle_timeout = SPOA_DEFAULT_IDLE_TIMEOUT;
	cfg->frame_timeout = SPOA_DEFAULT_FRAME_TIMEOUT;
	cfg->socket_mode = SPOA_DEFAULT_SOCKET_MODE;
}

enum spoa_cfg_result spoa_cfg_parse(int argc, char **argv, struct spoa_cfg *cfg, char *err,
                                    size_t errlen)
{
	char why[160];
	unsigned long v;
	enum pf_log_level lvl;
	int opt;

	set_defaults(cfg);
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
		case 'C':
		case 'I':
		case 'F':
		case 'P':
		case 'G':
			if (parse_guard(opt, optarg, cfg, err, errlen) != 0)
				return SPOA_CFG_ERROR;
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
