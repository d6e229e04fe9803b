/* SPDX-License-Identifier: MIT */
/*
 * The pure half of polkfura-ctl's HAProxy runtime-API client, for 2.6 to 3.4
 * (the socket is hapi.c's): parsers of "show servers state" and "show info", checks of
 * command answers, a splitter for ';'-separated commands' answers, command
 * builders that refuse anything able to inject a command, and hapi_diff(),
 * wanted state per server -> commands. No I/O, clock, logging or allocation.
 */
#ifndef PF_CTL_HAPI_HAPI_CMD_H
#define PF_CTL_HAPI_HAPI_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "common/slice.h"

#define HAPI_NAME_MAX   64  /* backend and server name buffers, NUL included */
#define HAPI_ADDR_MAX   64  /* address buffers, NUL included */
#define HAPI_CMD_MAX    256 /* fits the longest command a valid want can need */
#define HAPI_WEIGHT_MAX 256 /* HAProxy's SRV_UWGHT_MAX */

/* srv_admin_state bits (include/haproxy/server-t.h, enum srv_admin; the same in 2.6 and 3.4). */
#define HAPI_ADMF_FMAINT 0x01u /* forced maint: "set server state maint", or config "disabled" */
#define HAPI_ADMF_IMAINT 0x02u /* maint inherited from the tracked server */
#define HAPI_ADMF_CMAINT 0x04u /* config "disabled"; stays set after "state ready" */
#define HAPI_ADMF_FDRAIN 0x08u /* forced drain: "set server state drain" */
#define HAPI_ADMF_IDRAIN 0x10u /* drain inherited from the tracked server */
#define HAPI_ADMF_RMAINT 0x20u /* address resolution failed */
#define HAPI_ADMF_HMAINT 0x40u /* FQDN set at run time (later renamed FQDN_CHANGED); not maint */

/* srv_op_state: SRV_ST_* of HAProxy. */
enum hapi_op_state {
	HAPI_OP_STOPPED = 0,
	HAPI_OP_STARTING,
	HAPI_OP_RUNNING,
	HAPI_OP_STOPPING,
};

/* One row of "show servers state". */
struct hapi_server {
	char backend[HAPI_NAME_MAX];
	char server[HAPI_NAME_MAX];
	char addr[HAPI_ADDR_MAX]; /* as HAProxy prints it; "" when HAProxy shows "-" (no address) */
	uint16_t port;            /* 0 when the server has none */
	int op_state;             /* enum hapi_op_state */
	unsigned admin_state;     /* HAPI_ADMF_* bits */
	unsigned uweight;         /* current (user) weight, 0..256 */
	unsigned iweight;         /* weight from the configuration */
};

/* The fields of "show info" the controller uses. */
struct hapi_info {
	long pid;
	long uptime_sec;
	char version[32]; /* "" when absent */
	char node[64];    /* "" when absent */
};

enum hapi_want_state {
	HAPI_WANT_READY = 0,
	HAPI_WANT_DRAIN,
	HAPI_WANT_MAINT,
};

/* What the controller wants for one server. */
struct hapi_want {
	char backend[HAPI_NAME_MAX];
	char server[HAPI_NAME_MAX];
	enum hapi_want_state state;
	unsigned weight; /* 1..256; 0 = leave as is */
	bool has_addr;
	char addr[HAPI_ADDR_MAX]; /* IPv4 or IPv6 literal, when <has_addr> */
	uint16_t port;            /* 1..65535, when <has_addr> */
	/* The controller itself put it in forced maint (e.g. an empty slot it now fills). */
	bool own_maint;
};

enum hapi_act_kind {
	HAPI_ACT_SET_STATE = 0,
	HAPI_ACT_SET_WEIGHT,
	HAPI_ACT_SET_ADDR,
};

