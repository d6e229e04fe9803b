/* SPDX-License-Identifier: MIT */
/*
 * HAProxy reloads and restarts are non-events for polkfura-ctl, with the
 * shipped haproxy.cfg and the shipped backends.cfg (server-template slots):
 * three template nodes, one drained for lag, clients sending requests the
 * whole time. A reload by -sf (listeners handed over with -x) and a
 * master-worker USR2 reload must fail no request and send none to the
 * drained node; after a full stop and start (a new process reading the
 * state file), clients sending at once are served, none by the drained node.
 */
#include <sys/wait.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "common/compiler.h"
#include "tests/harness/children.h"
#include "tests/harness/harness.h"

#define NODES 3

static struct {
	struct h_nodesim sim;
	struct h_agent agent;
	struct h_haproxy hap;
	struct h_ctl ctl;
	char state_file[512];
} rx;

/* The clients: one new TLS connection per request, as many public clients do. */
struct traffic {
	pthread_t thread;
	int port;
	atomic_bool stop;
	atomic_int sent, ok, failed, to_drained, heavy_ok;
	char first_failure[256];
};

static void *traffic_run(void *arg)
{
	struct traffic *t = arg;
	char url[128];

	snprintf(url, sizeof(url), "https://polkadot.localhost:%d/", t->port);
	for (int i = 0; !atomic_load(&t->stop); i++) {
		/* Every fourth call is heavy, so the heavy twins' addresses count too. */
		bool heavy = i % 4 == 3;
		struct h_req req = {
		    .url = url,
		    .body = heavy
		                ? "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"state_getKeysPaged\","
		                  "\"params\":[\"0x\",10]}"
		                : "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system_health\"}",
		    .resolve_port = t->port,
		    .timeout_ms = 5000,
		};
		struct h_resp r;
		char who[64] = "";
		long st = h_http(&req, &r);

		atomic_fetch_add(&t->sent, 1);
		(void)h_resp_header(&r, "X-Node", who, sizeof(who));
		if (strcmp(who, "polkadot-2") == 0)
			atomic_fetch_add(&t->to_drained, 1);
		if (st == 200) {
			atomic_fetch_add(&t->ok, 1);
			if (heavy)
				atomic_fetch_add(&t->heavy_ok, 1);
		} else {
			if (atomic_fetch_add(&t->failed, 1) == 0)
				snprintf(t->first_failure, sizeof(t->first_failure),
				         "status %ld %.100s %.120s", st, r.err,
				         r.body ? r.body : "");
		}
		h_resp_free(&r);
	}
	return NULL;
}

static void traffic_start(struct traffic *t)
{
	memset(t, 0, sizeof(*t));
	t->port = rx.hap.https_port;
	ck_assert_int_eq(pthread_create(&t->thread, NULL, traffic_run, t), 0);
}

/* Lets <n> more requests complete, then stops the clients. */
static void traffic_stop_after(struct traffic *t, int n)
{
	int until = atomic_load(&t->sent) + n;

	for (double end = h_now() + 30; h_now() < end && atomic_load(&t->sent) < until;)
		usleep(
		    10000); /* a client's pace, not a synchronisation: the count is the condition */
	atomic_store(&t->stop, true);
	ck_assert_int_eq(pthread_join(t->thread, NULL), 0);
	ck_assert_int_ge(atomic_load(&t->sent), until);
}

static char *backends_shipped(void)
{
	char *b = h_read_file("haproxy/backends.cfg", NULL);

	ck_assert_ptr_nonnull(b);
	return b;
}

