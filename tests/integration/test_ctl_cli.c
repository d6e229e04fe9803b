/* SPDX-License-Identifier: MIT */
/*
 * The edges of polkfura-ctl's interfaces. The command line: every usage
 * mistake (no command, an unknown one, drain without NODE or --reason, extra
 * arguments, --haproxy with status, a bad --url, ...) exits 2 with exactly
 * one line on stderr naming it, prints nothing on stdout and reaches no
 * controller; status --json with no controller is exit 1, one line. The HTTP server of a running
 * controller: 404 for a path it does not serve, whatever the method; 405 with the Allow header RFC
 * 9110 requires for a method a served path does not take; HEAD answered without a body; 413 for a
 * body over the documented 8 KiB, and not at 8 KiB.
 */
#include <sys/wait.h>

#include <signal.h>
#include <unistd.h>

#include "common/compiler.h"
#include "ctl/web/http.h"
#include "ctl_fixture.h"

/* ---- command line: no controller, no config ---- */

START_TEST(test_usage_errors)
{
	/* args, a word the one line must contain */
	static const char *const cases[][2] = {
	    {"", "command"},
	    {"frobnicate", "'frobnicate'"},
	    {"drain", "NODE"},
	    {"undrain", "NODE"},
	    {"drain --reason 'disk swap'", "NODE"},
	    {"drain p0", "--reason"},
	    {"drain p0 --reason x extra", "'extra'"},
	    {"undrain p0 p1", "'p1'"},
	    {"keys extra", "'extra'"},
	    {"status extra", "NODE"},
	    {"status --haproxy", "--haproxy"},
	    {"status --url ftp://127.0.0.1:9465", "--url"},
	    {"status --url http://", "--url"},
	    {"status --url 'http://127.0.0.1:9465/a b'", "--url"},
	    {"status --url http://user:pw@127.0.0.1:9465", "--url"},
	    {"status --url http://127.0.0.1:99999", "--url"},
	    {"run --url http://127.0.0.1:9465", "--url"},
	    {"undrain p0 --force", "--force"},
	    {"status --bogus", "--bogus"},
	    {"drain p0 --reason", "--reason"},
	};
	char out_path[600], err_path[600];

	snprintf(out_path, sizeof(out_path), "%s/usage.out", h_tmpdir());
	snprintf(err_path, sizeof(err_path), "%s/usage.err", h_tmpdir());
	for (size_t i = 0; i < PF_ARRAY_SIZE(cases); i++) {
		char cmd[2000], dummy[16];
		char *out, *err;
		size_t olen = 0, elen = 0;
		int st;

		/* A config that does not exist: a usage error must be found before it is read. */
		snprintf(cmd, sizeof(cmd),
		         "%s/polkfura-ctl --config %s/no-such-ctl.json %s >%s 2>%s </dev/null",
		         h_build_dir(), h_tmpdir(), cases[i][0], out_path, err_path);
		st = h_run(cmd, dummy, sizeof(dummy));
		out = h_read_file(out_path, &olen);
		err = h_read_file(err_path, &elen);
		ck_assert_ptr_nonnull(out);
		ck_assert_ptr_nonnull(err);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 2, "'%s': status %d, stderr %s",
		              cases[i][0], st, err);
		ck_assert_msg(olen == 0, "'%s': stdout %s", cases[i][0], out);
		ck_assert_msg(elen > 0 && err[elen - 1] == '\n' &&
		                  strchr(err, '\n') == err + elen - 1,
		              "'%s': not one line: %s", cases[i][0], err);
		ck_assert_msg(strncmp(err, "polkfura-ctl: ", 14) == 0 && strstr(err, cases[i][1]),
		              "'%s': %s does not name %s", cases[i][0], err, cases[i][1]);
		free(out);
		free(err);
	}
}
END_TEST

/* status --json with no controller there: exit 1 (a runtime failure, not usage), one line. */
START_TEST(test_status_json_unreachable)
{
	char cmd[1400], out[1024];
	int st;

	snprintf(cmd, sizeof(cmd), "%s/polkfura-ctl status --json --url http://127.0.0.1:%d 2>&1",
	         h_build_dir(), h_free_port());
	st = h_run(cmd, out, sizeof(out));
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %d: %s", st, out);
	ck_assert_msg(strchr(out, '\n') == out + strlen(out) - 1 &&
	                  strstr(out, "is `polkfura-ctl run` running?") != NULL,
	              "%s", out);
}
END_TEST

/* ---- the HTTP server of a running controller ---- */

