/* SPDX-License-Identifier: MIT */
/*
 * ctl/hapi/plan.c, table by table: template slots on two instances, MAINT by
 * hand per instance, slots that come back "disabled" from a reload, released
 * slots, shutdowns after the drain grace. Expected commands are the runtime
 * API's own syntax (HAProxy management guide: "set server <b>/<s> state
 * ready|drain|maint", "set server <b>/<s> addr <ip> port <port>", "shutdown
 * sessions server <b>/<s>"), written out by hand.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ctl/hapi/plan.h"
#include "tests/unit/check_main.h"

#define MAXS 16

/* Instance rows from "backend/server addr:port admin" lines, as "show servers state" gives. */
static size_t have_rows(struct hapi_server *out, const char *const *rows)
{
	size_t n = 0;

	for (; rows[n] != NULL; n++) {
		char be_srv[130], addr[64];
		unsigned port, admin;
		char *slash;

		ck_assert_int_eq(
		    sscanf(rows[n], "%129s %63[^:]:%u %x", be_srv, addr, &port, &admin), 4);
		slash = strchr(be_srv, '/');
		ck_assert_ptr_nonnull(slash);
		*slash = '\0';
		memset(&out[n], 0, sizeof(out[n]));
		snprintf(out[n].backend, sizeof(out[n].backend), "%.63s", be_srv);
		snprintf(out[n].server, sizeof(out[n].server), "%.63s", slash + 1);
		snprintf(out[n].addr, sizeof(out[n].addr), "%s", addr);
		out[n].port = (uint16_t)port;
		out[n].admin_state = admin;
		out[n].op_state = HAPI_OP_RUNNING;
		out[n].uweight = out[n].iweight = 1;
	}
	return n;
}

static const char *const heavy_polkadot[] = {"be_polkadot_heavy"};

/* A template node of be_polkadot at 10.0.0.<n>:9944. */
static struct plan_node tnode(const char *name, const char *addr, enum hapi_want_state want)
{
	struct plan_node nd = {name, "be_polkadot", heavy_polkadot, 1, NULL,
	                       addr, 9944,          want,           0, "polkadot"};

	return nd;
}

struct run {
	struct plan_seat seats[MAXS];
	size_t n_seats;
	struct plan_seat out_seats[MAXS];
	struct plan_action acts[64];
	struct plan_note notes[32];
	struct plan_output out;
};

/* One plan of <nodes> against <rows>, the run's seats carried over from its last plan. */
static void plan_once(struct run *r, const struct plan_node *nodes, size_t n,
                      const char *const *rows, int64_t now_ms, uint32_t grace_ms)
{
	struct hapi_server have[MAXS];
	struct plan_input in = {nodes,    n,          have,   have_rows(have, rows),
	                        r->seats, r->n_seats, now_ms, grace_ms};
	size_t cs, ca, cn;

	plan_capacity(&in, &cs, &ca, &cn);
	ck_assert_uint_le(cs, MAXS);
	ck_assert_uint_le(ca, 64);
	ck_assert_uint_le(cn, 32);
	r->out = (struct plan_output){r->out_seats, 0, cs, r->acts, 0, ca, r->notes, 0, cn};
	ck_assert_int_eq(plan_make(&in, &r->out), 0);
	memcpy(r->seats, r->out_seats, r->out.n_seats * sizeof(r->seats[0]));
	r->n_seats = r->out.n_seats;
}

/* The commands of the last plan, in order, against the NULL-terminated <want>. */
static void expect_cmds(const struct run *r, const char *const *want)
{
	size_t n = 0;

	while (want[n] != NULL)
		n++;
	for (size_t i = 0; i < r->out.n_acts && i < n; i++)
		ck_assert_str_eq(r->acts[i].cmd, want[i]);
	ck_assert_msg(r->out.n_acts == n, "%zu commands, wanted %zu (first: %s)", r->out.n_acts, n,
	              r->out.n_acts ? r->acts[0].cmd : "-");
}

static bool has_note(const struct run *r, enum plan_note_kind kind, const char *node,
                     const char *server)
{
	for (size_t i = 0; i < r->out.n_notes; i++)
		if (r->notes[i].kind == kind && strcmp(r->notes[i].node, node) == 0 &&
		    (server == NULL || strcmp(r->notes[i].server, server) == 0))
			return true;
	return false;
}

