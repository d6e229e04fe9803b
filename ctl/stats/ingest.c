/* SPDX-License-Identifier: MIT */
/*
 * The socket and the clock around the pure pieces. recvmmsg() takes up to
 * INGEST_VLEN datagrams per call, INGEST_CALLS_MAX calls per wakeup; libev
 * calls back while more wait, with the other watchers served in between.
 *
 * The second tick runs on an ev_periodic at whole seconds of the wall
 * clock: the snapshot it takes holds the lines of the second before, and
 * belongs to the minute that second is in.
 */
#include "ctl/stats/ingest.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/text.h"
#include "ctl/stats/agg.h"
#include "ctl/stats/logline.h"
#include "ctl/stats/methtab.h"
#include "ctl/stats/statsprom.h"
#include "ctl/stats/syslog.h"

#define MOD "ingest"

#define INGEST_VLEN      64
#define INGEST_CALLS_MAX 16 /* 1,024 datagrams per wakeup at most */
#define MINUTE_MS        60000

struct ingest {
	struct ev_loop *loop; /* borrowed */
	struct pf_addr addr;
	int fd;
	bool bound; /* the unix path is ours to remove */
	ev_io io;
	ev_periodic tick;
	struct agg *agg;         /* owned */
	struct methtab *methods; /* owned */
	struct rowtab minute;    /* the minute being filled */
	struct rowtab total;     /* since the start: /metrics */
	int64_t minute_ms;       /* of <minute>; -1 before the first snapshot */
	ingest_minute_fn on_minute;
	void *ctx;
	struct statsprom_health h;
	uint32_t last_ovfl; /* SO_RXQ_OVFL as last read: the kernel's count since the bind */
	int64_t last_reject_log_ms;
	char reject_sample[96]; /* the start of a rejected datagram, printable, for the log */
	/* recvmmsg's vectors and buffers: owned, allocated once */
	struct mmsghdr *msgs;
	struct iovec *iov;
	uint8_t *bufs;
	uint8_t *ctl; /* control data, one CMSG_SPACE(uint32_t) per message */
};

#define CTL_LEN CMSG_SPACE(sizeof(uint32_t))

/* ---- the socket ---- */