/* Starts a controller <c> on the instances <sockets> (JSON items) deciding with <max_lag>. */
static void start_controller_on(struct h_ctl *c, const char *sockets, int max_lag)
{
	char *cfg = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&cfg, &len);

	ck_assert_ptr_nonnull(f);
	if (c->http_port == 0) /* a restart keeps its port, and so its claim on HAProxy */
		c->http_port = h_free_port();
	fprintf(
	    f,
	    "{\"region\": \"test\", \"interval_ms\": 200, \"timeout_ms\": 150, \"max_lag\": %d,"
	    " \"min_peers\": 2, \"rise\": 2, \"fall\": 2, \"min_drain_ms\": 0, \"min_ready\": 1,"
	    " \"stall_ms\": 0, \"drain_grace_ms\": 0, \"log_level\": \"debug\","
	    " \"haproxy\": [%s],"
	    " \"http_listen\": \"127.0.0.1:%d\", \"state_file\": \"%s/ctl-state-%d-%d.json\","
	    " \"chains\": [{\"name\": \"polkadot\", \"backend\": \"be_polkadot\","
	    " \"heavy_backends\": [\"be_polkadot_heavy\"], \"nodes\": [",
	    max_lag, sockets, c->http_port, h_tmpdir(), (int)getpid(), c->http_port);
	for (int i = 0; i < NODES; i++)
		fprintf(f, "%s{\"name\": \"p%d\", \"rpc\": \"http://127.0.0.1:%d/\"}",
		        i ? ", " : "", i, rx.sim.port[i]);
	fprintf(f, "]}]}");
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_msg(h_ctl_start(c, cfg), "ctl: %s", c->log);
	free(cfg);
}

static char socket_item[1200];

static void start_controller(void)
{
	rx.ctl.http_port = 0;
	snprintf(socket_item, sizeof(socket_item),
	         "{\"socket\": \"unix:%s\", \"server_state_file\": \"%s\"}", rx.hap.admin_sock,
	         rx.state_file);
	start_controller_on(&rx.ctl, socket_item, 5);
}

/*
 * The slot <h> shows at <port> in <backend>: its admin state, or -1 when no
 * slot has it. Fails the test when HAProxy does not answer: only a live
 * HAProxy can say that no slot has the port.
 */
static int slot_admin_in(const struct h_haproxy *h, const char *backend, int port)
{
	char srv[16], addr[64];
	unsigned admin;

	ck_assert_msg(h_server_admin(h, backend, "node1", &admin, NULL, 0, NULL),
	              "HAProxy (%s) does not answer, or has no %s/node1", h->admin_sock, backend);
	for (int s = 1; s <= 6; s++) {
		int p = 0;

		snprintf(srv, sizeof(srv), "node%d", s);
		if (h_server_admin(h, backend, srv, &admin, addr, sizeof(addr), &p) && p == port)
			return (int)admin;
	}
	return -1;
}

static int slot_admin_at(int port)
{
	return slot_admin_in(&rx.hap, "be_polkadot", port);
}

/* The state file holds a row for the slot at <port> with a forced drain (0x08) set. */
static bool state_file_has_drain_at(int port)
{
	char *text = h_read_file(rx.state_file, NULL);
	char want[32];
	bool found = false;

	snprintf(want, sizeof(want), " %d ", port);
	for (char *line = text; line != NULL && *line && !found;) {
		char *eol = strchr(line, '\n');
		unsigned id, sid, op, admin;
		char be[64], srv[64], addr[64];

		if (eol != NULL)
			*eol = '\0';
		if (sscanf(line, "%u %63s %u %63s %63s %u %u", &id, be, &sid, &srv[0], addr, &op,
		           &admin) == 7 &&
		    strcmp(be, "be_polkadot") == 0 && strstr(line, want) != NULL)
			found = (admin & 0x08) != 0;
		line = eol != NULL ? eol + 1 : NULL;
	}
	free(text);
	return found;
}

