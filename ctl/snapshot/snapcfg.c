/* SPDX-License-Identifier: MIT */
/*
 * The "snapshot" config section: cJSON DOM -> struct snapcfg. Every object
 * is checked against its list of keys first (unknown and repeated keys are
 * errors, as in ctl_cfg.c), then each key is read by hand: the section is
 * small and its rules (argv arrays, S3 bucket names, exclude patterns) are
 * its own. The DOM is freed before returning; cJSON stays in this file.
 */
#include "ctl/snapshot/snapcfg.h"

#include <sys/socket.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/compiler.h"
#include "common/text.h"
#include "ctl/cfg_url.h"
#include "ctl/snapshot/exclude.h"
#include "ctl/snapshot/safepath.h"

struct ctx {
	char *err;
	size_t errlen;
};

PF_PRINTF(3, 4)
static int fail(struct ctx *c, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(c->err, c->errlen, "snapshot%s%s: ", path[0] ? "." : "", path);
	if (n < 0 || (size_t)n >= c->errlen)
		return -1;
	va_start(ap, fmt);
	(void)vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Refuses a key of <obj> not in <keys> (NULL-terminated) or given twice.
 * A key that looks like a credential gets its own reason: they are never
 * read from the config.
 */
static int check_keys(struct ctx *c, const char *path, const cJSON *obj, const char *const *keys)
{
	const cJSON *it, *jt;

	if (!cJSON_IsObject(obj))
		return fail(c, path, "expected an object");
	cJSON_ArrayForEach(it, obj)
	{
		const char *name = it->string != NULL ? it->string : "";
		size_t i;

		for (i = 0; keys[i] != NULL && strcmp(keys[i], name) != 0; i++)
			;
		if (keys[i] == NULL) {
			if (strstr(name, "secret") || strstr(name, "access_key") ||
			    strstr(name, "token") || strstr(name, "password"))
				return fail(
				    c, path,
				    "\"%.64s\": no credentials in the config (the environment "
				    "or the instance profile give them)",
				    name);
			return fail(c, path, "unknown key \"%.64s\"", name);
		}
		for (jt = it->next; jt != NULL; jt = jt->next)
			if (jt->string != NULL && strcmp(jt->string, name) == 0)
				return fail(c, path, "duplicate key \"%s\"", name);
	}
	return 0;
}

static int get_string(struct ctx *c, const char *path, const cJSON *v, size_t min, size_t max,
                      char *out)
{
	size_t n;

	if (!cJSON_IsString(v))
		return fail(c, path, "expected a string");
	n = strlen(v->valuestring);
	if (n < min || n > max)
		return fail(c, path, "expected %zu..%zu characters, got %zu", min, max, n);
	memcpy(out, v->valuestring, n + 1);
	return 0;
}

static int get_uint(struct ctx *c, const char *path, const cJSON *v, unsigned def, unsigned min,
                    unsigned max, unsigned *out)
{
	if (v == NULL) {
		*out = def;
		return 0;
	}
	if (!cJSON_IsNumber(v) || v->valuedouble != (double)(long long)v->valuedouble ||
	    v->valuedouble < min || v->valuedouble > max)
		return fail(c, path, "expected an integer %u..%u", min, max);
	*out = (unsigned)v->valuedouble;
	return 0;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* An http(s) URL by the rpc rules of ctl/CONFIG.md; with <no_path>, nothing after the port. */
static int get_url(struct ctx *c, const char *path, const cJSON *v, bool no_path, char *out)
{
	struct cfg_url_parts parts;
	bool explicit_port;
	const char *why;
	size_t n;

	if (get_string(c, path, v, 1, SNAPCFG_URL_MAX, out) == -1)
		return -1;
	why = ctl_cfg_url_split(out, &parts, &explicit_port);
	if (why != NULL)
		return fail(c, path, "%s", why);
	n = strlen(out);
	if (no_path && out[n - 1] == '/')
		out[--n] = '\0';
	if (no_path && strcmp(parts.path, "/") != 0)
		return fail(c, path, "an S3 endpoint has no path or query (the bucket follows it)");
	return 0;
}

/*
 * S3's bucket naming rules (User Guide, "Bucket naming rules"): 3-63
 * characters of [a-z0-9.-], starting and ending with a letter or digit,
 * no "..", not an IPv4 address. A name with '.' breaks virtual-hosted TLS
 * (the wildcard certificate covers one label) but path style takes it.
 */
static const char *bucket_why(const char *b)
{
	size_t n = strlen(b);
	int dots = 0;
	bool digits_dots = true;

	if (n < 3 || n > SNAPCFG_BUCKET_MAX)
		return "a bucket name has 3..63 characters";
	if (strspn(b, "abcdefghijklmnopqrstuvwxyz0123456789.-") != n)
		return "a bucket name has only [a-z0-9.-]";
	if (!((b[0] >= 'a' && b[0] <= 'z') || (b[0] >= '0' && b[0] <= '9')) ||
	    !((b[n - 1] >= 'a' && b[n - 1] <= 'z') || (b[n - 1] >= '0' && b[n - 1] <= '9')))
		return "a bucket name starts and ends with a letter or a digit";
	if (strstr(b, "..") != NULL)
		return "a bucket name has no \"..\"";
	for (size_t i = 0; i < n; i++) {
		dots += b[i] == '.';
		digits_dots = digits_dots && (b[i] == '.' || (b[i] >= '0' && b[i] <= '9'));
	}
	if (digits_dots && dots == 3)
		return "a bucket name is not an IP address";
	return NULL;
}

static int parse_target(struct ctx *c, const char *name, const cJSON *v, struct snapcfg_target *t)
{
	static const char *const keys[] = {"bucket", "region",  "endpoint",
	                                   "prefix", "cdn_url", NULL};
	const cJSON *b, *r, *e, *p;
	char path[64];
	const char *why;

	if (check_keys(c, name, v, keys) == -1)
		return -1;
	b = cJSON_GetObjectItemCaseSensitive(v, "bucket");
	r = cJSON_GetObjectItemCaseSensitive(v, "region");
	e = cJSON_GetObjectItemCaseSensitive(v, "endpoint");
	p = cJSON_GetObjectItemCaseSensitive(v, "prefix");
	(void)snprintf(path, sizeof(path), "%s.bucket", name);
	if (b == NULL)
		return fail(c, path, "required");
	if (get_string(c, path, b, 1, SNAPCFG_BUCKET_MAX, t->bucket) == -1)
		return -1;
	if ((why = bucket_why(t->bucket)) != NULL)
		return fail(c, path, "%s", why);
	(void)snprintf(path, sizeof(path), "%s.region", name);
	if (r == NULL)
		return fail(c, path, "required");
	if (get_string(c, path, r, 1, SNAPCFG_REGION_MAX, t->region) == -1)
		return -1;
	if (strspn(t->region, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(t->region))
		return fail(c, path, "expected [a-z0-9-] (\"eu-west-1\")");
	(void)snprintf(path, sizeof(path), "%s.endpoint", name);
	if (e != NULL && get_url(c, path, e, true, t->endpoint) == -1)
		return -1;
	(void)snprintf(path, sizeof(path), "%s.prefix", name);
	if (p != NULL) {
		enum safepath_reason sp;

		if (get_string(c, path, p, 1, SNAPCFG_PREFIX_MAX, t->prefix) == -1)
			return -1;
		/* The object keys are built from it: one spelling, nothing that climbs. */
		sp = safepath_check(t->prefix, strlen(t->prefix));
		if (sp != SAFEPATH_OK)
			return fail(c, path, "%s", safepath_reason_text(sp));
	}
	(void)snprintf(path, sizeof(path), "%s.cdn_url", name);
	e = cJSON_GetObjectItemCaseSensitive(v, "cdn_url");
	if (e != NULL && get_url(c, path, e, false, t->cdn_url) == -1)
		return -1;
	t->on = true;
	return 0;
}

static bool loopback(const struct cfg_url_parts *u)
{
	return (u->addr_family == AF_INET && strncmp(u->addr, "127.", 4) == 0) ||
	       (u->addr_family == AF_INET6 && strcmp(u->addr, "::1") == 0) ||
	       (u->addr_family == 0 && strcmp(u->host, "localhost") == 0);
}

/*
 * The node's API adds and pins whatever it is sent, with no authentication
 * of its own: plain HTTP only on this host, https:// (behind a proxy that
 * authenticates by other means than a secret here) anywhere else.
 */
static int parse_ipfs(struct ctx *c, const cJSON *v, struct snapcfg_ipfs *t)
{
	static const char *const keys[] = {"api", "timeout_s", NULL};
	struct cfg_url_parts u;
	const cJSON *api;
	bool explicit_port;
	size_t n;

	if (check_keys(c, "ipfs", v, keys) == -1)
		return -1;
	api = cJSON_GetObjectItemCaseSensitive(v, "api");
	if (api == NULL)
		return fail(c, "ipfs.api", "required");
	if (get_url(c, "ipfs.api", api, false, t->api) == -1)
		return -1;
	n = strlen(t->api);
	if (ctl_cfg_url_split(t->api, &u, &explicit_port) != NULL || strcmp(u.path, "/") != 0)
		return fail(c, "ipfs.api", "no path or query (\"http://127.0.0.1:5001\")");
	if (t->api[n - 1] == '/')
		t->api[n - 1] = '\0';
	if (!u.tls && !loopback(&u))
		return fail(c, "ipfs.api",
		            "plain http:// only to this host (127.0.0.1, ::1, localhost); "
		            "https:// elsewhere");
	if (get_uint(c, "ipfs.timeout_s", cJSON_GetObjectItemCaseSensitive(v, "timeout_s"), 0, 0,
	             604800, &t->timeout_s) == -1)
		return -1;
	t->on = true;
	return 0;
}

static int parse_hook(struct ctx *c, const char *path, const cJSON *v, struct snapcfg_hook *h)
{
	const cJSON *it;
	int n;

	if (v == NULL)
		return 0;
	n = cJSON_GetArraySize(v);
	if (!cJSON_IsArray(v) || n < 1 || n > SNAPCFG_ARGV_MAX)
		return fail(c, path,
		            "expected an argv array of 1..%d strings (run without a shell), "
		            "[\"/usr/bin/systemctl\", \"stop\", \"polkadot\"]",
		            SNAPCFG_ARGV_MAX);
	cJSON_ArrayForEach(it, v)
	{
		size_t len;

		if (!cJSON_IsString(it))
			return fail(c, path, "item %u: expected a string", h->n);
		len = strlen(it->valuestring);
		if (len > SNAPCFG_ARG_MAX || !printable(it->valuestring))
			return fail(c, path, "item %u: expected at most %d printable characters",
			            h->n, SNAPCFG_ARG_MAX);
		/* No PATH lookup: the command that runs is the one written here. */
		if (h->n == 0 && it->valuestring[0] != '/')
			return fail(c, path, "the command must be an absolute path, got \"%.64s\"",
			            it->valuestring);
		h->argv[h->n] = strdup(it->valuestring);
		if (h->argv[h->n] == NULL)
			return fail(c, path, "out of memory");
		h->n++;
	}
	return 0;
}

static int parse_excludes(struct ctx *c, const char *path, const cJSON *ex,
                          struct snapcfg_chain *ch)
{
	const cJSON *it;

	if (ex == NULL)
		return 0;
	if (!cJSON_IsArray(ex) || cJSON_GetArraySize(ex) > SNAPCFG_EXCLUDE_MAX)
		return fail(c, path, "expected an array of 0..%d patterns", SNAPCFG_EXCLUDE_MAX);
	cJSON_ArrayForEach(it, ex)
	{
		char why[128];

		if (!cJSON_IsString(it))
			return fail(c, path, "item %u: expected a string", ch->n_exclude);
		if (!exclude_pattern_is_valid(it->valuestring, why, sizeof(why)))
			return fail(c, path, "item %u: %s", ch->n_exclude, why);
		ch->exclude[ch->n_exclude] = strdup(it->valuestring);
		if (ch->exclude[ch->n_exclude] == NULL)
			return fail(c, path, "out of memory");
		ch->n_exclude++;
	}
	return 0;
}

static int parse_chain(struct ctx *c, unsigned i, const cJSON *v, struct snapcfg_chain *ch)
{
	static const char *const keys[] = {"name",    "base_path",      "rpc", "pre", "post",
	                                   "exclude", "hook_timeout_s", NULL};
	const cJSON *it;
	char path[64];
	size_t n;

	(void)snprintf(path, sizeof(path), "chains[%u]", i);
	if (check_keys(c, path, v, keys) == -1)
		return -1;
	(void)snprintf(path, sizeof(path), "chains[%u].name", i);
	it = cJSON_GetObjectItemCaseSensitive(v, "name");
	if (it == NULL)
		return fail(c, path, "required");
	if (get_string(c, path, it, 1, PF_CHAIN_NAME_MAX, ch->name) == -1)
		return -1;
	if (!pf_chain_name_is_valid(ch->name, strlen(ch->name)))
		return fail(c, path, "expected 1-%d chars [a-z0-9-]", PF_CHAIN_NAME_MAX);
	(void)snprintf(path, sizeof(path), "chains[%u].base_path", i);
	it = cJSON_GetObjectItemCaseSensitive(v, "base_path");
	if (it == NULL)
		return fail(c, path, "required");
	if (get_string(c, path, it, 1, SNAPCFG_PATH_MAX, ch->base_path) == -1)
		return -1;
	if (ch->base_path[0] != '/' || !printable(ch->base_path))
		return fail(c, path, "expected an absolute path");
	n = strlen(ch->base_path);
	while (n > 1 && ch->base_path[n - 1] == '/')
		ch->base_path[--n] = '\0';
	if (n == 1)
		return fail(c, path, "refusing to publish \"/\"");
	(void)snprintf(path, sizeof(path), "chains[%u].rpc", i);
	it = cJSON_GetObjectItemCaseSensitive(v, "rpc");
	if (it == NULL)
		return fail(c, path, "required");
	if (get_url(c, path, it, false, ch->rpc) == -1)
		return -1;
	(void)snprintf(path, sizeof(path), "chains[%u].pre", i);
	if (parse_hook(c, path, cJSON_GetObjectItemCaseSensitive(v, "pre"), &ch->pre) == -1)
		return -1;
	(void)snprintf(path, sizeof(path), "chains[%u].post", i);
	if (parse_hook(c, path, cJSON_GetObjectItemCaseSensitive(v, "post"), &ch->post) == -1)
		return -1;
	(void)snprintf(path, sizeof(path), "chains[%u].hook_timeout_s", i);
	if (get_uint(c, path, cJSON_GetObjectItemCaseSensitive(v, "hook_timeout_s"), 600, 1, 86400,
	             &ch->hook_timeout_s) == -1)
		return -1;
	(void)snprintf(path, sizeof(path), "chains[%u].exclude", i);
	return parse_excludes(c, path, cJSON_GetObjectItemCaseSensitive(v, "exclude"), ch);
}

static int parse_section(struct ctx *c, const cJSON *v, struct snapcfg *out)
{
	static const char *const keys[] = {"chains",       "s3_files",  "s3_tar",
	                                   "ipfs",         "retention", "parallel",
	                                   "part_size_mb", "state_dir", NULL};
	const cJSON *chains, *it;
	unsigned i = 0;

	if (check_keys(c, "", v, keys) == -1)
		return -1;
	chains = cJSON_GetObjectItemCaseSensitive(v, "chains");
	if (chains == NULL)
		return fail(c, "chains", "required");
	if (!cJSON_IsArray(chains) || cJSON_GetArraySize(chains) < 1 ||
	    cJSON_GetArraySize(chains) > SNAPCFG_MAX_CHAINS)
		return fail(c, "chains", "expected an array of 1..%d objects", SNAPCFG_MAX_CHAINS);
	cJSON_ArrayForEach(it, chains)
	{
		if (parse_chain(c, i, it, &out->chain[i]) == -1)
			return -1;
		out->n_chains = ++i;
		for (unsigned j = 0; j + 1 < i; j++)
			if (strcmp(out->chain[j].name, out->chain[i - 1].name) == 0)
				return fail(c, "chains", "chain \"%s\" given twice",
				            out->chain[i - 1].name);
	}
	it = cJSON_GetObjectItemCaseSensitive(v, "s3_files");
	if (it != NULL && parse_target(c, "s3_files", it, &out->s3_files) == -1)
		return -1;
	it = cJSON_GetObjectItemCaseSensitive(v, "s3_tar");
	if (it != NULL && parse_target(c, "s3_tar", it, &out->s3_tar) == -1)
		return -1;
	if (!out->s3_files.on && !out->s3_tar.on)
		return fail(c, "", "name at least one target: \"s3_files\" or \"s3_tar\"");
	/* IPFS holds copies: the manifests and latest.json that name them live in S3. */
	it = cJSON_GetObjectItemCaseSensitive(v, "ipfs");
	if (it != NULL && parse_ipfs(c, it, &out->ipfs) == -1)
		return -1;
	if (get_uint(c, "retention", cJSON_GetObjectItemCaseSensitive(v, "retention"), 3, 1, 1000,
	             &out->retention) == -1 ||
	    get_uint(c, "part_size_mb", cJSON_GetObjectItemCaseSensitive(v, "part_size_mb"),
	             SNAPCFG_PART_DEF_MB, SNAPCFG_PART_MIN_MB, SNAPCFG_PART_MAX_MB,
	             &out->part_size_mb) == -1 ||
	    get_uint(c, "parallel", cJSON_GetObjectItemCaseSensitive(v, "parallel"),
	             SNAPCFG_PARALLEL_DEF, 1, SNAPCFG_PARALLEL_MAX, &out->parallel) == -1)
		return -1;
	it = cJSON_GetObjectItemCaseSensitive(v, "state_dir");
	if (it == NULL)
		(void)snprintf(out->state_dir, sizeof(out->state_dir), "%s", SNAPCFG_STATE_DIR);
	else if (get_string(c, "state_dir", it, 2, SNAPCFG_PATH_MAX, out->state_dir) == -1)
		return -1;
	else if (out->state_dir[0] != '/' || !printable(out->state_dir))
		return fail(c, "state_dir", "expected an absolute path");
	return 0;
}

int snapcfg_parse(const char *json, size_t len, struct snapcfg *out, bool *present, char *err,
                  size_t errlen)
{
	struct ctx c = {err, errlen};
	const cJSON *it, *sec = NULL;
	const char *end = NULL;
	cJSON *root;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	*present = false;
	root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	while (root != NULL && end != NULL && end < json + len &&
	       (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
		end++;
	if (root == NULL || !cJSON_IsObject(root) || end != json + len) {
		cJSON_Delete(root);
		(void)snprintf(err, errlen, "invalid JSON: expected an object");
		return -1;
	}
	if (pf_json_nul_escape_at(json, len) < len) {
		cJSON_Delete(root);
		(void)snprintf(err, errlen, "\\u0000 in a string");
		return -1;
	}
	cJSON_ArrayForEach(it, root)
	{
		if (it->string == NULL || strcmp(it->string, "snapshot") != 0)
			continue;
		if (sec != NULL) {
			rc = fail(&c, "", "duplicate key \"snapshot\"");
			break;
		}
		sec = it;
	}
	if (rc == 0 && sec != NULL) {
		*present = true;
		rc = parse_section(&c, sec, out);
	}
	cJSON_Delete(root);
	if (rc == -1) {
		snapcfg_free(out);
		*present = false;
	}
	return rc;
}

static void hook_free(struct snapcfg_hook *h)
{
	for (unsigned i = 0; i < h->n; i++)
		free(h->argv[i]);
}

void snapcfg_free(struct snapcfg *cfg)
{
	if (cfg == NULL)
		return;
	/* A chain that failed halfway holds strings beyond n_chains: walk them all. */
	for (unsigned i = 0; i < SNAPCFG_MAX_CHAINS; i++) {
		struct snapcfg_chain *ch = &cfg->chain[i];

		hook_free(&ch->pre);
		hook_free(&ch->post);
		for (unsigned j = 0; j < ch->n_exclude; j++)
			free(ch->exclude[j]);
	}
	memset(cfg, 0, sizeof(*cfg));
}

const struct snapcfg_chain *snapcfg_chain(const struct snapcfg *cfg, const char *name)
{
	for (unsigned i = 0; i < cfg->n_chains; i++)
		if (strcmp(cfg->chain[i].name, name) == 0)
			return &cfg->chain[i];
	return NULL;
}

uint64_t snapcfg_max_object(unsigned part_size_mb)
{
	uint64_t n = (uint64_t)part_size_mb * (1024 * 1024) * SNAPCFG_PARTS_MAX;

	return n < SNAPCFG_OBJECT_MAX ? n : SNAPCFG_OBJECT_MAX;
}

void snapcfg_dump_keys(FILE *out)
{
	static const char *const tgt[] = {"s3_files", "s3_tar"};

	(void)fprintf(out,
	              "snapshot.chains\tobjects\trequired\t1..%d items\tyes\n"
	              "snapshot.chains[].name\tstring\trequired\t1-%d chars [a-z0-9-]\tyes\n"
	              "snapshot.chains[].base_path\tpath\trequired\tat most %d chars\tyes\n"
	              "snapshot.chains[].rpc\turl\trequired\tat most %d chars\tyes\n"
	              "snapshot.chains[].pre\targv\t(none)\t1..%d items\tyes\n"
	              "snapshot.chains[].post\targv\t(none)\t1..%d items\tyes\n"
	              "snapshot.chains[].hook_timeout_s\tinteger\t600\t1..86400\tyes\n"
	              "snapshot.chains[].exclude\tpatterns\t[]\t0..%d items\tyes\n",
	              SNAPCFG_MAX_CHAINS, PF_CHAIN_NAME_MAX, SNAPCFG_PATH_MAX, SNAPCFG_URL_MAX,
	              SNAPCFG_ARGV_MAX, SNAPCFG_ARGV_MAX, SNAPCFG_EXCLUDE_MAX);
	for (size_t i = 0; i < PF_ARRAY_SIZE(tgt); i++) {
		(void)fprintf(
		    out,
		    "snapshot.%s\tobject\t(none)\t{bucket, region, endpoint, prefix}\tyes\n"
		    "snapshot.%s.bucket\tstring\trequired\t3-63 chars [a-z0-9.-]\tyes\n"
		    "snapshot.%s.region\tstring\trequired\t1-%d chars [a-z0-9-]\tyes\n"
		    "snapshot.%s.endpoint\turl\t(none)\tat most %d chars\tyes\n"
		    "snapshot.%s.prefix\tstring\t(none)\tat most %d chars\tyes\n",
		    tgt[i], tgt[i], tgt[i], SNAPCFG_REGION_MAX, tgt[i], SNAPCFG_URL_MAX, tgt[i],
		    SNAPCFG_PREFIX_MAX);
		/* Read by `snapshot fetch --config --from cdn` only (fetchcfg.h). */
		(void)fprintf(out, "snapshot.%s.cdn_url\turl\t(none)\tat most %d chars\tyes\n",
		              tgt[i], SNAPCFG_URL_MAX);
	}
	(void)fprintf(out,
	              "snapshot.ipfs\tobject\t(none)\t{api, timeout_s}\tyes\n"
	              "snapshot.ipfs.api\turl\trequired\tat most %d chars\tyes\n"
	              "snapshot.ipfs.timeout_s\tinteger\t0\t0..604800\tyes\n",
	              SNAPCFG_URL_MAX);
	(void)fprintf(out,
	              "snapshot.retention\tinteger\t3\t1..1000\tyes\n"
	              "snapshot.part_size_mb\tinteger\t%d\t%d..%d\tyes\n"
	              "snapshot.parallel\tinteger\t%d\t1..%d\tyes\n"
	              "snapshot.state_dir\tpath\t%s\tat most %d chars\tyes\n",
	              SNAPCFG_PART_DEF_MB, SNAPCFG_PART_MIN_MB, SNAPCFG_PART_MAX_MB,
	              SNAPCFG_PARALLEL_DEF, SNAPCFG_PARALLEL_MAX, SNAPCFG_STATE_DIR,
	              SNAPCFG_PATH_MAX);
}
