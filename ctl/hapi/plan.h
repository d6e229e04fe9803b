/* SPDX-License-Identifier: MIT */
/*
 * What to write to ONE HAProxy instance, computed from what the controller
 * wants for every node and what that instance shows ("show servers state").
 * The planner owns no state: what an instance must remember between rounds
 * (which template slot each node holds there, whether its server is in MAINT
 * by hand, whether its sessions were shut for the current drain) comes in as
 * the old seats and goes out as the new ones, so two instances never share a
 * fact. Pure: no I/O, no clock (time is passed in), no logging, no allocation
 * (the caller sizes the output with plan_capacity()).
 *
 * A template slot is "filled" by the controller (address, then state). A
 * slot in forced MAINT counts as put there by hand only when it shows the
 * node's own address and the controller has seen it serve that address
 * before: a slot that comes back from a reload "disabled", with the address
 * of the config, is the controller's to fill again.
 */
#ifndef PF_CTL_HAPI_PLAN_H
#define PF_CTL_HAPI_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "ctl/hapi/hapi_cmd.h"

#define PLAN_MAX_HEAVY 8 /* heavy backends per chain (ctl_cfg's CTL_CFG_MAX_HEAVY) */

/* What the controller wants for one node this round (built by the caller; borrowed). */
struct plan_node {
	const char *name;    /* unique across the controller */
	const char *backend; /* the chain's backend */
	const char *const
	    *heavy; /* backends whose servers "track" <backend>'s; <n_heavy> of them */
	unsigned n_heavy;
	const char *server; /* the configured server, or NULL: the node takes a template slot */
	const char *addr;   /* template nodes: numeric IPv4/IPv6 address for the slot */
	uint16_t port;      /* template nodes */
	enum hapi_want_state want; /* HAPI_WANT_READY or HAPI_WANT_DRAIN */
	int64_t drain_since_ms;    /* when the node entered DRAIN (for the grace), if it is */
	const char *chain;         /* for log lines only; may be NULL */
};

/* What one instance remembers about one node (or a slot to give back). */
struct plan_seat {
	char node[HAPI_NAME_MAX];    /* node name; "" for a released slot */
	char backend[HAPI_NAME_MAX]; /* the backend the server is in */
	char server[HAPI_NAME_MAX];  /* configured server or the slot held in this instance */
	bool slot;                   /* a template slot the controller assigned */
	bool seen_serving;           /* the slot showed the node's address outside forced MAINT */
	bool hand_maint;             /* last plan: forced MAINT the controller did not ask for */
	bool missing;                /* last plan: the server is not in "show servers state" */
	bool no_slot;                /* last plan: no free slot (<server> is ""); noted once */
	int64_t shut_drain_ms;       /* drain_since_ms the sessions were shut for; 0: not shut */
};

enum plan_act_kind {
	PLAN_ACT_SET_STATE = 0,
	PLAN_ACT_SET_WEIGHT,
	PLAN_ACT_SET_ADDR,
	PLAN_ACT_SHUTDOWN,
	PLAN_ACT_COUNT
};

struct plan_action {
	enum plan_act_kind kind;
	char cmd[HAPI_CMD_MAX]; /* one runtime-API command, no newline, no ';' */
};

/* Events worth a log line, in the order they happened. */
enum plan_note_kind {
	PLAN_NOTE_SLOT_TAKEN = 0, /* <node> holds <server> of <backend> in this instance */
	PLAN_NOTE_NO_SLOT,        /* <node> found no free slot in <backend> */
	PLAN_NOTE_RELEASED,       /* <server> was <node>'s; it goes back to MAINT */
	PLAN_NOTE_HAND_MAINT,     /* <node>'s <server> went into MAINT by hand */
	PLAN_NOTE_HAND_MAINT_END, /* ... and came out of it */
	PLAN_NOTE_MISSING,        /* <node>'s <server> is not in <backend> (config mismatch) */
	PLAN_NOTE_FOUND,          /* ... and is there again */
	PLAN_NOTE_SHUTDOWN,       /* <node> drained past the grace: its sessions are shut */
	PLAN_NOTE_COUNT
};

struct plan_note {
	enum plan_note_kind kind;
	char node[HAPI_NAME_MAX];
	char backend[HAPI_NAME_MAX];
	char server[HAPI_NAME_MAX];
};

struct plan_input {
	const struct plan_node *nodes; /* <n_nodes> wanted nodes, names unique */
	size_t n_nodes;
	const struct hapi_server *have; /* the instance's "show servers state" rows */
	size_t n_have;
	const struct plan_seat *seats; /* what the instance remembered after the last plan */
	size_t n_seats;
	int64_t now_ms;
	uint32_t drain_grace_ms; /* 0: never shut sessions */
};

struct plan_output {
	struct plan_seat *seats; /* room for <cap_seats>; the instance's memory from now on */
	size_t n_seats, cap_seats;
	struct plan_action *acts; /* room for <cap_acts>, in the order to send them */
	size_t n_acts, cap_acts;
	struct plan_note *notes; /* room for <cap_notes> */
	size_t n_notes, cap_notes;
};

/* Sizes for plan_output that always suffice for <in> (seats, actions, notes). */
void plan_capacity(const struct plan_input *in, size_t *seats, size_t *acts, size_t *notes);

/*
 * Plans one round for one instance: template nodes without a seat take a
 * slot of their backend (the slot that already has their address first,
 * then a free one: forced MAINT and held by no seat); every node's server
 * (and, for a slot, its heavy twins' address) is diffed against <in->have>
 * with hapi_diff(); seats of nodes gone put their slot back in MAINT until
 * HAProxy shows it; a node drained for <drain_grace_ms> gets "shutdown
 * sessions server" on its server and twins, once per drain. Returns 0, or -1
 * when an output array is short (nothing usable then). Pure, reentrant.
 */
PF_MUSTCHECK int plan_make(const struct plan_input *in, struct plan_output *out);

enum plan_lease_verdict {
	PLAN_LEASE_OURS = 0, /* this controller holds the instance */
	PLAN_LEASE_TAKE,     /* nobody holds it, or the holder's claim expired: claim it */
	PLAN_LEASE_OTHER,    /* another controller holds it: do not write */
};

/*
 * The write claim on one instance, kept in an HAProxy process variable as
 * "<owner>/<expires_ms>" so two controllers never fight over one HAProxy.
 * <value> is the variable ("" when unset); <me> this controller's owner id.
 * The holder's id and expiry go to <holder>/<expires_ms> when known. Pure.
 */
enum plan_lease_verdict plan_lease(const char *value, const char *me, int64_t now_ms, char *holder,
                                   size_t holderlen, int64_t *expires_ms);

/* Called by plan_verify() with one problem per call (a complete sentence, no newline). */
typedef void (*plan_problem_cb_fn)(void *ctx, const char *problem);

/*
 * What the instance's configuration lacks for <nodes>: a backend, a named
 * server, a heavy backend or the heavy twin of a server, or enough
 * server-template slots for the template nodes. Returns the number of
 * problems, each passed to <cb>. Pure.
 */
size_t plan_verify(const struct plan_node *nodes, size_t n, const struct hapi_server *have,
                   size_t nhave, plan_problem_cb_fn cb, void *ctx);

/* The seat of <node> among <seats>, or NULL. */
const struct plan_seat *plan_seat_find(const struct plan_seat *seats, size_t n, const char *node);

/* Static labels: "state", "weight", "addr", "shutdown_sessions"; "slot_taken", ... */
const char *plan_act_kind_str(enum plan_act_kind kind);
const char *plan_note_kind_str(enum plan_note_kind kind);

#endif