static void setup_with(bool master_worker)
{
	char *backends = backends_shipped();
	bool up;

	memset(&rx, 0, sizeof(rx));
	ck_assert_msg(
	    h_nodesim_start(&rx.sim, "polkadot", NODES, "--block-time-ms 0 --height 1000"),
	    "nodesim: %s", rx.sim.log);
	ck_assert(h_agent_start(&rx.agent, NULL));
	up = master_worker ? h_haproxy_start_master_worker(&rx.hap, backends, rx.agent.port, NULL)
	                   : h_haproxy_start(&rx.hap, backends, rx.agent.port, NULL);
	free(backends);
	ck_assert_msg(up, "haproxy: %s", rx.hap.log);
	snprintf(rx.state_file, sizeof(rx.state_file), "%s/server-state", rx.hap.dir);
	start_controller();
	/* Every node in a slot, ready; then p2 falls 61 blocks behind and is drained. */
	for (double end = h_now() + 10; h_now() < end;) {
		bool all = true;

		for (int i = 0; i < NODES; i++)
			all = all && slot_admin_at(rx.sim.port[i]) == 0x04;
		if (all)
			break;
	}
	for (int i = 0; i < NODES; i++)
		ck_assert_int_eq(slot_admin_at(rx.sim.port[i]), 0x04);
	ck_assert_int_eq(
	    h_nodesim_control(&rx.sim, "/nodes/polkadot-0", "{\"height\": 1061}", NULL), 200);
	ck_assert_int_eq(
	    h_nodesim_control(&rx.sim, "/nodes/polkadot-1", "{\"height\": 1061}", NULL), 200);
	for (double end = h_now() + 5; h_now() < end && slot_admin_at(rx.sim.port[2]) != 0x0c;)
		;
	ck_assert_int_eq(slot_admin_at(rx.sim.port[2]), 0x0c); /* CMAINT | FDRAIN */
	/* HAProxy's state file carries the drain before anyone reloads. */
	for (double end = h_now() + 5; h_now() < end && !state_file_has_drain_at(rx.sim.port[2]);)
		;
	ck_assert_msg(state_file_has_drain_at(rx.sim.port[2]), "%s", rx.state_file);
}

static void setup_sf(void)
{
	setup_with(false);
}

static void setup_mw(void)
{
	setup_with(true);
}

/* Every child stopped, newest first (controllers, HAProxy, agent, nodes), exits asserted. */
static void teardown(void)
{
	rx.ctl.pid = rx.hap.pid = rx.agent.pid = rx.sim.pid = 0;
	h_stop_all();
}

/* After a reload: the controller saw it, and HAProxy still shows what it decided. */
static void expect_after_reload(void)
{
	ck_assert(h_wait_file_contains(rx.ctl.log, "restarted or reloaded", 5));
	ck_assert_int_eq(slot_admin_at(rx.sim.port[0]), 0x04);
	ck_assert_int_eq(slot_admin_at(rx.sim.port[1]), 0x04);
	ck_assert_int_eq(slot_admin_at(rx.sim.port[2]), 0x0c);
	/* No "maint by hand" for slots the controller owns. */
	ck_assert_msg(!h_wait_file_contains(rx.ctl.log, "in maint by hand", 0.1), "%s", rx.ctl.log);
}

static void expect_clean(const struct traffic *t)
{
	ck_assert_msg(atomic_load(&t->failed) == 0, "%d of %d requests failed, first: %s",
	              atomic_load(&t->failed), atomic_load(&t->sent), t->first_failure);
	ck_assert_int_eq(atomic_load(&t->to_drained), 0);
	ck_assert_int_gt(atomic_load(&t->heavy_ok), 0);
}

START_TEST(test_reload_sf_under_traffic)
{
	struct traffic t;
	int st;

	traffic_start(&t);
	traffic_stop_after(&t, 0); /* nothing yet: just proves the clients work */
	traffic_start(&t);
	st = h_haproxy_reload(&rx.hap, 15);
	ck_assert_msg(st != -1, "reload did not happen: %s", rx.hap.log);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "old haproxy exit %d", st);
	traffic_stop_after(&t, 100);
	expect_after_reload();
	expect_clean(&t);
}
END_TEST

START_TEST(test_reload_master_worker_usr2_under_traffic)
{
	struct traffic t;

	traffic_start(&t);
	ck_assert_msg(h_haproxy_reload(&rx.hap, 15) == 0, "USR2 reload did not happen: %s",
	              rx.hap.log);
	traffic_stop_after(&t, 100);
	expect_after_reload();
	expect_clean(&t);
}
END_TEST

/* Stops HAProxy and starts a new process on the same admin socket, reading <state_file>. */
static void restart_haproxy(const char *state_file)
{
	char *backends = backends_shipped();
	char env_sock[600], env_state[600];
	char *env[] = {env_sock, env_state, NULL};

	h_haproxy_stop(&rx.hap);
	snprintf(env_sock, sizeof(env_sock), "PF_ADMIN_SOCKET=%s", rx.hap.admin_sock);
	snprintf(env_state, sizeof(env_state), "PF_SERVER_STATE_FILE=%s", state_file);
	ck_assert(h_haproxy_start(&rx.hap, backends, rx.agent.port, env));
	free(backends);
}

