/* SPDX-License-Identifier: MIT */
/*
 * polkfura-ctl: `run` the controller, `check` a config, or talk to a running
 * controller: `status`, `drain`, `undrain`, at --url or its http_listen
 * address, drain and undrain with the admin token of admin_token_file or
 * --token-file. Those three read only the keys they use, so a mistake
 * elsewhere in the config does not lock an operator out. Exit codes: 0
 * success, 1 runtime failure (cannot listen, controller not answering or
 * refusing), 2 bad usage or bad config.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <ev.h>

#include "common/clock.h"
#include "common/compiler.h"
#include "common/log.h"
#include "common/procstat.h"
#include "common/text.h"
#include "ctl/cfg_url.h"
#include "ctl/check.h"
#include "ctl/ctl.h"
#include "ctl/ctl_cfg.h"
#include "ctl/db/migrate.h"
#include "ctl/db/note.h"
#include "ctl/poll/poller.h"
#include "ctl/report/report_db.h"
#include "ctl/report/report_fmt.h"
#include "ctl/report/report_render.h"
#include "ctl/snapshot/fetch.h"
#include "ctl/snapshot/publish_cli.h"
#include "ctl/state.h"
#include "ctl/stats/methtab.h"
#include "ctl/usage/usage_cli.h"
#include "ctl/view.h"
#include "ctl/web/admin.h"
#include "ctl/web/status.h"

#ifndef PF_VERSION
#define PF_VERSION "0.1.0"
#endif

#define MOD "main"

#define CLI_URL_MAX    512
#define CLI_TIMEOUT_S  15L /* a drain waits for the state file's fsync */
#define DEFAULT_CONFIG "/etc/polkfura/ctl.json"
#ifndef PF_SQL_DIR /* the Makefile sets it to $(PREFIX)/share/polkfura/sql, where install puts it  \
                    */
#define PF_SQL_DIR "/usr/local/share/polkfura/sql"
#endif

/* The report's options, in the order of REPORT_OPTS. */
#define REPORT_OPTS "FTORC"
enum { ROPT_FROM = 0, ROPT_TO, ROPT_FORMAT, ROPT_REGION, ROPT_CHAIN, ROPT_COUNT };

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: polkfura-ctl COMMAND [--config FILE] [options]\n"
	    "Keeps HAProxy's servers in step with the health and block lag of each node.\n\n"
	    "commands:\n"
	    "  run                      run the controller (SIGHUP re-reads the config)\n"
	    "  check [--haproxy]        validate the config, token file and state directory\n"
	    "                           (exit 0 ok, 2 bad); with --haproxy also read every\n"
	    "                           HAProxy instance and name what it lacks (2), or that\n"
	    "                           it cannot be read (1)\n"
	    "  status [--json]          table of every node from the running controller\n"
	    "  drain NODE --reason TEXT keep NODE out of rotation until undrained\n"
	    "  undrain NODE             let NODE back (after rise good polls)\n"
	    "  keys                     every config key with type, default and range\n"
	    "  db migrate [--sql-dir D] apply the schema migrations not yet applied to the\n"
	    "                           `database` of the config, in order, each once\n"
	    "  db status [--sql-dir D]  list the migrations, applied and pending\n"
	    "  note TEXT                record an operational change (a deploy, maintenance)\n"
	    "                           in the `database` of the config, as user@host\n"
	    "  report --from T [--to T] [--format md|html|csv|json] [--region R] [--chain C]\n"
	    "                           the uptime, incident and operational-changes report\n"
	    "                           of [from, to) from the `database` of the config\n"
	    "                           (T: 2026-11-01 or 2026-11-01T12:00:00Z or +02:00;\n"
	    "                           --to defaults to now, a later one is clipped to now;\n"
	    "                           --format defaults to md); it ends with the capacity\n"
	    "                           section of `usage --capacity` for the same window\n"
	    "  usage [--since T] [--until T] [--region R] [--chain C] [--top N]\n"
	    "        [--by method|class|status|time] [--format table|csv|json]\n"
	    "                           requests, calls, calls/s, error %%, bytes, p50/p95/p99\n"
	    "                           of %%Ta and node time per chain and key, from the\n"
	    "                           per-minute rows of the `database` of the config,\n"
	    "                           the busiest first (--by time: the most node time\n"
	    "                           first). T: 30m, 1h, 7d back from now, or a time as\n"
	    "                           for report; rounded down to the minute. Defaults:\n"
	    "                           --since 1h, --until now, --top 20, --by method,\n"
	    "                           --format table. Quantiles are read from log-scale\n"
	    "                           buckets: never low, at most 12.5 %% high\n"
	    "  usage --capacity [--since T] [--until T] [--region R] [--chain C]\n"
	    "        [--node-capacity S] [--target-util U] [--min-minutes N] [--format F]\n"
	    "                           per region and chain: peak and average calls/s,\n"
	    "                           node load per node in rotation and a suggested\n"
	    "                           cluster size of 1 to 6 (S: node-seconds per second\n"
	    "                           one node serves, default 4; U: the share of it the\n"
	    "                           busiest minute may use, default 0.7; N: minutes of\n"
	    "                           data needed for a suggestion, default 30; never\n"
	    "                           below the config's min_ready). report takes the\n"
	    "                           same three\n"
	    "  snapshot publish [--chain C] [--metrics-dir DIR]\n"
	    "                           pack each chain of the config's snapshot section and\n"
	    "                           upload it, then its manifest and latest.json\n"
	    "                           (ctl/CONFIG.md)\n"
	    "  snapshot recover [--chain C]\n"
	    "                           run the post hook of each chain whose publish was\n"
	    "                           killed after its pre hook (the publisher unit's\n"
	    "                           ExecStopPost)\n"
	    "  snapshot fetch --chain C --dest DIR --from URL|s3|cdn [--bucket B]\n"
	    "        [--region R] [--endpoint URL] [--form files|tar] [--parallel N]\n"
	    "                           download the chain's latest snapshot into DIR, every\n"
	    "                           byte checked (no config needed; exit 3 when a\n"
	    "                           checksum, size or name does not verify; see\n"
	    "                           `snapshot fetch --help`)\n\n"
	    "options:\n"
	    "  --config FILE            the JSON config (default " DEFAULT_CONFIG ");\n"
	    "                           status/drain/undrain read only http_listen and\n"
	    "                           admin_token_file from it\n"
	    "  --reason TEXT            why a node is drained (shown in status and logs)\n"
	    "  --force                  drain even below min_ready servers in rotation\n"
	    "  --url URL                the controller's base URL (instead of http_listen)\n"
	    "  --token-file FILE        the admin token (instead of admin_token_file); a\n"
	    "                           file mode 0600, never the token itself on the line\n"
	    "  --json                   status: print the raw /status.json\n"
	    "  --sql-dir DIR            db: the NNN_*.sql migrations (default " PF_SQL_DIR ")\n"
	    "  --help, --version\n\n"
	    "exit codes: 0 done, 1 runtime failure (controller not answering, or it refused:\n"
	    "401 token, 403 refused, 404 no such node or admin off, 409 min_ready; database\n"
	    "not reachable, a migration failed or was changed after it was applied, a report\n"
	    "or usage query failed), 2 usage or config (a bad --from/--to/--format, --since,\n"
	    "--until, --by, --top, a model flag; no database key)\n");
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

