/* SPDX-License-Identifier: MIT */
/*
 * SPOP load generator for polkfura-spoa: opens --conns connections, says
 * HAPROXY-HELLO on each (pipelining), then keeps --depth NOTIFY frames in
 * flight per connection for --duration seconds (or --frames frames), the way
 * HAProxy drives an agent. Bodies are the real @polkadot/api requests,
 * round-robin, or one --body file. Every ACK is checked (stream and frame id,
 * class present and equal to what the agent answered for that body before the
 * run). Prints frames/s, send->ACK latency percentiles from a fixed histogram
 * and, with --agent-pid, the agent's CPU time (utime+stime of /proc/PID/stat)
 * as frames per agent CPU-second. A benchmark tool, not a test: single
 * threaded (epoll), one process. Exit 0, 1 on any bad ACK or I/O error, 2 on
 * bad flags.
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "common/compiler.h"
#include "tests/harness/spop_client.c" /* the test SPOP client, built into this binary */

#define LG_DEFAULT_BODIES "tests/data/requests/polkadot-api-http-*.json"
#define LG_DEFAULT_HOST   "polkadot.example.org"
#define LG_MAX_BODIES     64
#define LG_MAX_BODY       60000 /* a NOTIFY must fit HAProxy's max-frame-size 65532 */
#define LG_FRAME_EXTRA    128   /* frame bytes beyond the body: header, names, host */
#define LG_MAX_FRAME      65532
#define LG_RBUF           (256u * 1024u)
#define LG_MSG            "rpc-request"
#define LG_DRAIN_SECONDS  5.0

/* Latency histogram, ns: exact below 128, then 64 sub-buckets per power of two (~1.6%). */
#define LG_HIST_SUB  64
#define LG_HIST_SIZE (128 + (64 - 7) * LG_HIST_SUB)

struct lg_opts {
	int port;
	const char *unix_path; /* instead of <port> */
	unsigned conns;
	unsigned depth;
	double duration;
	double warmup;
	uint64_t frames; /* 0: run for <duration> */
	const char *bodies_glob;
	const char *body_file; /* NULL: <bodies_glob> */
	const char *host;
	long agent_pid; /* 0: not measured */
	bool verbose;
};

struct lg_body {
	char name[64];
	uint8_t *p; /* owned */
	size_t len;
	char cls[SPC_STR_MAX];    /* the agent's answer before the run */
	char method[SPC_STR_MAX]; /* idem, for the report */
};

struct lg_slot {
	bool busy;
	unsigned body;
	uint64_t stream_id, frame_id;
	uint64_t sent_ns;
};

struct lg_conn {
	int fd;
	unsigned idx;
	bool want_out; /* EPOLLOUT is registered */
	uint8_t *rbuf; /* owned, LG_RBUF bytes */
	size_t rlen;
	uint8_t *wbuf; /* owned, wcap bytes */
	size_t wlen, woff, wcap;
	struct lg_slot *slots; /* owned, depth entries */
	unsigned *free_slots;  /* owned stack of free slot indexes */
	unsigned n_free;
};

struct lg_run {
	const struct lg_opts *o;
	struct lg_body bodies[LG_MAX_BODIES];
	unsigned n_bodies, next_body;
	struct lg_conn *conns; /* owned, o->conns entries */
	int ep;
	uint64_t next_stream;
	bool measuring, sending;
	uint64_t sent_measured; /* frames sent while measuring (for --frames) */
	uint64_t acked;         /* ACKs received while measuring */
	uint64_t errors;
	uint64_t inflight;
	uint64_t last_ack_ns;
	uint64_t hist[LG_HIST_SIZE];
	uint64_t lat_sum_ns, lat_max_ns;
};

static uint64_t lg_now_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static unsigned lg_hist_index(uint64_t v)
{
	unsigned m, shift;

	if (v < 128)
		return (unsigned)v;
	m = 63u - (unsigned)__builtin_clzll(v);
	shift = m - 6;
	return 128u + (m - 7) * LG_HIST_SUB + (unsigned)((v >> shift) - LG_HIST_SUB);
}

/* Midpoint of bucket <i>, ns. */
static double lg_hist_value(unsigned i)
{
	unsigned m, sub;

	if (i < 128)
		return (double)i;
	m = 7 + (i - 128) / LG_HIST_SUB;
	sub = (i - 128) % LG_HIST_SUB + LG_HIST_SUB;
	return ((double)sub + 0.5) * (double)(1ull << (m - 6));
}

