/* SPDX-License-Identifier: MIT */
/*
 * dbw_drive: ctl/db/writer.c on a libev loop, steered by a test. Commands
 * come one per line on a FIFO (--fifo, created by the test; the driver
 * keeps it open read-write, so writers never block and it never sees EOF),
 * each "<tag> <command> [args]"; the answer is one line "<tag> ..." on
 * stdout (the child's log), written after the command ran:
 *
 *   <tag> ping                          -> <tag> pong
 *   <tag> stats                         -> <tag> stats put=N written=N lost=N rejected=N
 *                                          skipped=N outages=N batches=N spool_bytes=N
 *                                          pending=N connected=0|1 holder=0|1
 *   <tag> gen KIND PREFIX FIRST COUNT AT0 -> <tag> gen ok=N fail=N
 *        records PREFIX-FIRST .. of KIND (node_change, ..., session_beat), the
 *        i-th observed at AT0 + i s (a sample: AT0 + i min), fields made from i
 *   <tag> line JSON                     -> <tag> line ok|fail REASON   (a spool line, put)
 *
 * The role callback prints "role holder=0|1 open=N" and one
 * "open id=.. chain=.. kind=.. nodes=.. started=.." per incident. SIGTERM
 * closes the writer (dbw_close) and exits 0; dbw_open failing prints
 * "dbw_open: <reason>" and exits 2. --fsize-limit BYTES stages a full disk
 * (RLIMIT_FSIZE, SIGXFSZ ignored). Built only for tests/integration/test_db_writer
 * and tests/bench/db_bench.sh.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "common/log.h"
#include "ctl/db/reccodec.h"
#include "ctl/db/writer.h"

struct drive {
	struct ev_loop *loop;
	struct dbw *w;
	int fd;
	char buf[REC_LINE_MAX + 256];
	size_t len;
	ev_io io;
	ev_signal term;
};

static void on_role(void *ctx, bool holder, const struct dbw_open_incident *open, size_t n)
{
	(void)ctx;
	printf("role holder=%d open=%zu\n", holder ? 1 : 0, n);
	for (size_t i = 0; i < n; i++)
		printf("open id=%s chain=%s kind=%s nodes=%s started=%" PRId64 "\n", open[i].id,
		       open[i].chain, open[i].kind, open[i].nodes, open[i].started_ms);
	fflush(stdout);
}

static void cp(char *dst, size_t size, const char *src)
{
	(void)snprintf(dst, size, "%s", src);
}

/* The <i>-th generated record of <kind>. */
static void gen_one(struct db_record *r, enum rec_kind kind, const char prefix[48], uint64_t i,
                    int64_t at0, const char *region)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	(void)snprintf(r->id, sizeof(r->id), "%s-%" PRIu64, prefix, i);
	cp(r->region, sizeof(r->region), region);
	r->at_ms = at0 + (int64_t)i * (kind == REC_SAMPLE || kind == REC_USAGE ? 60000 : 1000);
	switch (kind) {
	case REC_NODE_CHANGE:
		cp(r->u.node.chain, sizeof(r->u.node.chain), "polkadot");
		(void)snprintf(r->u.node.node, sizeof(r->u.node.node), "polkadot-%" PRIu64, i % 3);
		cp(r->u.node.from, sizeof(r->u.node.from), "ready");
		cp(r->u.node.to, sizeof(r->u.node.to), "drain");
		(void)snprintf(r->u.node.reason, sizeof(r->u.node.reason), "lag %" PRIu64, i);
		r->u.node.has_best = r->u.node.has_finalized = r->u.node.has_lag = true;
		r->u.node.has_peers = true;
		r->u.node.best = 21000000 + i, r->u.node.finalized = 20999998 + i;
		r->u.node.lag = i % 50, r->u.node.peers = 25;
		break;
	case REC_CHAIN_CHANGE:
		cp(r->u.chain.session, sizeof(r->u.chain.session), prefix);
		cp(r->u.chain.chain, sizeof(r->u.chain.chain), "kusama");
		cp(r->u.chain.from, sizeof(r->u.chain.from), "up");
		cp(r->u.chain.to, sizeof(r->u.chain.to), "down");
		r->u.chain.total = 3, r->u.chain.healthy = (uint32_t)(i % 4);
		r->u.chain.in_rotation = 3;
		break;
	case REC_INCIDENT_OPEN:
		cp(r->u.open.chain, sizeof(r->u.open.chain), "polkadot");
		cp(r->u.open.kind, sizeof(r->u.open.kind), "node_out");
		cp(r->u.open.severity, sizeof(r->u.open.severity), "minor");
		(void)snprintf(r->u.open.summary, sizeof(r->u.open.summary), "s %" PRIu64, i);
		cp(r->u.open.nodes, sizeof(r->u.open.nodes), "polkadot-0,polkadot-1");
		break;
	case REC_INCIDENT_CLOSE:
		break;
	case REC_OP_CHANGE:
		cp(r->u.op.kind, sizeof(r->u.op.kind), "note");
		cp(r->u.op.who, sizeof(r->u.op.who), "dbw_drive");
		(void)snprintf(r->u.op.summary, sizeof(r->u.op.summary), "note %" PRIu64, i);
		/* 400 bytes of reason: big batches fill the socket (test_big_batches). */
		memset(r->u.op.reason, 'x', 400);
		break;
	case REC_SAMPLE:
		cp(r->u.sample.chain, sizeof(r->u.sample.chain), "polkadot");
		r->u.sample.total = 3, r->u.sample.healthy = 3, r->u.sample.in_rotation = 3;
		r->u.sample.has_ref_height = true, r->u.sample.ref_height = 21000000 + i;
		break;
	case REC_SESSION_BEAT:
		cp(r->u.beat.controller, sizeof(r->u.beat.controller), "dbw_drive");
		r->u.beat.started_ms = at0;
		break;
	case REC_USAGE: /* one key's minute: <at0> must be a whole minute */
		cp(r->u.usage.controller, sizeof(r->u.usage.controller), "dbw_drive");
		cp(r->u.usage.chain, sizeof(r->u.usage.chain), "polkadot");
		cp(r->u.usage.method, sizeof(r->u.usage.method), "chain_getHeader");
		cp(r->u.usage.cls, sizeof(r->u.usage.cls), "read");
		cp(r->u.usage.status, sizeof(r->u.usage.status), "2xx");
		r->u.usage.requests = r->u.usage.calls = r->u.usage.ta_count = 10;
		r->u.usage.bytes = 3000, r->u.usage.node_ms = 20, r->u.usage.ta_sum_ms = 30;
		r->u.usage.ta.n = 1, r->u.usage.ta.le_ms[0] = 4, r->u.usage.ta.count[0] = 10;
		break;
	case REC_KIND_COUNT:
		break;
	}
}

