/* SPDX-License-Identifier: MIT */
/*
 * `polkfura-ctl snapshot fetch` (issue 13): reads chains/<chain>/latest.json
 * from a plain HTTP(S) base or an S3 bucket, the manifest it points at, and
 * downloads one artifact into DEST, every byte checked against a sha256
 * fixed by the manifest (docs/snapshot-format.md, "How a reader checks a
 * snapshot"). Every name goes through destdir.c, so nothing is written
 * outside DEST whatever the server sends.
 */
#ifndef PF_CTL_SNAPSHOT_FETCH_H
#define PF_CTL_SNAPSHOT_FETCH_H

#include <stdbool.h>

/* Exit codes of the command, as the other commands of polkfura-ctl use 0, 1 and 2. */
enum fetch_rc {
	FETCH_OK = 0,
	FETCH_NET = 1,    /* network, server or local I/O failure: running it again may help */
	FETCH_USAGE = 2,  /* bad command line */
	FETCH_VERIFY = 3, /* a checksum, size or name the snapshot's documents refuse */
};

enum fetch_form { FETCH_FORM_AUTO = 0, FETCH_FORM_FILES, FETCH_FORM_TAR };

struct fetch_opts {
	const char *chain;
	const char *dest;
	/* Base URL under which chains/<chain>/latest.json lives, or NULL for S3. */
	const char *url;
	/* S3 (url == NULL): endpoint (NULL: AWS), bucket, region; signed, requester pays. */
	const char *endpoint;
	const char *bucket;
	const char *region;
	/* --from ipfs: the artifact's bytes from this IPFS HTTP gateway (ipfs_gw.h), or NULL */
	const char *gateway;
	const char *prefix; /* S3: the layout under "<prefix>/", or NULL */
	enum fetch_form form;
	int parallel;      /* files fetched at once, 1..64 */
	bool tty;          /* progress as one updating line (else a line every few seconds) */
	double progress_s; /* seconds between plain progress lines; 0 means 10 */
};

/* Runs the fetch; messages go to stderr. Returns an enum fetch_rc. */
int fetch_run(const struct fetch_opts *o);

/* The `snapshot fetch` command line (argv[0] is "fetch"). Returns an enum fetch_rc. */
int fetch_main(int argc, char **argv);

#endif