static const struct plan_seat *seat(const struct run *r, const char *node)
{
	const struct plan_seat *s = plan_seat_find(r->seats, r->n_seats, node);

	ck_assert_msg(s != NULL, "no seat for %s", node);
	return s;
}

#define ROWS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define CMDS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NONE      ((const char *const[]){NULL})

/* The shipped backends.cfg: three slots and their heavy twins, all "disabled". */
#define FRESH                                                                                      \
	"be_polkadot/node1 127.0.0.1:9944 0x05", "be_polkadot/node2 127.0.0.1:9944 0x05",          \
	    "be_polkadot/node3 127.0.0.1:9944 0x05",                                               \
	    "be_polkadot_heavy/node1 127.0.0.1:9944 0x05",                                         \
	    "be_polkadot_heavy/node2 127.0.0.1:9944 0x05",                                         \
	    "be_polkadot_heavy/node3 127.0.0.1:9944 0x05"

START_TEST(test_slots_on_two_instances)
{
	struct plan_node nodes[] = {tnode("a1", "10.0.0.1", HAPI_WANT_READY),
	                            tnode("a2", "10.0.0.2", HAPI_WANT_READY)};
	struct run x = {0}, y = {0};

	/* Instance x: fresh. Instance y: node1 already holds a2 (the other controller run). */
	plan_once(&x, nodes, 2, ROWS(FRESH), 0, 0);
	expect_cmds(&x, CMDS("set server be_polkadot/node1 addr 10.0.0.1 port 9944",
	                     "set server be_polkadot/node1 state ready",
	                     "set server be_polkadot_heavy/node1 addr 10.0.0.1 port 9944",
	                     "set server be_polkadot_heavy/node1 state ready",
	                     "set server be_polkadot/node2 addr 10.0.0.2 port 9944",
	                     "set server be_polkadot/node2 state ready",
	                     "set server be_polkadot_heavy/node2 addr 10.0.0.2 port 9944",
	                     "set server be_polkadot_heavy/node2 state ready"));
	ck_assert(has_note(&x, PLAN_NOTE_SLOT_TAKEN, "a1", "node1"));
	plan_once(&y, nodes, 2,
	          ROWS("be_polkadot/node1 10.0.0.2:9944 0x04",
	               "be_polkadot/node2 127.0.0.1:9944 0x05",
	               "be_polkadot/node3 127.0.0.1:9944 0x05",
	               "be_polkadot_heavy/node1 10.0.0.2:9944 0x04",
	               "be_polkadot_heavy/node2 127.0.0.1:9944 0x05",
	               "be_polkadot_heavy/node3 127.0.0.1:9944 0x05"),
	          0, 0);
	/* a2 keeps node1 there (its address); a1 takes the first free slot, node2. */
	ck_assert_str_eq(seat(&y, "a2")->server, "node1");
	ck_assert_str_eq(seat(&y, "a1")->server, "node2");
	expect_cmds(&y, CMDS("set server be_polkadot/node2 addr 10.0.0.1 port 9944",
	                     "set server be_polkadot/node2 state ready",
	                     "set server be_polkadot_heavy/node2 addr 10.0.0.1 port 9944",
	                     "set server be_polkadot_heavy/node2 state ready"));
	/* Each instance remembers its own slot: x still has a2 in node2. */
	ck_assert_str_eq(seat(&x, "a2")->server, "node2");
	/* The next round on x, now serving: nothing to write. */
	plan_once(&x, nodes, 2,
	          ROWS("be_polkadot/node1 10.0.0.1:9944 0x04",
	               "be_polkadot/node2 10.0.0.2:9944 0x04",
	               "be_polkadot/node3 127.0.0.1:9944 0x05",
	               "be_polkadot_heavy/node1 10.0.0.1:9944 0x04",
	               "be_polkadot_heavy/node2 10.0.0.2:9944 0x04",
	               "be_polkadot_heavy/node3 127.0.0.1:9944 0x05"),
	          1000, 0);
	expect_cmds(&x, NONE);
	ck_assert(seat(&x, "a1")->seen_serving);
	ck_assert_uint_eq(x.out.n_notes, 0);
}
END_TEST

