/* SPDX-License-Identifier: MIT */
/*
 * pf_read_file(): fstat first so an oversized file is refused before it is
 * read, then one read of size + 1 bytes so a file growing meanwhile is caught
 * rather than silently cut.
 */
#include "file.h"

#include <sys/stat.h>

#include <errno.h>
#include <string.h>

#include "text.h"

char *pf_read_file(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *buf = NULL;
	size_t size, n;
	int saved;

	if (f == NULL) {
		saved = errno;
		pf_errf(err, errlen, "%s: %s", path, strerror(saved));
		errno = saved;
		return NULL;
	}
	if (fstat(fileno(f), &st) == -1) {
		pf_errf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		pf_errf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if ((unsigned long long)st.st_size > (unsigned long long)max) {
		pf_errf(err, errlen, "%s: larger than %zu bytes", path, max);
		goto fail;
	}
	size = (size_t)st.st_size + 1;
	buf = malloc(size + 1);
	if (buf == NULL) {
		pf_errf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	n = fread(buf, 1, size, f);
	if (ferror(f)) {
		pf_errf(err, errlen, "%s: read error", path);
		goto fail;
	}
	if (n == size) {
		pf_errf(err, errlen, "%s: changed while being read", path);
		goto fail;
	}
	(void)fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	free(buf);
	(void)fclose(f);
	return NULL;
}