struct hapi_action {
	enum hapi_act_kind kind;
	const struct hapi_want *want; /* borrowed from hapi_diff()'s <want> array */
	char cmd[HAPI_CMD_MAX];       /* NUL-terminated, no newline, no ';' */
};

enum hapi_skip_reason {
	HAPI_SKIP_NO_SERVER = 0, /* not in "show servers state" */
	HAPI_SKIP_HAND_MAINT,    /* in forced maint that the controller did not ask for */
	HAPI_SKIP_INVALID,       /* a name, address, port or weight the builders refuse */
	HAPI_SKIP_DUPLICATE,     /* the same backend/server earlier in <want> */
};

/* A wanted server hapi_diff() left alone. */
struct hapi_skip {
	const struct hapi_want *want; /* borrowed from hapi_diff()'s <want> array */
	enum hapi_skip_reason reason;
	unsigned admin_state; /* the server's HAPI_ADMF_* bits; 0 when not found */
};

/*
 * The parsers return 0, or -1 with "line N: reason" in <err>. This one
 * parses the answer to "show servers state" (format 1, the 25 columns of
 * HAProxy 2.6 and 3.4, extra trailing columns accepted) from <text> (<len> bytes,
 * ending with the empty line) into <out> (room for <cap> rows), <*n> rows.
 * Bad version, header, number, name, address or column count, duplicate
 * rows, more rows than <cap> and a missing empty line (truncated answer) are
 * errors; then <*n> is 0. Pure, reentrant.
 */
PF_MUSTCHECK int hapi_parse_servers_state(const char *text, size_t len, struct hapi_server *out,
                                          size_t cap, size_t *n, char *err, size_t errlen);

/* Parses the answer to "show info" into <out>; Pid and Uptime_sec are required. Pure. */
PF_MUSTCHECK int hapi_parse_info(const char *text, size_t len, struct hapi_info *out, char *err,
                                 size_t errlen);

/*
 * Checks the answer to ONE "set server ... state|weight" or "shutdown
 * sessions server" command: success is an answer of whitespace only. Returns
 * 0, or -1 with the first non-blank line (non-printable bytes as '?') in <err>.
 */
PF_MUSTCHECK int hapi_answer_ok(const char *text, size_t len, char *err, size_t errlen);

/*
 * The same for ONE "set server ... addr": HAProxy words its successes ("IP
 * changed from 'a' to 'b', port changed from 'p' to 'q' by 'stats socket
 * command'"; 2.6 "no need to change ...", 3.x "nothing changed"): success is
 * one line of either version's grammar.
 */
PF_MUSTCHECK int hapi_addr_answer_ok(const char *text, size_t len, char *err, size_t errlen);

/*
 * Splits the answers to ';'-separated commands sent on one line: each is zero
 * or more non-empty lines then an empty line, which <out[i]> includes (a
 * successful "set server" is just "\n"); slices borrow <text>. Returns 0 at
 * an answer boundary, PF_AGAIN when trailing bytes lack their empty line
 * (truncated), -1 past <cap> answers; <*n> counts complete answers. HAProxy
 * 2.6 drops the empty line after a few errors ("Trailing garbage in weight
 * string"; 3.4 no longer does), merging two answers: when <*n> differs from
 * the number of commands sent, trust none of them.
 */
PF_MUSTCHECK int hapi_split_answers(const char *text, size_t len, struct pf_slice *out, size_t cap,
                                    size_t *n, char *err, size_t errlen);

/*
 * Builders write one command, without newline, into <buf> and return its
 * length, or 0 and "" (when <cap> > 0) if refused or <cap> is short. Names
 * are 1..63 bytes of HAProxy's name set [A-Za-z0-9._:-], so no space, ';',
 * '/', '\\', '#' or control byte reaches the CLI. <addr> is an IPv4 or IPv6
 * literal (no brackets, no zone), <port> 1..65535 (HAProxy 2.6 and 3.4
 * themselves take "99999" as 34463), <weight> 0..256.
 */