/* Latency at quantile <q> (0..1), µs. */
static double lg_hist_quantile_us(const struct lg_run *r, double q)
{
	uint64_t total = 0, want, acc = 0;

	for (unsigned i = 0; i < LG_HIST_SIZE; i++)
		total += r->hist[i];
	if (total == 0)
		return 0;
	want = (uint64_t)(q * (double)total);
	if (want < 1)
		want = 1;
	for (unsigned i = 0; i < LG_HIST_SIZE; i++) {
		acc += r->hist[i];
		if (acc >= want)
			return lg_hist_value(i) / 1e3;
	}
	return (double)r->lat_max_ns / 1e3;
}

/* utime+stime of process <pid>, seconds; -1 when unreadable. */
static double lg_proc_cpu(long pid, double *user, double *sys)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	long tck = sysconf(_SC_CLK_TCK);
	FILE *f;
	size_t n;

	(void)snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	(void)fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
	if (p == NULL || tck <= 0)
		return -1;
	/* After ") ": field 3 (state) ... field 14 utime, field 15 stime. */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	*user = (double)ut / (double)tck;
	*sys = (double)st / (double)tck;
	return *user + *sys;
}

/* Busy CPU time of the whole machine (all CPUs, /proc/stat), seconds; 0 when unreadable. */
static double lg_box_busy(void)
{
	unsigned long long v[8] = {0};
	long tck = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (f == NULL)
		return 0;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
	           &v[4], &v[5], &v[6], &v[7]);
	(void)fclose(f);
	if (n != 8 || tck <= 0)
		return 0;
	/* user nice system [idle iowait] irq softirq steal */
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)tck;
}

static double lg_self_cpu(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int lg_load_body(struct lg_run *r, const char *path)
{
	struct lg_body *b;
	const char *base = strrchr(path, '/');
	FILE *f;
	uint8_t *buf;
	size_t n;

	if (r->n_bodies == LG_MAX_BODIES) {
		fprintf(stderr, "spop_load: more than %d bodies\n", LG_MAX_BODIES);
		return -1;
	}
	f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "spop_load: %s: %s\n", path, strerror(errno));
		return -1;
	}
	buf = malloc(LG_MAX_BODY + 1);
	if (buf == NULL) {
		(void)fclose(f);
		return -1;
	}
	n = fread(buf, 1, LG_MAX_BODY + 1, f);
	(void)fclose(f);
	if (n > LG_MAX_BODY) {
		fprintf(stderr, "spop_load: %s: larger than %d bytes\n", path, LG_MAX_BODY);
		free(buf);
		return -1;
	}
	b = &r->bodies[r->n_bodies++];
	b->p = buf;
	b->len = n;
	(void)snprintf(b->name, sizeof(b->name), "%s", base != NULL ? base + 1 : path);
	return 0;
}

static int lg_load_bodies(struct lg_run *r)
{
	glob_t g;
	int rc = 0;

	if (r->o->body_file != NULL)
		return lg_load_body(r, r->o->body_file);
	if (glob(r->o->bodies_glob, 0, NULL, &g) != 0) {
		fprintf(stderr, "spop_load: no file matches %s\n", r->o->bodies_glob);
		return -1;
	}
	for (size_t i = 0; i < g.gl_pathc && rc == 0; i++)
		rc = lg_load_body(r, g.gl_pathv[i]);
	globfree(&g);
	return rc;
}

/* Blocking HELLO exchange on a fresh connection. */
static int lg_hello(int fd)
{
	uint8_t buf[512];
	struct spc_reply rep;
	size_t n = spc_hello(buf, sizeof(buf), "2.0", LG_MAX_FRAME, "pipelining", false);

	if (n == 0 || spc_send_all(fd, buf, n) == -1 || spc_read_reply(fd, &rep, 2000) != 1) {
		fprintf(stderr, "spop_load: HELLO: no answer\n");
		return -1;
	}
	if (rep.type != 101 || strcmp(rep.version, "2.0") != 0) {
		fprintf(stderr, "spop_load: HELLO: got frame type %d (status %u \"%s\")\n",
		        rep.type, rep.status_code, rep.message);
		return -1;
	}
	return 0;
}