#define SERVING                                                                                    \
	"be_polkadot/node1 10.0.0.1:9944 0x04", "be_polkadot/node2 10.0.0.2:9944 0x04",            \
	    "be_polkadot/node3 127.0.0.1:9944 0x05", "be_polkadot_heavy/node1 10.0.0.1:9944 0x04", \
	    "be_polkadot_heavy/node2 10.0.0.2:9944 0x04",                                          \
	    "be_polkadot_heavy/node3 127.0.0.1:9944 0x05"

START_TEST(test_hand_maint_per_instance)
{
	struct plan_node nodes[] = {tnode("a1", "10.0.0.1", HAPI_WANT_READY),
	                            tnode("a2", "10.0.0.2", HAPI_WANT_READY)};
	struct run x = {0}, y = {0};

	plan_once(&x, nodes, 2, ROWS(SERVING), 0, 0);
	plan_once(&y, nodes, 2, ROWS(SERVING), 0, 0);
	/* An admin puts node1 in MAINT on x only ("set server ... state maint": 0x05);
	 * the controller puts its heavy twin in MAINT too. */
	plan_once(&x, nodes, 2,
	          ROWS("be_polkadot/node1 10.0.0.1:9944 0x05",
	               "be_polkadot/node2 10.0.0.2:9944 0x04",
	               "be_polkadot/node3 127.0.0.1:9944 0x05",
	               "be_polkadot_heavy/node1 10.0.0.1:9944 0x04"),
	          1000, 0);
	plan_once(&y, nodes, 2, ROWS(SERVING), 1000, 0);
	expect_cmds(&x, CMDS("set server be_polkadot_heavy/node1 state maint"));
	ck_assert(seat(&x, "a1")->hand_maint);
	ck_assert(has_note(&x, PLAN_NOTE_HAND_MAINT, "a1", "node1"));
	ck_assert(!seat(&y, "a1")->hand_maint);
	/* Drained by a decision meanwhile: x leaves the hand MAINT alone, y drains. */
	nodes[0].want = HAPI_WANT_DRAIN;
	plan_once(
	    &x, nodes, 2,
	    ROWS("be_polkadot/node1 10.0.0.1:9944 0x05", "be_polkadot/node2 10.0.0.2:9944 0x04"),
	    2000, 0);
	plan_once(&y, nodes, 2, ROWS(SERVING), 2000, 0);
	expect_cmds(&x, NONE);
	expect_cmds(&y, CMDS("set server be_polkadot/node1 state drain",
	                     "set server be_polkadot_heavy/node1 state drain"));
	/* The admin takes it out of MAINT: the controller's drain applies there too. */
	plan_once(
	    &x, nodes, 2,
	    ROWS("be_polkadot/node1 10.0.0.1:9944 0x04", "be_polkadot/node2 10.0.0.2:9944 0x04"),
	    3000, 0);
	expect_cmds(&x, CMDS("set server be_polkadot/node1 state drain"));
	ck_assert(has_note(&x, PLAN_NOTE_HAND_MAINT_END, "a1", "node1"));
}
END_TEST

START_TEST(test_reload_brings_slots_back_disabled)
{
	struct plan_node nodes[] = {tnode("a1", "10.0.0.1", HAPI_WANT_READY),
	                            tnode("a2", "10.0.0.2", HAPI_WANT_DRAIN)};
	struct run x = {0};

	nodes[1].drain_since_ms = 1;
	plan_once(&x, nodes, 2,
	          ROWS("be_polkadot/node1 10.0.0.1:9944 0x04",
	               "be_polkadot/node2 10.0.0.2:9944 0x0c",
	               "be_polkadot/node3 127.0.0.1:9944 0x05"),
	          0, 0);
	expect_cmds(&x, NONE);
	/* A reload without a state file: every slot "disabled" at the config's address.
	 * Not MAINT by hand: the controller fills its slots again. */
	plan_once(&x, nodes, 2, ROWS(FRESH), 1000, 0);
	ck_assert(!seat(&x, "a1")->hand_maint);
	ck_assert_str_eq(seat(&x, "a1")->server, "node1");
	ck_assert_str_eq(seat(&x, "a2")->server, "node2");
	expect_cmds(&x, CMDS("set server be_polkadot/node1 addr 10.0.0.1 port 9944",
	                     "set server be_polkadot/node1 state ready",
	                     "set server be_polkadot_heavy/node1 addr 10.0.0.1 port 9944",
	                     "set server be_polkadot_heavy/node1 state ready",
	                     "set server be_polkadot/node2 addr 10.0.0.2 port 9944",
	                     "set server be_polkadot/node2 state drain",
	                     "set server be_polkadot_heavy/node2 addr 10.0.0.2 port 9944",
	                     "set server be_polkadot_heavy/node2 state drain"));
	ck_assert(!has_note(&x, PLAN_NOTE_HAND_MAINT, "a1", NULL));
	/* With a state file HAProxy restores address and state: nothing to write. */
	plan_once(&x, nodes, 2,
	          ROWS("be_polkadot/node1 10.0.0.1:9944 0x04",
	               "be_polkadot/node2 10.0.0.2:9944 0x0c",
	               "be_polkadot/node3 127.0.0.1:9944 0x05"),
	          2000, 0);
	expect_cmds(&x, NONE);
}
END_TEST