size_t hapi_cmd_set_state(char *buf, size_t cap, const char *backend, const char *server,
                          enum hapi_want_state state);
size_t hapi_cmd_set_weight(char *buf, size_t cap, const char *backend, const char *server,
                           unsigned weight);
size_t hapi_cmd_set_addr(char *buf, size_t cap, const char *backend, const char *server,
                         const char *addr, uint16_t port);
size_t hapi_cmd_shutdown_sessions(char *buf, size_t cap, const char *backend, const char *server);
/*
 * "experimental-mode on; set var <name> str(<value>)": a process-wide
 * variable (HAProxy 2.6 allows "set var" in experimental mode only). <name>
 * is "proc." + [a-z_]; <value> 1..128 bytes of [A-Za-z0-9._/:-], because the
 * CLI takes no quotes and str() no comma or parenthesis.
 */
size_t hapi_cmd_set_var_str(char *buf, size_t cap, const char *name, const char *value);
/* "get var <name>". */
size_t hapi_cmd_get_var(char *buf, size_t cap, const char *name);

/*
 * Parses the answer to "get var <name>": returns 1 with the string value in
 * <out> ("<name>: type=str value=<...>"), 0 for "Variable not found.", -1 with
 * the reason in <err> for anything else (another type, a value longer than
 * <outlen> - 1, a truncated answer). Pure.
 */
PF_MUSTCHECK int hapi_parse_var(const char *text, size_t len, const char *name, char *out,
                                size_t outlen, char *err, size_t errlen);

/* "show servers state", or "show servers state <backend>" unless <backend> is NULL. */
size_t hapi_cmd_show_servers_state(char *buf, size_t cap, const char *backend);
size_t hapi_cmd_show_info(char *buf, size_t cap);

bool hapi_name_is_valid(const char *name); /* what the builders accept as a name */

/* Same address: equal as binary IPv4 or IPv6 ("::1" is "0:0::1"), else as text. */
bool hapi_addr_eq(const char *a, const char *b);

/*
 * The state "set server ... state" last forced: FMAINT gives MAINT, else
 * FDRAIN DRAIN, else READY. IMAINT/IDRAIN come through "track" (the tracked
 * server's business); CMAINT stays after "state ready" while the server
 * serves (0x04); "state ready" leaves RMAINT; HMAINT is no maintenance.
 */
enum hapi_want_state hapi_admin_to_state(unsigned admin_state);

/*
 * Commands taking <have> (<nhave> rows) to <want> (<nwant>), in want order.
 * A want is skipped as INVALID, DUPLICATE or NO_SERVER, or as HAND_MAINT
 * (no action at all) when the server has FMAINT, the want is not MAINT and
 * <own_maint> is false. Else: addr if <has_addr> and address (as binary) or
 * port differ, then weight if nonzero and unlike uweight, then state if
 * unlike hapi_admin_to_state(). HAProxy (2.6, 3.4) shows an untouched "disabled"
 * slot as 0x05 (FMAINT|CMAINT), like a slot set ready then put in maint by
 * hand, so filling a slot needs <own_maint>. Fills <out> (<cap>) and
 * <skipped> (<skipcap>), both pointing into <want>. Returns 0, or -1 when an
 * array is too small (do not apply the partial result). Pure, reentrant,
 * O(nwant * (nwant + nhave)).
 */
PF_MUSTCHECK int hapi_diff(const struct hapi_want *want, size_t nwant,
                           const struct hapi_server *have, size_t nhave, struct hapi_action *out,
                           size_t cap, size_t *nout, struct hapi_skip *skipped, size_t skipcap,
                           size_t *nskipped);

/* Static names for logs: "ready", "drain", "maint"; "no such server", "maint by hand"... */
const char *hapi_want_state_str(enum hapi_want_state state);
const char *hapi_skip_reason_str(enum hapi_skip_reason reason);

#endif