/* Sends each body once on <fd> and records the agent's class and method for it. */
static int lg_preflight(struct lg_run *r, int fd)
{
	size_t cap = LG_MAX_BODY + LG_FRAME_EXTRA;
	uint8_t *buf = malloc(cap);
	int rc = 0;

	if (buf == NULL)
		return -1;
	for (unsigned i = 0; i < r->n_bodies && rc == 0; i++) {
		struct lg_body *b = &r->bodies[i];
		struct spc_reply rep;
		size_t n = spc_notify(buf, cap, 1, i + 1, LG_MSG, r->o->host, b->p, b->len,
		                      (int64_t)b->len);

		if (n == 0 || spc_send_all(fd, buf, n) == -1 ||
		    spc_read_reply(fd, &rep, 2000) != 1) {
			fprintf(stderr, "spop_load: %s: no ACK\n", b->name);
			rc = -1;
		} else if (rep.type != 103 || !rep.has_class || rep.frame_id != i + 1) {
			fprintf(stderr, "spop_load: %s: bad ACK (type %d, class %s)\n", b->name,
			        rep.type, rep.has_class ? rep.cls : "-");
			rc = -1;
		} else {
			memcpy(b->cls, rep.cls, sizeof(b->cls));
			memcpy(b->method, rep.has_method ? rep.method : "-", sizeof(b->method));
		}
	}
	free(buf);
	return rc;
}

