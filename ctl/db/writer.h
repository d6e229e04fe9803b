/* SPDX-License-Identifier: MIT */
/*
 * The controller's write path to PostgreSQL: records (record.h) are
 * appended to an fsync'd spool file and sent with libpq's asynchronous API
 * on the controller's libev loop (pipelined batches), so a slow or absent
 * database never blocks the control loop and a record is never lost: what
 * the database has not acknowledged is replayed from the spool, in order,
 * after a reconnect or a restart (each record's unique id makes a second
 * insert a no-op). Reconnects back off; an outage is logged once when it
 * starts and once when it ends.
 *
 * It also holds the region's lock (a session advisory lock on its
 * connection) for the HA pair: exactly one controller per region records
 * incidents, chain states and samples. The holder stays the holder while
 * the database is away (it keeps spooling); after a reconnect it replays
 * its spool, then tries the lock again.
 */
#ifndef PF_CTL_DB_WRITER_H
#define PF_CTL_DB_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "ctl/db/record.h"

struct ev_loop;
struct dbw;

/* An incident still open in the database when the lock was taken. */
struct dbw_open_incident {
	char id[REC_ID_MAX + 1];
	char chain[REC_CHAIN_MAX + 1];
	char kind[REC_WORD_MAX + 1];
	char nodes[REC_NODES_MAX + 1]; /* "a,b", as written at open */
	int64_t started_ms;
};

/*
 * Role changes, on the loop. <holder> true: this controller took the
 * region's lock, after replaying its own spool; <open> (<n> entries,
 * borrowed for the call) are the incidents with ended_at NULL that the
 * region's holder manages, read under the lock, so the new holder adopts
 * them instead of opening them again: the region's own, except
 * region_unreachable (other regions' probes record those), and the
 * region_unreachable ones of other regions its own probes opened (their
 * summary starts "seen from <region>: "). A holder whose connection came back takes the lock again
 * and is called with true again (its own incidents are in <open> then). <holder> false: it held the
 * lock and, back after an outage, found another controller holding it. The callback may call
 * dbw_put, not dbw_close.
 */
typedef void (*dbw_role_fn)(void *ctx, bool holder, const struct dbw_open_incident *open, size_t n);

struct dbw_cfg {
	const char *conninfo;      /* libpq connection string, no password */
	const char *password_file; /* NULL or "": PGPASSWORD / ~/.pgpass */
	const char *spool_dir;     /* holds <region>.spool, locked (flock) while open */
	const char *region;        /* the lock is per region */
	unsigned queue_max;     /* records kept in memory; 0: 4096. More wait in the spool only */
	unsigned batch_max;     /* records per pipelined batch; 0: 256 */
	unsigned lock_retry_ms; /* a non-holder tries the lock this often; 0: 1000 */
	unsigned reconnect_min_ms; /* backoff from this ... 0: 500 */
	unsigned reconnect_max_ms; /* ... doubling up to this; 0: 30000 */
	dbw_role_fn on_role;       /* may be NULL */
	void *ctx;
};

struct dbw_stats {
	uint64_t put;         /* records accepted by dbw_put */
	uint64_t written;     /* acknowledged by the database (a replayed duplicate counts too) */
	uint64_t lost;        /* dbw_put refused: the spool could not be written */
	uint64_t rejected;    /* refused by the database for good (class 22/23): logged, dropped */
	uint64_t skipped;     /* spool lines that did not decode: logged, dropped */
	uint64_t outages;     /* connection lost or never made, counted once each */
	uint64_t batches;     /* pipelined batches sent */
	uint64_t spool_bytes; /* size of the spool file now */
	uint64_t pruned;      /* rpc_minutes rows deleted by dbw_prune_usage() */
	size_t pending;       /* records put and not yet acknowledged */
	bool connected;
	bool holder;
};

/*
 * Opens <cfg>->spool_dir/<region>.spool (created 0600, refused when another
 * process holds it), starts connecting on <loop>. Records left in the spool
 * by an earlier run are replayed first. Returns the writer, or NULL with the
 * reason in <err> (spool unusable, password file refused). Never waits for
 * the database.
 */
PF_MUSTCHECK struct dbw *dbw_open(struct ev_loop *loop, const struct dbw_cfg *cfg, char *err,
                                  size_t errlen);

/*
 * Appends <r> (copied) to the spool, durably, and queues it for the
 * database. Returns 0, or -1 when the spool cannot be written (disk full):
 * the record is counted in <lost> and logged; nothing else is affected.
 */
PF_MUSTCHECK int dbw_put(struct dbw *w, const struct db_record *r);

/*
 * Retention of the per-minute usage rows (sql/004_usage.sql): deletes this
 * region's rpc_minutes rows of minutes before <before_ms>, at most <batch>
 * rows per statement and each statement its own transaction, sent between
 * record batches, until one deletes fewer than <batch>. Nothing is
 * spooled: a pass cut short by an outage is done by the next call. A call
 * while a pass runs only moves its limit. For the region's lock holder.
 */
void dbw_prune_usage(struct dbw *w, int64_t before_ms, unsigned batch);

bool dbw_holder(const struct dbw *w);
void dbw_get_stats(const struct dbw *w, struct dbw_stats *out);

/*
 * Closes the connection (releasing the lock) and the spool, and frees <w>.
 * Records not yet acknowledged stay in the spool for the next dbw_open.
 * NULL is a no-op.
 */
void dbw_close(struct dbw *w);

#endif