static void setup(void)
{
	fx_start(NULL);
}

static void teardown(void)
{
	fx_stop();
}

/* <method> <path> on the controller with <body> (NULL: none); the status, <r> to free. */
static long ctl_req(const char *method, const char *path, const char *body, size_t blen,
                    const char *const *headers, struct h_resp *r)
{
	char url[256];
	struct h_req req = {
	    .method = method, .url = url, .body = body, .body_len = blen, .headers = headers};

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", fx.ctl.http_port, path);
	return h_http(&req, r);
}

static void expect(const char *method, const char *path, long status, const char *allow)
{
	struct h_resp r;
	char got[64] = "";

	ck_assert_msg(ctl_req(method, path, NULL, 0, NULL, &r) == status, "%s %s: %ld, want %ld",
	              method, path, r.status, status);
	if (allow != NULL) {
		ck_assert_msg(h_resp_header(&r, "Allow", got, sizeof(got)), "%s %s: no Allow",
		              method, path);
		ck_assert_str_eq(got, allow);
	}
	h_resp_free(&r);
}

START_TEST(test_http_routes)
{
	static const char *const pages[] = {"/metrics", "/status.json", "/healthz"};
	static const char *const others[] = {"POST", "PUT", "DELETE", "PATCH"};
	const char *const auth[] = {"Authorization: Bearer " FX_TOKEN, NULL};
	struct h_resp r;
	char *big;

	/* A path the controller does not serve: 404, whatever the method. */
	for (size_t m = 0; m < PF_ARRAY_SIZE(others); m++)
		expect(others[m], "/nope", 404, NULL);
	expect("GET", "/nope", 404, NULL);
	expect("GET", "/metrics/", 404, NULL);
	expect("POST", "/admin/nope", 404, NULL);
	/* A served path with a method it does not take: 405 and what it takes. */
	for (size_t p = 0; p < PF_ARRAY_SIZE(pages); p++) {
		for (size_t m = 0; m < PF_ARRAY_SIZE(others); m++)
			expect(others[m], pages[p], 405, "GET, HEAD");
		expect("GET", pages[p], 200, NULL);
	}
	expect("GET", "/admin/drain", 405, "POST");
	expect("PUT", "/admin/undrain", 405, "POST");
	/* HEAD: the status and headers of GET, no body. */
	ck_assert_int_eq(ctl_req("HEAD", "/status.json", NULL, 0, NULL, &r), 200);
	ck_assert_uint_eq(r.len, 0);
	h_resp_free(&r);

	/* Bodies: 8 KiB is read (and then refused for its token), one byte more is 413. */
	big = malloc(HTTP_MAX_BODY + 2);
	ck_assert_ptr_nonnull(big);
	memset(big, ' ', HTTP_MAX_BODY + 1);
	big[HTTP_MAX_BODY + 1] = '\0';
	ck_assert_int_eq(HTTP_MAX_BODY, 8192); /* the README's "an 8 KiB body" */
	ck_assert_int_eq(ctl_req("POST", "/admin/drain", big, HTTP_MAX_BODY, NULL, &r), 401);
	h_resp_free(&r);
	ck_assert_int_eq(ctl_req("POST", "/admin/drain", big, HTTP_MAX_BODY + 1, NULL, &r), 413);
	h_resp_free(&r);
	ck_assert_int_eq(ctl_req("POST", "/admin/drain", big, HTTP_MAX_BODY + 1, auth, &r), 413);
	h_resp_free(&r);
	ck_assert_int_eq(ctl_req("POST", "/nope", big, HTTP_MAX_BODY + 1, NULL, &r), 413);
	h_resp_free(&r);
	free(big);
	/* None of it changed anything, and the server still answers. */
	ck_assert(fx_ready_now(0) && fx_ready_now(1) && fx_ready_now(2));
	expect("GET", "/healthz", 200, NULL);
}
END_TEST

static Suite *ctl_cli_suite(void)
{
	Suite *s = suite_create("ctl_cli");
	TCase *usage = tcase_create("usage");
	TCase *http = tcase_create("http");

	tcase_add_test(usage, test_usage_errors);
	tcase_add_test(usage, test_status_json_unreachable);
	suite_add_tcase(s, usage);
	tcase_add_checked_fixture(http, setup, teardown);
	tcase_set_timeout(http, 60);
	tcase_add_test(http, test_http_routes);
	suite_add_tcase(s, http);
	return s;
}

int main(void)
{
	return h_run_suite(ctl_cli_suite());
}
