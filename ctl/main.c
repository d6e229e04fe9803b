/* SPDX-License-Identifier: MIT */
/*
 * polkfura-ctl: `run` the controller, `check` a config, or talk to a running
 * controller over its http_listen address: `status`, `drain`, `undrain`.
 * Exit codes: 0 success, 1 runtime failure (cannot listen, controller not
 * answering, unknown node), 2 bad usage or bad config.
 */
#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <ev.h>

#include "common/clock.h"
#include "common/compiler.h"
#include "common/log.h"
#include "ctl/check.h"
#include "ctl/ctl.h"
#include "ctl/ctl_cfg.h"
#include "ctl/view.h"
#include "ctl/web/status.h"

#ifndef PF_VERSION
#define PF_VERSION "0.1.0"
#endif

#define MOD "main"

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: polkfura-ctl COMMAND --config FILE [options]\n"
	        "Keeps HAProxy's servers in step with the health and block lag of each node.\n\n"
	        "commands:\n"
	        "  run                      run the controller (SIGHUP re-reads the config)\n"
	        "  check [--haproxy]        validate the config and exit (0 ok, 2 bad); with\n"
	        "                           --haproxy also read every HAProxy instance and name\n"
	        "                           what it lacks (2), or that it cannot be read (1)\n"
	        "  status [--json]          table of every node from the running controller\n"
	        "  drain NODE --reason TEXT keep NODE out of rotation until undrained\n"
	        "  undrain NODE             let NODE back (after rise good polls)\n\n"
	        "options:\n"
	        "  --config FILE            the JSON config (default /etc/polkfura/ctl.json)\n"
	        "  --reason TEXT            why a node is drained (shown in status and logs)\n"
	        "  --json                   status: print the raw /status.json\n"
	        "  --help, --version\n");
}

struct http_buf {
	char *p;
	size_t len;
};

static size_t collect(char *d, size_t size, size_t n, void *userp)
{
	struct http_buf *b = userp;
	char *np = realloc(b->p, b->len + size * n + 1);

	if (np == NULL)
		return 0;
	memcpy(np + b->len, d, size * n);
	b->len += size * n;
	np[b->len] = '\0';
	b->p = np;
	return size * n;
}

/* A blocking request to the running controller (CLI only, never inside the loop). */
static long call_controller(const struct ctl_cfg *cfg, const char *path, const char *post,
                            struct http_buf *out, char *err, size_t errlen)
{
	char url[256], addr[128];
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	long status = 0;
	CURLcode rc;

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return 0;
	}
	snprintf(url, sizeof(url), "http://%s%s",
	         pf_addr_str(&cfg->http_listen, addr, sizeof(addr)), path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	if (post != NULL) {
		h = curl_slist_append(NULL, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
	}
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK)
		snprintf(err, errlen, "controller at %s: %s (is `polkfura-ctl run` running?)", url,
		         curl_easy_strerror(rc));
	else
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return status;
}

static void on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	ctl_reload(w->data);
}

