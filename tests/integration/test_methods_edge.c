/* SPDX-License-Identifier: MIT */
/*
 * Every method pinned through the real edge: the shipped haproxy.cfg, the
 * real agent loading the shipped haproxy/methods.tsv, and simulated nodes.
 * Every expected class comes from tests/data/methods-reference.tsv (classed
 * from polkadot-sdk source), every expected refusal body from
 * tests/data/responses/, never from the code or the table under test.
 *
 * - the two tables agree, method by method and class by class;
 * - every method of either table, as one call over HTTP/1.1 and over HTTP/2:
 *   the class HAProxy acts on (X-Polkfura-Class, the backend in its log, who
 *   answered: a node sets X-Node, the edge does not) and the answer;
 * - every unsafe method refused with the node's -32601 error and the
 *   caller's id, also inside a batch and with its name escaped, on both
 *   protocols, and never seen by a node (the simulator's counters);
 * - the unknown-method policy: forwarded to the heavy backend and answered
 *   by the node, counted in the log and the agent's metrics, and limited by
 *   PF_RATE_UNKNOWN, batches with an unknown member included.
 *
 * The simulated nodes follow the reference table too (--methods), so they
 * answer as a node built from polkadot-sdk would. The row tests raise every
 * PF_RATE_* knob so that no limit interferes; the unknown test lowers
 * PF_RATE_UNKNOWN to 6 calls (limits count calls: a batch of N costs N). One keep-alive connection
 * per protocol carries the requests of a test.
 */
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <curl/curl.h>

#include "common/compiler.h"
#include "tests/harness/harness.h"
#include "tests/unit/methods_ref.h"