START_TEST(test_restart_of_the_controller)
{
	struct plan_node nodes[] = {tnode("a1", "10.0.0.1", HAPI_WANT_READY),
	                            tnode("a2", "10.0.0.2", HAPI_WANT_READY)};
	struct run x = {0};

	/* No memory; HAProxy serves a1 in node2 and has a2's slot node1 in MAINT by hand. */
	plan_once(&x, nodes, 2,
	          ROWS("be_polkadot/node1 10.0.0.2:9944 0x05",
	               "be_polkadot/node2 10.0.0.1:9944 0x04",
	               "be_polkadot/node3 127.0.0.1:9944 0x05"),
	          0, 0);
	ck_assert_str_eq(seat(&x, "a1")->server, "node2");
	ck_assert_str_eq(seat(&x, "a2")->server, "node1");
	ck_assert(seat(&x, "a2")->hand_maint);
	expect_cmds(&x, NONE);
}
END_TEST

START_TEST(test_released_slot_back_to_maint)
{
	struct plan_node nodes[] = {tnode("a1", "10.0.0.1", HAPI_WANT_READY),
	                            tnode("a2", "10.0.0.2", HAPI_WANT_READY)};
	struct run x = {0};

	plan_once(&x, nodes, 2, ROWS(SERVING), 0, 0);
	/* a2 leaves the config: node2 and its twin go back to MAINT, until HAProxy shows it. */
	plan_once(&x, nodes, 1, ROWS(SERVING), 1000, 0);
	expect_cmds(&x, CMDS("set server be_polkadot/node2 state maint",
	                     "set server be_polkadot_heavy/node2 state maint"));
	ck_assert(has_note(&x, PLAN_NOTE_RELEASED, "a2", "node2"));
	ck_assert_ptr_null(plan_seat_find(x.seats, x.n_seats, "a2"));
	ck_assert_uint_eq(x.n_seats, 2);                 /* a1 and the released slot */
	plan_once(&x, nodes, 1, ROWS(SERVING), 2000, 0); /* the commands were lost: again */
	expect_cmds(&x, CMDS("set server be_polkadot/node2 state maint",
	                     "set server be_polkadot_heavy/node2 state maint"));
	ck_assert(!has_note(&x, PLAN_NOTE_RELEASED, "a2", NULL));
	plan_once(
	    &x, nodes, 1,
	    ROWS("be_polkadot/node1 10.0.0.1:9944 0x04", "be_polkadot/node2 10.0.0.2:9944 0x05"),
	    3000, 0);
	expect_cmds(&x, NONE);
	ck_assert_uint_eq(x.n_seats, 1);
	/* A new node takes the free slot again. */
	nodes[1] = tnode("a3", "10.0.0.3", HAPI_WANT_READY);
	plan_once(
	    &x, nodes, 2,
	    ROWS("be_polkadot/node1 10.0.0.1:9944 0x04", "be_polkadot/node2 10.0.0.2:9944 0x05"),
	    4000, 0);
	expect_cmds(&x, CMDS("set server be_polkadot/node2 addr 10.0.0.3 port 9944",
	                     "set server be_polkadot/node2 state ready"));
}
END_TEST

