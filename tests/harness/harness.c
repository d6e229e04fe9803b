/* SPDX-License-Identifier: MIT */
/*
 * Implementation of the integration-test harness (see harness.h). Children
 * get their own process group so a stop also reaches their children (node
 * spawns helpers); every wait is a poll loop with a deadline.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>

#include "common/compiler.h"
#include "tests/harness/children.h"

static char tmpdir[128];
static char ca_file[512];
static char cert_dir[512];

double h_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nap(void)
{
	struct timespec ts = {0, 20 * 1000 * 1000}; /* poll interval, not a synchronisation */

	nanosleep(&ts, NULL);
}

const char *h_tmpdir(void)
{
	if (tmpdir[0] == '\0') {
		const char *base = getenv("TMPDIR");

		snprintf(tmpdir, sizeof(tmpdir), "%s/pf-test-XXXXXX", base ? base : "/tmp");
		if (mkdtemp(tmpdir) == NULL) {
			perror("mkdtemp");
			abort();
		}
		/* haproxy and node may run as other users; let them read our files. */
		chmod(tmpdir, 0755);
	}
	return tmpdir;
}

void h_tmp_cleanup(void)
{
	char cmd[512];

	if (tmpdir[0] == '\0' || getenv("PF_KEEP_TMP") != NULL)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "harness: could not remove %s\n", tmpdir);
	tmpdir[0] = '\0';
}

const char *h_build_dir(void)
{
	const char *b = getenv("PF_BUILD");

	return b != NULL ? b : "build/release";
}

const char *h_haproxy_bin(void)
{
	const char *b = getenv("PF_HAPROXY");

	return b != NULL && b[0] != '\0' ? b : "/usr/sbin/haproxy";
}

/* The kernel's ephemeral range: outgoing connections take their local ports from it. */
static void ephemeral_range(int *lo, int *hi)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");

	*lo = 32768;
	*hi = 60999;
	if (f != NULL) {
		if (fscanf(f, "%d %d", lo, hi) != 2) {
			*lo = 32768;
			*hi = 60999;
		}
		fclose(f);
	}
}