/* Where and how the CLI reaches the controller. Holds the token: wipe it after use. */
struct target {
	char base[CLI_URL_MAX]; /* "http://127.0.0.1:9465", no trailing '/' */
	char token[ADMIN_TOKEN_MAX + 1];
	size_t token_len; /* 0: none */
};

/*
 * A blocking request to the running controller (CLI only, never inside the
 * loop). Never through a proxy from the environment: the controller is
 * named directly. Returns the HTTP status, or 0 with the reason in <err>.
 */
static long call_controller(const struct target *t, const char *path, const char *post,
                            struct http_buf *out, char *err, size_t errlen)
{
	char url[CLI_URL_MAX + 64], auth[ADMIN_TOKEN_MAX + 32];
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	long status = 0;
	CURLcode rc;

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return 0;
	}
	snprintf(url, sizeof(url), "%s%s", t->base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, CLI_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	if (post != NULL) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
	}
	if (t->token_len > 0) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", t->token);
		h = curl_slist_append(h, auth);
		explicit_bzero(auth, sizeof(auth));
	}
	if (h != NULL)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK)
		snprintf(err, errlen, "controller at %s: %s (is `polkfura-ctl run` running?)", url,
		         curl_easy_strerror(rc));
	else
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h); /* curl's copy of the header: the list is all there is */
	curl_easy_cleanup(c);
	return status;
}

/* One line for a refusal: the controller's "error" text (sanitized), the status, a hint. */
static void print_refusal(const char *what, long st, const struct http_buf *b)
{
	cJSON *j = b->p != NULL ? cJSON_ParseWithLength(b->p, b->len) : NULL;
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
	const char *text = cJSON_IsString(e) ? e->valuestring : b->p != NULL ? b->p : "";
	const char *hint = "";
	char msg[400];
	size_t n = strlen(text);

	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		n--;
	(void)pf_printable(msg, sizeof(msg), text, n, NULL);
	if (st == 401)
		hint = "; is the token of --token-file / admin_token_file the controller's?";
	else if (st == 421)
		hint = "; --url must name the controller as http_listen or http_hosts do";
	fprintf(stderr, "polkfura-ctl: %s: %s (HTTP %ld)%s\n", what, msg[0] ? msg : "refused", st,
	        hint);
	cJSON_Delete(j);
}

static void base_from_listen(const struct pf_addr *listen, char *out, size_t len)
{
	struct pf_addr a = *listen;
	char addr[128];

	/* A wildcard listener is reached, and named in Host, as loopback. */
	if (a.ss.ss_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)&a.ss;

		if (s4->sin_addr.s_addr == htonl(INADDR_ANY))
			s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else if (a.ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)&a.ss;

		if (IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr))
			s6->sin6_addr = in6addr_loopback;
	}
	snprintf(out, len, "http://%s", pf_addr_str(&a, addr, sizeof(addr)));
}