/* A blocking connection to the agent: 127.0.0.1:<port> (TCP_NODELAY) or a unix socket. */
static int lg_connect(const struct lg_opts *o)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t n;
	int fd;

	if (o->unix_path == NULL)
		return spc_connect(o->port);
	n = strlen(o->unix_path);
	if (n >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, o->unix_path, n + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* "127.0.0.1:PORT" or "unix:PATH", for messages. */
static const char *lg_target(const struct lg_opts *o)
{
	static char buf[160];

	if (o->unix_path != NULL)
		(void)snprintf(buf, sizeof(buf), "unix:%s", o->unix_path);
	else
		(void)snprintf(buf, sizeof(buf), "127.0.0.1:%d", o->port);
	return buf;
}

static int lg_conn_open(struct lg_run *r, struct lg_conn *c, unsigned idx)
{
	const struct lg_opts *o = r->o;
	size_t maxb = 0;
	struct epoll_event ev = {.events = EPOLLIN};

	for (unsigned i = 0; i < r->n_bodies; i++)
		maxb = r->bodies[i].len > maxb ? r->bodies[i].len : maxb;
	c->idx = idx;
	c->wcap = (size_t)o->depth * (maxb + LG_FRAME_EXTRA);
	c->rbuf = malloc(LG_RBUF);
	c->wbuf = malloc(c->wcap);
	c->slots = calloc(o->depth, sizeof(*c->slots));
	c->free_slots = calloc(o->depth, sizeof(*c->free_slots));
	if (c->rbuf == NULL || c->wbuf == NULL || c->slots == NULL || c->free_slots == NULL) {
		fprintf(stderr, "spop_load: out of memory\n");
		return -1;
	}
	for (unsigned i = 0; i < o->depth; i++)
		c->free_slots[c->n_free++] = o->depth - 1 - i;
	c->fd = lg_connect(o);
	if (c->fd == -1) {
		fprintf(stderr, "spop_load: connect %s: %s\n", lg_target(o), strerror(errno));
		return -1;
	}
	if (lg_hello(c->fd) == -1)
		return -1;
	if (idx == 0 && lg_preflight(r, c->fd) == -1)
		return -1;
	if (fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK) == -1)
		return -1;
	ev.data.ptr = c;
	return epoll_ctl(r->ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void lg_conn_close(struct lg_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->rbuf);
	free(c->wbuf);
	free(c->slots);
	free(c->free_slots);
}

static void lg_want_out(struct lg_run *r, struct lg_conn *c, bool on)
{
	struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0u), .data.ptr = c};

	if (c->want_out == on)
		return;
	c->want_out = on;
	(void)epoll_ctl(r->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes what is queued; returns -1 on a write error. */
static int lg_flush(struct lg_run *r, struct lg_conn *c)
{
	while (c->woff < c->wlen) {
		ssize_t n = write(c->fd, c->wbuf + c->woff, c->wlen - c->woff);

		if (n > 0) {
			c->woff += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			lg_want_out(r, c, true);
			return 0;
		}
		fprintf(stderr, "spop_load: conn %u: write: %s\n", c->idx, strerror(errno));
		return -1;
	}
	c->woff = c->wlen = 0;
	lg_want_out(r, c, false);
	return 0;
}

/* Queues a NOTIFY in every free slot (while sending) and writes them. */
static int lg_fill(struct lg_run *r, struct lg_conn *c, uint64_t now)
{
	const struct lg_opts *o = r->o;

	if (c->woff > 0) {
		memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
		c->wlen -= c->woff;
		c->woff = 0;
	}
	while (r->sending && c->n_free > 0) {
		unsigned s = c->free_slots[c->n_free - 1];
		struct lg_slot *sl = &c->slots[s];
		const struct lg_body *b;
		size_t n;

		if (o->frames > 0 && r->measuring && r->sent_measured >= o->frames) {
			r->sending = false;
			break;
		}
		sl->body = r->next_body;
		r->next_body = (r->next_body + 1) % r->n_bodies;
		b = &r->bodies[sl->body];
		sl->stream_id = ++r->next_stream;
		/* Slot <s> carries frame ids s+1, s+1+depth, ...: the ACK names its slot. */
		sl->frame_id = sl->frame_id == 0 ? s + 1 : sl->frame_id + o->depth;
		n = spc_notify(c->wbuf + c->wlen, c->wcap - c->wlen, sl->stream_id, sl->frame_id,
		               LG_MSG, o->host, b->p, b->len, (int64_t)b->len);
		PF_BUG_ON(n == 0); /* wcap holds <depth> of the largest frame */
		c->wlen += n;
		c->n_free--;
		sl->busy = true;
		sl->sent_ns = now;
		r->inflight++;
		r->sent_measured += r->measuring;
	}
	return lg_flush(r, c);
}

static void lg_on_ack(struct lg_run *r, struct lg_conn *c, const struct spc_reply *rep,
                      uint64_t now)
{
	const struct lg_opts *o = r->o;
	unsigned s = (unsigned)((rep->frame_id - 1) % o->depth);
	struct lg_slot *sl = &c->slots[s];
	uint64_t lat;

	if (rep->frame_id == 0 || !sl->busy || sl->frame_id != rep->frame_id ||
	    sl->stream_id != rep->stream_id) {
		if (r->errors++ < 5)
			fprintf(stderr,
			        "spop_load: conn %u: ACK for unknown stream %" PRIu64
			        " frame %" PRIu64 "\n",
			        c->idx, rep->stream_id, rep->frame_id);
		return;
	}
	if (!rep->has_class || strcmp(rep->cls, r->bodies[sl->body].cls) != 0) {
		if (r->errors++ < 5)
			fprintf(stderr, "spop_load: %s: class %s, expected %s\n",
			        r->bodies[sl->body].name, rep->has_class ? rep->cls : "(none)",
			        r->bodies[sl->body].cls);
	}
	sl->busy = false;
	c->free_slots[c->n_free++] = s;
	r->inflight--;
	if (!r->measuring)
		return;
	lat = now - sl->sent_ns;
	r->hist[lg_hist_index(lat)]++;
	r->lat_sum_ns += lat;
	if (lat > r->lat_max_ns)
		r->lat_max_ns = lat;
	r->acked++;
	r->last_ack_ns = now;
}

/* Reads and handles every whole frame; returns -1 on EOF, error or a non-ACK frame. */
static int lg_read(struct lg_run *r, struct lg_conn *c, uint64_t now)
{
	ssize_t n = read(c->fd, c->rbuf + c->rlen, LG_RBUF - c->rlen);
	size_t off = 0;

	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		fprintf(stderr, "spop_load: conn %u: %s\n", c->idx,
		        n == 0 ? "agent closed the connection" : strerror(errno));
		return -1;
	}
	c->rlen += (size_t)n;
	for (;;) {
		struct spc_reply rep;
		long k = spc_parse(c->rbuf + off, c->rlen - off, &rep);

		if (k == 0)
			break;
		if (k < 0 || rep.type != 103) {
			fprintf(stderr, "spop_load: conn %u: %s (type %d, status %u \"%s\")\n",
			        c->idx, k < 0 ? "malformed frame" : "unexpected frame", rep.type,
			        rep.status_code, rep.message);
			r->errors++;
			return -1;
		}
		lg_on_ack(r, c, &rep, now);
		off += (size_t)k;
	}
	memmove(c->rbuf, c->rbuf + off, c->rlen - off);
	c->rlen -= off;
	return 0;
}