/* Whether 127.0.0.1:<port> can be bound now. */
static bool port_bindable(int port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/*
 * A port below the ephemeral range, free now and not handed out before by
 * this process. A port the kernel picks for bind(0) comes from the
 * ephemeral range, where any outgoing connection of the test (curl, HAProxy
 * to a node) may take it as its local port before the listener binds it:
 * EADDRINUSE, seen once in a simulator's control port.
 */
int h_free_port(void)
{
	static int given[1024];
	static unsigned n_given;
	static uint32_t state;
	int lo, hi, first = 10000;

	ephemeral_range(&lo, &hi);
	if (state == 0)
		state = (uint32_t)getpid() * 2654435761u ^ (uint32_t)time(NULL);
	for (int tries = 0; lo - 1 > first && tries < 1000; tries++) {
		int port;
		bool seen = false;

		state ^= state << 13; /* xorshift32: its own stream, random() stays the tests' */
		state ^= state >> 17;
		state ^= state << 5;
		port = first + (int)(state % (uint32_t)(lo - first));
		for (unsigned i = 0; i < n_given && i < PF_ARRAY_SIZE(given) && !seen; i++)
			seen = given[i] == port;
		if (seen || !port_bindable(port))
			continue;
		given[n_given++ % PF_ARRAY_SIZE(given)] = port;
		return port;
	}
	return -1;
}

int h_run_suite(Suite *s)
{
	SRunner *sr;
	int failed, problems;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	h_ca_file();
	h_children_init(h_tmpdir());
	if (getenv("PF_HAPROXY") != NULL) {
		char cmd[600], ver[256] = "";
		FILE *p;

		/* Say which haproxy this pass runs: the logs of both passes look alike. */
		snprintf(cmd, sizeof(cmd), "'%s' -v 2>&1 | head -n 1", h_haproxy_bin());
		p = popen(cmd, "r");
		if (p != NULL && fgets(ver, sizeof(ver), p) != NULL)
			fprintf(stderr, "harness: PF_HAPROXY=%s: %s", h_haproxy_bin(), ver);
		if (p != NULL)
			pclose(p);
	}
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* A report no test saw (a forgotten child, a command's stray stderr) still fails the run.
	 */
	problems = h_children_finish();
	if (failed == 0 && problems == 0)
		h_tmp_cleanup();
	else
		fprintf(stderr,
		        "harness: %d test(s) failed, %d sanitizer report(s) or forgotten "
		        "children (above); the logs stay in %s\n",
		        failed, problems, h_tmpdir());
	curl_global_cleanup();
	return failed == 0 && problems == 0 ? 0 : 1;
}

void h_print_log_tail(const char *path, int lines)
{
	char *text = h_read_file(path, NULL);
	const char *p;
	int seen = 0;

	if (text == NULL) {
		fprintf(stderr, "harness: %s: cannot read\n", path);
		return;
	}
	for (p = text + strlen(text); p > text && seen <= lines; p--)
		if (p[-1] == '\n')
			seen++;
	fprintf(stderr, "---- last %d lines of %s ----\n%s---- end ----\n", lines, path, p);
	free(text);
}

bool h_port_open(int port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

bool h_wait_port(int port, double timeout_s)
{
	double end = h_now() + timeout_s;

	while (h_now() < end) {
		if (h_port_open(port))
			return true;
		nap();
	}
	return false;
}

char *h_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (f == NULL)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = cap * 2 + 8192);

			if (nb == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, 4096, f);
		n += r;
	} while (r > 0);
	fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

int h_write_file(const char *path, const char *data)
{
	FILE *f = fopen(path, "wb");
	int rc;

	if (f == NULL)
		return -1;
	rc = fputs(data, f) < 0 ? -1 : 0;
	return fclose(f) != 0 ? -1 : rc;
}

bool h_wait_file_contains(const char *path, const char *needle, double timeout_s)
{
	double end = h_now() + timeout_s;

	while (h_now() < end) {
		char *s = h_read_file(path, NULL);
		bool found = s != NULL && strstr(s, needle) != NULL;

		free(s);
		if (found)
			return true;
		nap();
	}
	return false;
}

/* ---- HTTP ---- */

struct sink {
	char *p;
	size_t len;
};

static size_t sink_write(char *data, size_t size, size_t nmemb, void *userp)
{
	struct sink *s = userp;
	size_t n = size * nmemb;
	char *np = realloc(s->p, s->len + n + 1);

	if (np == NULL)
		return 0;
	memcpy(np + s->len, data, n);
	s->len += n;
	np[s->len] = '\0';
	s->p = np;
	return n;
}

long h_http(const struct h_req *req, struct h_resp *resp)
{
	struct sink body = {NULL, 0}, hdrs = {NULL, 0};
	struct curl_slist *hl = NULL, *resolve = NULL;
	CURL *c = curl_easy_init();
	CURLcode rc;

	memset(resp, 0, sizeof(*resp));
	if (c == NULL) {
		snprintf(resp->err, sizeof(resp->err), "curl_easy_init failed");
		return 0;
	}
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : 5000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &hdrs);
	curl_easy_setopt(c, CURLOPT_CAINFO, req->cainfo != NULL ? req->cainfo : h_ca_file());
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION,
	                 req->http2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1);
	if (req->body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		                 (curl_off_t)(req->body_len ? req->body_len : strlen(req->body)));
		hl = curl_slist_append(hl, "Content-Type: application/json");
	}
	if (req->method != NULL && strcmp(req->method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L); /* a custom HEAD would wait for a body */
	else if (req->method != NULL)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	for (int i = 0; req->headers != NULL && req->headers[i] != NULL; i++)
		hl = curl_slist_append(hl, req->headers[i]);
	if (hl != NULL)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	if (req->resolve_port > 0) {
		char host[256], entry[300];
		const char *p = strstr(req->url, "://");
		size_t n;

		p = p != NULL ? p + 3 : req->url;
		n = strcspn(p, ":/");
		if (n >= sizeof(host))
			n = sizeof(host) - 1;
		memcpy(host, p, n);
		host[n] = '\0';
		snprintf(entry, sizeof(entry), "%s:%d:127.0.0.1", host, req->resolve_port);
		resolve = curl_slist_append(NULL, entry);
		curl_easy_setopt(c, CURLOPT_RESOLVE, resolve);
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	} else {
		snprintf(resp->err, sizeof(resp->err), "%s", curl_easy_strerror(rc));
	}
	resp->body = body.p != NULL ? body.p : strdup("");
	resp->len = body.len;
	resp->headers = hdrs.p != NULL ? hdrs.p : strdup("");
	curl_slist_free_all(hl);
	curl_slist_free_all(resolve);
	curl_easy_cleanup(c);
	return resp->status;
}

void h_resp_free(struct h_resp *resp)
{
	pf_free(&resp->body);
	pf_free(&resp->headers);
}

bool h_resp_header(const struct h_resp *resp, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name);
	const char *line = resp->headers;

	while (line != NULL && *line != '\0') {
		const char *eol = strchr(line, '\n');

		if (strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
			const char *v = line + nlen + 1;
			size_t n;

			while (*v == ' ')
				v++;
			n = eol != NULL ? (size_t)(eol - v) : strlen(v);
			while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == ' '))
				n--;
			snprintf(out, outlen, "%.*s", (int)n, v);
			return true;
		}
		line = eol != NULL ? eol + 1 : NULL;
	}
	return false;
}

/* ---- TLS material ---- */

