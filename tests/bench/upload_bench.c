/* SPDX-License-Identifier: MIT */
/*
 * Driver of tests/bench/upload_bench.sh: uploads FILE as one object to the
 * S3-compatible ENDPOINT (bucket BUCKET) with ctl/snapshot/mpwrite.c, parts
 * of PART_MB MiB, PARALLEL of them in flight, read from the file in 1 MiB
 * pieces, and prints one line: bytes, wall seconds, peak RSS in MB.
 * Usage: upload_bench ENDPOINT BUCKET FILE PART_MB PARALLEL
 */
#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <curl/curl.h>

#include "ctl/snapshot/mpwrite.h"

int main(int argc, char **argv)
{
	static unsigned char piece[1 << 20];
	struct s3_creds cr = {.access_key = "S3RVER",
	                      .secret_key = "pfUploadBenchSecret0123456789"};
	struct s3_cfg cfg = {.region = "us-east-1"};
	struct mpw_opts o = {0};
	struct timespec t0, t1;
	struct s3_client *c;
	struct rusage ru;
	char err[1024], why[600];
	uint64_t size = 0;
	struct mpw *w;
	size_t n;
	FILE *f;
	int rc = 0;

	if (argc != 6) {
		fprintf(stderr, "usage: upload_bench ENDPOINT BUCKET FILE PART_MB PARALLEL\n");
		return 2;
	}
	cfg.endpoint = argv[1];
	cfg.bucket = argv[2];
	o.part_size = strtoul(argv[4], NULL, 10) << 20;
	o.parallel = (unsigned)strtoul(argv[5], NULL, 10);
	f = fopen(argv[3], "rb");
	if (f == NULL) {
		perror(argv[3]);
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c = s3_new(&cfg, &cr, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	w = c != NULL ? mpw_open(c, "bench/object.bin", &o, err, sizeof(err)) : NULL;
	rc = w == NULL ? -1 : 0;
	while (rc == 0 && (n = fread(piece, 1, sizeof(piece), f)) > 0)
		rc = mpw_write(w, piece, n, err, sizeof(err));
	if (rc == 0)
		rc = mpw_finish(w, &size, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (mpw_free(w, why, sizeof(why)) == -1 && rc == 0) {
		fprintf(stderr, "upload_bench: %s\n", why);
		rc = -1;
	}
	fclose(f);
	s3_free(c);
	curl_global_cleanup();
	if (rc != 0) {
		fprintf(stderr, "upload_bench: %s\n", err);
		return 1;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("%llu %.2f peak RSS %ld MB\n", (unsigned long long)size,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       ru.ru_maxrss / 1024);
	return 0;
}
