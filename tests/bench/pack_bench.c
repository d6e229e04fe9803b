/* SPDX-License-Identifier: MIT */
/*
 * Driver of tests/bench/pack_bench.sh: packs BASE with ctl/snapshot/pack.c
 * (zstd level 3, THREADS workers, 0 = in this thread) and writes the stream
 * to stdout, so the script can send it to /dev/null or to a file. On stderr,
 * one line: bytes in and out, files, wall seconds, MB/s of content and the
 * peak RSS of the process (getrusage), which is what "memory flat" means.
 * With a third argument "sums", each file's sha256 is computed too.
 * Usage: pack_bench BASE [THREADS [sums]]
 */
#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "ctl/snapshot/pack.h"

static int to_stdout(void *ctx, const void *p, size_t len, char *err, size_t errlen)
{
	const char *c = p;

	(void)ctx;
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, c, len);

		if (n <= 0) {
			snprintf(err, errlen, "stdout: write failed");
			return -1;
		}
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

static int count_file(void *ctx, const char *rel, uint64_t size, const uint8_t *sha, char *err,
                      size_t errlen)
{
	(void)rel, (void)size, (void)err, (void)errlen;
	*(unsigned *)ctx += sha[0] & 1u; /* read the digest, as a manifest would */
	return 0;
}

int main(int argc, char **argv)
{
	struct pack_opts o = {.write = to_stdout};
	struct pack_result r;
	struct timespec t0, t1;
	struct rusage ru;
	char err[1024];
	double s;
	unsigned odd = 0;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: pack_bench BASE [THREADS [sums]]\n");
		return 2;
	}
	o.threads = argc >= 3 ? (int)strtol(argv[2], NULL, 10) : 0;
	if (argc == 4) {
		o.on_file = count_file;
		o.file_ctx = &odd;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (pack_tree(argv[1], &o, &r, err, sizeof(err)) == -1) {
		fprintf(stderr, "pack_bench: %s\n", err);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(
	    stderr,
	    "in %llu B, out %llu B, %llu files, %.2f s, %.0f MB/s, %.0f files/s, peak RSS %ld MB\n",
	    (unsigned long long)r.walk.bytes, (unsigned long long)r.bytes,
	    (unsigned long long)r.walk.files, s, (double)r.walk.bytes / 1e6 / s,
	    (double)r.walk.files / s, ru.ru_maxrss / 1024);
	return 0;
}