START_TEST(test_shutdown_after_grace_once_per_drain)
{
	struct plan_node nodes[] = {tnode("a1", "10.0.0.1", HAPI_WANT_READY),
	                            tnode("a2", "10.0.0.2", HAPI_WANT_DRAIN)};
	const char *const *drained =
	    ROWS("be_polkadot/node1 10.0.0.1:9944 0x04", "be_polkadot/node2 10.0.0.2:9944 0x0c",
	         "be_polkadot_heavy/node1 10.0.0.1:9944 0x04",
	         "be_polkadot_heavy/node2 10.0.0.2:9944 0x0c");
	struct run x = {0};

	nodes[1].drain_since_ms = 10000;
	plan_once(&x, nodes, 2, drained, 10000, 5000);
	expect_cmds(&x, NONE);
	plan_once(&x, nodes, 2, drained, 14999, 5000);
	expect_cmds(&x, NONE);
	plan_once(&x, nodes, 2, drained, 15000, 5000);
	expect_cmds(&x, CMDS("shutdown sessions server be_polkadot/node2",
	                     "shutdown sessions server be_polkadot_heavy/node2"));
	ck_assert(has_note(&x, PLAN_NOTE_SHUTDOWN, "a2", "node2"));
	plan_once(&x, nodes, 2, drained, 20000, 5000);
	expect_cmds(&x, NONE);
	/* Back in, drained again later: shut again after the grace. */
	nodes[1].want = HAPI_WANT_READY;
	plan_once(&x, nodes, 2, ROWS(SERVING), 21000, 5000);
	nodes[1].want = HAPI_WANT_DRAIN;
	nodes[1].drain_since_ms = 30000;
	plan_once(&x, nodes, 2, drained, 35000, 5000);
	expect_cmds(&x, CMDS("shutdown sessions server be_polkadot/node2",
	                     "shutdown sessions server be_polkadot_heavy/node2"));
	/* Grace 0: never. */
	nodes[1].drain_since_ms = 40000;
	plan_once(&x, nodes, 2, drained, 99000, 0);
	expect_cmds(&x, NONE);
}
END_TEST

START_TEST(test_named_servers_missing_and_no_slot)
{
	struct plan_node nodes[] = {
	    {"p1", "be_polkadot", NULL, 0, "archive1", NULL, 0, HAPI_WANT_READY, 0, "polkadot"},
	    {"p2", "be_polkadot", NULL, 0, "archive2", NULL, 0, HAPI_WANT_DRAIN, 0, "polkadot"},
	    tnode("a1", "10.0.0.1", HAPI_WANT_READY),
	};
	struct run x = {0};

	/* archive2 is not in HAProxy's config; no slot is free for a1 (archive1 is named). */
	plan_once(&x, nodes, 3, ROWS("be_polkadot/archive1 10.9.9.9:443 0x00"), 0, 0);
	expect_cmds(&x, NONE);
	ck_assert(has_note(&x, PLAN_NOTE_MISSING, "p2", "archive2"));
	ck_assert(has_note(&x, PLAN_NOTE_NO_SLOT, "a1", NULL));
	ck_assert(seat(&x, "p2")->missing);
	ck_assert(seat(&x, "a1")->no_slot);
	/* Noted once, not every round. */
	plan_once(&x, nodes, 3, ROWS("be_polkadot/archive1 10.9.9.9:443 0x00"), 1000, 0);
	ck_assert(!has_note(&x, PLAN_NOTE_MISSING, "p2", NULL));
	ck_assert(!has_note(&x, PLAN_NOTE_NO_SLOT, "a1", NULL));
	/* The config gains it: found, and drained. A named server in MAINT is the admin's. */
	plan_once(&x, nodes, 3,
	          ROWS("be_polkadot/archive1 10.9.9.9:443 0x01",
	               "be_polkadot/archive2 10.9.9.8:443 0x00"),
	          2000, 0);
	ck_assert(has_note(&x, PLAN_NOTE_FOUND, "p2", "archive2"));
	ck_assert(seat(&x, "p1")->hand_maint);
	expect_cmds(&x, CMDS("set server be_polkadot/archive2 state drain"));
	/* A slot appears for a1 (a config reload of HAProxy): taken and filled. */
	plan_once(&x, nodes, 3,
	          ROWS("be_polkadot/archive1 10.9.9.9:443 0x01",
	               "be_polkadot/archive2 10.9.9.8:443 0x08",
	               "be_polkadot/node1 127.0.0.1:9944 0x05"),
	          3000, 0);
	ck_assert(has_note(&x, PLAN_NOTE_SLOT_TAKEN, "a1", "node1"));
	expect_cmds(&x, CMDS("set server be_polkadot/node1 addr 10.0.0.1 port 9944",
	                     "set server be_polkadot/node1 state ready"));
}
END_TEST