START_TEST(test_restart_under_traffic)
{
	struct traffic t;

	/* A new process on the same socket and state file knows only its config and that file. */
	restart_haproxy(rx.state_file);
	/* Clients at once, before the controller has read the new process. */
	traffic_start(&t);
	traffic_stop_after(&t, 100);
	ck_assert(h_wait_file_contains(rx.ctl.log, "restarted or reloaded", 5));
	ck_assert_int_eq(slot_admin_at(rx.sim.port[2]), 0x0c);
	expect_clean(&t);
}
END_TEST

/*
 * Without a state file (first start, or a lost file) every slot comes back
 * "disabled" at the config's address: the controller fills them again within
 * a round or two instead of taking them for MAINT by hand.
 */
START_TEST(test_restart_without_state_file_refills)
{
	char none[512];

	snprintf(none, sizeof(none), "%s/none", h_tmpdir());
	restart_haproxy(none);
	/* interval 200 ms: the restart is read within a round, the slots filled in the next. */
	for (double end = h_now() + 1.5; h_now() < end && slot_admin_at(rx.sim.port[2]) != 0x0c;)
		;
	ck_assert_int_eq(slot_admin_at(rx.sim.port[0]), 0x04);
	ck_assert_int_eq(slot_admin_at(rx.sim.port[1]), 0x04);
	ck_assert_int_eq(slot_admin_at(rx.sim.port[2]), 0x0c);
	ck_assert_msg(!h_wait_file_contains(rx.ctl.log, "in maint by hand", 0.1), "%s", rx.ctl.log);
}
END_TEST

/*
 * Two HAProxy instances with template slots: each fills its own slots (the
 * slot numbers may differ) and both follow every decision, heavy twins too.
 */
START_TEST(test_two_instances_template_slots)
{
	struct h_haproxy second;
	char *backends = backends_shipped(), sockets[2600];

	ck_assert(h_haproxy_start(&second, backends, rx.agent.port, NULL));
	free(backends);
	/* On the second instance an admin uses slot 1 for something else: its numbers differ. */
	free(h_haproxy_cmd(&second, "set server be_polkadot/node1 addr 127.0.0.9 port 9"));
	free(h_haproxy_cmd(&second, "set server be_polkadot/node1 state ready"));
	h_ctl_stop(&rx.ctl);
	snprintf(sockets, sizeof(sockets), "%s, \"unix:%s\"", socket_item, second.admin_sock);
	start_controller_on(&rx.ctl, sockets, 5);
	for (double end = h_now() + 3; h_now() < end;)
		if (slot_admin_in(&second, "be_polkadot", rx.sim.port[2]) == 0x0c &&
		    slot_admin_in(&second, "be_polkadot", rx.sim.port[1]) == 0x04)
			break;
	for (int i = 0; i < NODES; i++) {
		int want = i == 2 ? 0x0c : 0x04;

		ck_assert_int_eq(slot_admin_in(&rx.hap, "be_polkadot", rx.sim.port[i]), want);
		ck_assert_int_eq(slot_admin_in(&second, "be_polkadot", rx.sim.port[i]), want);
		ck_assert_int_eq(slot_admin_in(&second, "be_polkadot_heavy", rx.sim.port[i]), want);
	}
	{
		char addr[64];
		int port = 0;
		unsigned admin;

		/* ... and the controller left that slot alone. */
		ck_assert(h_server_admin(&second, "be_polkadot", "node1", &admin, addr,
		                         sizeof(addr), &port));
		ck_assert_uint_eq(admin, 0x04);
		ck_assert_str_eq(addr, "127.0.0.9");
		ck_assert_int_eq(port, 9);
	}
	/* p2 catches up: in again on both; p0 falls behind: out on both. */
	ck_assert_int_eq(
	    h_nodesim_control(&rx.sim, "/nodes/polkadot-2", "{\"height\": 1061}", NULL), 200);
	ck_assert_int_eq(
	    h_nodesim_control(&rx.sim, "/nodes/polkadot-1", "{\"height\": 1070}", NULL), 200);
	ck_assert_int_eq(
	    h_nodesim_control(&rx.sim, "/nodes/polkadot-2", "{\"height\": 1070}", NULL), 200);
	/* fall 2 x 200 ms, rise 2: a second is a round trip of margin on a loaded machine. */
	for (double end = h_now() + 2; h_now() < end;)
		if (slot_admin_in(&second, "be_polkadot", rx.sim.port[0]) == 0x0c &&
		    slot_admin_in(&rx.hap, "be_polkadot", rx.sim.port[0]) == 0x0c &&
		    slot_admin_in(&second, "be_polkadot", rx.sim.port[2]) == 0x04 &&
		    slot_admin_in(&rx.hap, "be_polkadot", rx.sim.port[2]) == 0x04)
			break;
	ck_assert_int_eq(slot_admin_in(&rx.hap, "be_polkadot", rx.sim.port[0]), 0x0c);
	ck_assert_int_eq(slot_admin_in(&second, "be_polkadot", rx.sim.port[0]), 0x0c);
	ck_assert_int_eq(slot_admin_in(&second, "be_polkadot_heavy", rx.sim.port[0]), 0x0c);
	ck_assert_int_eq(slot_admin_in(&rx.hap, "be_polkadot", rx.sim.port[2]), 0x04);
	ck_assert_int_eq(slot_admin_in(&second, "be_polkadot", rx.sim.port[2]), 0x04);
	h_haproxy_stop(&second);
}
END_TEST