/* Says HAPROXY-DISCONNECT on each connection and waits briefly for the agent's answer. */
static void lg_goodbye(struct lg_run *r)
{
	for (unsigned i = 0; i < r->o->conns; i++) {
		struct lg_conn *c = &r->conns[i];
		struct spc_reply rep;
		uint8_t buf[128];
		size_t n = spc_disconnect(buf, sizeof(buf), 0, "normal");

		if (c->fd < 0)
			continue;
		(void)fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) & ~O_NONBLOCK);
		if (n == 0 || spc_send_all(c->fd, buf, n) == -1)
			continue;
		while (spc_read_reply(c->fd, &rep, 1000) == 1 && rep.type != 102)
			;
	}
}

/* The event loop: warm-up, measured run, drain. Returns -1 on an I/O error. */
/* CPU counters at the start of the measured run, seconds. */
struct lg_snap {
	double agent;     /* -1: not measured */
	double agent_sys; /* the kernel's part of <agent> */
	double self;
	double box;
};

static void lg_snap_take(const struct lg_opts *o, struct lg_snap *sn)
{
	double u, s = 0;

	sn->agent = o->agent_pid > 0 ? lg_proc_cpu(o->agent_pid, &u, &s) : -1;
	sn->agent_sys = s;
	sn->self = lg_self_cpu();
	sn->box = lg_box_busy();
}

