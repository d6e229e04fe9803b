/* SPDX-License-Identifier: MIT */
/*
 * A minimal HAProxy-side SPOP client for tests and the load generator: builds
 * HAPROXY-HELLO / NOTIFY / DISCONNECT frames and reads AGENT-HELLO, ACK and
 * AGENT-DISCONNECT back. Its decoder is written independently of spoa/spop.c
 * so the agent's codec is checked against a second reading of SPOE.txt.
 */
#ifndef PF_TESTS_SPOP_CLIENT_H
#define PF_TESTS_SPOP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPC_STR_MAX 256

struct spc_reply {
	int type; /* 101 AGENT-HELLO, 102 AGENT-DISCONNECT, 103 ACK */
	uint32_t flags;
	uint64_t stream_id, frame_id;
	/* AGENT-HELLO */
	char version[SPC_STR_MAX];
	uint32_t max_frame_size;
	char capabilities[SPC_STR_MAX];
	/* AGENT-DISCONNECT */
	uint32_t status_code;
	char message[SPC_STR_MAX];
	/* ACK: txn variables set */
	unsigned n_actions;
	bool has_chain, has_class, has_method, has_batch, has_id;
	char chain[SPC_STR_MAX], cls[SPC_STR_MAX], method[SPC_STR_MAX], id[SPC_STR_MAX];
	uint64_t batch;
};

/* Each builder writes one whole frame (length prefix included) and returns its size, 0 if it does
 * not fit. */
size_t spc_hello(uint8_t *buf, size_t cap, const char *versions, uint32_t max_frame,
                 const char *caps, bool healthcheck);
size_t spc_notify(uint8_t *buf, size_t cap, uint64_t stream_id, uint64_t frame_id,
                  const char *msg_name, const char *host, const uint8_t *body, size_t body_len,
                  int64_t size);
size_t spc_disconnect(uint8_t *buf, size_t cap, uint32_t status, const char *msg);

/*
 * Parses the frame at <buf>/<len>. Returns the bytes it took, 0 when more
 * bytes are needed, -1 when it is malformed.
 */
long spc_parse(const uint8_t *buf, size_t len, struct spc_reply *r);

/* Bytes borrowed from a parsed frame. */
struct spc_bytes {
	const uint8_t *p;
	size_t len;
};

/* One action of an ACK, as spc_parse_actions() hands it out; bytes borrowed from the frame. */
struct spc_action {
	int type;  /* 1 SET-VAR, 2 UNSET-VAR */
	int scope; /* 0 proc .. 4 res */
	struct spc_bytes name;
	int data_type;        /* SET-VAR: the value's type (0..9); UNSET-VAR: -1 */
	struct spc_bytes str; /* STRING and BINARY values */
	uint64_t num;         /* integer values */
};

typedef void spc_action_fn(void *arg, const struct spc_action *a);

/* spc_parse(), calling <each>(<arg>, action) for every action of an ACK, in order. */
long spc_parse_actions(const uint8_t *buf, size_t len, struct spc_reply *r, spc_action_fn *each,
                       void *arg);

/* Blocking helpers on a connected socket. */
int spc_connect(int port);
int spc_connect_unix(const char *path);
int spc_send_all(int fd, const uint8_t *buf, size_t len);
/* Reads one frame within <timeout_ms>: 1 got one, 0 EOF, -1 error or timeout. */
int spc_read_reply(int fd, struct spc_reply *r, int timeout_ms);

#endif
