/* SPDX-License-Identifier: MIT */
/*
 * Drain grace: a drained node keeps its open WebSocket subscriptions for
 * drain_grace_ms, then the controller shuts its sessions so subscribers
 * reconnect to a healthy node instead of sitting on a stale one.
 */
#include <sys/wait.h>

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "common/compiler.h"
#include "ctl_fixture.h"

#define GRACE_MS 1500

/*
 * The sessions are shut by the first round that finds the node drained for
 * at least drain_grace_ms: no sooner than that, and at most one round later
 * (interval, and the round's poll before its writes), plus the fixture's
 * margin.
 */
#define GRACE_LATEST_S ((double)GRACE_MS / 1000 + FX_INTERVAL_S + FX_TIMEOUT_S + FX_MARGIN_S)

static void setup(void)
{
	fx_start("\"drain_grace_ms\": 1500");
}

static void teardown(void)
{
	fx_stop();
}

static void hcmd(const char *cmd)
{
	char *r = h_haproxy_cmd(&fx.hap, cmd);

	ck_assert_ptr_nonnull(r);
	ck_assert_msg(r[strspn(r, "\r\n ")] == '\0', "%s: %s", cmd, r);
	free(r);
}

/* The ts= of the first line of the controller's log containing <needle>, in ms since the epoch. */
static long long log_ms(const char *needle)
{
	char *log = h_read_file(fx.ctl.log, NULL), *hit, *line;
	struct tm tm = {0};
	int ms = -1;

	ck_assert_ptr_nonnull(log);
	hit = strstr(log, needle);
	ck_assert_msg(hit != NULL, "no \"%s\" in %s", needle, fx.ctl.log);
	for (line = hit; line > log && line[-1] != '\n'; line--)
		;
	ck_assert_msg(sscanf(line, "ts=%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	                     &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) == 7,
	              "no ts= in: %.80s", line);
	free(log);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (long long)timegm(&tm) * 1000 + ms;
}

START_TEST(test_sessions_shut_after_grace)
{
	char cmd[1400], out[2048], url[128], np[600];
	double t_steer, t_seen, t_closed;
	long long decided, shut;
	FILE *p;
	size_t n;
	int st;

	/* Only node1 in rotation, so the WebSocket lands there. */
	hcmd("set server be_polkadot/node2 state maint");
	hcmd("set server be_polkadot/node3 state maint");
	snprintf(url, sizeof(url), "wss://polkadot.localhost:%d/", fx.hap.https_port);
	snprintf(cmd, sizeof(cmd),
	         "%s node tests/harness/ws_subscribe.js --url %s --ca %s --notifications 1000000 "
	         "--until-close --timeout-ms 20000 2>&1",
	         h_node_path_env(np, sizeof(np)), url, h_ca_file());
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	/* Wait until the upgraded connection is established on node1. */
	{
		bool up = false;

		for (double end = h_now() + 10; h_now() < end && !up;) {
			char *sess = h_haproxy_cmd(&fx.hap, "show sess");

			up = sess != NULL && strstr(sess, "be=be_polkadot srv=node1") != NULL;
			free(sess);
		}
		ck_assert_msg(up, "no session on be_polkadot/node1");
	}
	/* Hand the drain to the controller: node1 stops syncing well. */
	hcmd("set server be_polkadot/node2 state ready");
	t_steer = h_now();
	fx_steer(0, "{\"syncing\": true}");
	fx_expect_drain(0, true, FX_DRAIN_S);
	t_seen = h_now();
	n = fread(out, 1, sizeof(out) - 1, p); /* returns when the script exits */
	out[n] = '\0';
	t_closed = h_now();
	st = pclose(p);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "ws: %s", out);
	ck_assert_ptr_nonnull(strstr(out, "\"upgraded\":true"));
	ck_assert_ptr_nonnull(strstr(out, "\"closed\":"));
	ck_assert(h_wait_file_contains(fx.ctl.log, "node=p0 drained for 1500 ms: shutting", 2));
	/*
	 * On the controller's clock: the grace counts from the clock reading of
	 * the decision, logged right after it (1 ms of rounding between the two
	 * readings, so 1 ms of slack below).
	 */
	decided = log_ms("node=p0 ready -> drain");
	shut = log_ms("node=p0 drained for 1500 ms: shutting");
	fprintf(stderr,
	        "grace %d ms: shut %lld ms after the decision, closed %.3f s after the drain\n",
	        GRACE_MS, shut - decided, t_closed - t_seen);
	ck_assert_msg(shut - decided >= GRACE_MS - 1, "sessions shut %lld ms after the drain",
	              shut - decided);
	ck_assert_msg(shut - decided <= (long long)(GRACE_LATEST_S * 1000),
	              "sessions shut %lld ms after the drain, later than %.0f", shut - decided,
	              GRACE_LATEST_S * 1000);
	/*
	 * The client: the drain was decided after the steer and seen after it was
	 * decided, so the close comes no sooner than the grace after the steer,
	 * and no later than GRACE_LATEST_S after the drain was seen.
	 */
	ck_assert_msg(t_closed - t_steer >= (double)GRACE_MS / 1000,
	              "closed %.2f s after the steer, before the grace", t_closed - t_steer);
	ck_assert_msg(t_closed - t_seen <= GRACE_LATEST_S,
	              "closed %.2f s after the drain was seen, later than %.2f s",
	              t_closed - t_seen, GRACE_LATEST_S);
}
END_TEST

static Suite *ctl_grace_suite(void)
{
	Suite *s = suite_create("ctl_grace");
	TCase *tc = tcase_create("grace");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sessions_shut_after_grace);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return h_run_suite(ctl_grace_suite());
}