/* Why --url <u> is refused, or NULL: it follows a node rpc URL's grammar (ctl/CONFIG.md). */
static const char *url_why(const char *u)
{
	struct cfg_url_parts parts;
	bool explicit_port;

	if (strlen(u) > CFG_URL_MAX)
		return "longer than 255 characters";
	return ctl_cfg_url_split(u, &parts, &explicit_port);
}

/*
 * Fills <t> for status (<need_token> false), drain and undrain: --url and
 * --token-file when given, the rest from the config's http_listen and
 * admin_token_file. Returns 0, or the exit code (2) after a message.
 */
static int resolve_target(const char *config, const char *url, const char *token_file,
                          bool need_token, struct target *t)
{
	struct ctl_cfg_client cc;
	char err[1400];

	memset(t, 0, sizeof(*t));
	if (url == NULL || (need_token && token_file == NULL)) {
		if (ctl_cfg_load_client(config, &cc, err, sizeof(err)) == -1) {
			fprintf(
			    stderr,
			    "polkfura-ctl: %s\n(--url URL and --token-file FILE make the config "
			    "unnecessary)\n",
			    err);
			return 2;
		}
		if (url == NULL)
			base_from_listen(&cc.http_listen, t->base, sizeof(t->base));
		if (token_file == NULL && cc.admin_token_file[0] != '\0')
			token_file = cc.admin_token_file;
		if (need_token && token_file == NULL) {
			fprintf(
			    stderr,
			    "polkfura-ctl: %s has no admin_token_file: pass --token-file FILE (the "
			    "controller's token)\n",
			    config);
			return 2;
		}
	}
	if (url != NULL) {
		const char *why = url_why(url);

		if (why != NULL) {
			fprintf(stderr,
			        "polkfura-ctl: --url: %s (expected http://HOST:PORT or "
			        "https://HOST:PORT/PATH)\n",
			        why);
			return 2;
		}
		snprintf(t->base, sizeof(t->base), "%s", url);
		for (size_t n = strlen(t->base); n > 0 && t->base[n - 1] == '/'; n--)
			t->base[n - 1] = '\0';
	}
	/* root may read any file; anyone else must own the token file, like the controller. */
	if (need_token && admin_token_load(token_file, geteuid() != 0, t->token, &t->token_len, err,
	                                   sizeof(err)) == -1) {
		fprintf(stderr, "polkfura-ctl: token: %s\n", err);
		return 2;
	}
	return 0;
}

/* "user@host" of the caller (the sudo user when root runs it through sudo), sanitized. */
static void caller_id(char *out, size_t len)
{
	const char *user = getuid() == 0 ? getenv("SUDO_USER") : NULL;
	const struct passwd *pw = user == NULL ? getpwuid(getuid()) : NULL;
	char host[256] = "?", raw[320];

	if (user == NULL && pw != NULL)
		user = pw->pw_name;
	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "?");
	host[sizeof(host) - 1] = '\0';
	if (user != NULL)
		snprintf(raw, sizeof(raw), "%s@%s", user, host);
	else
		snprintf(raw, sizeof(raw), "uid%u@%s", (unsigned)getuid(), host);
	(void)pf_printable(out, len, raw, strlen(raw), NULL);
}

static void on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	ctl_reload(w->data);
}

/* How long a stop waits for the database to take what is queued; the rest stays in the spool. */
#define STOP_FLUSH_S 2.0

static struct {
	bool stopping;
	double deadline;
	ev_timer flush;
} stop;

static void on_flush(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)revents;
	if (ctl_flushed(t->data))
		ev_break(loop, EVBREAK_ALL);
	else if (ev_now(loop) >= stop.deadline) {
		log_warn(MOD,
		         "stopping with records still unsent after %.0f s: they stay in the "
		         "spool for the next start",
		         STOP_FLUSH_S);
		ev_break(loop, EVBREAK_ALL);
	}
}

/* The first signal stops the rounds and lets the database take what waits (bounded); a second one
 * stops at once. */
