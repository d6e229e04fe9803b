/* SPDX-License-Identifier: MIT */
/*
 * Chains as data, an honest /health and least privilege, with the shipped
 * haproxy.cfg run verbatim: a site with one chain (no kusama backend at
 * all) and one with three, each chain routed to its own simulator by the
 * chains map; /health per chain following its servers (drained by the
 * runtime API) and going 503 while the chain's servers are all at maxconn
 * though UP; the worker running as the configured user in its chroot, and
 * the runtime API socket usable by a non-root member of the admin group
 * only. The node simulator names the node behind every answer (X-Node), an
 * independent witness of where a request went.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>

#include "common/compiler.h"
#include "tests/harness/children.h"
#include "tests/harness/harness.h"

#define MAX_CHAINS 3

static struct h_nodesim sims[MAX_CHAINS];
static struct h_agent agent;
static struct h_haproxy hap;
static char self_exe[512]; /* this binary, re-run as the runtime API client */
static bool master_worker; /* start_edge() starts HAProxy with -W, as systemd does */

static void teardown(void)
{
	h_stop_all();
}

/*
 * A "show stat" status of a server in rotation: "UP", or "UP n/m" while its
 * checks have not confirmed it yet (3.4 shows "UP 0/1" until the first check
 * of a server with a long inter).
 */
static bool is_up(const char *st)
{
	return strcmp(st, "UP") == 0 || strncmp(st, "UP ", 3) == 0;
}

/* Starts <nodes> simulated nodes for each of the <n> chains <names> in sims[]. */
static void start_sims(int n, const char *const names[], int nodes)
{
	memset(sims, 0, sizeof(sims));
	for (int i = 0; i < n; i++)
		ck_assert_msg(h_nodesim_start(&sims[i], names[i], nodes, NULL), "nodesim %s",
		              names[i]);
}

/*
 * Starts the agent and HAProxy for the <n> chains <names> of sims[]: a
 * chains map of exactly those names, the backends <backends> (NULL:
 * h_backends_chains()) and the extra <env_extra> (may be NULL); waits until
 * every chain's node1 is UP.
 */
static void start_edge(int n, const char *const names[], const char *backends,
                       const char *env_extra)
{
	const struct h_nodesim *sp[MAX_CHAINS];
	char map[512], env_map[600], *text = NULL, *env[3] = {env_map, (char *)env_extra, NULL};
	FILE *f;
	size_t len = 0;

	memset(&agent, 0, sizeof(agent));
	f = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < n; i++) {
		sp[i] = &sims[i];
		fprintf(f, "%s %s\n", names[i], names[i]);
	}
	ck_assert_int_eq(fclose(f), 0);
	snprintf(map, sizeof(map), "%s/chains-%d.map", h_tmpdir(), (int)getpid());
	ck_assert_int_eq(h_write_file(map, text), 0);
	free(text);
	snprintf(env_map, sizeof(env_map), "PF_CHAINS_MAP=%s", map);
	ck_assert(h_agent_start(&agent, NULL));
	text = backends != NULL ? strdup(backends) : h_backends_chains(sp, names, n);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(master_worker ? h_haproxy_start_master_worker(&hap, text, agent.port, env)
	                            : h_haproxy_start(&hap, text, agent.port, env),
	              "haproxy: %s", hap.log);
	free(text);
	for (int i = 0; i < n; i++) {
		char be[64], st[32] = "";

		snprintf(be, sizeof(be), "be_%s", names[i]);
		/* "no check": a server without checks is in rotation as configured. */
		for (double end = h_now() + 10;
		     h_now() < end && !is_up(st) && strcmp(st, "no check") != 0;)
			h_server_status(&hap, be, "node1", st, sizeof(st));
		ck_assert_msg(is_up(st) || strcmp(st, "no check") == 0, "%s/node1: %s", be, st);
	}
}

static void start_site(int n, const char *const names[], int nodes, const char *env_extra)
{
	start_sims(n, names, nodes);
	start_edge(n, names, NULL, env_extra);
}

