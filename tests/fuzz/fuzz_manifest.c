/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for ctl/snapshot/manifest.c, the first thing fetch
 * reads from a server. The input is parsed as a manifest and as a
 * latest.json. Properties of whatever either parser accepts, checked here
 * apart from the module's own checks:
 * - every name passes safepath_check() and is at most 255 bytes; hashes are
 *   lower-case hex of their exact length (block hash after "0x"); a cid is
 *   empty or 59 bytes starting with 'b'; sizes and height are below 2^53;
 *   file_list and sums are set exactly for "files" artifacts;
 * - an accepted document, read by cJSON here, has no object with a key
 *   twice and no key outside the format's lists;
 * - parse -> write -> parse is a fixed point: the second parse gives the
 *   same struct (memcmp) and writing it again gives the same bytes.
 * Corpus: tests/fuzz/corpus/manifest/.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ctl/snapshot/manifest.h"
#include "ctl/snapshot/safepath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c)                                                                              \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

static struct manifest m, m2;
static struct manifest_latest l, l2;
static char out[MANIFEST_TEXT_MAX + 1], out2[MANIFEST_TEXT_MAX + 1];
static char err[256];

static bool hex_of_len(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strchr("0123456789abcdef", s[i]) == NULL || s[i] == '\0')
			return false;
	return true;
}

static bool safe_name(const char *s)
{
	return strlen(s) <= 255 && safepath_check(s, strlen(s)) == SAFEPATH_OK;
}

static void check_manifest(void)
{
	FUZZ_CHECK(m.n >= 1 && m.n <= MANIFEST_ARTIFACTS_MAX);
	FUZZ_CHECK(m.height <= MANIFEST_INT_MAX);
	FUZZ_CHECK(m.block_hash[0] == '0' && m.block_hash[1] == 'x');
	FUZZ_CHECK(hex_of_len(m.block_hash + 2, 64));
	FUZZ_CHECK(strlen(m.created) == 20 && m.created[19] == 'Z');
	FUZZ_CHECK(strlen(m.chain) >= 1);
	for (unsigned i = 0; i < m.n; i++) {
		const struct manifest_artifact *a = &m.a[i];
		bool files = a->kind == MANIFEST_KIND_FILES;

		FUZZ_CHECK(files || a->kind == MANIFEST_KIND_TAR_ZST);
		FUZZ_CHECK(safe_name(a->name) && hex_of_len(a->sha256, 64));
		FUZZ_CHECK(a->size <= MANIFEST_INT_MAX);
		FUZZ_CHECK(a->cid[0] == '\0' || (strlen(a->cid) == 59 && a->cid[0] == 'b'));
		FUZZ_CHECK(files ? safe_name(a->file_list) && safe_name(a->sums)
		                 : a->file_list[0] == '\0' && a->sums[0] == '\0');
	}
}

/* The keys <o> may hold: <known> is a space-separated list. */
static void check_keys(const cJSON *o, const char *known)
{
	const cJSON *c, *d;

	FUZZ_CHECK(cJSON_IsObject(o));
	cJSON_ArrayForEach(c, o)
	{
		const char *at = strstr(known, c->string);
		size_t n = strlen(c->string);

		FUZZ_CHECK(n > 0 && at != NULL && (at == known || at[-1] == ' ') &&
		           (at[n] == ' ' || at[n] == '\0'));
		for (d = c->next; d != NULL; d = d->next)
			FUZZ_CHECK(strcmp(c->string, d->string) != 0);
	}
}

static void check_doc(const uint8_t *data, size_t size, bool latest)
{
	cJSON *root = cJSON_ParseWithLength((const char *)data, size);
	const cJSON *a;

	FUZZ_CHECK(root != NULL);
	if (latest) {
		check_keys(root, "format chain height manifest sha256");
	} else {
		check_keys(root, "format chain height block_hash created tool artifacts");
		const cJSON *arts = cJSON_GetObjectItem(root, "artifacts");

		cJSON_ArrayForEach(a, arts)
		{
			check_keys(a, "kind name size sha256 file_list sums cid");
		}
	}
	cJSON_Delete(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	long n, n2;

	if (manifest_parse(&m, p, size, err, sizeof(err)) == 0) {
		check_manifest();
		check_doc(data, size, false);
		n = manifest_write(&m, out, sizeof(out), err, sizeof(err));
		FUZZ_CHECK(n > 0);
		FUZZ_CHECK(manifest_parse(&m2, out, (size_t)n, err, sizeof(err)) == 0);
		FUZZ_CHECK(memcmp(&m, &m2, sizeof(m)) == 0);
		n2 = manifest_write(&m2, out2, sizeof(out2), err, sizeof(err));
		FUZZ_CHECK(n2 == n && memcmp(out, out2, (size_t)n) == 0);
	}
	if (manifest_latest_parse(&l, p, size, err, sizeof(err)) == 0) {
		FUZZ_CHECK(safe_name(l.manifest) && hex_of_len(l.sha256, 64));
		check_doc(data, size, true);
		FUZZ_CHECK(l.height <= MANIFEST_INT_MAX && strlen(l.chain) >= 1);
		n = manifest_latest_write(&l, out, sizeof(out), err, sizeof(err));
		FUZZ_CHECK(n > 0);
		FUZZ_CHECK(manifest_latest_parse(&l2, out, (size_t)n, err, sizeof(err)) == 0);
		FUZZ_CHECK(memcmp(&l, &l2, sizeof(l)) == 0);
		n2 = manifest_latest_write(&l2, out2, sizeof(out2), err, sizeof(err));
		FUZZ_CHECK(n2 == n && memcmp(out, out2, (size_t)n) == 0);
	}
	return 0;
}