START_TEST(test_lease)
{
	char holder[64];
	int64_t exp;

	ck_assert_int_eq(plan_lease("", "ctl-a/1/5", 1000, holder, sizeof(holder), &exp),
	                 PLAN_LEASE_TAKE);
	ck_assert_str_eq(holder, "");
	ck_assert_int_eq(
	    plan_lease("ctl-a/1/5/3000", "ctl-a/1/5", 1000, holder, sizeof(holder), &exp),
	    PLAN_LEASE_OURS);
	ck_assert_int_eq(exp, 3000);
	/* Ours even once expired: nobody else claimed it. */
	ck_assert_int_eq(
	    plan_lease("ctl-a/1/5/3000", "ctl-a/1/5", 9000, holder, sizeof(holder), &exp),
	    PLAN_LEASE_OURS);
	ck_assert_int_eq(
	    plan_lease("ctl-b/7/9/3000", "ctl-a/1/5", 2999, holder, sizeof(holder), &exp),
	    PLAN_LEASE_OTHER);
	ck_assert_str_eq(holder, "ctl-b/7/9");
	ck_assert_int_eq(
	    plan_lease("ctl-b/7/9/3000", "ctl-a/1/5", 3000, holder, sizeof(holder), &exp),
	    PLAN_LEASE_TAKE);
	ck_assert_str_eq(holder, "ctl-b/7/9");
	/* A prefix of our id is somebody else. */
	ck_assert_int_eq(
	    plan_lease("ctl-a/1/3000", "ctl-a/1/5", 1000, holder, sizeof(holder), &exp),
	    PLAN_LEASE_OTHER);
	/* Not a controller's value: claim it. */
	ck_assert_int_eq(plan_lease("garbage", "ctl-a/1/5", 1000, holder, sizeof(holder), &exp),
	                 PLAN_LEASE_TAKE);
	ck_assert_int_eq(plan_lease("x/12ab", "ctl-a/1/5", 1000, holder, sizeof(holder), &exp),
	                 PLAN_LEASE_TAKE);
	ck_assert_int_eq(plan_lease("/3000", "ctl-a/1/5", 1000, holder, sizeof(holder), &exp),
	                 PLAN_LEASE_TAKE);
}
END_TEST

struct problems {
	char text[8][384];
	size_t n;
};

static void collect(void *ctx, const char *problem)
{
	struct problems *p = ctx;

	ck_assert_uint_lt(p->n, 8);
	snprintf(p->text[p->n++], sizeof(p->text[0]), "%s", problem);
}

START_TEST(test_verify)
{
	const char *const heavy_typo[] = {"be_polkadot_hevy"};
	struct plan_node nodes[] = {
	    tnode("a1", "10.0.0.1", HAPI_WANT_READY),
	    tnode("a2", "10.0.0.2", HAPI_WANT_READY),
	    {"p1", "be_polkadot", heavy_polkadot, 1, "archive1", NULL, 0, HAPI_WANT_READY, 0,
	     "polkadot"},
	    {"k1", "be_kusama", NULL, 0, "k1", NULL, 0, HAPI_WANT_READY, 0, "polkadot"},
	};
	struct hapi_server have[MAXS];
	struct problems p = {0};
	size_t n = have_rows(have, ROWS(FRESH, "be_polkadot/archive1 10.9.9.9:443 0x00",
	                                "be_polkadot_heavy/archive1 10.9.9.9:443 0x00"));

	/* Everything there (be_kusama aside): only the kusama backend is named. */
	ck_assert_uint_eq(plan_verify(nodes, 3, have, n, collect, &p), 0);
	ck_assert_uint_eq(plan_verify(nodes, 4, have, n, collect, &p), 1);
	ck_assert_str_eq(p.text[0], "backend be_kusama (chain of node k1) is not in HAProxy");
	/* A twin missing, a named server missing, too few slots, a heavy backend misspelt. */
	p.n = 0;
	n = have_rows(have, ROWS("be_polkadot/node1 127.0.0.1:9944 0x05",
	                         "be_polkadot_heavy/archive1 10.9.9.9:443 0x00"));
	ck_assert_uint_eq(plan_verify(nodes, 3, have, n, collect, &p), 3);
	ck_assert_str_eq(p.text[0], "server be_polkadot/archive1 (node p1) is not in HAProxy");
	ck_assert_str_eq(p.text[1],
	                 "heavy backend be_polkadot_heavy has no twin node1 of be_polkadot/node1");
	ck_assert_str_eq(
	    p.text[2],
	    "backend be_polkadot has 1 server-template slots for 2 nodes without a server");
	p.n = 0;
	nodes[0].heavy = heavy_typo;
	n = have_rows(have, ROWS(FRESH, "be_polkadot/archive1 10.9.9.9:443 0x00",
	                         "be_polkadot_heavy/archive1 10.9.9.9:443 0x00"));
	ck_assert_uint_eq(plan_verify(nodes, 3, have, n, collect, &p), 1);
	ck_assert_str_eq(p.text[0],
	                 "heavy backend be_polkadot_hevy (of be_polkadot) is not in HAProxy");
}
END_TEST