static void make_certs(void)
{
	char cmd[2048];

	snprintf(cert_dir, sizeof(cert_dir), "%s/certs", h_tmpdir());
	snprintf(ca_file, sizeof(ca_file), "%s/ca.pem", h_tmpdir());
	mkdir(cert_dir, 0755);
	snprintf(
	    cmd, sizeof(cmd),
	    "cd '%s' && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=pf-test-ca "
	    "-keyout ca.key -out ca.pem 2>/dev/null && "
	    "openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout site.key "
	    "-out site.csr 2>/dev/null && "
	    "printf "
	    "'subjectAltName=DNS:localhost,DNS:polkadot.localhost,DNS:kusama.localhost,DNS:westend."
	    "localhost,DNS:example.localhost,IP:127.0.0.1\\n' > san.ext && "
	    "openssl x509 -req -in site.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
	    "-extfile san.ext -out site.crt 2>/dev/null && cat site.crt site.key > certs/site.pem",
	    h_tmpdir());
	if (system(cmd) != 0) {
		fprintf(stderr, "harness: openssl failed\n");
		abort();
	}
}

const char *h_ca_file(void)
{
	if (ca_file[0] == '\0')
		make_certs();
	return ca_file;
}

const char *h_cert_dir(void)
{
	if (cert_dir[0] == '\0')
		make_certs();
	return cert_dir;
}

/* ---- node simulator ---- */

const char *h_node_path_env(char *buf, size_t len)
{
	const char *cache = getenv("PF_CACHE");
	const char *home = getenv("HOME");

	if (cache != NULL)
		snprintf(buf, len, "NODE_PATH=%s/npm/node_modules", cache);
	else
		snprintf(buf, len, "NODE_PATH=%s/.cache/polkfura/npm/node_modules",
		         home ? home : "/root");
	return buf;
}

/* Reads the node ports from the simulator's READY line in <log>. */
static bool nodesim_ports(struct h_nodesim *sim)
{
	char *log = h_read_file(sim->log, NULL);
	const char *p = log != NULL ? strstr(log, "READY ") : NULL;
	int i = 0;

	while (p != NULL && i < sim->n && (p = strstr(p, "\"port\":")) != NULL) {
		p += 7;
		sim->port[i++] = (int)strtol(p, NULL, 10);
	}
	free(log);
	return i == sim->n;
}

bool h_nodesim_start(struct h_nodesim *sim, const char *chain, int n, const char *extra_args)
{
	static char node_path[600];
	char *env[] = {(char *)h_node_path_env(node_path, sizeof(node_path)), NULL};
	char cmd[1024];
	double end;

	memset(sim, 0, sizeof(*sim));
	if (n > (int)PF_ARRAY_SIZE(sim->port))
		return false;
	sim->n = n;
	sim->control_port = h_free_port();
	snprintf(sim->log, sizeof(sim->log), "%s/nodesim-%s-%d-%d.log", h_tmpdir(), chain,
	         (int)getpid(), sim->control_port);
	/* Base port 0: every node binds a port the kernel picks, so nothing can collide. */
	snprintf(cmd, sizeof(cmd),
	         "exec node tests/harness/nodesim.js --listen 127.0.0.1 --base-port 0 --nodes %d "
	         "--chain %s --control %d %s",
	         n, chain, sim->control_port, extra_args != NULL ? extra_args : "");
	{
		char *argv[] = {"/bin/sh", "-c", cmd, NULL};

		sim->pid = h_spawn(argv, env, sim->log);
	}
	if (sim->pid <= 0)
		return false;
	/* tests/harness/README.md: SIGTERM closes everything and the process exits 0. */
	h_child_expect(sim->pid, "nodesim", SIGTERM, 0);
	end = h_now() + 20;
	while (h_now() < end) {
		if (h_wait_file_contains(sim->log, "READY ", 0.1))
			return nodesim_ports(sim) && h_wait_port(sim->control_port, 5);
		if (h_wait_exit(sim->pid, 0) != -1) {
			sim->pid = 0;
			return false;
		}
	}
	return false;
}

long h_nodesim_control(const struct h_nodesim *sim, const char *path, const char *json,
                       struct h_resp *out)
{
	char url[256];
	struct h_req req = {.url = url, .body = json, .method = json ? "POST" : "GET"};
	struct h_resp tmp;
	long st;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", sim->control_port, path);
	st = h_http(&req, out != NULL ? out : &tmp);
	if (out == NULL)
		h_resp_free(&tmp);
	return st;
}

void h_nodesim_stop(struct h_nodesim *sim)
{
	pid_t pid = sim->pid;

	sim->pid = 0;
	if (pid > 0)
		h_stop_child(pid);
}

/* ---- agent ---- */

static unsigned agent_seq;

