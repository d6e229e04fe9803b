/* SPDX-License-Identifier: MIT */
/*
 * HAProxy's half of SPOP, enough to drive the agent from tests and the load
 * generator (see spop_client.h). Varints follow SPOE.txt §3.1 as HAProxy's
 * encode_varint/decode_varint do.
 */
#include "spop_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "common/compiler.h"

struct w {
	uint8_t *p;
	size_t cap, len;
	bool bad;
};

static void put(struct w *w, const void *d, size_t n)
{
	if (w->bad || w->len + n > w->cap) {
		w->bad = true;
		return;
	}
	memcpy(w->p + w->len, d, n);
	w->len += n;
}

static void put_u8(struct w *w, uint8_t b)
{
	put(w, &b, 1);
}

static void put_varint(struct w *w, uint64_t v)
{
	if (v < 240) {
		put_u8(w, (uint8_t)v);
		return;
	}
	put_u8(w, (uint8_t)(v | 240));
	v = (v - 240) >> 4;
	while (v >= 128) {
		put_u8(w, (uint8_t)(v | 128));
		v = (v - 128) >> 7;
	}
	put_u8(w, (uint8_t)v);
}

static void put_str(struct w *w, const char *s, size_t n)
{
	put_varint(w, n);
	put(w, s, n);
}

static void put_typed_str(struct w *w, int type, const void *s, size_t n)
{
	put_u8(w, (uint8_t)type);
	put_varint(w, n);
	put(w, s, n);
}

static size_t begin(struct w *w, uint8_t *buf, size_t cap, int type, uint64_t sid, uint64_t fid)
{
	static const uint8_t fin[4] = {0, 0, 0, 1};

	w->p = buf;
	w->cap = cap;
	w->len = 4;
	w->bad = cap < 4;
	put_u8(w, (uint8_t)type);
	put(w, fin, 4);
	put_varint(w, sid);
	put_varint(w, fid);
	return 0;
}

static size_t finish(struct w *w)
{
	uint32_t n;

	if (w->bad)
		return 0;
	n = htonl((uint32_t)(w->len - 4));
	memcpy(w->p, &n, 4);
	return w->len;
}

size_t spc_hello(uint8_t *buf, size_t cap, const char *versions, uint32_t max_frame,
                 const char *caps, bool healthcheck)
{
	struct w w;

	begin(&w, buf, cap, 1, 0, 0);
	put_str(&w, "supported-versions", 18);
	put_typed_str(&w, 8, versions, strlen(versions));
	put_str(&w, "max-frame-size", 14);
	put_u8(&w, 3);
	put_varint(&w, max_frame);
	put_str(&w, "capabilities", 12);
	put_typed_str(&w, 8, caps, strlen(caps));
	if (healthcheck) {
		put_str(&w, "healthcheck", 11);
		put_u8(&w, 1 | 0x10);
	}
	put_str(&w, "engine-id", 9);
	put_typed_str(&w, 8, "pf-test-engine", 14);
	return finish(&w);
}

size_t spc_notify(uint8_t *buf, size_t cap, uint64_t stream_id, uint64_t frame_id,
                  const char *msg_name, const char *host, const uint8_t *body, size_t body_len,
                  int64_t size)
{
	struct w w;

	begin(&w, buf, cap, 3, stream_id, frame_id);
	put_str(&w, msg_name, strlen(msg_name));
	put_u8(&w, 3);
	put_str(&w, "host", 4);
	if (host != NULL)
		put_typed_str(&w, 8, host, strlen(host));
	else
		put_u8(&w, 0);
	put_str(&w, "body", 4);
	put_typed_str(&w, 9, body, body_len);
	put_str(&w, "size", 4);
	put_u8(&w, 4); /* INT64, as HAProxy sends sample integers */
	put_varint(&w, (uint64_t)size);
	return finish(&w);
}

size_t spc_disconnect(uint8_t *buf, size_t cap, uint32_t status, const char *msg)
{
	struct w w;

	begin(&w, buf, cap, 2, 0, 0);
	put_str(&w, "status-code", 11);
	put_u8(&w, 3);
	put_varint(&w, status);
	put_str(&w, "message", 7);
	put_typed_str(&w, 8, msg, strlen(msg));
	return finish(&w);
}

struct r {
	const uint8_t *p;
	size_t len, off;
	bool bad;
};

static uint8_t get_u8(struct r *r)
{
	if (r->off >= r->len) {
		r->bad = true;
		return 0;
	}
	return r->p[r->off++];
}

static uint64_t get_varint(struct r *r)
{
	uint64_t v = get_u8(r);
	unsigned shift = 4;

	if (v < 240)
		return v;
	for (;;) {
		uint8_t b = get_u8(r);

		if (r->bad || shift > 60) {
			r->bad = true;
			return 0;
		}
		v += (uint64_t)b << shift;
		shift += 7;
		if (b < 128)
			return v;
	}
}

/* Reads <LENGTH:varint><BYTES>: a copy into <out> (cut to <outcap>), the raw bytes in <*raw>. */
static void get_str(struct r *r, char *out, size_t outcap, struct spc_bytes *raw)
{
	uint64_t n = get_varint(r);

	if (r->bad || n > r->len - r->off) {
		r->bad = true;
		return;
	}
	if (out != NULL) {
		size_t k = n < outcap - 1 ? (size_t)n : outcap - 1;

		memcpy(out, r->p + r->off, k);
		out[k] = '\0';
	}
	if (raw != NULL) {
		raw->p = r->p + r->off;
		raw->len = (size_t)n;
	}
	r->off += (size_t)n;
}

