/* SPDX-License-Identifier: MIT */
/*
 * Driver of tests/bench/ipfs_bench.sh: adds FILE to the IPFS node whose
 * HTTP API is at API with ctl/snapshot/ipfs.c (ipfs_add_fd: CIDv1, raw
 * leaves, pinned) and prints one line on stdout: the CID, the bytes sent,
 * wall seconds, and the peak RSS of this process (getrusage), which is
 * what "bounded memory" means for the client.
 * Usage: ipfs_bench API FILE
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl/snapshot/ipfs.h"

int main(int argc, char **argv)
{
	struct ipfs_cfg cfg = {0};
	struct ipfs_status st;
	struct timespec t0, t1;
	struct rusage ru;
	struct stat sb;
	const char *name;
	int fd, rc;

	if (argc != 3) {
		fprintf(stderr, "usage: ipfs_bench API FILE\n");
		return 2;
	}
	cfg.api = argv[1];
	fd = open(argv[2], O_RDONLY);
	if (fd == -1 || fstat(fd, &sb) == -1) {
		perror(argv[2]);
		return 1;
	}
	name = strrchr(argv[2], '/') != NULL ? strrchr(argv[2], '/') + 1 : argv[2];
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = ipfs_add_fd(&cfg, name, fd, sb.st_size, &st);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	close(fd);
	if (rc != 0) {
		fprintf(stderr, "ipfs_bench: %s\n", st.err);
		return 1;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("%s %llu %.2f peak RSS %ld MB\n", st.root, (unsigned long long)st.sent,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       ru.ru_maxrss / 1024);
	return 0;
}