bool h_agent_start(struct h_agent *a, const char *const extra[])
{
	char bin[512], listen[64];
	const char *argv[32];
	int n = 0;

	if (a->port == 0)
		a->port = h_free_port();
	if (a->methods[0] == '\0')
		snprintf(a->methods, sizeof(a->methods), "haproxy/methods.tsv");
	snprintf(bin, sizeof(bin), "%s/polkfura-spoa", h_build_dir());
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", a->port);
	/* Numbered too: two agents may share a port (SO_REUSEPORT) while one drains. */
	snprintf(a->log, sizeof(a->log), "%s/agent-%d-%d-%u.log", h_tmpdir(), (int)getpid(),
	         a->port, agent_seq++);
	argv[n++] = bin;
	argv[n++] = "--listen";
	argv[n++] = listen;
	argv[n++] = "--methods";
	argv[n++] = a->methods;
	for (int i = 0; extra != NULL && extra[i] != NULL && n < 30; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	a->pid = h_spawn((char *const *)argv, NULL, a->log);
	if (a->pid <= 0)
		return false;
	/* README: SIGTERM says goodbye to HAProxy's connections and exits 0. */
	h_child_expect(a->pid, "polkfura-spoa", SIGTERM, 0);
	return h_wait_file_contains(a->log, "ready:", 10);
}

void h_agent_stop(struct h_agent *a)
{
	pid_t pid = a->pid;

	a->pid = 0;
	if (pid > 0)
		h_stop_child(pid);
}

void h_agent_kill(struct h_agent *a)
{
	pid_t pid = a->pid;

	a->pid = 0;
	h_kill_child(pid);
}

/* ---- haproxy ---- */

/* Spawns haproxy on <h>'s files and environment with <extra> arguments (NULL-terminated). */
static pid_t haproxy_spawn(struct h_haproxy *h, const char *const *extra)
{
	char cfg[512], cwd[400];
	char *argv[16], *envp[H_MAX_ENV + 17];
	int n = 0;
	pid_t pid;

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return -1;
	snprintf(cfg, sizeof(cfg), "%s/haproxy/haproxy.cfg", cwd);
	argv[n++] = (char *)h_haproxy_bin();
	argv[n++] = "-db";
	if (h->master_worker)
		argv[n++] = "-W";
	argv[n++] = "-f";
	argv[n++] = cfg;
	argv[n++] = "-f";
	argv[n++] = h->backends;
	for (int i = 0; extra != NULL && extra[i] != NULL && n < 15; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	for (int i = 0; i < h->n_env; i++)
		envp[i] = h->env[i];
	envp[h->n_env] = NULL;
	pid = h_spawn(argv, envp, h->log);
	/*
	 * SIGUSR1 is HAProxy's soft stop (management.txt, "Stopping and
	 * restarting HAProxy"): it exits 0 in both modes, 2.6 and 3.4 alike.
	 * SIGTERM would do in master-worker mode, but in -db mode it is a hard
	 * stop that ends with status 143.
	 */
	if (pid > 0)
		h_child_expect(pid, "haproxy", SIGUSR1, 0);
	return pid;
}

long h_haproxy_info_pid(const struct h_haproxy *h)
{
	char *r = h_haproxy_cmd(h, "show info");
	const char *p = r != NULL ? strstr(r, "\nPid: ") : NULL;
	long pid = p != NULL ? strtol(p + 6, NULL, 10) : -1;

	free(r);
	return pid;
}

#define SETENV(...) snprintf(h->env[h->n_env], sizeof(h->env[0]), __VA_ARGS__), h->n_env++

/* True when the NULL-terminated <env> sets <name> ("PF_X="). */
static bool env_has(char *const env[], const char *name)
{
	for (int i = 0; env != NULL && env[i] != NULL; i++)
		if (strncmp(env[i], name, strlen(name)) == 0)
			return true;
	return false;
}

/*
 * The site files and privileges of <h> that the caller's <env> does not set
 * (its entries come later and win): the chains map H_CHAINS_MAP in h->dir,
 * and, as root, the shipped least-privilege settings with test values: the
 * worker runs as the Debian package's "haproxy" user in an empty chroot of
 * its own, the runtime API socket is group "haproxy". Not root: all four
 * empty, which leaves them out of the config (HAProxy cannot drop what it
 * does not have). A caller that points HAProxy at a unix socket outside the
 * chroot (resolved inside it at connect time) passes PF_CHROOT= itself.
 */
static bool haproxy_site_env(struct h_haproxy *h, char *const env[])
{
	char path[sizeof(h->dir) + 16]; /* h->dir is 256: fits h->env[0] with its name */
	bool root = geteuid() == 0;

	if (!env_has(env, "PF_CHAINS_MAP=")) {
		snprintf(path, sizeof(path), "%s/chains.map", h->dir);
		if (h_write_file(path, H_CHAINS_MAP) == -1)
			return false;
		SETENV("PF_CHAINS_MAP=%s", path);
	}
	snprintf(path, sizeof(path), "%s/chroot", h->dir);
	if (root && mkdir(path, 0755) == -1 && errno != EEXIST)
		return false;
	SETENV("PF_USER=%s", root ? "haproxy" : "");
	SETENV("PF_GROUP=%s", root ? "haproxy" : "");
	SETENV("PF_CHROOT=%s", root ? path : "");
	SETENV("PF_ADMIN_GROUP=%s", root ? "haproxy" : "");
	return true;
}

static bool haproxy_start(struct h_haproxy *h, const char *backends_cfg, int agent_port,
                          char *const env[], bool master_worker)
{
	char cwd[400];

	memset(h, 0, sizeof(*h));
	h->master_worker = master_worker;
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return false;
	h->http_port = h_free_port();
	h->https_port = h_free_port();
	/* Its own port: the default 127.0.0.1:8405 would be shared by every test's HAProxy. */
	h->prom_port = h_free_port();
	/*
	 * Named by the test's process too: a port is free again once a test
	 * ends, and a later test reusing the dir would read the earlier one's
	 * server-state file (its dead nodes and agent) and append to its log.
	 */
	snprintf(h->dir, sizeof(h->dir), "%s/haproxy-%d-%d", h_tmpdir(), (int)getpid(),
	         h->https_port);
	mkdir(h->dir, 0755);
	snprintf(h->log, sizeof(h->log), "%s/haproxy.log", h->dir);
	snprintf(h->admin_sock, sizeof(h->admin_sock), "%s/admin.sock", h->dir);
	snprintf(h->backends, sizeof(h->backends), "%s/backends.cfg", h->dir);
	if (h_write_file(h->backends, backends_cfg) == -1)
		return false;
	SETENV("PF_LOG_TARGET=stdout");
	SETENV("PF_LOG_FORMAT=raw");
	SETENV("PF_ADMIN_SOCKET=%s", h->admin_sock);
	SETENV("PF_HTTP_BIND=127.0.0.1:%d", h->http_port);
	SETENV("PF_HTTPS_BIND=127.0.0.1:%d", h->https_port);
	/* Where port 80's redirect points (haproxy.cfg; the production default is 443). */
	SETENV("PF_HTTPS_PORT=%d", h->https_port);
	SETENV("PF_PROM_BIND=127.0.0.1:%d", h->prom_port);
	SETENV("PF_CERT_DIR=%s", h_cert_dir());
	SETENV("PF_SPOE_CONF=%s/haproxy/spoe-polkfura.conf", cwd);
	SETENV("PF_UNSAFE_METHODS=%s/haproxy/unsafe-methods.txt", cwd);
	/* A caller's PF_AGENT_ADDR (a unix socket: "unix@/path") replaces the port. */
	for (int i = 0; env != NULL && env[i] != NULL; i++)
		if (strncmp(env[i], "PF_AGENT_ADDR=", 14) == 0)
			agent_port = 0;
	if (agent_port > 0)
		SETENV("PF_AGENT_ADDR=127.0.0.1:%d", agent_port);
	SETENV("PF_SERVER_STATE_FILE=%s/server-state", h->dir);
	if (!haproxy_site_env(h, env))
		return false;
	/*
	 * Every test drives the edge from 127.0.0.1 alone, harder than any one
	 * client should: the per-source connection budgets are off unless the
	 * test sets them (test_edge_attack does). Given before the caller's: the
	 * child's putenv() of a later entry replaces an earlier one.
	 */
	SETENV("PF_CONN_PER_SRC=1000000");
	SETENV("PF_CONN_RATE=1000000");
	SETENV("PF_WS_PER_SRC=1000000");
	SETENV("PF_BYTES_RATE=1000000000");
	for (int i = 0; env != NULL && env[i] != NULL && h->n_env < H_MAX_ENV + 11; i++) {
		SETENV("%s", env[i]);
		/* A caller's own admin socket (a restart on the same path) wins. */
		if (strncmp(env[i], "PF_ADMIN_SOCKET=", 16) == 0)
			snprintf(h->admin_sock, sizeof(h->admin_sock), "%s", env[i] + 16);
	}
#undef SETENV
	h->pid = haproxy_spawn(h, NULL);
	if (h->pid <= 0)
		return false;
	if (!h_wait_port(h->https_port, 10) || !h_wait_port(h->http_port, 5))
		return false;
	/* The runtime API answers once the process is fully up. */
	for (double end = h_now() + 5; h_now() < end; nap())
		if (h_haproxy_info_pid(h) > 0)
			return true;
	return false;
}

bool h_haproxy_start(struct h_haproxy *h, const char *backends_cfg, int agent_port,
                     char *const env[])
{
	return haproxy_start(h, backends_cfg, agent_port, env, false);
}

bool h_haproxy_start_master_worker(struct h_haproxy *h, const char *backends_cfg, int agent_port,
                                   char *const env[])
{
	return haproxy_start(h, backends_cfg, agent_port, env, true);
}

/* True when process <pid> has a handler for <sig> (SigCgt of /proc/<pid>/status). */
static bool catches_signal(pid_t pid, int sig)
{
	char path[64], *text;
	const char *p;
	unsigned long long mask = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	text = h_read_file(path, NULL);
	p = text != NULL ? strstr(text, "\nSigCgt:") : NULL;
	if (p != NULL)
		mask = strtoull(p + 8, NULL, 16);
	free(text);
	return (mask >> (sig - 1)) & 1u;
}

int h_haproxy_reload(struct h_haproxy *h, double timeout_s)
{
	long before = h_haproxy_info_pid(h);
	double end = h_now() + timeout_s;
	int status = 0;

	if (before <= 0)
		return -1;
	if (h->master_worker) {
		/*
		 * HAProxy sets SIGUSR2 to SIG_IGN at start-up and the master
		 * installs its handler only when it enters its loop, which
		 * can be after the worker answers: a reload sent before is
		 * lost (seen on 2.6 in 2 of 3 runs of a reload right after
		 * start). Wait until the master catches the signal.
		 */
		while (!catches_signal(h->pid, SIGUSR2))
			if (h_now() >= end)
				return -1;
			else
				nap();
		if (kill(h->pid, SIGUSR2) == -1)
			return -1;
	} else {
		char old[16];
		const char *extra[] = {"-x", h->admin_sock, "-sf", old, NULL};
		pid_t prev = h->pid;

		snprintf(old, sizeof(old), "%d", (int)prev);
		h->pid = haproxy_spawn(h, extra);
		if (h->pid <= 0)
			return -1;
		status = h_wait_exit(prev, timeout_s);
		if (status == -1)
			return -1;
	}
	for (bool moved = false; !moved; nap()) {
		long now = h_haproxy_info_pid(h);

		moved = now > 0 && now != before;
		if (!moved && h_now() >= end)
			return -1;
	}
	/*
	 * In master-worker mode the previous worker soft-stops under the
	 * master, not as our child: wait until it is gone, so that a stop
	 * after the reload never waits on it, and a worker that does not
	 * finish its soft stop fails here, named, instead of as a slow stop.
	 */
	while (h->master_worker && kill((pid_t)before, 0) == 0)
		if (h_now() >= end) {
			fprintf(stderr,
			        "harness: the previous worker %ld is still running %.1f s after "
			        "the reload\n",
			        before, timeout_s);
			return -1;
		} else
			nap();
	return status;
}

void h_haproxy_stop(struct h_haproxy *h)
{
	pid_t pid = h->pid;

	h->pid = 0;
	if (pid > 0)
		h_stop_child(pid);
}

/*
 * Connects to <h>'s runtime API: a unix socket path, or "ipv4@A.B.C.D:PORT"
 * as haproxy.cfg takes it from PF_ADMIN_SOCKET. Returns the fd or -1.
 */
static int admin_connect(const struct h_haproxy *h)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct sockaddr_in sin = {.sin_family = AF_INET};
	const struct sockaddr *sa = (const struct sockaddr *)&sun;
	socklen_t salen = sizeof(sun);
	int fd;

	if (strncmp(h->admin_sock, "ipv4@", 5) == 0) {
		char host[INET_ADDRSTRLEN];
		const char *colon = strrchr(h->admin_sock, ':');
		size_t hlen = colon != NULL ? (size_t)(colon - h->admin_sock - 5) : 0;

		if (colon == NULL || hlen == 0 || hlen >= sizeof(host))
			return -1;
		memcpy(host, h->admin_sock + 5, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
			return -1;
		sin.sin_port = htons((uint16_t)strtol(colon + 1, NULL, 10));
		sa = (const struct sockaddr *)&sin;
		salen = sizeof(sin);
	} else if (strlen(h->admin_sock) < sizeof(sun.sun_path)) {
		memcpy(sun.sun_path, h->admin_sock, strlen(h->admin_sock) + 1);
	} else {
		return -1;
	}
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, sa, salen) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

char *h_haproxy_cmd(const struct h_haproxy *h, const char *cmd)
{
	struct sink out = {NULL, 0};
	char buf[4096];
	int fd = admin_connect(h);
	ssize_t n;

	if (fd < 0)
		return NULL;
	snprintf(buf, sizeof(buf), "%s\n", cmd);
	if (write(fd, buf, strlen(buf)) < 0) {
		close(fd);
		return NULL;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sink_write(buf, 1, (size_t)n, &out);
	close(fd);
	return out.p != NULL ? out.p : strdup("");
}

char *h_backends_chains(const struct h_nodesim *const sims[], const char *const names[], int n)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len); /* grows as needed: no fixed buffer to overrun */

	if (f == NULL)
		return NULL;
	for (int c = 0; c < n; c++) {
		fprintf(f,
		        "backend be_%s\n    balance roundrobin\n    option httpchk GET "
		        "/health/readiness\n"
		        "    default-server check inter 500ms fall 2 rise 1 maxconn 500\n",
		        names[c]);
		for (int i = 0; sims[c] != NULL && i < sims[c]->n; i++)
			fprintf(f, "    server node%d 127.0.0.1:%d\n", i + 1, sims[c]->port[i]);
		fprintf(
		    f,
		    "backend be_%s_heavy\n    balance roundrobin\n    default-server maxconn 20\n",
		    names[c]);
		for (int i = 0; sims[c] != NULL && i < sims[c]->n; i++)
			fprintf(f, "    server node%d 127.0.0.1:%d track be_%s/node%d\n", i + 1,
			        sims[c]->port[i], names[c], i + 1);
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

char *h_backends_for(const struct h_nodesim *polkadot, const struct h_nodesim *kusama)
{
	const struct h_nodesim *sims[2] = {polkadot, kusama};
	const char *const names[2] = {"polkadot", "kusama"};

	return h_backends_chains(sims, names, 2);
}

/* ---- the whole stack ---- */

bool h_stack_start(struct h_stack *s, char *const env[])
{
	char *backends;
	bool ok;

	memset(s, 0, sizeof(*s));
	if (!h_nodesim_start(&s->polkadot, "polkadot", 2, NULL) ||
	    !h_nodesim_start(&s->kusama, "kusama", 2, NULL))
		return false;
	if (!h_agent_start(&s->agent, NULL))
		return false;
	backends = h_backends_for(&s->polkadot, &s->kusama);
	if (backends == NULL)
		return false;
	ok = h_haproxy_start(&s->haproxy, backends, s->agent.port, env);
	free(backends);
	if (!ok)
		return false;
	/* Ready when HAProxy's checks see every node and the agent up. */
	for (double end = h_now() + 10; h_now() < end; nap()) {
		char st[4][32];

		h_server_status(&s->haproxy, "be_polkadot", "node1", st[0], sizeof(st[0]));
		h_server_status(&s->haproxy, "be_kusama", "node2", st[1], sizeof(st[1]));
		h_server_status(&s->haproxy, "polkfura-spoa", "agent1", st[2], sizeof(st[2]));
		h_server_status(&s->haproxy, "be_polkadot", "node2", st[3], sizeof(st[3]));
		if (strcmp(st[0], "UP") == 0 && strcmp(st[1], "UP") == 0 &&
		    strcmp(st[2], "UP") == 0 && strcmp(st[3], "UP") == 0)
			return true;
	}
	return false;
}

bool h_server_status(const struct h_haproxy *h, const char *backend, const char *server, char *out,
                     size_t outlen)
{
	char *st = h_haproxy_cmd(h, "show stat");
	char prefix[160];
	bool found = false;

	snprintf(out, outlen, "?");
	snprintf(prefix, sizeof(prefix), "%s,%s,", backend, server);
	for (char *p = st; p != NULL && (p = strstr(p, prefix)) != NULL; p++) {
		char *eol;
		int field = 0;

		if (p != st && p[-1] != '\n')
			continue;
		eol = strchr(p, '\n');
		if (eol != NULL)
			*eol = '\0';
		/* CSV column 18 (index 17) is "status". */
		for (char *q = p; q != NULL; q = strchr(q, ','), q = q ? q + 1 : NULL) {
			if (field++ == 17) {
				snprintf(out, outlen, "%.*s", (int)strcspn(q, ","), q);
				found = true;
				break;
			}
		}
		break;
	}
	free(st);
	return found;
}

void h_stack_stop(struct h_stack *s)
{
	s->haproxy.pid = s->agent.pid = s->polkadot.pid = s->kusama.pid = 0;
	h_stop_all();
}

long h_stack_post(const struct h_stack *s, const char *chain, const char *body, struct h_resp *resp)
{
	char url[256];
	struct h_req req = {.url = url, .body = body, .resolve_port = s->haproxy.https_port};

	snprintf(url, sizeof(url), "https://%s.localhost:%d/", chain, s->haproxy.https_port);
	return h_http(&req, resp);
}

int h_log_count(const char *path, const char *const needles[])
{
	char *log = h_read_file(path, NULL);
	int count = 0;

	for (char *line = log; line != NULL && *line != '\0';) {
		char *eol = strchr(line, '\n');
		bool all = true;

		if (eol != NULL)
			*eol = '\0';
		for (int i = 0; needles[i] != NULL && all; i++)
			all = strstr(line, needles[i]) != NULL;
		count += all;
		line = eol != NULL ? eol + 1 : NULL;
	}
	free(log);
	return count;
}

int h_wait_log_count(const char *path, const char *const needles[], int n, double timeout_s)
{
	double end = h_now() + timeout_s;
	int count;

	while ((count = h_log_count(path, needles)) < n && h_now() < end)
		nap();
	return count;
}

/* ---- polkfura-ctl ---- */

bool h_ctl_start(struct h_ctl *c, const char *config_json)
{
	char bin[512];
	struct h_resp r;

	if (c->http_port == 0)
		c->http_port = h_free_port();
	/* Per test process and port: a restart on the same port continues the same log. */
	snprintf(c->config, sizeof(c->config), "%s/ctl-%d-%d.json", h_tmpdir(), (int)getpid(),
	         c->http_port);
	snprintf(c->log, sizeof(c->log), "%s/ctl-%d-%d.log", h_tmpdir(), (int)getpid(),
	         c->http_port);
	if (h_write_file(c->config, config_json) == -1)
		return false;
	snprintf(bin, sizeof(bin), "%s/polkfura-ctl", h_build_dir());
	{
		char *argv[] = {bin, "run", "--config", c->config, NULL};

		c->pid = h_spawn(argv, NULL, c->log);
	}
	if (c->pid <= 0)
		return false;
	/* README (polkfura-ctl run): SIGTERM or SIGINT stops it, exit 0. */
	h_child_expect(c->pid, "polkfura-ctl", SIGTERM, 0);
	for (double end = h_now() + 10; h_now() < end; nap()) {
		long st = h_ctl_http(c, "/healthz", NULL, &r);

		h_resp_free(&r);
		if (st == 200)
			return true;
		if (h_wait_exit(c->pid, 0) != -1) {
			c->pid = 0;
			return false;
		}
	}
	return false;
}

void h_ctl_stop(struct h_ctl *c)
{
	pid_t pid = c->pid;

	c->pid = 0;
	if (pid > 0)
		h_stop_child(pid);
}

void h_ctl_kill(struct h_ctl *c)
{
	pid_t pid = c->pid;

	c->pid = 0;
	h_kill_child(pid);
}

int h_ctl_run(const char *env, const char *args, char *out, size_t outlen)
{
	char cmd[4096];
	int n, st;

	n = snprintf(cmd, sizeof(cmd), "%s %s/polkfura-ctl %s 2>&1", env != NULL ? env : "",
	             h_build_dir(), args);
	if (n < 0 || (size_t)n >= sizeof(cmd)) {
		fprintf(stderr, "harness: polkfura-ctl command longer than %zu bytes\n",
		        sizeof(cmd));
		return -1;
	}
	st = h_run(cmd, out, outlen);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

long h_ctl_http(const struct h_ctl *c, const char *path, const char *post, struct h_resp *out)
{
	char url[256];
	struct h_req req = {.url = url, .body = post};

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", c->http_port, path);
	return h_http(&req, out);
}

/* Outcome of one look at a server's admin state. */
enum admin_look {
	ADMIN_FOUND = 0,
	ADMIN_NO_ANSWER, /* the runtime API did not answer: HAProxy is gone or stuck */
	ADMIN_NO_SERVER, /* HAProxy answered without this backend/server */
};

static enum admin_look admin_look(const struct h_haproxy *h, const char *backend,
                                  const char *server, unsigned *admin, char *addr, size_t addrlen,
                                  int *port)
{
	char *st = h_haproxy_cmd(h, "show servers state");
	enum admin_look r = ADMIN_NO_SERVER;

	/* An answer always has the version line; an empty one means the socket was closed on us. */
	if (st == NULL || st[0] == '\0')
		r = ADMIN_NO_ANSWER;
	for (char *line = st; r == ADMIN_NO_SERVER && line != NULL && *line != '\0';) {
		char *eol = strchr(line, '\n');
		char *f[32];
		int nf = 0;

		if (eol != NULL)
			*eol = '\0';
		for (char *tok = strtok_r(line, " ", &line); tok != NULL && nf < 32;
		     tok = strtok_r(NULL, " ", &line))
			f[nf++] = tok;
		/* be_id be_name srv_id srv_name srv_addr op admin ... srv_port is column 19 */
		if (nf >= 19 && strcmp(f[1], backend) == 0 && strcmp(f[3], server) == 0) {
			*admin = (unsigned)strtoul(f[6], NULL, 10);
			if (addr != NULL)
				snprintf(addr, addrlen, "%s", f[4]);
			if (port != NULL)
				*port = (int)strtol(f[18], NULL, 10);
			r = ADMIN_FOUND;
		}
		line = eol != NULL ? eol + 1 : NULL;
	}
	free(st);
	return r;
}

bool h_server_admin(const struct h_haproxy *h, const char *backend, const char *server,
                    unsigned *admin, char *addr, size_t addrlen, int *port)
{
	return admin_look(h, backend, server, admin, addr, addrlen, port) == ADMIN_FOUND;
}

bool h_wait_admin(const struct h_haproxy *h, const char *backend, const char *server, unsigned mask,
                  unsigned want, double timeout_s, char *why, size_t whylen)
{
	double end = h_now() + timeout_s;

	for (;;) {
		unsigned admin = 0;
		enum admin_look r = admin_look(h, backend, server, &admin, NULL, 0, NULL);

		if (r == ADMIN_FOUND && (admin & mask) == want)
			return true;
		if (h_now() >= end) {
			if (r == ADMIN_NO_ANSWER)
				snprintf(why, whylen, "HAProxy (%s) does not answer",
				         h->admin_sock);
			else if (r == ADMIN_NO_SERVER)
				snprintf(why, whylen, "HAProxy has no server %s/%s", backend,
				         server);
			else
				snprintf(why, whylen, "%s/%s admin state 0x%02x after %.2f s",
				         backend, server, admin, timeout_s);
			return false;
		}
		nap();
	}
}
