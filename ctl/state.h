/* SPDX-License-Identifier: MIT */
/*
 * The admin-drain store: which nodes an admin took out of rotation, why, who
 * and when, in memory (sorted by node name) and in the state file, so drains
 * survive restarts. A change is written by a writer thread (temp file, fsync,
 * rename, fsync of the directory) and only then committed in memory; the
 * caller hears back on the loop through an ev_async, so a slow disk never
 * stalls polling, and a change that cannot be saved changes nothing. It knows
 * nothing of HAProxy, chains or node decisions. state_parse, state_render and
 * state_entry_check are pure.
 */
#ifndef PF_CTL_STATE_H
#define PF_CTL_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"

struct ev_loop;
struct state;

#define STATE_NAME_MAX    63  /* bytes of a node name (CTL_CFG_NAME_MAX) */
#define STATE_REASON_MAX  127 /* bytes of a reason: node_track.admin_reason with its NUL */
#define STATE_BY_MAX      64  /* bytes of "user@host", as the caller says */
#define STATE_PEER_MAX    45  /* bytes of a numeric IPv6 address */
#define STATE_MAX_ENTRIES 4096
#define STATE_FILE_MAX    (1u << 20) /* 4,096 entries with every field at its limit fit */
#define STATE_QUEUE_MAX   32         /* changes waiting for the writer */

/* One admin drain. Text fields are NUL-terminated and hold no control character. */
struct state_entry {
	char node[STATE_NAME_MAX + 1];
	char reason[STATE_REASON_MAX + 1];
	char by[STATE_BY_MAX + 1];     /* "" when unknown (a state file of the first format) */
	char peer[STATE_PEER_MAX + 1]; /* address the request came from; "" when unknown */
	int64_t at_ms;                 /* wall clock of the drain; 0 when unknown */
};

#define STATE_EWRITE (-1) /* the file could not be written: nothing changed */
#define STATE_ESTOP  (-2) /* the store is being freed (state_free) */

/*
 * Called on the loop thread when a change is done: <rc> 0 when it is in the
 * file and in memory, STATE_EWRITE or STATE_ESTOP when it is not in memory,
 * the reason in <err> (valid during the call). Must not free the store.
 */
typedef void (*state_done_cb_fn)(void *ctx, int rc, const char *err);

/*
 * Checks <e>: a node name of 1..STATE_NAME_MAX printable ASCII bytes, and
 * reason, by and peer within their limits without control characters
 * (bytes below 0x20 and DEL). Returns true, or false with the reason in <err>.
 */
bool state_entry_check(const struct state_entry *e, char *err, size_t errlen);

/*
 * Parses the state file text <json>/<len>. Both formats load:
 *   {"admin_drains": {"p0": "reason"}}                               (first)
 *   {"version": 2, "admin_drains": {"p0": {"reason": "...", "by": "...",
 *    "peer": "...", "at_ms": 1700000000000}}}                       (current)
 * A reason of the first format is kept readable (control characters become
 * '?', cut at STATE_REASON_MAX), since older controllers let them in; an entry
 * of the current format must pass state_entry_check. Refused: not JSON, a
 * \u0000 escape, a duplicate node, more than STATE_MAX_ENTRIES. Returns 0 with
 * a malloc'd array sorted by node in <*out> (NULL when empty; the caller
 * frees it) and its size in <*n>, or -1 with the reason in <err>. Pure.
 */
PF_MUSTCHECK int state_parse(const char *json, size_t len, struct state_entry **out, size_t *n,
                             char *err, size_t errlen);

/* The current-format text of <n> entries <e>, malloc'd, length in <*len>; NULL when out of memory.
 */
char *state_render(const struct state_entry *e, size_t n, size_t *len);

/*
 * Reads and parses the state file <path> (blocking: boot and `check`). A
 * missing file is an empty store. Returns 0 with the entries as state_parse
 * gives them, or -1 with "<path>: reason" in <err>.
 */
PF_MUSTCHECK int state_read_file(const char *path, struct state_entry **out, size_t *n, char *err,
                                 size_t errlen);

/*
 * For `check` and start-up: the directory of <path> exists and a file can be
 * created and renamed in it (tried with a probe file, removed again).
 * Returns 0, or -1 with the reason in <err>. Blocking.
 */
PF_MUSTCHECK int state_check_dir(const char *path, char *err, size_t errlen);

/*
 * Opens the store of the state file <path> on <loop>: reads it (as
 * state_read_file does) and starts the writer thread. Returns the store, or
 * NULL with the reason in <err>. Boot only.
 */
PF_MUSTCHECK struct state *state_open(struct ev_loop *loop, const char *path, char *err,
                                      size_t errlen);

/* The committed entry of <node>, or NULL. Valid until the next change completes. */
const struct state_entry *state_find(const struct state *st, const char *node);

/* Changes whose file could not be written (each refused, nothing applied), since state_open. */
uint64_t state_write_errors(const struct state *st);

/* Number of committed entries; state_at(<st>, i) for i below it, in node order. */
size_t state_count(const struct state *st);
const struct state_entry *state_at(const struct state *st, size_t i);

/*
 * Asks for <node>'s entry to become <set> (copied; its node must be <node>),
 * or to be removed when <set> is NULL. The change is saved by the writer
 * thread, committed when the file is in place, and <cb>(<ctx>, ...) runs on
 * the loop afterwards, never before this returns. Changes are saved one at a
 * time in the order asked. Returns 0, or -1 (nothing queued, <cb> never
 * called) with the reason in <err>: an invalid entry, too many entries or
 * changes waiting, out of memory.
 */
PF_MUSTCHECK int state_change(struct state *st, const char *node, const struct state_entry *set,
                              state_done_cb_fn cb, void *ctx, char *err, size_t errlen);

/*
 * Waits for the write in progress, stops the writer thread and frees <st>.
 * Every change not yet reported completes with STATE_ESTOP (one whose write
 * had finished may be in the file). NULL is a no-op.
 */
void state_free(struct state *st);

#endif