static int bind_unix(const struct pf_addr *a, const char *group, int fd, bool *bound, char *err,
                     size_t errlen)
{
	const char *path = ((const struct sockaddr_un *)&a->ss)->sun_path;
	struct stat st;
	gid_t gid = (gid_t)-1;

	if (group != NULL && group[0] != '\0') {
		struct group *gr = getgrnam(group);
		char *end;
		unsigned long v = strtoul(group, &end, 10);

		if (gr != NULL)
			gid = gr->gr_gid;
		else if (*end == '\0' && group[0] >= '0' && group[0] <= '9')
			gid = (gid_t)v;
		else {
			pf_errf(err, errlen, "log_socket_group %s: no such group", group);
			return -1;
		}
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			pf_errf(err, errlen,
			        "log_listen %s: exists and is not a socket: not removed", path);
			return -1;
		}
		(void)unlink(path); /* a stale socket of an earlier run */
	}
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) == -1) {
		pf_errf(err, errlen, "log_listen unix:%s: %s", path, strerror(errno));
		return -1;
	}
	*bound = true;
	if (chmod(path, 0660) == -1 || (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) == -1)) {
		pf_errf(err, errlen, "log_listen unix:%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static void set_rcvbuf(struct ingest *in, unsigned bytes)
{
	int v = (int)bytes;
	socklen_t sl = sizeof(v);

	/* FORCE passes net.core.rmem_max with CAP_NET_ADMIN; without it, the plain one is capped.
	 */
	if (setsockopt(in->fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) == -1)
		(void)setsockopt(in->fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	if (getsockopt(in->fd, SOL_SOCKET, SO_RCVBUF, &v, &sl) == 0)
		in->h.rcvbuf = v;
	if (in->h.rcvbuf < (int)bytes)
		log_warn(MOD,
		         "msg=\"log socket buffer smaller than asked\" asked=%u got=%d "
		         "hint=\"raise net.core.rmem_max\"",
		         bytes, in->h.rcvbuf);
}

static int open_socket(struct ingest *in, const struct ingest_cfg *cfg, char *err, size_t errlen)
{
	int one = 1;
	char name[160];

	in->fd = socket(in->addr.ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (in->fd == -1) {
		pf_errf(err, errlen, "log_listen: socket: %s", strerror(errno));
		return -1;
	}
	set_rcvbuf(in, cfg->rcvbuf);
	if (in->addr.is_unix)
		return bind_unix(&in->addr, cfg->group, in->fd, &in->bound, err, errlen);
	in->h.udp = true;
	if (setsockopt(in->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) == -1 ||
	    bind(in->fd, (const struct sockaddr *)&in->addr.ss, in->addr.len) == -1) {
		pf_errf(err, errlen, "log_listen udp:%s: %s",
		        pf_addr_str(&in->addr, name, sizeof(name)), strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- reading ---- */

static void keep_sample(struct ingest *in, const uint8_t *p, size_t len)
{
	if (in->reject_sample[0] == '\0')
		(void)pf_printable(in->reject_sample, sizeof(in->reject_sample), (const char *)p,
		                   len, "\"");
}

static void count_one(struct ingest *in, const uint8_t *p, size_t len, bool truncated)
{
	struct syslog_msg m;
	struct logline l;
	enum syslog_err se;
	enum logline_err le;

	in->h.datagrams++;
	in->h.bytes += len;
	if (truncated) {
		in->h.truncated++;
		agg_reject_syslog(in->agg, SYSLOG_ERR_TOO_LONG);
		return;
	}
	if (syslog_parse(p, len, &m, &se) < 0) {
		agg_reject_syslog(in->agg, se);
		keep_sample(in, p, len);
		return;
	}
	if (logline_parse(m.msg.p, m.msg.len, methtab_lookup, in->methods, &l, &le) < 0) {
		agg_reject_logline(in->agg, le);
		if (le != LOGLINE_ERR_NOT_ACCESS)
			keep_sample(in, p, len);
		return;
	}
	agg_add(in->agg, &l);
}

/* The kernel's drop count rides on each datagram: keep the newest. */
static void read_ovfl(struct ingest *in, struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		uint32_t v;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SO_RXQ_OVFL)
			continue;
		memcpy(&v, CMSG_DATA(c), sizeof(v));
		in->h.kernel_drops += (uint32_t)(v - in->last_ovfl); /* wraps at 2^32 */
		in->last_ovfl = v;
	}
}

static void arm_msgs(struct ingest *in)
{
	for (unsigned i = 0; i < INGEST_VLEN; i++) {
		struct msghdr *mh = &in->msgs[i].msg_hdr;

		memset(mh, 0, sizeof(*mh));
		in->iov[i].iov_base = in->bufs + (size_t)i * INGEST_DGRAM_MAX;
		in->iov[i].iov_len = INGEST_DGRAM_MAX;
		mh->msg_iov = &in->iov[i];
		mh->msg_iovlen = 1;
		mh->msg_control = in->ctl + (size_t)i * CTL_LEN;
		mh->msg_controllen = CTL_LEN;
	}
}

/* Reads up to INGEST_CALLS_MAX batches. Returns false when the socket failed. */
static bool read_some(struct ingest *in)
{
	for (unsigned call = 0; call < INGEST_CALLS_MAX; call++) {
		int n;

		arm_msgs(in);
		n = recvmmsg(in->fd, in->msgs, INGEST_VLEN, MSG_DONTWAIT, NULL);
		if (n == -1)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
		for (int i = 0; i < n; i++) {
			struct msghdr *mh = &in->msgs[i].msg_hdr;

			if (in->h.udp)
				read_ovfl(in, mh);
			count_one(in, in->iov[i].iov_base, in->msgs[i].msg_len,
			          (mh->msg_flags & MSG_TRUNC) != 0);
		}
		if (n < INGEST_VLEN)
			return true;
	}
	return true;
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ingest *in = pf_container_of(w, struct ingest, io);

	(void)loop;
	(void)revents;
	if (!read_some(in))
		log_err(MOD, "msg=\"reading the log socket failed\" err=\"%s\"", strerror(errno));
}

/* ---- the minute ---- */

static void emit_minute(struct ingest *in)
{
	if (in->minute_ms >= 0 && in->minute.n > 0 && in->on_minute != NULL)
		in->h.rows_recorded += in->on_minute(in->ctx, in->minute_ms, &in->minute);
	rowtab_fini(&in->minute);
}

static void log_rejects(struct ingest *in, const struct agg_snap *s, int64_t now)
{
	uint64_t n = 0;

	for (unsigned i = 1; i < SYSLOG_ERR_COUNT; i++)
		n += s->syslog_rejected[i];
	for (unsigned i = 1; i < LOGLINE_ERR_COUNT; i++)
		n += i != LOGLINE_ERR_NOT_ACCESS ? s->logline_rejected[i] : 0;
	/* One line a minute at most: the counters in /metrics have the rest. */
	if (n == 0 || now - in->last_reject_log_ms < MINUTE_MS)
		return;
	in->last_reject_log_ms = now;
	log_warn(MOD, "msg=\"log datagrams rejected\" count=%" PRIu64 " first=\"%s\" see=/metrics",
	         n, in->reject_sample);
	in->reject_sample[0] = '\0';
}

/* Rotates the aggregator into the tables; <minute_ms> is the minute its lines arrived in. */
static void take_snapshot(struct ingest *in, int64_t minute_ms, int64_t now)
{
	struct agg_snap *s = agg_rotate(in->agg, minute_ms);

	if (s == NULL) {
		log_err(MOD,
		        "msg=\"out of memory rotating the log statistics: kept for the next\"");
		return;
	}
	if (in->minute_ms != minute_ms) {
		emit_minute(in);
		in->minute_ms = minute_ms;
	}
	if (rowtab_merge(&in->minute, s, in->methods) == -1 ||
	    rowtab_merge(&in->total, s, in->methods) == -1)
		log_err(MOD, "msg=\"out of memory: some log lines counted in the overflow row\"");
	log_rejects(in, s, now);
	agg_snap_free(s);
}

static void tick_cb(struct ev_loop *loop, ev_periodic *w, int revents)
{
	struct ingest *in = pf_container_of(w, struct ingest, tick);
	int64_t now = pf_wall_ms();
	/* Fired at a whole second (a little late): the lines are those of the second before. */
	int64_t second = (now - 500) / 1000 * 1000;

	(void)loop;
	(void)revents;
	take_snapshot(in, second - second % MINUTE_MS, now);
}

/* ---- life ---- */

static struct ingest *alloc_ingest(void)
{
	struct ingest *in = calloc(1, sizeof(*in));

	if (in == NULL)
		return NULL;
	in->fd = -1;
	in->minute_ms = -1;
	rowtab_init(&in->minute, INGEST_MAX_KEYS);
	rowtab_init(&in->total, INGEST_MAX_KEYS);
	in->agg = agg_new(INGEST_MAX_KEYS);
	in->msgs = calloc(INGEST_VLEN, sizeof(*in->msgs));
	in->iov = calloc(INGEST_VLEN, sizeof(*in->iov));
	in->bufs = malloc((size_t)INGEST_VLEN * INGEST_DGRAM_MAX);
	in->ctl = calloc(INGEST_VLEN, CTL_LEN);
	if (in->agg == NULL || in->msgs == NULL || in->iov == NULL || in->bufs == NULL ||
	    in->ctl == NULL) {
		ingest_close(in);
		return NULL;
	}
	return in;
}

struct ingest *ingest_open(struct ev_loop *loop, const struct ingest_cfg *cfg, char *err,
                           size_t errlen)
{
	struct ingest *in = alloc_ingest();
	char name[160];

	if (in == NULL) {
		pf_errf(err, errlen, "out of memory");
		return NULL;
	}
	in->loop = loop;
	in->addr = *cfg->addr;
	in->on_minute = cfg->on_minute;
	in->ctx = cfg->ctx;
	in->methods = methtab_load(cfg->methods_file, err, errlen);
	if (in->methods == NULL || open_socket(in, cfg, err, errlen) == -1) {
		ingest_close(in);
		return NULL;
	}
	in->h.methods = methtab_count(in->methods);
	ev_io_init(&in->io, io_cb, in->fd, EV_READ);
	ev_io_start(loop, &in->io);
	ev_periodic_init(&in->tick, tick_cb, 0.0, 1.0, NULL);
	ev_periodic_start(loop, &in->tick);
	log_info(MOD, "msg=\"reading HAProxy logs\" listen=%s%s methods=%zu rcvbuf=%d",
	         in->addr.is_unix ? "" : "udp:", pf_addr_str(&in->addr, name, sizeof(name)),
	         in->h.methods, in->h.rcvbuf);
	return in;
}

void ingest_reload(struct ingest *in, const char *methods_file, unsigned rcvbuf)
{
	char err[512];
	struct methtab *m;
	int64_t now;

	if (in == NULL)
		return;
	/* The lines read so far were looked up in the old table: count them with it. */
	(void)read_some(in);
	now = pf_wall_ms();
	take_snapshot(in, now - now % MINUTE_MS, now);
	m = methtab_load(methods_file, err, sizeof(err));
	if (m == NULL) {
		in->h.methods_loads++;
		log_err(MOD,
		        "msg=\"methods table not reloaded, the previous one stays\" err=\"%s\"",
		        err);
	} else {
		methtab_free(in->methods);
		in->methods = m;
		in->h.methods = methtab_count(m);
	}
	set_rcvbuf(in, rcvbuf);
}

void ingest_metrics(void *ctx, struct pf_buf *out)
{
	const struct ingest *in = ctx;

	if (in != NULL)
		statsprom_render(&in->total, &in->h, out);
}

void ingest_flush(struct ingest *in)
{
	int64_t now;

	if (in == NULL)
		return;
	(void)read_some(in);
	/* What arrives from now on would never be written: leave it to the socket. */
	ev_io_stop(in->loop, &in->io);
	ev_periodic_stop(in->loop, &in->tick);
	now = pf_wall_ms();
	take_snapshot(in, now - now % MINUTE_MS, now);
	emit_minute(in);
}

void ingest_close(struct ingest *in)
{
	if (in == NULL)
		return;
	if (in->loop != NULL) {
		ev_io_stop(in->loop, &in->io);
		ev_periodic_stop(in->loop, &in->tick);
	}
	if (in->fd != -1) {
		close(in->fd);
		if (in->bound)
			(void)unlink(((const struct sockaddr_un *)&in->addr.ss)->sun_path);
	}
	agg_free(in->agg);
	methtab_free(in->methods);
	rowtab_fini(&in->minute);
	rowtab_fini(&in->total);
	free(in->msgs);
	free(in->iov);
	free(in->bufs);
	free(in->ctl);
	free(in);
}