/* <method> on https://<host>.localhost/ (a POST of <body> when not NULL). */
static long request(const char *host, const char *path, const char *body, struct h_resp *r)
{
	char url[256];
	struct h_req req = {.url = url, .body = body, .resolve_port = hap.https_port};

	snprintf(url, sizeof(url), "https://%s.localhost:%d%s", host, hap.https_port, path);
	return h_http(&req, r);
}

/* The node that answered (the simulator's X-Node header), "" when none did. */
static const char *node_of(const struct h_resp *r)
{
	static char v[128];

	return h_resp_header(r, "X-Node", v, sizeof(v)) ? v : "";
}

#define CALL(m) "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" m "\",\"params\":[]}"

/* GET /health on <chain>: asserts <status> and that <word> is the body's status. */
static void expect_health(const char *chain, long status, const char *word)
{
	struct h_resp r;
	char want[64];
	long st = request(chain, "/health", NULL, &r);

	snprintf(want, sizeof(want), "\"status\":\"%s\"", word);
	ck_assert_msg(st == status && strstr(r.body, want) != NULL,
	              "%s /health: %ld %s, wanted %ld %s", chain, st, r.body, status, want);
	ck_assert_str_eq(node_of(&r), ""); /* answered by HAProxy, never a node */
	h_resp_free(&r);
}

/* Polls GET /health on <chain> until it answers <status> (the checks take their time). */
static void wait_health(const char *chain, long status, double timeout_s)
{
	long st = 0;

	for (double end = h_now() + timeout_s; h_now() < end && st != status;) {
		struct h_resp r;

		st = request(chain, "/health", NULL, &r);
		h_resp_free(&r);
	}
	ck_assert_msg(st == status, "%s /health: %ld, wanted %ld", chain, st, status);
}

START_TEST(test_one_chain_site)
{
	static const char *const names[] = {"polkadot"};
	struct h_resp r;
	char *backends;

	start_site(1, names, 2, NULL);
	/* No kusama backend exists at all, yet HAProxy started and serves polkadot. */
	backends = h_haproxy_cmd(&hap, "show backend");
	ck_assert_ptr_nonnull(backends);
	ck_assert_msg(strstr(backends, "be_polkadot\n") != NULL &&
	                  strstr(backends, "kusama") == NULL,
	              "%s", backends);
	free(backends);

	ck_assert_int_eq(request("polkadot", "/", CALL("chain_getHeader"), &r), 200);
	ck_assert_msg(strncmp(node_of(&r), "polkadot-", 9) == 0, "X-Node %s", node_of(&r));
	h_resp_free(&r);
	expect_health("polkadot", 200, "ok");

	/* kusama is not in the site's map: the unknown-chain error, for /health too. */
	ck_assert_int_eq(request("kusama", "/", CALL("chain_getHeader"), &r), 404);
	ck_assert_ptr_nonnull(strstr(r.body, "\"code\":-32601"));
	ck_assert_ptr_nonnull(strstr(r.body, "unknown chain"));
	ck_assert_str_eq(node_of(&r), "");
	h_resp_free(&r);
	ck_assert_int_eq(request("kusama", "/health", NULL, &r), 404);
	h_resp_free(&r);
}
END_TEST

/* Sets every server of be_<chain> to <state> ("drain", "ready") through the runtime API. */
static void set_chain(const struct h_nodesim *sim, const char *chain, const char *state)
{
	for (int i = 0; i < sim->n; i++) {
		char cmd[128], *ans;

		snprintf(cmd, sizeof(cmd), "set server be_%s/node%d state %s", chain, i + 1, state);
		ans = h_haproxy_cmd(&hap, cmd);
		ck_assert_msg(ans != NULL && ans[0] == '\n', "%s: %s", cmd,
		              ans ? ans : "no answer");
		free(ans);
	}
}

