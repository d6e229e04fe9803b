/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of ctl/web/admin.c: the Host rule on every listen address kind
 * (tests/unit/data/admin/hosts.tsv), the admin request rules in their order
 * (tests/unit/data/admin/requests.tsv: 404 405 401 403 415 400 or accepted),
 * what an accepted request holds, the token (constant-time comparison, the
 * token file's text, its mode and owner), and the gate as a handler: a
 * foreign Host never reaches the next handler, refusals carry their header,
 * the controller's check (404/409) is asked only for valid requests. Run
 * from the repository root.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "common/compiler.h"
#include "common/log.h"
#include "common/net.h"
#include "ctl/web/admin.h"

#define DATA_DIR "tests/unit/data/admin/"
#define TOKEN    "0123456789abcdef0123"

static char msg[512];

static void policy_init(struct admin_policy *p, const char *listen)
{
	char err[128];

	memset(p, 0, sizeof(*p));
	ck_assert_msg(pf_addr_parse(listen, &p->listen, err, sizeof(err)) == 0, "%s", err);
	snprintf(p->hosts[0], sizeof(p->hosts[0]), "ctl.test");
	snprintf(p->hosts[1], sizeof(p->hosts[1]), "ctl2.test:8080");
	snprintf(p->hosts[2], sizeof(p->hosts[2]), "[fd00::1]");
	p->n_hosts = 3;
	snprintf(p->token, sizeof(p->token), TOKEN);
	p->token_len = strlen(TOKEN);
}

/* Unescapes \xHH and \\ in place; returns the length (raw NULs allowed). */
static size_t unescape(char *s)
{
	size_t r = 0, w = 0;

	while (s[r] != '\0') {
		if (s[r] == '\\' && s[r + 1] == '\\') {
			s[w++] = '\\';
			r += 2;
		} else if (s[r] == '\\' && s[r + 1] == 'x' && s[r + 2] != '\0' &&
		           s[r + 3] != '\0') {
			char hex[3] = {s[r + 2], s[r + 3], '\0'};

			s[w++] = (char)strtol(hex, NULL, 16);
			r += 4;
		} else {
			s[w++] = s[r++];
		}
	}
	s[w] = '\0';
	return w;
}

/* Splits a TSV line into <n> fields in place; false when it has another count. */
static bool split(char *line, char **f, int n)
{
	int i = 0;

	line[strcspn(line, "\n")] = '\0';
	for (char *p = line; i < n; i++) {
		f[i] = p;
		p = strchr(p, '\t');
		if (p == NULL)
			return i == n - 1;
		*p++ = '\0';
	}
	return false;
}

START_TEST(test_host_table)
{
	FILE *f = fopen(DATA_DIR "hosts.tsv", "r");
	char line[1024];
	int cases = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *fld[4];
		struct admin_policy p;
		const char *host;
		unsigned got;

		if (line[0] == '#')
			continue;
		ck_assert_msg(split(line, fld, 4), "bad line: %s", line);
		policy_init(&p, fld[0]);
		unescape(fld[1]);
		host = strcmp(fld[1], "-") == 0 ? NULL : fld[1];
		got = admin_check_host(&p, host, msg, sizeof(msg));
		ck_assert_msg(got == (unsigned)strtol(fld[2], NULL, 10),
		              "listen %s Host '%s' (%s): got %u (%s)", fld[0], fld[1], fld[3], got,
		              msg);
		cases++;
	}
	fclose(f);
	ck_assert_int_ge(cases, 40);
}
END_TEST

START_TEST(test_host_message_sanitized)
{
	struct admin_policy p;

	policy_init(&p, "127.0.0.1:9465");
	ck_assert_uint_eq(admin_check_host(&p, "evil\r\nX-Forged: \"1\"", msg, sizeof(msg)), 421);
	ck_assert_str_eq(msg, "Host \"evil??X-Forged: ?1?\" is not served here: use the "
	                      "http_listen address or a name in http_hosts");
	ck_assert_uint_eq(admin_check_host(&p, NULL, msg, sizeof(msg)), 421);
	ck_assert_str_eq(msg, "a Host header is required");
}
END_TEST

static struct http_request request(const char *method, const char *url, const char *ct,
                                   const char *auth, const char *origin, const char *body,
                                   size_t len)
{
	struct http_request r = {.method = method,
	                         .url = url,
	                         .content_type = ct,
	                         .authorization = auth,
	                         .origin = origin,
	                         .body = body,
	                         .len = len,
	                         .host = "127.0.0.1:9465"};

	snprintf(r.peer, sizeof(r.peer), "127.0.0.1");
	return r;
}