static void cmd_gen(struct drive *d, const char *tag, const char *args, const char *region)
{
	char kind_name[32], prefix[48];
	unsigned long long first, count;
	long long at0;
	unsigned ok = 0, fail = 0;
	int kind = -1;

	if (sscanf(args, "%31s %47s %llu %llu %lld", kind_name, prefix, &first, &count, &at0) !=
	    5) {
		printf("%s gen bad arguments\n", tag);
		return;
	}
	for (int k = 0; k < REC_KIND_COUNT; k++)
		if (strcmp(rec_kind_name((enum rec_kind)k), kind_name) == 0)
			kind = k;
	for (unsigned long long i = first; kind >= 0 && i < first + count; i++) {
		struct db_record r;

		gen_one(&r, (enum rec_kind)kind, prefix, i, at0, region);
		if (dbw_put(d->w, &r) == 0)
			ok++;
		else
			fail++;
	}
	printf("%s gen ok=%u fail=%u\n", tag, ok, fail);
}

static void cmd_line(struct drive *d, const char *tag, const char *json)
{
	char line[REC_LINE_MAX + 1], err[256];
	struct db_record r;
	int n = snprintf(line, sizeof(line), "%s\n", json);

	if (n < 0 || (size_t)n >= sizeof(line) ||
	    rec_line_decode((const uint8_t *)line, (size_t)n, &r, err, sizeof(err)) != n) {
		printf("%s line fail %s\n", tag, err);
		return;
	}
	printf("%s line %s\n", tag, dbw_put(d->w, &r) == 0 ? "ok" : "fail put");
}

static void cmd_stats(struct drive *d, const char *tag)
{
	struct dbw_stats s;

	dbw_get_stats(d->w, &s);
	printf("%s stats put=%" PRIu64 " written=%" PRIu64 " lost=%" PRIu64 " rejected=%" PRIu64
	       " skipped=%" PRIu64 " outages=%" PRIu64 " batches=%" PRIu64 " spool_bytes=%" PRIu64
	       " pending=%zu connected=%d holder=%d\n",
	       tag, s.put, s.written, s.lost, s.rejected, s.skipped, s.outages, s.batches,
	       s.spool_bytes, s.pending, s.connected ? 1 : 0, s.holder ? 1 : 0);
}

static const char *g_region;

static void run_command(struct drive *d, char *line)
{
	char *tag = line, *cmd, *args;

	cmd = strchr(tag, ' ');
	if (cmd == NULL)
		return;
	*cmd++ = '\0';
	args = strchr(cmd, ' ');
	if (args != NULL)
		*args++ = '\0';
	else
		args = cmd + strlen(cmd);
	if (strcmp(cmd, "ping") == 0)
		printf("%s pong\n", tag);
	else if (strcmp(cmd, "stats") == 0)
		cmd_stats(d, tag);
	else if (strcmp(cmd, "gen") == 0)
		cmd_gen(d, tag, args, g_region);
	else if (strcmp(cmd, "line") == 0)
		cmd_line(d, tag, args);
	else
		printf("%s unknown command %s\n", tag, cmd);
	fflush(stdout);
}