START_TEST(test_three_chains)
{
	static const char *const names[] = {"polkadot", "kusama", "westend"};
	static const char *const heavy[] = {"be_westend_heavy/", "class=heavy", "chain=westend",
	                                    NULL};
	struct h_resp r;

	start_site(3, names, 2, NULL);
	for (int i = 0; i < 3; i++) {
		char prefix[32];

		snprintf(prefix, sizeof(prefix), "%s-", names[i]);
		ck_assert_int_eq(request(names[i], "/", CALL("chain_getHeader"), &r), 200);
		ck_assert_msg(strncmp(node_of(&r), prefix, strlen(prefix)) == 0,
		              "%s answered by %s", names[i], node_of(&r));
		h_resp_free(&r);
		expect_health(names[i], 200, "ok");
	}
	/* Heavy calls of the new chain go to its heavy backend, named from the map. */
	ck_assert_int_eq(request("westend", "/", CALL("archive_unstable_body"), &r), 200);
	ck_assert_msg(strncmp(node_of(&r), "westend-", 8) == 0, "X-Node %s", node_of(&r));
	h_resp_free(&r);
	ck_assert_int_eq(h_wait_log_count(hap.log, heavy, 1, 5), 1);

	/* Every kusama server drained: kusama is down, the others are not. */
	set_chain(&sims[1], "kusama", "drain");
	wait_health("kusama", 503, 5);
	expect_health("kusama", 503, "down");
	expect_health("polkadot", 200, "ok");
	expect_health("westend", 200, "ok");
	set_chain(&sims[1], "kusama", "ready");
	wait_health("kusama", 200, 5);
	expect_health("kusama", 200, "ok");
}
END_TEST

/* Column <col> (0-based, "show stat" CSV) of <backend>/<server>, -1 when absent. */
static long stat_col(const char *backend, const char *server, int col)
{
	char *st = h_haproxy_cmd(&hap, "show stat"), prefix[128];
	long v = -1;

	snprintf(prefix, sizeof(prefix), "\n%s,%s,", backend, server);
	for (char *p = st != NULL ? strstr(st, prefix) : NULL; p != NULL; p = NULL) {
		p++;
		for (int f = 0; f < col && p != NULL; f++)
			p = strchr(p, ',') != NULL ? strchr(p, ',') + 1 : NULL;
		if (p != NULL)
			v = strtol(p, NULL, 10);
	}
	free(st);
	return v;
}

/* The held calls' answers (502/503 once the node drops them) are not looked at. */
static size_t discard(char *data, size_t size, size_t nmemb, void *userp)
{
	(void)data;
	(void)userp;
	return size * nmemb;
}

#define MAXCONN  2 /* per server in the saturation site: few requests fill it */
#define COL_QCUR 2
#define COL_SCUR 4

/*
 * One polkadot server with maxconn MAXCONN, checked once at start (inter
 * 60 s): it stays UP for the test while its node holds every request.
 */
static const char *saturation_backends(void)
{
	static char text[512];

	snprintf(text, sizeof(text),
	         "backend be_polkadot\n    option httpchk GET /health/readiness\n"
	         "    server node1 127.0.0.1:%d check inter 60s rise 1 fall 1 maxconn %d\n"
	         "backend be_polkadot_heavy\n    server node1 127.0.0.1:%d maxconn 1\n",
	         sims[0].port[0], MAXCONN, sims[0].port[0]);
	return text;
}

/* Calls the node never answers, driven by one curl multi handle. */
struct held {
	CURLM *multi;
	CURL *easy[MAXCONN + 1];
	int n;
	int running;
	struct curl_slist *hdrs, *resolve;
	char url[256];
};

/* Adds one POST of a read call to <h>'s multi handle. */
static void held_add(struct held *h)
{
	CURL *e = curl_easy_init();

	ck_assert_ptr_nonnull(e);
	curl_easy_setopt(e, CURLOPT_URL, h->url);
	curl_easy_setopt(e, CURLOPT_RESOLVE, h->resolve);
	curl_easy_setopt(e, CURLOPT_CAINFO, h_ca_file());
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->hdrs);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, CALL("chain_getHeader"));
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 30000L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_multi_add_handle(h->multi, e);
	h->easy[h->n++] = e;
}

/*
 * Drives <h> until HAProxy shows <scur> connections on be_polkadot/node1 and
 * <qcur> requests in be_polkadot's queue (10 s at most), and asserts them.
 */