/*
 * A second controller on the same HAProxy, deciding differently (max_lag 100
 * keeps p2 in): it only reads, says so, and never writes while the first
 * holds the claim; when the first stops, it takes over once the claim ends.
 */
START_TEST(test_second_controller_stands_by)
{
	struct h_ctl other = {0};
	struct h_resp r;

	start_controller_on(&other, socket_item, 100);
	ck_assert(h_wait_file_contains(other.log, "is driven by another controller", 3));
	for (double end = h_now() + 1.5; h_now() < end;)
		ck_assert_int_eq(slot_admin_at(rx.sim.port[2]), 0x0c);
	ck_assert_int_eq(h_ctl_http(&other, "/status.json", NULL, &r), 200);
	ck_assert_msg(strstr(r.body, "\"standby\":true,\"held_by\":") != NULL, "%s", r.body);
	h_resp_free(&r);
	ck_assert_msg(!h_wait_file_contains(other.log, "set server", 0.1), "%s", other.log);
	/* The holder stops: its claim (3 s at least) runs out, the other takes over. */
	h_ctl_stop(&rx.ctl);
	ck_assert(h_wait_file_contains(other.log, "write claim taken over", 4.5));
	for (double end = h_now() + 1; h_now() < end && slot_admin_at(rx.sim.port[2]) != 0x04;)
		;
	ck_assert_int_eq(slot_admin_at(rx.sim.port[2]), 0x04);
	h_ctl_stop(&other);
}
END_TEST

static Suite *ctl_reload_suite(void)
{
	Suite *s = suite_create("ctl_reload");
	TCase *sf = tcase_create("sf"), *mw = tcase_create("master-worker");

	tcase_add_checked_fixture(sf, setup_sf, teardown);
	tcase_set_timeout(sf, 90);
	tcase_add_test(sf, test_reload_sf_under_traffic);
	tcase_add_test(sf, test_restart_under_traffic);
	tcase_add_test(sf, test_restart_without_state_file_refills);
	tcase_add_test(sf, test_two_instances_template_slots);
	tcase_add_test(sf, test_second_controller_stands_by);
	suite_add_tcase(s, sf);
	tcase_add_checked_fixture(mw, setup_mw, teardown);
	tcase_set_timeout(mw, 90);
	tcase_add_test(mw, test_reload_master_worker_usr2_under_traffic);
	suite_add_tcase(s, mw);
	return s;
}

int main(void)
{
	return h_run_suite(ctl_reload_suite());
}