static void fifo_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct drive *d = pf_container_of(io, struct drive, io);
	ssize_t n;
	char *nl;

	(void)loop;
	(void)revents;
	n = read(d->fd, d->buf + d->len, sizeof(d->buf) - 1 - d->len);
	if (n <= 0)
		return;
	d->len += (size_t)n;
	d->buf[d->len] = '\0';
	while ((nl = memchr(d->buf, '\n', d->len)) != NULL) {
		size_t used = (size_t)(nl - d->buf) + 1;

		*nl = '\0';
		run_command(d, d->buf);
		memmove(d->buf, d->buf + used, d->len - used);
		d->len -= used;
	}
	if (d->len == sizeof(d->buf) - 1)
		d->len = 0; /* a line too long for any command: dropped */
}

static void term_cb(struct ev_loop *loop, ev_signal *s, int revents)
{
	(void)s;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

static unsigned num_arg(const char *s)
{
	return (unsigned)strtoul(s, NULL, 10);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"conninfo", required_argument, NULL, 'c'},
	    {"spool-dir", required_argument, NULL, 's'},
	    {"region", required_argument, NULL, 'r'},
	    {"fifo", required_argument, NULL, 'f'},
	    {"queue-max", required_argument, NULL, 'q'},
	    {"batch-max", required_argument, NULL, 'b'},
	    {"lock-retry-ms", required_argument, NULL, 'l'},
	    {"reconnect-min-ms", required_argument, NULL, 'm'},
	    {"reconnect-max-ms", required_argument, NULL, 'M'},
	    {"password-file", required_argument, NULL, 'p'},
	    {"log-level", required_argument, NULL, 'L'},
	    {"fsize-limit", required_argument, NULL, 'F'},
	    {NULL, 0, NULL, 0},
	};
	struct dbw_cfg cfg = {.on_role = on_role};
	static struct drive d;
	const char *fifo = NULL;
	char err[512];
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cfg.conninfo = optarg;
			break;
		case 's':
			cfg.spool_dir = optarg;
			break;
		case 'r':
			cfg.region = optarg;
			break;
		case 'f':
			fifo = optarg;
			break;
		case 'q':
			cfg.queue_max = num_arg(optarg);
			break;
		case 'b':
			cfg.batch_max = num_arg(optarg);
			break;
		case 'l':
			cfg.lock_retry_ms = num_arg(optarg);
			break;
		case 'm':
			cfg.reconnect_min_ms = num_arg(optarg);
			break;
		case 'M':
			cfg.reconnect_max_ms = num_arg(optarg);
			break;
		case 'p':
			cfg.password_file = optarg;
			break;
		case 'F': {
			/* A full disk, staged: writes past the limit fail with EFBIG. */
			struct rlimit rl = {strtoul(optarg, NULL, 10), strtoul(optarg, NULL, 10)};

			if (setrlimit(RLIMIT_FSIZE, &rl) == -1 ||
			    signal(SIGXFSZ, SIG_IGN) == SIG_ERR)
				return 2;
			break;
		}
		case 'L':
			if (!pf_log_level_parse(optarg, &pf_log_threshold))
				return 2;
			break;
		default:
			return 2;
		}
	}
	if (fifo == NULL || cfg.region == NULL) {
		fprintf(stderr, "dbw_drive: --fifo and --region are needed\n");
		return 2;
	}
	g_region = cfg.region;
	d.loop = ev_default_loop(0);
	d.fd = open(fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (d.fd == -1) {
		fprintf(stderr, "dbw_drive: %s: %s\n", fifo, strerror(errno));
		return 2;
	}
	d.w = dbw_open(d.loop, &cfg, err, sizeof(err));
	if (d.w == NULL) {
		printf("dbw_open: %s\n", err);
		close(d.fd);
		return 2;
	}
	ev_io_init(&d.io, fifo_cb, d.fd, EV_READ);
	ev_io_start(d.loop, &d.io);
	ev_signal_init(&d.term, term_cb, SIGTERM);
	ev_signal_start(d.loop, &d.term);
	printf("ready\n");
	fflush(stdout);
	ev_run(d.loop, 0);
	ev_io_stop(d.loop, &d.io);
	ev_signal_stop(d.loop, &d.term);
	dbw_close(d.w);
	close(d.fd);
	/* Every watcher gone: nothing of the writer is left on the loop. */
	c = ev_run(d.loop, EVRUN_NOWAIT);
	ev_loop_destroy(d.loop);
	return c == 0 ? 0 : 3;
}