static void held_wait(struct held *h, long scur, long qcur)
{
	long s = -1, q = -1;

	for (double end = h_now() + 10; h_now() < end && (s != scur || q != qcur);) {
		curl_multi_perform(h->multi, &h->running);
		curl_multi_poll(h->multi, NULL, 0, 20, NULL);
		s = stat_col("be_polkadot", "node1", COL_SCUR);
		q = stat_col("be_polkadot", "BACKEND", COL_QCUR);
	}
	ck_assert_msg(s == scur && q == qcur, "node1 scur %ld (wanted %ld), queue %ld (wanted %ld)",
	              s, scur, q, qcur);
}

static void held_free(struct held *h)
{
	for (int i = 0; i < h->n; i++) {
		curl_multi_remove_handle(h->multi, h->easy[i]);
		curl_easy_cleanup(h->easy[i]);
	}
	curl_multi_cleanup(h->multi);
	curl_slist_free_all(h->hdrs);
	curl_slist_free_all(h->resolve);
}

START_TEST(test_health_saturated)
{
	static const char *const names[] = {"polkadot"};
	struct held h = {.multi = curl_multi_init()};
	char entry[128], st[32];

	start_sims(1, names, 1);
	start_edge(1, names, saturation_backends(), NULL);
	expect_health("polkadot", 200, "ok");
	ck_assert_int_eq(h_nodesim_control(&sims[0], "/nodes/polkadot-0", "{\"hang\":true}", NULL),
	                 200);
	snprintf(h.url, sizeof(h.url), "https://polkadot.localhost:%d/", hap.https_port);
	h.hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	snprintf(entry, sizeof(entry), "polkadot.localhost:%d:127.0.0.1", hap.https_port);
	h.resolve = curl_slist_append(NULL, entry);

	/* MAXCONN calls held by the node: every slot taken, nothing queued yet. */
	for (int i = 0; i < MAXCONN; i++)
		held_add(&h);
	held_wait(&h, MAXCONN, 0);
	/* Saturated while the server is UP: nbsrv alone would have said ok. */
	ck_assert(h_server_status(&hap, "be_polkadot", "node1", st, sizeof(st)));
	ck_assert_msg(is_up(st), "node1 %s", st);
	expect_health("polkadot", 503, "saturated");
	/* One more waits in the queue: still saturated. */
	held_add(&h);
	held_wait(&h, MAXCONN, 1);
	expect_health("polkadot", 503, "saturated");

	/* The node drops its connections: the slots free up, /health is ok again. */
	ck_assert_int_eq(h_nodesim_control(&sims[0], "/nodes/polkadot-0", "{\"down\":true}", NULL),
	                 200);
	for (double end = h_now() + 10; h_now() < end && h.running > 0;) {
		curl_multi_perform(h.multi, &h.running);
		curl_multi_poll(h.multi, NULL, 0, 20, NULL);
	}
	ck_assert_int_eq(h.running, 0);
	ck_assert_int_eq(h_nodesim_control(&sims[0], "/nodes/polkadot-0",
	                                   "{\"down\":false,\"hang\":false}", NULL),
	                 200);
	wait_health("polkadot", 200, 5);
	expect_health("polkadot", 200, "ok");
	held_free(&h);
}
END_TEST

/* The simulator's counter <key> of polkadot-0 (its control API, GET /nodes/<name>). */
static long node_counter(const char *key)
{
	struct h_resp r;
	char k[64];
	const char *p;
	long v = -1;

	ck_assert_int_eq(h_nodesim_control(&sims[0], "/nodes/polkadot-0", NULL, &r), 200);
	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(r.body, k);
	if (p != NULL)
		v = strtol(p + strlen(k), NULL, 10);
	h_resp_free(&r);
	ck_assert_msg(v >= 0, "no %s in %s", key, k);
	return v;
}

/*
 * A backend that escaped the "chain" defaults (a "from edge" of its own)
 * passes /health to its node, which answers 200 for itself: the frontend
 * turns that into a 503 rather than vouch for the chain.
 */
