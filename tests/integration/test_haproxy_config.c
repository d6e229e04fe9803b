/* SPDX-License-Identifier: MIT */
/*
 * `haproxy -c` on every shipped configuration: the edge config with the
 * production site files (backends.cfg, chains.map), with the backends the
 * tests generate, and with a one-chain site.
 * A broken rule in haproxy/ fails here before it fails in production.
 */
#include <sys/wait.h>

#include <string.h>
#include <unistd.h>

#include <check.h>

#include "common/compiler.h"
#include "tests/harness/children.h"
#include "tests/harness/harness.h"

/*
 * A server-state file as polkfura-ctl writes it for an instance with no
 * server yet: the version line and the header of "show servers state".
 */
static const char *state_file(void)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/server-state", h_tmpdir());
	ck_assert_int_eq(
	    h_write_file(path,
	                 "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state "
	                 "srv_uweight srv_iweight srv_time_since_last_change srv_check_status "
	                 "srv_check_result srv_check_health srv_check_state srv_agent_state "
	                 "bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl "
	                 "srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n"),
	    0);
	return path;
}

/*
 * -V: 3.x prints "Configuration file is valid" only in verbose mode, 2.6
 * always. <map> is the chains map; PF_USER, PF_GROUP and PF_CHROOT keep
 * their production defaults (Debian's haproxy package makes the user and
 * /var/lib/haproxy; -c checks they exist but does not switch), the admin
 * group is the package's too, as a site's "polkfura" group may not exist here.
 */
static int haproxy_check_map(const char *backends, const char *map, char *out, size_t outlen)
{
	char cmd[2048], cwd[512];

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	snprintf(cmd, sizeof(cmd),
	         "PF_CERT_DIR='%s' PF_SPOE_CONF='%s/haproxy/spoe-polkfura.conf' "
	         "PF_UNSAFE_METHODS='%s/haproxy/unsafe-methods.txt' "
	         "PF_ADMIN_SOCKET='%s/check.sock' PF_SERVER_STATE_FILE='%s' "
	         "PF_CHAINS_MAP='%s' PF_ADMIN_GROUP=haproxy "
	         "'%s' -c -V -f haproxy/haproxy.cfg -f '%s' 2>&1",
	         h_cert_dir(), cwd, cwd, h_tmpdir(), state_file(), map, h_haproxy_bin(), backends);
	return h_run(cmd, out, outlen);
}

static int haproxy_check(const char *backends, char *out, size_t outlen)
{
	return haproxy_check_map(backends, "haproxy/chains.map", out, outlen);
}

START_TEST(test_shipped_config_is_valid)
{
	char out[8192];
	int st = haproxy_check("haproxy/backends.cfg", out, sizeof(out));

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "haproxy -c failed:\n%s", out);
	ck_assert_ptr_nonnull(strstr(out, "Configuration file is valid"));
	/* No warnings either: a warning in production config is a bug waiting. */
	ck_assert_msg(strstr(out, "[WARNING]") == NULL, "warnings:\n%s", out);
}
END_TEST

START_TEST(test_generated_backends_are_valid)
{
	struct h_nodesim p = {.n = 2, .port = {30001, 30002}},
	                 k = {.n = 3, .port = {31001, 31002, 31003}};
	char path[512], out[8192];
	char *text = h_backends_for(&p, &k);
	int st;

	ck_assert_ptr_nonnull(text);
	snprintf(path, sizeof(path), "%s/gen-backends.cfg", h_tmpdir());
	ck_assert_int_eq(h_write_file(path, text), 0);
	free(text);
	st = haproxy_check(path, out, sizeof(out));
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "haproxy -c failed:\n%s", out);
}
END_TEST

START_TEST(test_broken_config_is_refused)
{
	char path[512], out[8192];
	int st;

	/* The chains map is a site file HAProxy cannot start without: -c must name it. */
	snprintf(path, sizeof(path), "%s/missing.map", h_tmpdir());
	st = haproxy_check_map("haproxy/backends.cfg", path, out, sizeof(out));
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) != 0);
	ck_assert_msg(strstr(out, "missing.map") != NULL, "%s", out);
}
END_TEST

/*
 * A site with one chain: no kusama backend anywhere, and the config is
 * valid, without a warning (the chain names live only in the site's files).
 */
START_TEST(test_one_chain_site_is_valid)
{
	char path[512], map[512], out[8192];
	int st;

	snprintf(map, sizeof(map), "%s/polkadot-only.map", h_tmpdir());
	ck_assert_int_eq(h_write_file(map, "polkadot polkadot\n"), 0);
	snprintf(path, sizeof(path), "%s/polkadot-only.cfg", h_tmpdir());
	ck_assert_int_eq(h_write_file(path,
	                              "backend be_polkadot\n    server n1 127.0.0.1:1\n"
	                              "backend be_polkadot_heavy\n    server n1 127.0.0.1:1\n"),
	                 0);
	st = haproxy_check_map(path, map, out, sizeof(out));
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "haproxy -c failed:\n%s", out);
	ck_assert_msg(strstr(out, "[WARNING]") == NULL, "warnings:\n%s", out);
}
END_TEST

/*
 * The /health rules live in the defaults section the site's backends start
 * from; a listen section cannot take HTTP rules from a defaults section, so
 * HAProxy refuses it there rather than run a backend that would pass
 * /health to a node.
 */
START_TEST(test_listen_in_site_file_is_refused)
{
	char path[512], out[8192];
	int st;

	snprintf(path, sizeof(path), "%s/listen.cfg", h_tmpdir());
	ck_assert_int_eq(h_write_file(path, "listen stats\n    bind 127.0.0.1:1\n"), 0);
	st = haproxy_check(path, out, sizeof(out));
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) != 0, "accepted:\n%s", out);
	ck_assert_msg(strstr(out, "cannot inherit from a defaults section") != NULL, "%s", out);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("haproxy_config");
	TCase *tc = tcase_create("haproxy -c");

	tcase_add_test(tc, test_shipped_config_is_valid);
	tcase_add_test(tc, test_generated_backends_are_valid);
	tcase_add_test(tc, test_broken_config_is_refused);
	tcase_add_test(tc, test_one_chain_site_is_valid);
	tcase_add_test(tc, test_listen_in_site_file_is_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(config_suite());
}
