/* SPDX-License-Identifier: MIT */
/*
 * Reads a whole small file (a config, a methods table, a state file) with one
 * size limit, and says so when a file is over it instead of cutting it.
 * Blocking I/O: boot, SIGHUP work and CLI commands only.
 */
#ifndef PF_COMMON_FILE_H
#define PF_COMMON_FILE_H

#include <stddef.h>

#include "compiler.h"

/*
 * Reads the regular file at <path>, at most <max> bytes. Returns a malloc'd
 * buffer with a NUL after the content (length in <*len>), or NULL with
 * "<path>: reason" in <err> ("larger than N bytes", "not a regular file",
 * strerror text, "changed while being read"). errno is kept for open
 * failures, so a caller can tell ENOENT apart.
 */
PF_MUSTCHECK char *pf_read_file(const char *path, size_t max, size_t *len, char *err,
                                size_t errlen);

#endif