START_TEST(test_health_without_rules_is_down)
{
	static const char *const names[] = {"polkadot"};
	char text[512];
	struct h_resp r;
	long before;

	start_sims(1, names, 1);
	snprintf(text, sizeof(text),
	         "backend be_polkadot from edge\n    server node1 127.0.0.1:%d\n"
	         "backend be_polkadot_heavy from edge\n    server node1 127.0.0.1:%d\n",
	         sims[0].port[0], sims[0].port[0]);
	start_edge(1, names, text, NULL);
	before = node_counter("http_requests");
	ck_assert_int_eq(request("polkadot", "/health", NULL, &r), 503);
	ck_assert_msg(strstr(r.body, "no health rule in the backend") != NULL, "%s", r.body);
	h_resp_free(&r);
	/* The node did get it (no checks here: only our request counts). */
	ck_assert_int_eq(node_counter("http_requests"), before + 1);
}
END_TEST

/*
 * /health is answered on port 80 too (monitors that do not speak TLS); the rest redirects, with
 * the production default PF_HTTPS_PORT 443: no port in the Location, the plain one dropped.
 */
START_TEST(test_health_on_port_80)
{
	static const char *const names[] = {"polkadot"};
	char url[256];
	struct h_resp r;
	struct h_req req = {.url = url};

	start_site(1, names, 1, "PF_HTTPS_PORT=443");
	req.resolve_port = hap.http_port;
	snprintf(url, sizeof(url), "http://polkadot.localhost:%d/health", hap.http_port);
	ck_assert_int_eq(h_http(&req, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\"status\":\"ok\""));
	h_resp_free(&r);
	snprintf(url, sizeof(url), "http://polkadot.localhost:%d/?x=1", hap.http_port);
	ck_assert_int_eq(h_http(&req, &r), 308);
	{
		char loc[256] = "";

		ck_assert(h_resp_header(&r, "Location", loc, sizeof(loc)));
		ck_assert_str_eq(loc, "https://polkadot.localhost/?x=1");
	}
	h_resp_free(&r);
}
END_TEST

/* The Uid: or Gid: line of /proc/<pid>/status: all four ids equal <id>. */
static bool proc_ids_are(long pid, const char *key, unsigned id)
{
	char path[64], *text, want[96];
	bool ok;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	text = h_read_file(path, NULL);
	ck_assert_ptr_nonnull(text);
	snprintf(want, sizeof(want), "\n%s\t%u\t%u\t%u\t%u\n", key, id, id, id, id);
	ok = strstr(text, want) != NULL;
	if (!ok)
		fprintf(stderr, "%s wanted %s", path, want + 1);
	free(text);
	return ok;
}

