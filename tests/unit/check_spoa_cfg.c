/* SPDX-License-Identifier: MIT */
/*
 * spoa_cfg: the flags that guard the agent's resources (--max-conns,
 * --idle-timeout, --frame-timeout, --socket-mode, --socket-group): the
 * defaults README.md documents, the accepted ranges and the refusals.
 */
#include <string.h>

#include <check.h>

#include "spoa/spoa_cfg.h"
#include "tests/unit/check_main.h"

/* Parses the NULL-terminated flags after "polkfura-spoa". */
static enum spoa_cfg_result parse(struct spoa_cfg *cfg, char *err, const char *const *flags)
{
	char *argv[16] = {"polkfura-spoa"};
	int argc = 1;

	while (flags[argc - 1] != NULL && argc < 15) {
		argv[argc] = (char *)flags[argc - 1];
		argc++;
	}
	return spoa_cfg_parse(argc, argv, cfg, err, 256);
}

START_TEST(test_defaults)
{
	static const char *const none[] = {NULL};
	struct spoa_cfg cfg;
	char err[256];

	ck_assert_int_eq(parse(&cfg, err, none), SPOA_CFG_RUN);
	/* README.md, "Flags". */
	ck_assert_uint_eq(cfg.max_conns, 256);
	ck_assert_uint_eq(cfg.idle_timeout, 300);
	ck_assert_uint_eq(cfg.frame_timeout, 5);
	ck_assert_uint_eq(cfg.socket_mode, 0660);
	ck_assert_ptr_null(cfg.socket_group);
}
END_TEST

START_TEST(test_values)
{
	static const char *const flags[] = {"--max-conns",
	                                    "65536",
	                                    "--idle-timeout",
	                                    "31",
	                                    "--frame-timeout",
	                                    "1",
	                                    "--socket-mode",
	                                    "0600",
	                                    "--socket-group",
	                                    "haproxy",
	                                    NULL};
	static const char *const mode[] = {"--socket-mode", "777", "--socket-group", "0", NULL};
	struct spoa_cfg cfg;
	char err[256];

	ck_assert_int_eq(parse(&cfg, err, flags), SPOA_CFG_RUN);
	ck_assert_uint_eq(cfg.max_conns, 65536);
	ck_assert_uint_eq(cfg.idle_timeout, 31);
	ck_assert_uint_eq(cfg.frame_timeout, 1);
	ck_assert_uint_eq(cfg.socket_mode, 0600);
	ck_assert_str_eq(cfg.socket_group, "haproxy");
	/* The mode is octal with or without its leading 0. */
	ck_assert_int_eq(parse(&cfg, err, mode), SPOA_CFG_RUN);
	ck_assert_uint_eq(cfg.socket_mode, 0777);
	ck_assert_str_eq(cfg.socket_group, "0");
}
END_TEST

START_TEST(test_refused)
{
	static const char *const bad[][2] = {
	    {"--max-conns", "0"},       {"--max-conns", "65537"},    {"--max-conns", "-1"},
	    {"--idle-timeout", "0"},    {"--idle-timeout", "86401"}, {"--idle-timeout", "2s"},
	    {"--frame-timeout", ""},    {"--frame-timeout", "0.5"},  {"--socket-mode", "0800"},
	    {"--socket-mode", "01000"}, {"--socket-mode", "rw"},     {"--socket-group", ""},
	    {"--socket-group", "-g"},   {"--socket-group", "a b"},   {"--socket-group", "a/b"},
	};
	struct spoa_cfg cfg;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *const flags[] = {bad[i][0], bad[i][1], NULL};

		err[0] = '\0';
		ck_assert_msg(parse(&cfg, err, flags) == SPOA_CFG_ERROR, "%s '%s' accepted",
		              bad[i][0], bad[i][1]);
		ck_assert_msg(strncmp(err, bad[i][0], strlen(bad[i][0])) == 0,
		              "%s '%s': message '%s' does not name the flag", bad[i][0], bad[i][1],
		              err);
	}
}
END_TEST

static Suite *spoa_cfg_suite(void)
{
	Suite *s = suite_create("spoa_cfg");
	TCase *tc = tcase_create("guards");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(spoa_cfg_suite());
}