static void on_stop(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	log_info(MOD, "signal %d: stopping", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

static int web_build(void *ctx, struct status_view *out)
{
	return ctl_view_build(ctx, out);
}

static void web_release(void *ctx, struct status_view *view)
{
	(void)ctx;
	ctl_view_release(view);
}

static int web_admin(void *ctx, const char *node, bool drain, const char *reason)
{
	return ctl_admin_drain(ctx, node, drain, reason);
}

static int cmd_run(struct ctl_cfg *cfg, const char *path)
{
	static struct ctl c; /* large; static keeps it off the stack */
	struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
	struct status_ops web = {&c, web_build, web_release, web_admin};
	ev_signal hup, term, intr;
	char err[512];

	if (loop == NULL) {
		fprintf(stderr, "polkfura-ctl: cannot create the event loop\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	pf_log_threshold = cfg->log_level;
	if (ctl_start(&c, loop, cfg, path, &web, err, sizeof(err)) == -1) {
		fprintf(stderr, "polkfura-ctl: %s\n", err);
		return 1;
	}
	ev_signal_init(&hup, on_hup, SIGHUP);
	hup.data = &c;
	ev_signal_init(&term, on_stop, SIGTERM);
	ev_signal_init(&intr, on_stop, SIGINT);
	ev_signal_start(loop, &hup);
	ev_signal_start(loop, &term);
	ev_signal_start(loop, &intr);
	log_info(MOD,
	         "polkfura-ctl %s running: region=%s chains=%u nodes=%u haproxy=%u "
	         "interval=%u ms",
	         PF_VERSION, c.cfg.region, c.n_chains, c.cfg.n_nodes, c.n_haproxy,
	         c.cfg.interval_ms);
	ev_run(loop, 0);
	ev_signal_stop(loop, &hup);
	ev_signal_stop(loop, &term);
	ev_signal_stop(loop, &intr);
	ctl_stop(&c);
	log_info(MOD, "stopped");
	return 0;
}

static int cmd_status(const struct ctl_cfg *cfg, bool raw)
{
	struct http_buf b = {NULL, 0};
	char err[512];
	long st = call_controller(cfg, "/status.json", NULL, &b, err, sizeof(err));
	int rc = 1;

	if (st != 200) {
		if (st != 0)
			snprintf(err, sizeof(err), "controller answered HTTP %ld", st);
		fprintf(stderr, "polkfura-ctl: %s\n", err);
	} else if (raw) {
		fputs(b.p, stdout);
		fputc('\n', stdout);
		rc = 0;
	} else if (status_print_table(b.p, b.len, pf_wall_ms(), stdout, err, sizeof(err)) == -1) {
		fprintf(stderr, "polkfura-ctl: %s\n", err);
	} else {
		rc = 0;
	}
	free(b.p);
	return rc;
}

static int cmd_drain(const struct ctl_cfg *cfg, const char *node, bool drain, const char *reason)
{
	cJSON *req = cJSON_CreateObject();
	struct http_buf b = {NULL, 0};
	char err[512], *body;
	long st;

	cJSON_AddStringToObject(req, "node", node);
	if (reason != NULL)
		cJSON_AddStringToObject(req, "reason", reason);
	body = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);
	if (body == NULL) {
		fprintf(stderr, "polkfura-ctl: out of memory\n");
		return 1;
	}
	st = call_controller(cfg, drain ? "/admin/drain" : "/admin/undrain", body, &b, err,
	                     sizeof(err));
	free(body);
	if (st == 200) {
		printf("%s %s\n", node, drain ? "drained" : "undrained");
	} else if (st != 0) {
		fprintf(stderr, "polkfura-ctl: %s: %s\n", node, b.p != NULL ? b.p : "refused");
	} else {
		fprintf(stderr, "polkfura-ctl: %s\n", err);
	}
	free(b.p);
	return st == 200 ? 0 : 1;
}

static int cmd_check(const struct ctl_cfg *cfg, const char *config, bool with_haproxy)
{
	unsigned problems, unreadable;

	if (!with_haproxy) {
		printf("%s: ok (%u chains, %u nodes, %u haproxy sockets)\n", config, cfg->n_chains,
		       cfg->n_nodes, cfg->n_haproxy);
		return 0;
	}
	problems = ctl_check_haproxy(cfg, stdout, &unreadable);
	if (problems == 0 && unreadable == 0) {
		printf("%s: ok, and every HAProxy instance has what it names (%u chains, %u nodes, "
		       "%u haproxy sockets)\n",
		       config, cfg->n_chains, cfg->n_nodes, cfg->n_haproxy);
		return 0;
	}
	fprintf(stderr, "polkfura-ctl: %s: %u problem(s) in HAProxy, %u instance(s) not read\n",
	        config, problems, unreadable);
	return problems > 0 ? 2 : 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"reason", required_argument, NULL, 'r'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {"haproxy", no_argument, NULL, 'H'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *config = "/etc/polkfura/ctl.json", *reason = NULL, *cmd = NULL, *node = NULL;
	struct ctl_cfg cfg;
	char err[1024];
	bool raw = false, check_haproxy = false;
	int opt, rc;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'r':
			reason = optarg;
			break;
		case 'j':
			raw = true;
			break;
		case 'H':
			check_haproxy = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("polkfura-ctl %s\n", PF_VERSION);
			return 0;
		case ':':
			fprintf(stderr, "polkfura-ctl: %s: missing value\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "polkfura-ctl: %s: unknown option (see --help)\n",
			        argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc)
		cmd = argv[optind++];
	if (cmd != NULL && strcmp(cmd, "keys") == 0 && optind == argc) {
		ctl_cfg_dump_keys(stdout);
		return 0;
	}
	if (optind < argc)
		node = argv[optind++];
	if (cmd == NULL) {
		usage(stderr);
		return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "polkfura-ctl: '%s': unexpected argument\n", argv[optind]);
		return 2;
	}
	if ((strcmp(cmd, "drain") == 0 || strcmp(cmd, "undrain") == 0) == (node == NULL)) {
		fprintf(stderr, "polkfura-ctl: %s\n",
		        node == NULL ? "drain and undrain take a NODE"
		                     : "only drain and undrain take a NODE");
		return 2;
	}
	if (check_haproxy && strcmp(cmd, "check") != 0) {
		fprintf(stderr, "polkfura-ctl: --haproxy goes with check\n");
		return 2;
	}
	if (strcmp(cmd, "drain") == 0 && reason == NULL) {
		fprintf(stderr,
		        "polkfura-ctl: drain needs --reason TEXT (it is shown to the team)\n");
		return 2;
	}
	if (strcmp(cmd, "run") != 0 && strcmp(cmd, "check") != 0 && strcmp(cmd, "status") != 0 &&
	    strcmp(cmd, "drain") != 0 && strcmp(cmd, "undrain") != 0) {
		fprintf(stderr, "polkfura-ctl: '%s': unknown command (see --help)\n", cmd);
		return 2;
	}
	if (ctl_cfg_load(config, &cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "polkfura-ctl: %s\n", err);
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (strcmp(cmd, "check") == 0) {
		rc = cmd_check(&cfg, config, check_haproxy);
	} else if (strcmp(cmd, "run") == 0) {
		rc = cmd_run(&cfg, config);
	} else if (strcmp(cmd, "status") == 0) {
		rc = cmd_status(&cfg, raw);
	} else {
		rc = cmd_drain(&cfg, node, strcmp(cmd, "drain") == 0, reason);
	}
	ctl_cfg_free(&cfg);
	curl_global_cleanup();
	return rc;
}