START_TEST(test_least_privilege)
{
	static const char *const names[] = {"polkadot"};
	const struct passwd *pw = getpwnam("haproxy");
	const struct group *admin = getgrnam("users");
	char path[600], root[600], cmd[2048], out[4096];
	struct stat sb;
	long worker;
	ssize_t n;
	int rc;

	if (geteuid() != 0) {
		/* Dropping privileges needs them first; CI runs the suites as root. */
		fprintf(stderr, "test_least_privilege: not root, nothing to drop: skipped\n");
		return;
	}
	ck_assert_msg(pw != NULL, "no user haproxy (Debian's haproxy package makes it)");
	ck_assert_msg(admin != NULL, "no group users");
	/* The harness's defaults as root: user/group haproxy, an empty chroot of its own. */
	start_site(1, names, 1, "PF_ADMIN_GROUP=users");
	worker = h_haproxy_info_pid(&hap);
	ck_assert_int_gt(worker, 0);
	ck_assert(proc_ids_are(worker, "Uid:", pw->pw_uid));
	ck_assert(proc_ids_are(worker, "Gid:", pw->pw_gid));
	snprintf(path, sizeof(path), "/proc/%ld/root", worker);
	n = readlink(path, root, sizeof(root) - 1);
	ck_assert_int_gt(n, 0);
	root[n] = '\0';
	snprintf(path, sizeof(path), "%s/chroot", hap.dir);
	ck_assert_str_eq(root, path);
	/* It still serves after the drop: nothing it needs was left outside. */
	expect_health("polkadot", 200, "ok");

	/* The socket: mode 660, group PF_ADMIN_GROUP. */
	ck_assert_int_eq(stat(hap.admin_sock, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0660);
	ck_assert_int_eq(sb.st_gid, admin->gr_gid);
	/* nobody in the admin group may use it; nobody without it may not. */
	snprintf(cmd, sizeof(cmd),
	         "setpriv --reuid=nobody --regid=nogroup --groups=users '%s' --admin-cmd '%s' 2>&1",
	         self_exe, hap.admin_sock);
	rc = h_run(cmd, out, sizeof(out));
	ck_assert_msg(WIFEXITED(rc) && WEXITSTATUS(rc) == 0 && strstr(out, "Name: HAProxy") != NULL,
	              "in the group: %d %s", rc, out);
	snprintf(cmd, sizeof(cmd),
	         "setpriv --reuid=nobody --regid=nogroup --clear-groups '%s' --admin-cmd '%s' 2>&1",
	         self_exe, hap.admin_sock);
	rc = h_run(cmd, out, sizeof(out));
	ck_assert_msg(WIFEXITED(rc) && WEXITSTATUS(rc) == 1 && strstr(out, "Permission denied"),
	              "outside the group: %d %s", rc, out);
}
END_TEST

/*
 * Master-worker mode, as systemd runs it: the master keeps root (it
 * re-executes itself on reload and reads the config, the map and the
 * server-state file from their real paths), each worker drops it; after a
 * reload the new worker runs as the user too and still answers.
 */
START_TEST(test_least_privilege_master_worker)
{
	static const char *const names[] = {"polkadot"};
	const struct passwd *pw = getpwnam("haproxy");
	long worker;

	if (geteuid() != 0) {
		fprintf(stderr, "test_least_privilege_master_worker: not root: skipped\n");
		return;
	}
	ck_assert_ptr_nonnull(pw);
	master_worker = true;
	start_site(1, names, 1, NULL);
	ck_assert(proc_ids_are(hap.pid, "Uid:", 0));
	worker = h_haproxy_info_pid(&hap);
	ck_assert_int_gt(worker, 0);
	ck_assert_int_ne(worker, hap.pid);
	ck_assert(proc_ids_are(worker, "Uid:", pw->pw_uid));
	ck_assert_int_eq(h_haproxy_reload(&hap, 10), 0);
	worker = h_haproxy_info_pid(&hap);
	ck_assert(proc_ids_are(worker, "Uid:", pw->pw_uid));
	expect_health("polkadot", 200, "ok");
}
END_TEST

/*
 * `test_edge_chains --admin-cmd SOCK`: sends "show info" to the runtime API
 * at SOCK and prints the answer; exit 0, or 1 with the connect error. The
 * test runs it under setpriv as another user.
 */
static int admin_cmd(const char *sock)
{
	struct h_haproxy h;
	char *ans;

	memset(&h, 0, sizeof(h));
	snprintf(h.admin_sock, sizeof(h.admin_sock), "%s", sock);
	errno = 0;
	ans = h_haproxy_cmd(&h, "show info");
	if (ans == NULL) {
		fprintf(stderr, "%s: %s\n", sock, strerror(errno));
		return 1;
	}
	fputs(ans, stdout);
	free(ans);
	return 0;
}

static Suite *chains_suite(void)
{
	Suite *s = suite_create("edge_chains");
	TCase *tc = tcase_create("chains");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_one_chain_site);
	tcase_add_test(tc, test_three_chains);
	tcase_add_test(tc, test_health_saturated);
	tcase_add_test(tc, test_health_without_rules_is_down);
	tcase_add_test(tc, test_health_on_port_80);
	tcase_add_test(tc, test_least_privilege);
	tcase_add_test(tc, test_least_privilege_master_worker);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	ssize_t n;

	if (argc == 3 && strcmp(argv[1], "--admin-cmd") == 0)
		return admin_cmd(argv[2]);
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n <= 0)
		return 1;
	self_exe[n] = '\0';
	return h_run_suite(chains_suite());
}