static void on_stop(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	log_info(MOD, "signal %d: stopping", w->signum);
	if (stop.stopping || !ctl_stop_begin(w->data)) {
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	stop.stopping = true;
	stop.deadline = ev_now(loop) + STOP_FLUSH_S;
	ev_timer_init(&stop.flush, on_flush, 0.02, 0.02);
	stop.flush.data = w->data;
	ev_timer_start(loop, &stop.flush);
}

static int web_build(void *ctx, struct status_view *out)
{
	char err[256];

	if (ctl_view_build(ctx, out) == -1)
		return -1;
	out->version = PF_VERSION;
	out->has_proc = pf_proc_read(&out->proc, err, sizeof(err)) == 0;
	return 0;
}

static void web_release(void *ctx, struct status_view *view)
{
	(void)ctx;
	ctl_view_release(view);
}

static int cmd_run(struct ctl_cfg *cfg, const char *path)
{
	static struct ctl c; /* large; static keeps it off the stack */
	struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
	struct status_ops web = {&c, web_build, web_release, NULL, NULL, NULL};
	ev_signal hup, term, intr;
	char err[512];

	if (loop == NULL) {
		fprintf(stderr, "polkfura-ctl: cannot create the event loop\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	/* A spool past RLIMIT_FSIZE fails a put (counted as lost), it does not kill the controller.
	 */
	signal(SIGXFSZ, SIG_IGN);
	pf_log_threshold = cfg->log_level;
	if (ctl_start(&c, loop, cfg, path, &web, err, sizeof(err)) == -1) {
		fprintf(stderr, "polkfura-ctl: %s\n", err);
		return 1;
	}
	ev_signal_init(&hup, on_hup, SIGHUP);
	hup.data = &c;
	ev_signal_init(&term, on_stop, SIGTERM);
	ev_signal_init(&intr, on_stop, SIGINT);
	term.data = intr.data = &c;
	ev_signal_start(loop, &hup);
	ev_signal_start(loop, &term);
	ev_signal_start(loop, &intr);
	log_info(MOD,
	         "polkfura-ctl %s running: region=%s chains=%u nodes=%u haproxy=%u "
	         "interval=%u ms",
	         PF_VERSION, c.cfg.region, c.n_chains, c.cfg.n_nodes, c.n_haproxy,
	         c.cfg.interval_ms);
	ev_run(loop, 0);
	ev_timer_stop(loop, &stop.flush);
	ev_signal_stop(loop, &hup);
	ev_signal_stop(loop, &term);
	ev_signal_stop(loop, &intr);
	ctl_stop(&c);
	log_info(MOD, "stopped");
	return 0;
}

static int cmd_status(const struct target *t, bool raw)
{
	struct http_buf b = {NULL, 0};
	char err[1024];
	long st = call_controller(t, "/status.json", NULL, &b, err, sizeof(err));
	int rc = 1;

	if (st == 0) {
		fprintf(stderr, "polkfura-ctl: %s\n", err);
	} else if (st != 200) {
		print_refusal("status", st, &b);
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

static int cmd_drain(const struct target *t, const char *node, bool drain, const char *reason,
                     bool force)
{
	cJSON *req = cJSON_CreateObject();
	struct http_buf b = {NULL, 0};
	char err[1024], by[STATE_BY_MAX + 1], what[128];
	char *body = NULL;
	long st;

	caller_id(by, sizeof(by));
	if (req != NULL && cJSON_AddStringToObject(req, "node", node) != NULL &&
	    (reason == NULL || cJSON_AddStringToObject(req, "reason", reason) != NULL) &&
	    cJSON_AddStringToObject(req, "by", by) != NULL &&
	    (!force || cJSON_AddTrueToObject(req, "force") != NULL))
		body = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);
	if (body == NULL) {
		fprintf(stderr, "polkfura-ctl: out of memory\n");
		return 1;
	}
	st = call_controller(t, drain ? "/admin/drain" : "/admin/undrain", body, &b, err,
	                     sizeof(err));
	free(body);
	snprintf(what, sizeof(what), "%s %.63s", drain ? "drain" : "undrain", node);
	if (st == 200)
		printf("%s %s\n", node, drain ? "drained" : "undrained");
	else if (st != 0)
		print_refusal(what, st, &b);
	else
		fprintf(stderr, "polkfura-ctl: %s\n", err);
	free(b.p);
	return st == 200 ? 0 : 1;
}

/* `check` and `run`: the token file and the state directory and file, beyond the config. */
/* With log_listen: the methods table reads, and a unix path is free or a socket. */
static int preflight_logs(const struct ctl_cfg *cfg, const char *config, char *err, size_t errlen)
{
	const char *path = ((const struct sockaddr_un *)&cfg->log_listen.ss)->sun_path;
	struct methtab *m;
	struct stat st;
	char why[1400];

	if (cfg->log_listen.len == 0)
		return 0;
	m = methtab_load(cfg->methods_file, why, sizeof(why));
	if (m == NULL) {
		pf_errf(err, errlen, "%s: methods_file: %s", config, why);
		return -1;
	}
	methtab_free(m);
	if (cfg->log_listen.is_unix && lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		pf_errf(err, errlen, "%s: log_listen: %s exists and is not a socket", config, path);
		return -1;
	}
	return 0;
}

static int preflight(const struct ctl_cfg *cfg, const char *config, char *err, size_t errlen)
{
	char why[1400], token[ADMIN_TOKEN_MAX + 1];
	struct state_entry *e = NULL;
	size_t n = 0;
	int rc = 0;

	if (cfg->admin_token_file[0] != '\0') {
		rc = admin_token_load(cfg->admin_token_file, true, token, &n, why, sizeof(why));
		explicit_bzero(token, sizeof(token));
		if (rc == -1) {
			pf_errf(err, errlen, "%s: admin_token_file: %s", config, why);
			return -1;
		}
	}
	if (cfg->node_tls_ca_file[0] != '\0' &&
	    poller_check_ca_file(cfg->node_tls_ca_file, why, sizeof(why)) == -1) {
		pf_errf(err, errlen, "%s: node_tls_ca_file: %s", config, why);
		return -1;
	}
	if (cfg->probe_tls_ca_file[0] != '\0' &&
	    poller_check_ca_file(cfg->probe_tls_ca_file, why, sizeof(why)) == -1) {
		pf_errf(err, errlen, "%s: probe_tls_ca_file: %s", config, why);
		return -1;
	}
	if (state_check_dir(cfg->state_file, why, sizeof(why)) == -1 ||
	    state_read_file(cfg->state_file, &e, &n, why, sizeof(why)) == -1) {
		pf_errf(err, errlen, "%s: state_file: %s", config, why);
		return -1;
	}
	free(e);
	return preflight_logs(cfg, config, err, errlen);
}

static int cmd_check(const struct ctl_cfg *cfg, const char *config, bool with_haproxy)
{
	unsigned problems, unreadable;
	const char *admin = cfg->admin_token_file[0] != '\0' ? "on" : "off";

	if (!with_haproxy) {
		printf("%s: ok (%u chains, %u nodes, %u haproxy sockets, admin endpoints %s)\n",
		       config, cfg->n_chains, cfg->n_nodes, cfg->n_haproxy, admin);
		return 0;
	}
	problems = ctl_check_haproxy(cfg, stdout, &unreadable);
	if (problems == 0 && unreadable == 0) {
		printf("%s: ok, and every HAProxy instance has what it names (%u chains, %u nodes, "
		       "%u haproxy sockets, admin endpoints %s)\n",
		       config, cfg->n_chains, cfg->n_nodes, cfg->n_haproxy, admin);
		return 0;
	}
	fprintf(stderr, "polkfura-ctl: %s: %u problem(s) in HAProxy, %u instance(s) not read\n",
	        config, problems, unreadable);
	return problems > 0 ? 2 : 1;
}

/* Checks the command line; returns 0, or the exit code (2) after a message. */
static int check_usage(const char *cmd, const char *node, const char *reason, bool force)
{
	static const char *const cmds[] = {"run", "check",  "status", "drain", "undrain",
	                                   "db",  "report", "note",   "usage"};
	bool known = false, takes_node = strcmp(cmd, "drain") == 0 || strcmp(cmd, "undrain") == 0;

	if (strcmp(cmd, "note") == 0) {
		if (node == NULL) {
			fprintf(stderr,
			        "polkfura-ctl: note takes the TEXT (quoted: one argument)\n");
			return 2;
		}
		return 0;
	}

	if (strcmp(cmd, "db") == 0) {
		if (node == NULL || (strcmp(node, "migrate") != 0 && strcmp(node, "status") != 0)) {
			fprintf(stderr, "polkfura-ctl: db takes migrate or status\n");
			return 2;
		}
		return 0;
	}

	for (size_t i = 0; i < PF_ARRAY_SIZE(cmds); i++)
		known = known || strcmp(cmd, cmds[i]) == 0;
	if (!known) {
		fprintf(stderr, "polkfura-ctl: '%s': unknown command (see --help)\n", cmd);
		return 2;
	}
	if (takes_node == (node == NULL)) {
		fprintf(stderr, "polkfura-ctl: %s\n",
		        node == NULL ? "drain and undrain take a NODE"
		                     : "only drain and undrain take a NODE");
		return 2;
	}
	if (strcmp(cmd, "drain") == 0 && reason == NULL) {
		fprintf(stderr,
		        "polkfura-ctl: drain needs --reason TEXT (it is shown to the team)\n");
		return 2;
	}
	if (force && strcmp(cmd, "drain") != 0) {
		fprintf(stderr, "polkfura-ctl: only drain takes --force\n");
		return 2;
	}
	return 0;
}

/* --haproxy goes with check, --sql-dir with db. Returns 0, or 2 after a message. */
static int flag_usage(const char *cmd, bool check_haproxy, const char *sql_dir)
{
	if (check_haproxy && strcmp(cmd, "check") != 0) {
		fprintf(stderr, "polkfura-ctl: --haproxy goes with check\n");
		return 2;
	}
	if (sql_dir != NULL && strcmp(cmd, "db") != 0) {
		fprintf(stderr, "polkfura-ctl: --sql-dir goes with db\n");
		return 2;
	}
	return 0;
}

/*
 * The report's options go with report only, and report takes no other
 * (<others>: one was given). Returns -1 when the command is not report and
 * takes none of them, 0 to run the report, or 2 after a message.
 */
static int report_usage(const char *cmd, const char *const *ro, bool others)
{
	bool is_report = strcmp(cmd, "report") == 0, any = false;

	for (int i = 0; i < ROPT_COUNT; i++)
		any = any || ro[i] != NULL;
	if (!is_report && any) {
		fprintf(stderr,
		        "polkfura-ctl: --from, --to, --format, --region and --chain go with "
		        "report\n");
		return 2;
	}
	if (is_report && others) {
		fprintf(stderr, "polkfura-ctl: report takes only --config, --from, --to, --format, "
		                "--region, --chain and the capacity model's flags\n");
		return 2;
	}
	return is_report ? 0 : -1;
}

/*
 * The command and its NODE, after getopt's options; `keys` runs here.
 * Returns -1 to go on, or the exit code: 0 after keys, 2 after a one-line
 * message.
 */
static int take_command(int argc, char **argv, const char **cmd, const char **node)
{
	if (optind < argc)
		*cmd = argv[optind++];
	if (*cmd == NULL) {
		fprintf(stderr, "polkfura-ctl: no command (see --help)\n");
		return 2;
	}
	if (strcmp(*cmd, "keys") != 0 && optind < argc)
		*node = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "polkfura-ctl: '%s': unexpected argument\n", argv[optind]);
		return 2;
	}
	if (strcmp(*cmd, "keys") == 0) {
		ctl_cfg_dump_keys(stdout);
		return 0;
	}
	return -1;
}

/*
 * db, note, report: the config at <config> into <cfg>, which must name a
 * database. Returns 0, or -1 (exit 2) after a one-line message, with
 * nothing to free.
 */
static int load_db_cfg(const char *config, struct ctl_cfg *cfg)
{
	char err[2048];

	if (ctl_cfg_load(config, cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "polkfura-ctl: %s\n", err);
		return -1;
	}
	if (cfg->database[0] == '\0') {
		fprintf(stderr, "polkfura-ctl: %s: no database key (a libpq connection string)\n",
		        config);
		ctl_cfg_free(cfg);
		return -1;
	}
	return 0;
}

/* db migrate, db status: the database of the config's `database` key. */
static int cmd_db(const char *sub, const char *config, const char *sql_dir)
{
	struct ctl_cfg cfg;
	struct migrate_opts o;
	char err[2048];
	int rc;

	if (load_db_cfg(config, &cfg) == -1)
		return 2;
	o = (struct migrate_opts){cfg.database, cfg.database_password_file,
	                          sql_dir != NULL ? sql_dir : PF_SQL_DIR};
	if (strcmp(sub, "migrate") == 0)
		rc = migrate_run(&o, stdout, err, sizeof(err));
	else
		rc = migrate_status(&o, stdout, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "polkfura-ctl: db %s: %s\n", sub, err);
	ctl_cfg_free(&cfg);
	return rc;
}

/* note TEXT: one operational change of kind "note" in the config's database, from the caller. */
static int cmd_note(const char *config, const char *text)
{
	struct ctl_cfg cfg;
	char err[2048], who[128];
	int rc;

	if (load_db_cfg(config, &cfg) == -1)
		return 2;
	caller_id(who, sizeof(who));
	rc = note_write(
	    &(struct note_opts){cfg.database, cfg.database_password_file, cfg.region, who, text},
	    stdout, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "polkfura-ctl: note: %s\n", err);
	ctl_cfg_free(&cfg);
	return rc;
}

/* Reads --from/--to into <q> (to: far in the future, so now, when absent). Returns 0 or 2. */
static int report_window(const char *const *ro, struct report_query *q)
{
	const char *why = NULL;

	if (ro[ROPT_FROM] == NULL) {
		fprintf(stderr, "polkfura-ctl: report needs --from (a date or an ISO 8601 time)\n");
		return 2;
	}
	if (!rfmt_parse_time(ro[ROPT_FROM], &q->from_ms, &why)) {
		fprintf(stderr, "polkfura-ctl: --from %s: %s\n", ro[ROPT_FROM], why);
		return 2;
	}
	q->to_ms = INT64_C(253402300799000); /* 9999-12-31T23:59:59Z: becomes now() */
	q->to_now = ro[ROPT_TO] == NULL;
	if (ro[ROPT_TO] != NULL && !rfmt_parse_time(ro[ROPT_TO], &q->to_ms, &why)) {
		fprintf(stderr, "polkfura-ctl: --to %s: %s\n", ro[ROPT_TO], why);
		return 2;
	}
	if (q->from_ms >= q->to_ms) {
		fprintf(stderr, "polkfura-ctl: --from must be before --to\n");
		return 2;
	}
	return 0;
}

/* report: reads the window from the database of the config, prints it in the format asked. */
static int cmd_report(const char *config, const char *const *ro, const struct usage_args *ua)
{
	enum report_format fmt = REPORT_MD;
	struct report_query q = {0, 0, false, ro[ROPT_REGION], ro[ROPT_CHAIN], NULL, NULL};
	struct report_db *hold = NULL;
	struct usage_capacity *cap_hold = NULL;
	struct cap_params cap;
	struct migrate_opts o;
	struct report r;
	struct ctl_cfg cfg;
	char err[2048], *text = NULL;
	size_t len = 0;
	int rc = report_window(ro, &q);

	if (rc != 0)
		return rc;
	if (!usage_cap_params(ua, 0, &cap, err, sizeof(err))) {
		fprintf(stderr, "polkfura-ctl: %s\n", err);
		return 2;
	}
	if (ro[ROPT_FORMAT] != NULL && !report_format_parse(ro[ROPT_FORMAT], &fmt)) {
		fprintf(stderr, "polkfura-ctl: --format %s: expected md, html, csv or json\n",
		        ro[ROPT_FORMAT]);
		return 2;
	}
	if (load_db_cfg(config, &cfg) == -1)
		return 2;
	o = (struct migrate_opts){cfg.database, cfg.database_password_file, NULL};
	cap.min_ready = cfg.min_ready;
	/* In the report's transaction, for its window once --to is clipped to now. */
	cap_hold = usage_capacity_new(&cap);
	q.also = usage_capacity_also;
	q.also_ctx = cap_hold;
	rc = cap_hold != NULL ? report_db_read(&o, &q, &r, &hold, err, sizeof(err)) : 1;
	if (cap_hold == NULL)
		snprintf(err, sizeof(err), "out of memory");
	if (rc == 0) {
		r.capacity = usage_capacity_view(cap_hold);
		text = report_render(&r, fmt, &len);
		if (text == NULL || fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
			snprintf(err, sizeof(err), "%s",
			         text == NULL ? "out of memory" : "writing");
			rc = 1;
		}
	}
	if (rc != 0)
		fprintf(stderr, "polkfura-ctl: report: %s\n", err);
	free(text);
	usage_capacity_free(cap_hold);
	report_db_free(hold);
	ctl_cfg_free(&cfg);
	return rc;
}

/* usage: the per-key table or the capacity estimate from the database of the config. */
static int cmd_usage(const char *config, const struct usage_args *ua)
{
	struct migrate_opts o;
	struct ctl_cfg cfg;
	char err[2048];
	int rc;

	if (!usage_cli_check(ua, pf_wall_ms(), err, sizeof(err))) {
		fprintf(stderr, "polkfura-ctl: usage: %s\n", err);
		return 2;
	}
	if (load_db_cfg(config, &cfg) == -1)
		return 2;
	o = (struct migrate_opts){cfg.database, cfg.database_password_file, NULL};
	rc = usage_cli_run(ua, cfg.min_ready, &o, pf_wall_ms(), stdout, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "polkfura-ctl: usage: %s\n", err);
	ctl_cfg_free(&cfg);
	return rc;
}

/*
 * usage's own flags go with usage only, the model's with usage and report;
 * usage takes --config, --format, --region and --chain besides.
 * <others>: a flag of another command was given. Returns -1 when the
 * command is not usage, 0 to run it, or 2 after a message.
 */
static int usage_flags(const char *cmd, struct usage_args *ua, const char *const *ro, bool others)
{
	bool is_usage = strcmp(cmd, "usage") == 0;
	bool own = ua->since != NULL || ua->until != NULL || ua->by != NULL || ua->top != NULL ||
	           ua->capacity;
	bool model =
	    ua->node_capacity != NULL || ua->target_util != NULL || ua->min_minutes != NULL;

	if (!is_usage && own) {
		fprintf(stderr,
		        "polkfura-ctl: --since, --until, --by, --top and --capacity go with "
		        "usage\n");
		return 2;
	}
	if (!is_usage && model && strcmp(cmd, "report") != 0) {
		fprintf(stderr, "polkfura-ctl: --node-capacity, --target-util and --min-minutes go "
		                "with usage and report\n");
		return 2;
	}
	if (!is_usage)
		return -1;
	if (others || ro[ROPT_FROM] != NULL || ro[ROPT_TO] != NULL) {
		fprintf(stderr,
		        "polkfura-ctl: usage takes --since and --until (not --from, --to), "
		        "--config, --format, --region, --chain, --by, --top, --capacity and "
		        "the model's flags\n");
		return 2;
	}
	ua->format = ro[ROPT_FORMAT];
	ua->region = ro[ROPT_REGION];
	ua->chain = ro[ROPT_CHAIN];
	return 0;
}

/* status, drain, undrain: the running controller. */
static int cmd_client(const char *cmd, const char *config, const char *url, const char *token_file,
                      const char *node, const char *reason, bool force, bool raw)
{
	bool status = strcmp(cmd, "status") == 0;
	struct target t;
	int rc = resolve_target(config, url, token_file, !status, &t);

	if (rc != 0)
		return rc;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (status)
		rc = cmd_status(&t, raw);
	else
		rc = cmd_drain(&t, node, strcmp(cmd, "drain") == 0, reason, force);
	explicit_bzero(&t, sizeof(t));
	curl_global_cleanup();
	return rc;
}

/*
 * note and db: the commands that only talk to the database. <client_flags>:
 * an option of status/drain was given. Returns -1 for another command.
 */
static int cmd_database(const char *cmd, const char *node, const char *config, const char *sql_dir,
                        bool client_flags)
{
	bool note = strcmp(cmd, "note") == 0;

	if (!note && strcmp(cmd, "db") != 0)
		return -1;
	if (client_flags) {
		fprintf(stderr, "polkfura-ctl: %s\n",
		        note ? "note takes only --config and the TEXT"
		             : "db takes only --config and --sql-dir");
		return 2;
	}
	return note ? cmd_note(config, node) : cmd_db(node, config, sql_dir);
}

/*
 * usage and report, after their flags are checked (<others>: a flag of
 * another command was given). Returns -1 for another command, else the
 * exit code.
 */
static int cmd_usage_or_report(const char *cmd, const char *config, struct usage_args *ua,
                               const char *const *ro, bool others)
{
	int rc = usage_flags(cmd, ua, ro, others);

	if (rc != -1)
		return rc != 0 ? rc : cmd_usage(config, ua);
	rc = report_usage(cmd, ro, others);
	if (rc != -1)
		return rc != 0 ? rc : cmd_report(config, ro, ua);
	return -1;
}

/*
 * The options of report (into <ro>), usage and the capacity model (into
 * <ua>); false for any other <opt>.
 */
static bool usage_opt(int opt, const char *arg, struct usage_args *ua, const char **ro)
{
	switch (opt) {
	case 'F':
	case 'T':
	case 'O':
	case 'R':
	case 'C':
		ro[strchr(REPORT_OPTS, opt) - REPORT_OPTS] = arg;
		return true;
	case 'S':
		ua->since = arg;
		return true;
	case 'U':
		ua->until = arg;
		return true;
	case 'B':
		ua->by = arg;
		return true;
	case 'N':
		ua->top = arg;
		return true;
	case 'K':
		ua->capacity = true;
		return true;
	case 'P':
		ua->node_capacity = arg;
		return true;
	case 'G':
		ua->target_util = arg;
		return true;
	case 'M':
		ua->min_minutes = arg;
		return true;
	default:
		return false;
	}
}

static int ctl_main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"reason", required_argument, NULL, 'r'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {"url", required_argument, NULL, 'u'},
	    {"token-file", required_argument, NULL, 't'},
	    {"force", no_argument, NULL, 'f'},
	    {"haproxy", no_argument, NULL, 'H'},
	    {"sql-dir", required_argument, NULL, 's'},
	    {"from", required_argument, NULL, 'F'},
	    {"to", required_argument, NULL, 'T'},
	    {"format", required_argument, NULL, 'O'},
	    {"region", required_argument, NULL, 'R'},
	    {"chain", required_argument, NULL, 'C'},
	    {"since", required_argument, NULL, 'S'},
	    {"until", required_argument, NULL, 'U'},
	    {"by", required_argument, NULL, 'B'},
	    {"top", required_argument, NULL, 'N'},
	    {"capacity", no_argument, NULL, 'K'},
	    {"node-capacity", required_argument, NULL, 'P'},
	    {"target-util", required_argument, NULL, 'G'},
	    {"min-minutes", required_argument, NULL, 'M'},
	    {NULL, 0, NULL, 0},
	};
	struct usage_args ua = {0};
	const char *config = DEFAULT_CONFIG, *reason = NULL, *cmd = NULL, *node = NULL;
	const char *url = NULL, *token_file = NULL, *sql_dir = NULL, *ro[ROPT_COUNT] = {NULL};
	struct ctl_cfg cfg;
	char err[2048];
	bool raw = false, force = false, check_haproxy = false;
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
		case 'u':
			url = optarg;
			break;
		case 't':
			token_file = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'H':
			check_haproxy = true;
			break;
		case 's':
			sql_dir = optarg;
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
			if (usage_opt(opt, optarg, &ua, ro))
				break;
			fprintf(stderr, "polkfura-ctl: %s: unknown option (see --help)\n",
			        argv[optind - 1]);
			return 2;
		}
	}
	rc = take_command(argc, argv, &cmd, &node);
	if (rc != -1)
		return rc;
	rc = check_usage(cmd, node, reason, force);
	if (rc == 0)
		rc = flag_usage(cmd, check_haproxy, sql_dir);
	if (rc != 0)
		return rc;
	rc = cmd_usage_or_report(cmd, config, &ua, ro,
	                         url != NULL || token_file != NULL || raw || reason != NULL ||
	                             force || sql_dir != NULL || check_haproxy);
	if (rc != -1)
		return rc;
	rc = cmd_database(cmd, node, config, sql_dir,
	                  url != NULL || token_file != NULL || raw || reason != NULL || force);
	if (rc != -1)
		return rc;
	if (strcmp(cmd, "run") != 0 && strcmp(cmd, "check") != 0)
		return cmd_client(cmd, config, url, token_file, node, reason, force, raw);
	if ((url != NULL || token_file != NULL)) {
		fprintf(stderr, "polkfura-ctl: --url and --token-file are for status, drain and "
		                "undrain\n");
		return 2;
	}
	if (ctl_cfg_load(config, &cfg, err, sizeof(err)) == -1 ||
	    preflight(&cfg, config, err, sizeof(err)) == -1) {
		fprintf(stderr, "polkfura-ctl: %s\n", err);
		ctl_cfg_free(&cfg);
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (strcmp(cmd, "check") == 0) {
		rc = cmd_check(&cfg, config, check_haproxy);
	} else {
		rc = cmd_run(&cfg, config);
	}
	ctl_cfg_free(&cfg);
	curl_global_cleanup();
	return rc;
}

int main(int argc, char **argv)
{
	/* The snapshot commands have options of their own (ctl/snapshot/). */
	if (argc >= 3 && strcmp(argv[1], "snapshot") == 0 && strcmp(argv[2], "fetch") == 0)
		return fetch_main(argc - 2, argv + 2);
	if (argc >= 3 && strcmp(argv[1], "snapshot") == 0 && strcmp(argv[2], "publish") == 0)
		return publish_cli(argc - 2, argv + 2, DEFAULT_CONFIG, PF_VERSION);
	if (argc >= 3 && strcmp(argv[1], "snapshot") == 0 && strcmp(argv[2], "recover") == 0)
		return recover_cli(argc - 2, argv + 2, DEFAULT_CONFIG);
	return ctl_main(argc, argv);
}