static int lg_loop(struct lg_run *r, uint64_t *t_start, struct lg_snap *sn)
{
	const struct lg_opts *o = r->o;
	uint64_t t0 = lg_now_ns(), warm_end, run_end = UINT64_MAX, drain_end = UINT64_MAX;
	struct epoll_event evs[64];

	warm_end = t0 + (uint64_t)(o->warmup * 1e9);
	r->sending = true;
	for (unsigned i = 0; i < o->conns; i++)
		if (lg_fill(r, &r->conns[i], t0) == -1)
			return -1;
	for (;;) {
		int n = epoll_wait(r->ep, evs, (int)PF_ARRAY_SIZE(evs), 10);
		uint64_t now = lg_now_ns();

		if (n == -1 && errno != EINTR)
			return -1;
		for (int i = 0; i < n; i++) {
			struct lg_conn *c = evs[i].data.ptr;

			if ((evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0 &&
			    lg_read(r, c, now) == -1)
				return -1;
			if ((evs[i].events & EPOLLOUT) != 0 && lg_flush(r, c) == -1)
				return -1;
		}
		if (!r->measuring && now >= warm_end) {
			r->measuring = true;
			*t_start = now;
			lg_snap_take(o, sn);
			if (o->frames == 0)
				run_end = now + (uint64_t)(o->duration * 1e9);
		}
		if (r->sending && now >= run_end)
			r->sending = false;
		if (!r->sending && drain_end == UINT64_MAX)
			drain_end = now + (uint64_t)(LG_DRAIN_SECONDS * 1e9);
		if (r->inflight == 0 && !r->sending)
			return 0;
		if (now >= drain_end) {
			fprintf(stderr, "spop_load: %" PRIu64 " frames never answered\n",
			        r->inflight);
			r->errors += r->inflight;
			return 0;
		}
		for (unsigned i = 0; i < o->conns; i++)
			if (lg_fill(r, &r->conns[i], now) == -1)
				return -1;
	}
}

static void lg_report(const struct lg_run *r, uint64_t t_start, const struct lg_snap *sn)
{
	const struct lg_opts *o = r->o;
	double secs = (double)(r->last_ack_ns - t_start) / 1e9;
	double fps = secs > 0 ? (double)r->acked / secs : 0, self = lg_self_cpu() - sn->self;
	double p50 = lg_hist_quantile_us(r, 0.50), p99 = lg_hist_quantile_us(r, 0.99);
	double p999 = lg_hist_quantile_us(r, 0.999), cpu = -1, fpc = 0, u = 0, s = 0, sys_pct = 0;
	double box = lg_box_busy() - sn->box;
	size_t minb = SIZE_MAX, maxb = 0;

	for (unsigned i = 0; i < r->n_bodies; i++) {
		minb = r->bodies[i].len < minb ? r->bodies[i].len : minb;
		maxb = r->bodies[i].len > maxb ? r->bodies[i].len : maxb;
	}
	if (sn->agent >= 0) {
		cpu = lg_proc_cpu(o->agent_pid, &u, &s);
		if (cpu >= 0)
			cpu -= sn->agent;
		fpc = cpu > 0 ? (double)r->acked / cpu : 0;
		sys_pct = cpu > 0 ? (s - sn->agent_sys) / cpu * 100 : 0;
	}
	printf("spop_load: %s conns=%u depth=%u bodies=%u (%zu..%zu bytes) "
	       "measured %.2f s after %.1f s warm-up\n",
	       lg_target(o), o->conns, o->depth, r->n_bodies, minb, maxb, secs, o->warmup);
	printf("  frames       %" PRIu64 " acked, %.0f frames/s, %" PRIu64 " bad\n", r->acked, fps,
	       r->errors);
	printf(
	    "  latency      p50 %.1f us  p99 %.1f us  p99.9 %.1f us  mean %.1f us  max %.1f us\n",
	    p50, p99, p999, r->acked ? (double)r->lat_sum_ns / (double)r->acked / 1e3 : 0.0,
	    (double)r->lat_max_ns / 1e3);
	if (cpu >= 0)
		printf("  agent CPU    %.2f s = %.0f frames per agent CPU-second (%.2f cores busy, "
		       "%.0f %% of it in the kernel)\n",
		       cpu, fpc, secs > 0 ? cpu / secs : 0.0, sys_pct);
	printf("  loadgen CPU  %.2f s (%.2f cores busy%s)\n", self, secs > 0 ? self / secs : 0.0,
	       secs > 0 && self / secs > 0.95 ? ": the load generator may be the bottleneck" : "");
	printf("  machine CPU  %.2f of %ld cores busy (other processes: %.2f)\n",
	       secs > 0 ? box / secs : 0.0, sysconf(_SC_NPROCESSORS_ONLN),
	       secs > 0 ? (box - self - (cpu > 0 ? cpu : 0)) / secs : 0.0);
	printf("RESULT frames=%" PRIu64 " secs=%.3f fps=%.0f p50_us=%.1f p99_us=%.1f "
	       "p999_us=%.1f agent_cpu_s=%.3f frames_per_agent_cpu_s=%.0f loadgen_cpu_s=%.3f "
	       "box_busy_cores=%.2f bad=%" PRIu64 " agent_sys_pct=%.0f\n",
	       r->acked, secs, fps, p50, p99, p999, cpu, fpc, self, secs > 0 ? box / secs : 0.0,
	       r->errors, sys_pct);
}

static void lg_usage(FILE *out)
{
	fprintf(out,
	        "usage: spop_load --port PORT | --unix PATH [options]\n"
	        "Drives polkfura-spoa over SPOP like HAProxy: HELLO, then pipelined NOTIFY\n"
	        "frames (message rpc-request: host, body, size); checks every ACK.\n\n"
	        "  --port PORT       agent port on 127.0.0.1\n"
	        "  --unix PATH       or the agent's unix socket (its --listen unix:PATH)\n"
	        "  --conns N         connections (default 4)\n"
	        "  --depth D         NOTIFY frames in flight per connection (default 64)\n"
	        "  --duration S      measured seconds (default 5)\n"
	        "  --frames N        measure N frames instead of a duration\n"
	        "  --warmup S        unmeasured seconds first (default 0.5)\n"
	        "  --bodies GLOB     request bodies, sent round-robin\n"
	        "                    (default %s)\n"
	        "  --body FILE       send this one body only\n"
	        "  --host NAME       the host argument (default %s)\n"
	        "  --agent-pid PID   report the agent's CPU time (/proc/PID/stat) and\n"
	        "                    frames per agent CPU-second\n"
	        "  --verbose         print each body's class and method before the run\n"
	        "  --help\n\n"
	        "Output ends with one machine-readable line: RESULT key=value ...\n"
	        "Exit status: 0 ok, 1 a bad ACK or I/O error, 2 bad flags.\n",
	        LG_DEFAULT_BODIES, LG_DEFAULT_HOST);
}

static bool lg_num(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool lg_uint(const char *s, double min, double max, uint64_t *out)
{
	double v;

	if (!lg_num(s, min, max, &v) || v != (double)(uint64_t)v)
		return false;
	*out = (uint64_t)v;
	return true;
}

/* Returns 0 to run, 1 after --help, 2 on a bad flag. */
static int lg_parse(int argc, char **argv, struct lg_opts *o)
{
	static const struct option longopts[] = {
	    {"port", required_argument, NULL, 'p'},
	    {"unix", required_argument, NULL, 'u'},
	    {"conns", required_argument, NULL, 'c'},
	    {"depth", required_argument, NULL, 'd'},
	    {"duration", required_argument, NULL, 't'},
	    {"frames", required_argument, NULL, 'n'},
	    {"warmup", required_argument, NULL, 'w'},
	    {"bodies", required_argument, NULL, 'g'},
	    {"body", required_argument, NULL, 'b'},
	    {"host", required_argument, NULL, 'H'},
	    {"agent-pid", required_argument, NULL, 'a'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch, li = -1;
	uint64_t u = 0;

	while ((ch = getopt_long(argc, argv, "", longopts, &li)) != -1) {
		bool ok = true;

		switch (ch) {
		case 'p':
			ok = lg_uint(optarg, 1, 65535, &u);
			o->port = (int)u;
			break;
		case 'u':
			o->unix_path = optarg;
			break;
		case 'c':
			ok = lg_uint(optarg, 1, 1024, &u);
			o->conns = (unsigned)u;
			break;
		case 'd':
			ok = lg_uint(optarg, 1, 65536, &u);
			o->depth = (unsigned)u;
			break;
		case 't':
			ok = lg_num(optarg, 0.01, 3600, &o->duration);
			break;
		case 'n':
			ok = lg_uint(optarg, 1, 1e15, &o->frames);
			break;
		case 'w':
			ok = lg_num(optarg, 0, 3600, &o->warmup);
			break;
		case 'g':
			o->bodies_glob = optarg;
			break;
		case 'b':
			o->body_file = optarg;
			break;
		case 'H':
			o->host = optarg;
			break;
		case 'a':
			ok = lg_uint(optarg, 1, 4194304, &u);
			o->agent_pid = (long)u;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			lg_usage(stdout);
			return 1;
		default:
			lg_usage(stderr);
			return 2;
		}
		if (!ok) {
			fprintf(stderr, "spop_load: --%s: bad value \"%s\"\n", longopts[li].name,
			        optarg);
			return 2;
		}
	}
	if (optind != argc || (o->port == 0) == (o->unix_path == NULL)) {
		fprintf(stderr, "spop_load: %s\n",
		        optind != argc ? "unexpected argument" : "give one of --port and --unix");
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct lg_run run; /* the histogram is large: keep it off the stack */
	struct lg_opts o = {
	    .conns = 4,
	    .depth = 64,
	    .duration = 5,
	    .warmup = 0.5,
	    .bodies_glob = LG_DEFAULT_BODIES,
	    .host = LG_DEFAULT_HOST,
	};
	struct lg_snap sn = {.agent = -1};
	uint64_t t_start = 0;
	int rc = lg_parse(argc, argv, &o);

	if (rc != 0)
		return rc == 1 ? 0 : 2;
	(void)signal(SIGPIPE, SIG_IGN);
	run.o = &o;
	run.ep = epoll_create1(EPOLL_CLOEXEC);
	run.conns = calloc(o.conns, sizeof(*run.conns));
	if (run.ep == -1 || run.conns == NULL || lg_load_bodies(&run) == -1)
		return 1;
	for (unsigned i = 0; i < o.conns; i++)
		run.conns[i].fd = -1;
	rc = 0;
	for (unsigned i = 0; i < o.conns && rc == 0; i++)
		rc = lg_conn_open(&run, &run.conns[i], i);
	if (rc == 0 && o.verbose)
		for (unsigned i = 0; i < run.n_bodies; i++)
			printf("  body %-32s %5zu bytes  class %-9s method %s\n",
			       run.bodies[i].name, run.bodies[i].len, run.bodies[i].cls,
			       run.bodies[i].method);
	if (rc == 0)
		rc = lg_loop(&run, &t_start, &sn);
	if (rc == 0) {
		lg_report(&run, t_start, &sn);
		lg_goodbye(&run);
	}
	for (unsigned i = 0; i < o.conns; i++)
		lg_conn_close(&run.conns[i]);
	for (unsigned i = 0; i < run.n_bodies; i++)
		free(run.bodies[i].p);
	free(run.conns);
	close(run.ep);
	return rc != 0 || run.errors > 0 || run.acked == 0 ? 1 : 0;
}