START_TEST(test_request_table)
{
	FILE *f = fopen(DATA_DIR "requests.tsv", "r");
	char line[2048];
	int cases = 0;
	struct admin_policy p;

	policy_init(&p, "127.0.0.1:9465");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *fld[8];
		struct http_request req;
		struct admin_request ar;
		size_t blen;
		unsigned got;

		if (line[0] == '#')
			continue;
		ck_assert_msg(split(line, fld, 8), "bad line: %s", line);
		for (int i = 1; i < 6; i++)
			unescape(fld[i]);
		blen = unescape(fld[6]);
		req = request(fld[1], fld[2], strcmp(fld[3], "-") ? fld[3] : NULL,
		              strcmp(fld[4], "-") ? fld[4] : NULL,
		              strcmp(fld[5], "-") ? fld[5] : NULL, fld[6], blen);
		msg[0] = '\0';
		got = admin_parse(&p, &req, 1700000000000LL, &ar, msg, sizeof(msg));
		ck_assert_msg(got == (unsigned)strtol(fld[0], NULL, 10), "%s (%s %s): got %u (%s)",
		              fld[7], fld[1], fld[2], got, msg);
		/* A refusal says why in one printable line. */
		for (const char *m = msg; got != 0 && *m != '\0'; m++)
			ck_assert_msg((unsigned char)*m >= 0x20 && (unsigned char)*m < 0x7f,
			              "%s: message %s", fld[7], msg);
		ck_assert_msg(got == 0 || msg[0] != '\0', "%s: no message", fld[7]);
		cases++;
	}
	fclose(f);
	ck_assert_int_ge(cases, 60);
}
END_TEST

START_TEST(test_accepted_request)
{
	static const char body[] =
	    "{\"node\":\"p0\",\"reason\":\"disk swap\",\"by\":\"alice@web1\","
	    "\"force\":true}";
	struct admin_policy p;
	struct http_request req;
	struct admin_request ar;

	policy_init(&p, "127.0.0.1:9465");
	req = request("POST", "/admin/drain", "application/json", "Bearer " TOKEN, NULL, body,
	              strlen(body));
	snprintf(req.peer, sizeof(req.peer), "::1");
	ck_assert_uint_eq(admin_parse(&p, &req, 42, &ar, msg, sizeof(msg)), 0);
	ck_assert_int_eq(ar.action, ADMIN_DRAIN);
	ck_assert_str_eq(ar.node, "p0");
	ck_assert_str_eq(ar.reason, "disk swap");
	ck_assert_str_eq(ar.by, "alice@web1");
	ck_assert_str_eq(ar.peer, "::1");
	ck_assert(ar.force);
	ck_assert_int_eq(ar.at_ms, 42);
	/* A drain without a reason gets one; an undrain keeps none. */
	req.body = "{\"node\":\"p1\"}";
	req.len = strlen(req.body);
	ck_assert_uint_eq(admin_parse(&p, &req, 42, &ar, msg, sizeof(msg)), 0);
	ck_assert_str_eq(ar.reason, ADMIN_NO_REASON);
	ck_assert(!ar.force);
	ck_assert_str_eq(ar.by, "");
	req.url = "/admin/undrain";
	ck_assert_uint_eq(admin_parse(&p, &req, 42, &ar, msg, sizeof(msg)), 0);
	ck_assert_int_eq(ar.action, ADMIN_UNDRAIN);
	ck_assert_str_eq(ar.reason, "");
	/* Admin off: every admin path is 404, the token notwithstanding. */
	p.token_len = 0;
	ck_assert_uint_eq(admin_parse(&p, &req, 42, &ar, msg, sizeof(msg)), 404);
	ck_assert_str_eq(msg, "admin endpoints are off: the controller has no admin_token_file");
}
END_TEST

START_TEST(test_token_equal)
{
	ck_assert(admin_token_equal(TOKEN, strlen(TOKEN), TOKEN, strlen(TOKEN)));
	ck_assert(!admin_token_equal(TOKEN, strlen(TOKEN) - 1, TOKEN, strlen(TOKEN)));
	ck_assert(!admin_token_equal("0123456789abcdef0124", 20, TOKEN, strlen(TOKEN)));
	ck_assert(!admin_token_equal("1123456789abcdef0123", 20, TOKEN, strlen(TOKEN)));
	ck_assert(!admin_token_equal(TOKEN "0", 21, TOKEN, strlen(TOKEN)));
	ck_assert(!admin_token_equal("", 0, TOKEN, strlen(TOKEN)));
	/* A NUL in the given text does not end the comparison early. */
	ck_assert(!admin_token_equal("0123456789abcdef\0\0\0\0", 20, TOKEN, strlen(TOKEN)));
}
END_TEST