/* 1,000 template nodes and 1,000 slots: every node its own slot, then nothing to write. */
START_TEST(test_scale_distinct_slots)
{
	enum { N = 1000 };
	static struct plan_node nodes[N];
	static struct hapi_server have[2 * N];
	static char names[N][16], addrs[N][24];
	static struct plan_seat seats[N + 1], seats2[N + 1];
	static struct plan_action acts[8 * N + 8];
	static struct plan_note notes[4 * N + 8];
	static bool used[N + 1];
	struct plan_input in = {nodes, N, have, 2 * N, NULL, 0, 0, 0};
	struct plan_output out = {seats, 0, N + 1, acts, 0, 8 * N + 8, notes, 0, 4 * N + 8};

	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "n%d", i);
		snprintf(addrs[i], sizeof(addrs[i]), "10.%d.%d.1", i / 256, i % 256);
		nodes[i] = tnode(names[i], addrs[i], HAPI_WANT_READY);
		for (int b = 0; b < 2; b++) {
			struct hapi_server *h = &have[b * N + i];

			memset(h, 0, sizeof(*h));
			snprintf(h->backend, sizeof(h->backend), "%s",
			         b == 0 ? "be_polkadot" : "be_polkadot_heavy");
			snprintf(h->server, sizeof(h->server), "node%d", i + 1);
			snprintf(h->addr, sizeof(h->addr), "127.0.0.1");
			h->port = 9944;
			h->admin_state = 0x05;
		}
	}
	ck_assert_int_eq(plan_make(&in, &out), 0);
	ck_assert_uint_eq(out.n_seats, N);
	/* addr + state on the slot and on its twin. */
	ck_assert_uint_eq(out.n_acts, 4 * N);
	for (size_t i = 0; i < out.n_seats; i++) {
		int k = (int)strtol(seats[i].server + 4, NULL, 10);

		ck_assert(seats[i].slot && k >= 1 && k <= N);
		ck_assert_msg(!used[k], "slot node%d given twice", k);
		used[k] = true;
		/* What HAProxy shows once the commands applied. */
		snprintf(have[k - 1].addr, sizeof(have[0].addr), "%s",
		         nodes[strtol(seats[i].node + 1, NULL, 10)].addr);
		have[k - 1].port = 9944;
		have[k - 1].admin_state = 0x04;
		have[N + k - 1] = have[k - 1];
		snprintf(have[N + k - 1].backend, sizeof(have[0].backend), "be_polkadot_heavy");
	}
	in.seats = seats;
	in.n_seats = out.n_seats;
	out.seats = seats2;
	ck_assert_int_eq(plan_make(&in, &out), 0);
	ck_assert_uint_eq(out.n_acts, 0);
	ck_assert_uint_eq(out.n_seats, N);
	ck_assert_uint_eq(out.n_notes, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = tcase_create("plan");

	tcase_add_test(tc, test_slots_on_two_instances);
	tcase_add_test(tc, test_hand_maint_per_instance);
	tcase_add_test(tc, test_reload_brings_slots_back_disabled);
	tcase_add_test(tc, test_restart_of_the_controller);
	tcase_add_test(tc, test_released_slot_back_to_maint);
	tcase_add_test(tc, test_shutdown_after_grace_once_per_drain);
	tcase_add_test(tc, test_named_servers_missing_and_no_slot);
	tcase_add_test(tc, test_lease);
	tcase_add_test(tc, test_verify);
	tcase_add_test(tc, test_scale_distinct_slots);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
