/* SPDX-License-Identifier: MIT */
/*
 * The sender of tests/bench/ingest_bench.sh: HAProxy access lines in the
 * shipped log-format with an RFC 3164 header, as HAProxy 2.6 sends them,
 * over UDP to HOST:PORT at RATE datagrams/s for SECONDS, paced per
 * millisecond and sent 64 at a time (sendmmsg). The lines cycle through the
 * methods of METHODS_TSV (the first 64), two chains and three statuses, so
 * the controller looks names up and keeps a few hundred keys, as in
 * production. Prints "sent N cpu_ms M" (M: its own CPU time) and exits 0.
 *
 *   logsend HOST PORT RATE SECONDS METHODS_TSV
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POOL  384
#define BATCH 64

static char pool[POOL][512];
static size_t pool_len[POOL];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int load_methods(const char *path, char names[64][129])
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int n = 0;

	if (f == NULL)
		return 0;
	if (fgets(line, sizeof(line), f) == NULL) { /* the header */
		fclose(f);
		return 0;
	}
	while (n < 64 && fgets(line, sizeof(line), f) != NULL) {
		size_t len = strcspn(line, "\t\n");

		if (len == 0 || len > 128)
			continue;
		memcpy(names[n], line, len);
		names[n++][len] = '\0';
	}
	fclose(f);
	return n;
}

static void make_pool(char names[64][129], int n)
{
	static const char *const chains[] = {"polkadot", "kusama"};
	static const int statuses[] = {200, 200, 503};

	for (int i = 0; i < POOL; i++) {
		int st = statuses[i % 3];

		pool_len[i] = (size_t)snprintf(
		    pool[i], sizeof(pool[i]),
		    "<134>Dec  6 08:13:41 localhost haproxy[28274]: 127.0.0.1:%d "
		    "[06/Dec/2026:08:13:41.%03d] rpc~ be_%s/node1 1/0/0/%d/%d %d %d ---- 1/1/0/0/0 "
		    "0/0 "
		    "chain=%s method=%s class=read batch=1 calls=1 spoe=0/0 \"POST / HTTP/1.1\"",
		    40000 + i, i % 1000, chains[i % 2], i % 40, i % 40 + 1, st, 200 + i,
		    chains[i % 2], names[(i / 2) % n]);
	}
}

int main(int argc, char **argv)
{
	static struct mmsghdr msgs[BATCH];
	static struct iovec iov[BATCH];
	char names[64][129];
	struct sockaddr_in to = {.sin_family = AF_INET};
	double rate, secs, t0;
	unsigned long long sent = 0;
	int fd, n;

	if (argc != 6) {
		fprintf(stderr, "usage: logsend HOST PORT RATE SECONDS METHODS_TSV\n");
		return 2;
	}
	rate = strtod(argv[3], NULL);
	secs = strtod(argv[4], NULL);
	n = load_methods(argv[5], names);
	if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1 || rate <= 0 || secs <= 0 || n == 0) {
		fprintf(stderr, "logsend: bad arguments\n");
		return 2;
	}
	to.sin_port = htons((unsigned short)atoi(argv[2]));
	make_pool(names, n);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
		perror("logsend: socket");
		return 1;
	}
	t0 = now_s();
	for (;;) {
		double t = now_s() - t0;
		unsigned long long due = (unsigned long long)(rate * (t < secs ? t : secs));
		int k;

		if (sent >= due) {
			if (t >= secs)
				break;
			continue; /* spin: a sleep's granularity would bunch the datagrams up */
		}
		k = due - sent < BATCH ? (int)(due - sent) : BATCH;
		for (int i = 0; i < k; i++) {
			size_t p = (sent + (unsigned long long)i) % POOL;

			iov[i].iov_base = pool[p];
			iov[i].iov_len = pool_len[p];
			memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		k = sendmmsg(fd, msgs, (unsigned)k, 0);
		if (k < 0 && errno != EINTR && errno != ECONNREFUSED && errno != ENOBUFS) {
			perror("logsend: sendmmsg");
			return 1;
		}
		sent += k > 0 ? (unsigned long long)k : 0;
	}
	printf("sent %llu cpu_ms %.0f\n", sent, (double)clock() * 1000.0 / CLOCKS_PER_SEC);
	return 0;
}