START_TEST(test_token_parse)
{
	char tok[ADMIN_TOKEN_MAX + 1], text[ADMIN_TOKEN_MAX + 8];
	size_t n = 0;

	ck_assert_int_eq(admin_token_parse(TOKEN "\n", 21, tok, &n, msg, sizeof(msg)), 0);
	ck_assert_str_eq(tok, TOKEN);
	ck_assert_uint_eq(n, 20);
	ck_assert_int_eq(admin_token_parse(TOKEN "\r\n", 22, tok, &n, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(n, 20);
	ck_assert_int_eq(admin_token_parse(TOKEN, 20, tok, &n, msg, sizeof(msg)), 0);
	ck_assert_int_eq(admin_token_parse("0123456789abcde\n", 16, tok, &n, msg, sizeof(msg)), -1);
	ck_assert_str_eq(msg, "the token must be 16-512 characters, has 15 (make one with: head "
	                      "-c 32 /dev/urandom | base64)");
	ck_assert_int_eq(admin_token_parse(TOKEN "\n\n", 22, tok, &n, msg, sizeof(msg)), -1);
	ck_assert_int_eq(admin_token_parse("0123456789 abcdef0123", 21, tok, &n, msg, sizeof(msg)),
	                 -1);
	ck_assert_str_eq(msg, "the token must be visible ASCII characters only (no spaces, no "
	                      "second line)");
	ck_assert_int_eq(admin_token_parse(TOKEN "\nsecond", 27, tok, &n, msg, sizeof(msg)), -1);
	memset(text, 'a', ADMIN_TOKEN_MAX);
	ck_assert_int_eq(admin_token_parse(text, ADMIN_TOKEN_MAX, tok, &n, msg, sizeof(msg)), 0);
	memset(text, 'a', ADMIN_TOKEN_MAX + 1);
	ck_assert_int_eq(admin_token_parse(text, ADMIN_TOKEN_MAX + 1, tok, &n, msg, sizeof(msg)),
	                 -1);
}
END_TEST

START_TEST(test_token_load)
{
	char dir[] = "/tmp/pf-admin-XXXXXX", path[64], want[160], tok[ADMIN_TOKEN_MAX + 1];
	size_t n = 0;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/token", dir);
	ck_assert_int_eq(admin_token_load(path, true, tok, &n, msg, sizeof(msg)), -1);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	ck_assert_str_eq(msg, want);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(TOKEN "\n", f);
	fclose(f);
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(admin_token_load(path, true, tok, &n, msg, sizeof(msg)), 0);
	ck_assert_str_eq(tok, TOKEN);
	ck_assert_int_eq(chmod(path, 0400), 0);
	ck_assert_int_eq(admin_token_load(path, true, tok, &n, msg, sizeof(msg)), 0);
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(admin_token_load(path, true, tok, &n, msg, sizeof(msg)), -1);
	snprintf(want, sizeof(want),
	         "%s: mode 0644 lets group or others at the admin token; chmod 600 it", path);
	ck_assert_str_eq(msg, want);
	ck_assert_int_eq(chmod(path, 0640), 0);
	ck_assert_int_eq(admin_token_load(path, true, tok, &n, msg, sizeof(msg)), -1);
	ck_assert_int_eq(chmod(path, 0620), 0);
	ck_assert_int_eq(admin_token_load(path, true, tok, &n, msg, sizeof(msg)), -1);
	ck_assert_int_eq(chmod(path, 0602), 0);
	ck_assert_int_eq(admin_token_load(path, true, tok, &n, msg, sizeof(msg)), -1);
	ck_assert_int_eq(chmod(path, 0600), 0);
	if (geteuid() == 0) {
		/* Owned by someone else (root can give it away to test this). */
		ck_assert_int_eq(chown(path, 65534, 65534), 0);
		ck_assert_int_eq(admin_token_load(path, true, tok, &n, msg, sizeof(msg)), -1);
		snprintf(want, sizeof(want),
		         "%s: owned by uid 65534, not by uid 0 that runs polkfura-ctl", path);
		ck_assert_str_eq(msg, want);
		ck_assert_int_eq(admin_token_load(path, false, tok, &n, msg, sizeof(msg)), 0);
	}
	ck_assert_int_eq(admin_token_load(dir, true, tok, &n, msg, sizeof(msg)), -1);
	ck_assert_ptr_nonnull(strstr(msg, "not a regular file"));
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* ---- the gate as a handler (no state store: nothing here reaches it) ---- */

static int next_calls, check_calls;
static struct admin_request checked;
static unsigned check_answer;

static void next_handler(void *ctx, const struct http_request *req, struct http_reply *out)
{
	(void)ctx;
	(void)req;
	next_calls++;
	out->status = 200;
	out->body = strdup("next");
	out->len = 4;
}

static unsigned fake_check(void *ctx, const struct admin_request *req, char *m, size_t mlen)
{
	(void)ctx;
	check_calls++;
	checked = *req;
	if (check_answer != 0)
		snprintf(m, mlen, "draining %s would leave 0 servers, fewer than min_ready 1",
		         req->node);
	return check_answer;
}

static void fake_applied(void *ctx, const struct admin_request *req)
{
	(void)ctx;
	(void)req;
	ck_abort_msg("applied without a saved change");
}

static const struct admin_ops ops = {fake_check, fake_applied};

static struct http_reply handle(struct admin *a, const char *method, const char *url,
                                const char *host, const char *auth, const char *body)
{
	struct http_request req =
	    request(method, url, "application/json", auth, NULL, body, strlen(body));
	struct http_reply out = {0};

	req.host = host;
	admin_http_handler(a, &req, &out);
	return out;
}

START_TEST(test_gate)
{
	struct admin_policy p;
	struct admin *a;
	struct http_reply r;

	policy_init(&p, "127.0.0.1:9465");
	a = admin_new(&p, NULL, &ops, NULL, next_handler, NULL);
	ck_assert_ptr_nonnull(a);
	/* Read-only endpoints pass with a good Host, and only then. */
	r = handle(a, "GET", "/status.json", "127.0.0.1:9465", NULL, "");
	ck_assert_int_eq(next_calls, 1);
	ck_assert_uint_eq(r.status, 200);
	free(r.body);
	r = handle(a, "GET", "/status.json", "rebind.evil.example:9465", NULL, "");
	ck_assert_int_eq(next_calls, 1);
	ck_assert_uint_eq(r.status, 421);
	ck_assert_str_eq(r.content_type, "application/json");
	ck_assert_ptr_nonnull(strstr(r.body, "\"error\":\"Host \\\"rebind.evil.example:9465\\\""));
	free(r.body);
	r = handle(a, "GET", "/metrics", NULL, NULL, "");
	ck_assert_uint_eq(r.status, 421);
	free(r.body);
	/* A foreign Host is refused before the token is even looked at. */
	r = handle(a, "POST", "/admin/drain", "evil.example", "Bearer " TOKEN, "{\"node\":\"p0\"}");
	ck_assert_uint_eq(r.status, 421);
	ck_assert_int_eq(check_calls, 0);
	free(r.body);
	/* 401 says how to authenticate; the controller is not asked. */
	r = handle(a, "POST", "/admin/drain", "localhost:9465", NULL, "{\"node\":\"p0\"}");
	ck_assert_uint_eq(r.status, 401);
	ck_assert_str_eq(r.hdr_name, "WWW-Authenticate");
	ck_assert_str_eq(r.hdr_value, "Bearer");
	ck_assert_int_eq(check_calls, 0);
	free(r.body);
	r = handle(a, "GET", "/admin/drain", "localhost:9465", "Bearer " TOKEN, "");
	ck_assert_uint_eq(r.status, 405);
	ck_assert_str_eq(r.hdr_name, "Allow");
	free(r.body);
	/* Valid: the controller's answer (409 min_ready) is the reply. */
	check_answer = 409;
	r = handle(a, "POST", "/admin/drain", "localhost:9465", "Bearer " TOKEN,
	           "{\"node\":\"p2\",\"reason\":\"x\"}");
	ck_assert_int_eq(check_calls, 1);
	ck_assert_str_eq(checked.node, "p2");
	ck_assert(!checked.force);
	ck_assert_str_eq(checked.peer, "127.0.0.1");
	ck_assert_uint_eq(r.status, 409);
	ck_assert_str_eq(r.body, "{\"error\":\"draining p2 would leave 0 servers, fewer than "
	                         "min_ready 1\"}");
	free(r.body);
	/* The next handler never sees /admin, whatever the method. */
	r = handle(a, "GET", "/admin/other", "localhost:9465", NULL, "");
	ck_assert_uint_eq(r.status, 404);
	ck_assert_int_eq(next_calls, 1);
	free(r.body);
	admin_free(a);
	admin_free(NULL);
}
END_TEST

static Suite *admin_suite(void)
{
	Suite *s = suite_create("admin");
	TCase *tc = tcase_create("rules");

	tcase_add_test(tc, test_host_table);
	tcase_add_test(tc, test_host_message_sanitized);
	tcase_add_test(tc, test_request_table);
	tcase_add_test(tc, test_accepted_request);
	suite_add_tcase(s, tc);

	tc = tcase_create("token");
	tcase_add_test(tc, test_token_equal);
	tcase_add_test(tc, test_token_parse);
	tcase_add_test(tc, test_token_load);
	suite_add_tcase(s, tc);

	tc = tcase_create("gate");
	tcase_add_test(tc, test_gate);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(admin_suite());
	int failed;

	pf_log_threshold = PF_LOG_ERR; /* the gate's refusal lines */
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