#define UNSAFE_FILE    "tests/data/responses/error-unsafe.json"
#define NOT_FOUND_FILE "tests/data/responses/error-method-not-found.json"
#define TOO_MANY                                                                                   \
	"{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":{\"code\":-32029,\"message\":\"Too many "        \
	"requests\"}}"
static struct h_stack stack;
/* Every per-source limit out of the way: the row tests measure classes, not rates. */
static char *no_limits[] = {
    "PF_RATE_ALL=1000000",
    "PF_RATE_READ=1000000",
    "PF_RATE_SUBSCRIBE=1000000",
    "PF_RATE_SUBMIT=1000000",
    "PF_RATE_HEAVY=1000000",
    "PF_RATE_UNKNOWN=1000000",
    NULL,
};
/* Both tables, read once in main() and inherited by the forked tests. */
static struct ref_table ref, shipped;

/* ---- the stack, stopped with its exit statuses checked ------------------- */

/* True when HAProxy sees both nodes of each chain and the agent UP. */
static bool stack_up(void)
{
	static const char *const srv[][2] = {
	    {"be_polkadot", "node1"}, {"be_polkadot", "node2"},    {"be_kusama", "node1"},
	    {"be_kusama", "node2"},   {"polkfura-spoa", "agent1"},
	};
	char st[32];

	for (size_t i = 0; i < PF_ARRAY_SIZE(srv); i++)
		if (!h_server_status(&stack.haproxy, srv[i][0], srv[i][1], st, sizeof(st)) ||
		    strcmp(st, "UP") != 0)
			return false;
	return true;
}

static void stack_start(char *const env[])
{
	static char mport[32];
	const char *extra[] = {"--metrics", mport, NULL};
	char *backends;

	memset(&stack, 0, sizeof(stack));
	ck_assert(h_nodesim_start(&stack.polkadot, "polkadot", 2, "--methods " METHODS_REF_PATH));
	ck_assert(h_nodesim_start(&stack.kusama, "kusama", 2, "--methods " METHODS_REF_PATH));
	stack.agent.metrics_port = h_free_port();
	snprintf(mport, sizeof(mport), "127.0.0.1:%d", stack.agent.metrics_port);
	ck_assert(h_agent_start(&stack.agent, extra));
	backends = h_backends_for(&stack.polkadot, &stack.kusama);
	ck_assert_ptr_nonnull(backends);
	ck_assert_msg(h_haproxy_start(&stack.haproxy, backends, stack.agent.port, env),
	              "haproxy did not start: %s", stack.haproxy.log);
	free(backends);
	/* Ready when HAProxy's checks see every node and the agent up. */
	for (double end = h_now() + 10; !stack_up();) {
		/* A poll interval, not a synchronisation. */
		struct timespec ts = {0, 20 * 1000 * 1000};

		ck_assert_msg(h_now() < end, "servers not UP in 10 s: %s", stack.haproxy.log);
		nanosleep(&ts, NULL);
	}
}

/* After a failed assertion: whatever is still running goes. */
static void teardown(void)
{
	h_stack_stop(&stack);
}

/* ---- a client that keeps its connection ---------------------------------- */

struct client {
	CURL *c;
	struct curl_slist *resolve, *hdrs;
	struct h_resp resp;
	long connects; /* connections opened so far */
	int requests;
	double seconds; /* inside curl_easy_perform */
};

static size_t client_sink(char *data, size_t size, size_t nmemb, void *userp)
{
	char **buf = userp;
	size_t old = *buf != NULL ? strlen(*buf) : 0, n = size * nmemb;
	char *nb = realloc(*buf, old + n + 1);

	if (nb == NULL)
		return 0;
	memcpy(nb + old, data, n);
	nb[old + n] = '\0';
	*buf = nb;
	return n;
}

/*
 * One easy handle for the whole test: libcurl keeps its connection open
 * between transfers (h_http opens one per request, which would make the
 * few hundred requests here mostly TLS handshakes).
 */
static void client_init(struct client *cl, bool http2)
{
	char entry[2][128];

	memset(cl, 0, sizeof(*cl));
	cl->c = curl_easy_init();
	ck_assert_ptr_nonnull(cl->c);
	snprintf(entry[0], sizeof(entry[0]), "polkadot.localhost:%d:127.0.0.1",
	         stack.haproxy.https_port);
	snprintf(entry[1], sizeof(entry[1]), "kusama.localhost:%d:127.0.0.1",
	         stack.haproxy.https_port);
	cl->resolve = curl_slist_append(curl_slist_append(NULL, entry[0]), entry[1]);
	cl->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	ck_assert(cl->resolve != NULL && cl->hdrs != NULL);
	curl_easy_setopt(cl->c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(cl->c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(cl->c, CURLOPT_RESOLVE, cl->resolve);
	curl_easy_setopt(cl->c, CURLOPT_HTTPHEADER, cl->hdrs);
	curl_easy_setopt(cl->c, CURLOPT_CAINFO, h_ca_file());
	curl_easy_setopt(cl->c, CURLOPT_HTTP_VERSION,
	                 http2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(cl->c, CURLOPT_WRITEFUNCTION, client_sink);
	curl_easy_setopt(cl->c, CURLOPT_WRITEDATA, &cl->resp.body);
	curl_easy_setopt(cl->c, CURLOPT_HEADERFUNCTION, client_sink);
	curl_easy_setopt(cl->c, CURLOPT_HEADERDATA, &cl->resp.headers);
}

/* POSTs <body> to https://<chain>.localhost/; the answer stays in cl->resp until the next. */
static long client_post(struct client *cl, const char *chain, const char *body)
{
	char url[128];
	long n = 0;
	double t0 = h_now();
	CURLcode rc;

	h_resp_free(&cl->resp);
	memset(&cl->resp, 0, sizeof(cl->resp));
	snprintf(url, sizeof(url), "https://%s.localhost:%d/", chain, stack.haproxy.https_port);
	curl_easy_setopt(cl->c, CURLOPT_URL, url);
	curl_easy_setopt(cl->c, CURLOPT_POSTFIELDS, body);
	rc = curl_easy_perform(cl->c);
	cl->seconds += h_now() - t0;
	cl->requests++;
	ck_assert_msg(rc == CURLE_OK, "POST %s: %s", body, curl_easy_strerror(rc));
	curl_easy_getinfo(cl->c, CURLINFO_RESPONSE_CODE, &cl->resp.status);
	curl_easy_getinfo(cl->c, CURLINFO_NUM_CONNECTS, &n);
	cl->connects += n;
	if (cl->resp.body == NULL)
		cl->resp.body = strdup("");
	if (cl->resp.headers == NULL)
		cl->resp.headers = strdup("");
	return cl->resp.status;
}

static void client_fini(struct client *cl, const char *what)
{
	fprintf(stderr, "methods_edge: %s: %d requests in %.2f s over %ld connection(s)\n", what,
	        cl->requests, cl->seconds, cl->connects);
	h_resp_free(&cl->resp);
	curl_slist_free_all(cl->resolve);
	curl_slist_free_all(cl->hdrs);
	curl_easy_cleanup(cl->c);
}

static const char *hdr(const struct h_resp *r, const char *name)
{
	static char v[256];

	return h_resp_header(r, name, v, sizeof(v)) ? v : "";
}

/* ---- expectations from the data files ------------------------------------ */

/* The class the reference gives <method>: "unknown" when it has no such row. */
static const char *ref_class(const char *method)
{
	const struct ref_method *r = ref_table_find(&ref, method, strlen(method));

	return r != NULL ? r->cls_name : "unknown";
}

/*
 * A node's error reply from <file> (id 1 there) with the id <id_json>
 * instead, into <out>: what the caller must get, byte for byte.
 */
static void expected_reply(const char *file, const char *id_json, char *out, size_t outlen)
{
	char *text = h_read_file(file, NULL);
	char *at = text != NULL ? strstr(text, "\"id\":1,") : NULL;

	ck_assert_msg(at != NULL, "%s: no \"id\":1, in it", file);
	text[strcspn(text, "\n")] = '\0';
	*at = '\0';
	snprintf(out, outlen, "%s\"id\":%s,%s", text, id_json, at + strlen("\"id\":1,"));
	free(text);
}

/* <method> with its middle byte written as a \u escape, in <out>. */
static void escape_middle(const char *method, char *out, size_t outlen)
{
	size_t mid = strlen(method) / 2;

	snprintf(out, outlen, "%.*s\\u%04x%s", (int)mid, method, (unsigned char)method[mid],
	         method + mid + 1);
}

/* Lines of haproxy's log with all of <a>, <b> (and <c> when not NULL). */
static int log_lines(const char *a, const char *b, const char *c)
{
	const char *needles[] = {a, b, c, NULL};

	return h_log_count(stack.haproxy.log, needles);
}

/* Calls of <method> that the nodes of <sim> counted, from their control API views. */
static int node_calls(const struct h_nodesim *sim, const char *chain, const char *method)
{
	char key[RPC_METHOD_MAX + 8];
	int total = 0;

	snprintf(key, sizeof(key), "\"%s\":", method);
	for (int i = 0; i < sim->n; i++) {
		char path[64];
		struct h_resp r;
		const char *p;

		snprintf(path, sizeof(path), "/nodes/%s-%d", chain, i);
		ck_assert_int_eq(h_nodesim_control(sim, path, NULL, &r), 200);
		p = strstr(r.body, key);
		if (p != NULL)
			total += (int)strtol(p + strlen(key), NULL, 10);
		h_resp_free(&r);
	}
	return total;
}

/* ---- the tables ---------------------------------------------------------- */

START_TEST(test_tables_agree)
{
	for (size_t i = 0; i < shipped.n; i++) {
		const struct ref_method *s = &shipped.rows[i];

		ck_assert_msg(strcmp(ref_class(s->name), s->cls_name) == 0,
		              "%s: %s says %s, the reference %s", s->name, METHODS_SHIPPED_PATH,
		              s->cls_name, ref_class(s->name));
	}
	for (size_t i = 0; i < ref.n; i++)
		ck_assert_msg(ref_table_find(&shipped, ref.rows[i].name, strlen(ref.rows[i].name)),
		              "%s: in the reference, not in %s", ref.rows[i].name,
		              METHODS_SHIPPED_PATH);
	ck_assert_uint_eq(shipped.n, ref.n);
}
END_TEST

/* ---- every method through HAProxy ---------------------------------------- */

/* The methods to drive: every reference row, then shipped rows the reference lacks. */
static const char *method_at(size_t i)
{
	size_t k;

	if (i < ref.n)
		return ref.rows[i].name;
	k = i - ref.n;
	for (size_t j = 0; j < shipped.n; j++)
		if (ref_table_find(&ref, shipped.rows[j].name, strlen(shipped.rows[j].name)) ==
		        NULL &&
		    k-- == 0)
			return shipped.rows[j].name;
	return NULL;
}

/* One call of <method> with id <id>: the class HAProxy acts on, who answered, and what. */
static void check_single(struct client *cl, const char *method, const char *sent_name,
                         const char *id)
{
	const char *want = ref_class(method);
	char body[512], expect[512];

	snprintf(body, sizeof(body),
	         "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"%s\",\"params\":[]}", id, sent_name);
	client_post(cl, "polkadot", body);
	ck_assert_msg(strcmp(hdr(&cl->resp, "X-Polkfura-Class"), want) == 0,
	              "%s: X-Polkfura-Class \"%s\", the reference says %s", body,
	              hdr(&cl->resp, "X-Polkfura-Class"), want);
	ck_assert_msg(cl->resp.status == 200, "%s: HTTP %ld", body, cl->resp.status);
	if (strcmp(want, "unsafe") == 0) {
		/* The edge's answer, byte for byte the node's own refusal. */
		expected_reply(UNSAFE_FILE, id, expect, sizeof(expect));
		ck_assert_str_eq(cl->resp.body, expect);
		ck_assert_msg(hdr(&cl->resp, "X-Node")[0] == '\0', "%s: answered by node %s", body,
		              hdr(&cl->resp, "X-Node"));
	} else {
		snprintf(expect, sizeof(expect), "\"id\":%s,", id);
		ck_assert_msg(hdr(&cl->resp, "X-Node")[0] != '\0', "%s: not answered by a node",
		              body);
		ck_assert_msg(strstr(cl->resp.body, expect) != NULL, "%s: answer %s", body,
		              cl->resp.body);
	}
}

/* An unsafe <method> in a batch between two read calls: the batch is refused whole. */
static void check_unsafe_batch(struct client *cl, const char *method)
{
	char body[512], expect[512];

	snprintf(body, sizeof(body),
	         "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system_health\",\"params\":[]},"
	         "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"%s\",\"params\":[]},"
	         "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"chain_getHeader\",\"params\":[]}]",
	         method);
	ck_assert_int_eq(client_post(cl, "polkadot", body), 200);
	ck_assert_msg(strcmp(hdr(&cl->resp, "X-Polkfura-Class"), "unsafe") == 0,
	              "%s: X-Polkfura-Class \"%s\"", body, hdr(&cl->resp, "X-Polkfura-Class"));
	/* A batch has no id of its own: the refusal carries null (haproxy/README.md rule 8). */
	expected_reply(UNSAFE_FILE, "null", expect, sizeof(expect));
	ck_assert_str_eq(cl->resp.body, expect);
	ck_assert_str_eq(hdr(&cl->resp, "X-Node"), "");
}

static void drive_every_method(bool http2)
{
	struct client cl;
	char id[32], escaped[RPC_METHOD_MAX * 6 + 1], want_log[RPC_METHOD_MAX + 64];
	size_t n_methods = 0, n_unsafe = 0, i;
	const char *m;

	client_init(&cl, http2);
	for (i = 0; (m = method_at(i)) != NULL; i++, n_methods++) {
		snprintf(id, sizeof(id), "%zu", i + 1);
		check_single(&cl, m, m, id);
		if (strcmp(ref_class(m), "unsafe") != 0)
			continue;
		n_unsafe++;
		snprintf(id, sizeof(id), "\"call-%zu\"", i + 1);
		check_single(&cl, m, m, id);
		escape_middle(m, escaped, sizeof(escaped));
		snprintf(id, sizeof(id), "%zu", 1000 + i);
		check_single(&cl, m, escaped, id);
		check_unsafe_batch(&cl, m);
	}
	if (http2)
		ck_assert_ptr_nonnull(strstr(cl.resp.headers, "HTTP/2 200"));
	client_fini(&cl, http2 ? "every method, HTTP/2" : "every method, HTTP/1.1");
	ck_assert_uint_ge(n_methods, ref.n);
	ck_assert_uint_eq(n_unsafe, 25);

	/* The log: each call on the backend of its class, unsafe ones on none. */
	{
		const char *last[] = {"method=batch class=unsafe batch=3", "rpc/<NOSRV>", NULL};

		ck_assert_int_eq(h_wait_log_count(stack.haproxy.log, last, (int)n_unsafe, 5),
		                 (int)n_unsafe);
	}
	for (i = 0; (m = method_at(i)) != NULL; i++) {
		const char *want = ref_class(m);
		bool unsafe = strcmp(want, "unsafe") == 0;
		const char *where = unsafe ? "rpc/<NOSRV>"
		                    : strcmp(want, "heavy") == 0 || strcmp(want, "unknown") == 0
		                        ? " be_polkadot_heavy/"
		                        : " be_polkadot/";

		snprintf(want_log, sizeof(want_log), "method=%s class=%s batch=1 ", m, want);
		ck_assert_msg(log_lines(want_log, where, NULL) == (unsafe ? 3 : 1),
		              "%s: %d log lines with \"%s\" and \"%s\"", m,
		              log_lines(want_log, where, NULL), want_log, where);
		/* The nodes saw every forwarded call once and no unsafe one. */
		ck_assert_msg(node_calls(&stack.polkadot, "polkadot", m) == (unsafe ? 0 : 1),
		              "%s: the polkadot nodes counted %d calls", m,
		              node_calls(&stack.polkadot, "polkadot", m));
		if (unsafe)
			ck_assert_int_eq(node_calls(&stack.kusama, "kusama", m), 0);
	}
}

START_TEST(test_every_method_http1)
{
	stack_start(no_limits);
	drive_every_method(false);
	h_stack_stop(&stack); /* asserts each exit (harness/children.h) */
}
END_TEST

START_TEST(test_every_method_http2)
{
	stack_start(no_limits);
	drive_every_method(true);
	h_stack_stop(&stack); /* asserts each exit (harness/children.h) */
}
END_TEST

/* ---- unknown methods ----------------------------------------------------- */

/* POSTs <body>; asserts the status, X-Polkfura-Class and whether a node answered. */
static void expect_post(struct client *cl, const char *chain, const char *body, long status,
                        const char *cls, bool by_node)
{
	client_post(cl, chain, body);
	ck_assert_msg(cl->resp.status == status, "%s: HTTP %ld, want %ld", body, cl->resp.status,
	              status);
	ck_assert_msg(strcmp(hdr(&cl->resp, "X-Polkfura-Class"), cls) == 0,
	              "%s: X-Polkfura-Class \"%s\", want %s", body,
	              hdr(&cl->resp, "X-Polkfura-Class"), cls);
	ck_assert_msg((hdr(&cl->resp, "X-Node")[0] != '\0') == by_node, "%s: X-Node \"%s\"", body,
	              hdr(&cl->resp, "X-Node"));
}

#define CALL(id, m)  "{\"jsonrpc\":\"2.0\",\"id\":" id ",\"method\":\"" m "\",\"params\":[]}"
#define NOT_A_METHOD "polkfura_notAMethod"

START_TEST(test_unknown_policy)
{
	char *env[] = {"PF_RATE_UNKNOWN=6", NULL};
	char expect[512], url[128];
	struct client cl;
	struct h_resp r;
	struct h_req req = {.url = url};

	ck_assert_str_eq(ref_class(NOT_A_METHOD), "unknown");
	ck_assert_str_eq(ref_class("dev_newBlock"), "unknown");
	stack_start(env);
	client_init(&cl, false);

	/* Within PF_RATE_UNKNOWN=6 calls (1 + 1 + 2 + 2): forwarded, and the node answers. */
	expect_post(&cl, "polkadot", CALL("\"u-1\"", NOT_A_METHOD), 200, "unknown", true);
	expected_reply(NOT_FOUND_FILE, "\"u-1\"", expect, sizeof(expect));
	ck_assert_str_eq(cl.resp.body, expect);
	/* Chopsticks' dev_ methods are unknown, not refused: the node decides. */
	expect_post(&cl, "polkadot", CALL("2", "dev_newBlock"), 200, "unknown", true);
	expected_reply(NOT_FOUND_FILE, "2", expect, sizeof(expect));
	ck_assert_str_eq(cl.resp.body, expect);
	/* One unknown call makes a batch of heavy or submit calls unknown: same budget. */
	expect_post(&cl, "polkadot", "[" CALL("1", "state_call") "," CALL("2", NOT_A_METHOD) "]",
	            200, "unknown", true);
	ck_assert_int_eq(cl.resp.body[0], '[');
	expect_post(&cl, "kusama",
	            "[" CALL("1", "author_submitExtrinsic") "," CALL("2", NOT_A_METHOD) "]", 200,
	            "unknown", true);

	/* The seventh call in 10 s, whatever its shape, is refused with the caller's id. */
	expect_post(&cl, "polkadot", CALL("77", NOT_A_METHOD), 429, "unknown", false);
	snprintf(expect, sizeof(expect), TOO_MANY, "77");
	ck_assert_str_eq(cl.resp.body, expect);
	expect_post(&cl, "polkadot", "[" CALL("1", "state_call") "," CALL("2", NOT_A_METHOD) "]",
	            429, "unknown", false);
	snprintf(expect, sizeof(expect), TOO_MANY, "null");
	ck_assert_str_eq(cl.resp.body, expect);
	expect_post(&cl, "kusama",
	            "[" CALL("1", "author_submitExtrinsic") "," CALL("2", NOT_A_METHOD) "]", 429,
	            "unknown", false);
	/* The other classes keep budgets of their own. */
	expect_post(&cl, "polkadot", CALL("8", "state_call"), 200, "heavy", true);
	expect_post(&cl, "polkadot", CALL("9", "system_health"), 200, "read", true);
	client_fini(&cl, "unknown policy");

	/* Counted: every unknown request in the log, on the heavy backends or refused ... */
	{
		const char *all[] = {"class=unknown", NULL};

		ck_assert_int_eq(h_wait_log_count(stack.haproxy.log, all, 7, 5), 7);
	}
	ck_assert_int_eq(log_lines("method=" NOT_A_METHOD " class=unknown batch=1 ",
	                           " be_polkadot_heavy/", " 200 "),
	                 1);
	ck_assert_int_eq(
	    log_lines("method=dev_newBlock class=unknown batch=1 ", " be_polkadot_heavy/", " 200 "),
	    1);
	ck_assert_int_eq(log_lines("method=batch class=unknown batch=2 ", " be_polkadot_heavy/",
	                           "chain=polkadot"),
	                 1);
	ck_assert_int_eq(
	    log_lines("method=batch class=unknown batch=2 ", " be_kusama_heavy/", "chain=kusama"),
	    1);
	ck_assert_int_eq(log_lines("class=unknown", "rpc/<NOSRV>", " 429 "), 3);
	/* ... in the agent's metrics (it classifies before HAProxy limits) ... */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", stack.agent.metrics_port);
	ck_assert_int_eq(h_http(&req, &r), 200);
	ck_assert_ptr_nonnull(
	    strstr(r.body, "polkfura_spoa_requests_total{class=\"unknown\"} 7\n"));
	h_resp_free(&r);
	/* ... and only the calls within the limit reached a node. */
	ck_assert_int_eq(node_calls(&stack.polkadot, "polkadot", NOT_A_METHOD), 2);
	ck_assert_int_eq(node_calls(&stack.kusama, "kusama", NOT_A_METHOD), 1);
	ck_assert_int_eq(node_calls(&stack.polkadot, "polkadot", "dev_newBlock"), 1);
	h_stack_stop(&stack); /* asserts each exit (harness/children.h) */
}
END_TEST

static Suite *methods_edge_suite(void)
{
	Suite *s = suite_create("methods_edge");
	TCase *tc = tcase_create("tables");

	tcase_add_test(tc, test_tables_agree);
	suite_add_tcase(s, tc);

	tc = tcase_create("haproxy+agent");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_every_method_http1);
	tcase_add_test(tc, test_every_method_http2);
	tcase_add_test(tc, test_unknown_policy);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	char err[512];
	int rc;

	if (!ref_table_read(METHODS_REF_PATH, &ref, err, sizeof(err)) ||
	    !ref_table_read(METHODS_SHIPPED_PATH, &shipped, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return EXIT_FAILURE;
	}
	rc = h_run_suite(methods_edge_suite());
	ref_table_free(&shipped);
	ref_table_free(&ref);
	return rc;
}