/* Reads a typed value: its type into <*type>, strings into <s> and <*raw>, integers into <u>. */
static void get_typed(struct r *r, char *s, size_t scap, uint64_t *u, int *type,
                      struct spc_bytes *raw)
{
	uint8_t t = get_u8(r);

	*type = t & 0x0f;
	switch (t & 0x0f) {
	case 0:
	case 1:
		break;
	case 2:
	case 3:
	case 4:
	case 5:
		*u = get_varint(r);
		break;
	case 6:
		r->off += 4;
		break;
	case 7:
		r->off += 16;
		break;
	case 8:
	case 9:
		get_str(r, s, scap, raw);
		break;
	default:
		r->bad = true;
	}
	if (r->off > r->len)
		r->bad = true;
}

static void parse_kv(struct r *r, struct spc_reply *rep)
{
	while (!r->bad && r->off < r->len) {
		char key[64], sval[SPC_STR_MAX] = "";
		uint64_t u = 0;
		int type;

		get_str(r, key, sizeof(key), NULL);
		get_typed(r, sval, sizeof(sval), &u, &type, NULL);
		if (strcmp(key, "version") == 0)
			memcpy(rep->version, sval, sizeof(sval));
		else if (strcmp(key, "capabilities") == 0)
			memcpy(rep->capabilities, sval, sizeof(sval));
		else if (strcmp(key, "message") == 0)
			memcpy(rep->message, sval, sizeof(sval));
		else if (strcmp(key, "max-frame-size") == 0)
			rep->max_frame_size = (uint32_t)u;
		else if (strcmp(key, "status-code") == 0)
			rep->status_code = (uint32_t)u;
	}
}

static void parse_actions(struct r *r, struct spc_reply *rep, spc_action_fn *each, void *arg)
{
	while (!r->bad && r->off < r->len) {
		uint8_t type = get_u8(r), nargs = get_u8(r);
		char name[64], sval[SPC_STR_MAX] = "";
		struct spc_action a = {.type = type, .data_type = -1};
		uint64_t u = 0;

		a.scope = get_u8(r);
		get_str(r, name, sizeof(name), &a.name);
		if (type == 1 && nargs == 3)
			get_typed(r, sval, sizeof(sval), &u, &a.data_type, &a.str);
		else if (!(type == 2 && nargs == 2))
			r->bad = true;
		if (r->bad)
			return;
		a.num = u;
		rep->n_actions++;
		if (each != NULL)
			each(arg, &a);
		if (strcmp(name, "chain") == 0) {
			rep->has_chain = true;
			memcpy(rep->chain, sval, sizeof(sval));
		} else if (strcmp(name, "class") == 0) {
			rep->has_class = true;
			memcpy(rep->cls, sval, sizeof(sval));
		} else if (strcmp(name, "method") == 0) {
			rep->has_method = true;
			memcpy(rep->method, sval, sizeof(sval));
		} else if (strcmp(name, "id") == 0) {
			rep->has_id = true;
			memcpy(rep->id, sval, sizeof(sval));
		} else if (strcmp(name, "batch") == 0) {
			rep->has_batch = true;
			rep->batch = u;
		}
	}
}

long spc_parse(const uint8_t *buf, size_t len, struct spc_reply *rep)
{
	return spc_parse_actions(buf, len, rep, NULL, NULL);
}

long spc_parse_actions(const uint8_t *buf, size_t len, struct spc_reply *rep, spc_action_fn *each,
                       void *arg)
{
	struct r r;
	uint32_t n;

	if (len < 4)
		return 0;
	memcpy(&n, buf, 4);
	n = ntohl(n);
	if (len < 4 + (size_t)n)
		return 0;
	memset(rep, 0, sizeof(*rep));
	r.p = buf + 4;
	r.len = n;
	r.off = 0;
	r.bad = false;
	rep->type = get_u8(&r);
	for (int i = 0; i < 4; i++)
		rep->flags = (rep->flags << 8) | get_u8(&r);
	rep->stream_id = get_varint(&r);
	rep->frame_id = get_varint(&r);
	if (rep->type == 103)
		parse_actions(&r, rep, each, arg);
	else
		parse_kv(&r, rep);
	return r.bad ? -1 : (long)(4 + n);
}

int spc_connect(int port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int spc_connect_unix(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int spc_send_all(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int spc_read_reply(int fd, struct spc_reply *rep, int timeout_ms)
{
	uint8_t hdr[4], *buf;
	uint32_t n;
	size_t got = 0, need = 4;
	int rc = -1;

	buf = hdr;
	for (int phase = 0; phase < 2; phase++) {
		while (got < need) {
			struct pollfd pfd = {fd, POLLIN, 0};
			ssize_t k;

			if (poll(&pfd, 1, timeout_ms) != 1)
				goto out;
			k = read(fd, buf + got, need - got);
			if (k == 0 && phase == 0 && got == 0) {
				rc = 0;
				goto out;
			}
			if (k <= 0)
				goto out;
			got += (size_t)k;
		}
		if (phase == 0) {
			memcpy(&n, hdr, 4);
			n = ntohl(n);
			if (n > (1u << 24))
				goto out;
			buf = malloc(4 + (size_t)n);
			if (buf == NULL)
				goto out;
			memcpy(buf, hdr, 4);
			need = 4 + n;
		}
	}
	rc = spc_parse(buf, need, rep) > 0 ? 1 : -1;
out:
	if (buf != hdr)
		free(buf);
	return rc;
}
