/* SPDX-License-Identifier: MIT */
/*
 * The request gate and the admin flow behind admin.h. The validators are
 * pure functions of the policy, the request and the time; the flow keeps
 * one struct admin_flow per change in flight (the request, the deferred
 * HTTP reply) from the state store's write to the reply. Refusals are
 * logged (rate-limited) with the peer and the status, never with the body
 * or the token.
 */
#include "ctl/web/admin.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/clock.h"
#include "common/compiler.h"
#include "common/file.h"
#include "common/log.h"
#include "common/text.h"

#define MOD "admin"

#define ADMIN_LOG_BURST 5 /* refusals logged per second at most */

struct admin {
	struct admin_policy policy; /* holds the token: wiped by admin_free */
	struct state *st;           /* borrowed */
	struct admin_ops ops;
	void *ops_ctx;
	http_handler_fn next;
	void *next_ctx;
	unsigned in_flight; /* flows waiting for the store */
	int64_t log_second;
	unsigned log_count;
};

struct admin_flow {
	struct admin *a; /* borrowed */
	struct admin_request req;
	struct http_pending *pending; /* the deferred reply */
};

/* ---- pure: Host ---- */

static bool ieq(const char *a, size_t alen, const char *b)
{
	return alen == strlen(b) && strncasecmp(a, b, alen) == 0;
}

static unsigned listen_port(const struct pf_addr *a)
{
	if (a->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)&a->ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)(const void *)&a->ss)->sin_port);
}

static bool listen_is_wildcard(const struct pf_addr *a)
{
	if (a->ss.ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(
		    &((const struct sockaddr_in6 *)(const void *)&a->ss)->sin6_addr);
	return ((const struct sockaddr_in *)(const void *)&a->ss)->sin_addr.s_addr ==
	       htonl(INADDR_ANY);
}

/* Loopback or wildcard: reachable as localhost. */
static bool listen_is_local(const struct pf_addr *a)
{
	if (listen_is_wildcard(a))
		return true;
	if (a->ss.ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(
		    &((const struct sockaddr_in6 *)(const void *)&a->ss)->sin6_addr);
	return (ntohl(((const struct sockaddr_in *)(const void *)&a->ss)->sin_addr.s_addr) >> 24) ==
	       127;
}

/* An http_hosts entry names its port: "name:1", "[v6]:1", but not "[v6]". */
static bool entry_has_port(const char *e)
{
	if (e[0] == '[')
		return strstr(e, "]:") != NULL;
	return strchr(e, ':') != NULL;
}

unsigned admin_check_host(const struct admin_policy *p, const char *host, char *msg, size_t msglen)
{
	static const char *const local[] = {"localhost", "127.0.0.1", "[::1]"};
	char want[ADMIN_HOST_MAX + 16], shown[72];
	unsigned port = listen_port(&p->listen);
	size_t n;

	if (host == NULL || host[0] == '\0') {
		pf_errf(msg, msglen, "a Host header is required");
		return 421;
	}
	n = strlen(host);
	if (!listen_is_wildcard(&p->listen) &&
	    ieq(host, n, pf_addr_str(&p->listen, want, sizeof(want))))
		return 0;
	if (listen_is_local(&p->listen)) {
		for (size_t i = 0; i < PF_ARRAY_SIZE(local); i++) {
			(void)snprintf(want, sizeof(want), "%s:%u", local[i], port);
			if (ieq(host, n, want))
				return 0;
		}
	}
	for (unsigned i = 0; i < p->n_hosts && i < ADMIN_MAX_HOSTS; i++) {
		if (ieq(host, n, p->hosts[i]))
			return 0;
		if (!entry_has_port(p->hosts[i])) {
			(void)snprintf(want, sizeof(want), "%s:%u", p->hosts[i], port);
			if (ieq(host, n, want))
				return 0;
		}
	}
	(void)pf_printable(shown, sizeof(shown), host, n, "\"\\");
	pf_errf(msg, msglen,
	        "Host \"%s\" is not served here: use the http_listen address or a name in "
	        "http_hosts",
	        shown);
	return 421;
}

/* ---- pure: token ---- */

bool admin_token_equal(const char *given, size_t given_len, const char *token, size_t token_len)
{
	volatile unsigned char diff = (unsigned char)(given_len != token_len);

	for (size_t i = 0; i < token_len; i++) {
		unsigned char g = i < given_len ? (unsigned char)given[i] : 0;

		diff |= (unsigned char)(g ^ (unsigned char)token[i]);
	}
	return diff == 0;
}

int admin_token_parse(const char *text, size_t len, char *out, size_t *outlen, char *err,
                      size_t errlen)
{
	if (len > 0 && text[len - 1] == '\n')
		len--;
	if (len > 0 && text[len - 1] == '\r')
		len--;
	if (len < ADMIN_TOKEN_MIN || len > ADMIN_TOKEN_MAX) {
		pf_errf(err, errlen,
		        "the token must be %d-%d characters, has %zu (make one with: head -c 32 "
		        "/dev/urandom | base64)",
		        ADMIN_TOKEN_MIN, ADMIN_TOKEN_MAX, len);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)text[i] <= 0x20 || (unsigned char)text[i] >= 0x7f) {
			pf_errf(err, errlen,
			        "the token must be visible ASCII characters only (no spaces, no "
			        "second line)");
			return -1;
		}
	}
	memcpy(out, text, len);
	out[len] = '\0';
	*outlen = len;
	return 0;
}

int admin_token_load(const char *path, bool check_owner, char *out, size_t *outlen, char *err,
                     size_t errlen)
{
	char why[256];
	struct stat sb;
	size_t len;
	char *text;
	int rc;

	if (stat(path, &sb) == -1) {
		pf_errf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		pf_errf(err, errlen, "%s: not a regular file", path);
		return -1;
	}
	if ((sb.st_mode & 077) != 0) {
		pf_errf(err, errlen,
		        "%s: mode %04o lets group or others at the admin token; chmod 600 it", path,
		        (unsigned)(sb.st_mode & 07777));
		return -1;
	}
	if (check_owner && sb.st_uid != geteuid()) {
		pf_errf(err, errlen, "%s: owned by uid %u, not by uid %u that runs polkfura-ctl",
		        path, (unsigned)sb.st_uid, (unsigned)geteuid());
		return -1;
	}
	text = pf_read_file(path, ADMIN_TOKEN_MAX + 2, &len, err, errlen);
	if (text == NULL)
		return -1;
	rc = admin_token_parse(text, len, out, outlen, why, sizeof(why));
	if (rc == -1)
		pf_errf(err, errlen, "%s: %s", path, why);
	explicit_bzero(text, len);
	free(text);
	return rc;
}

/* ---- pure: the admin request ---- */

static bool node_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/*
 * A reason is valid UTF-8 without C0 controls, DEL, C1 controls (U+0080..9F)
 * or the Unicode line and paragraph separators: nothing that breaks a line.
 */
static bool reason_ok(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i], cp, k;

		if (c < 0x20 || c == 0x7f)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			k = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 3, cp = c & 0x07;
		else
			return false;
		if (i + k >= n)
			return false;
		for (unsigned j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 ||
		    cp == 0x2029)
			return false;
		i += k + 1;
	}
	return true;
}

/* "application/json", any case, optionally followed by parameters. */
static bool is_json_type(const char *ct)
{
	static const char want[] = "application/json";
	size_t n = sizeof(want) - 1;

	if (ct == NULL)
		return false;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, want, n) != 0)
		return false;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

/* The token of "Bearer <token>" (scheme in any case), or NULL. */
static const char *bearer(const char *auth, size_t *len)
{
	size_t n;

	if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0)
		return NULL;
	auth += 7;
	while (*auth == ' ')
		auth++;
	n = strlen(auth);
	while (n > 0 && (auth[n - 1] == ' ' || auth[n - 1] == '\t'))
		n--;
	*len = n;
	return n > 0 ? auth : NULL;
}

static unsigned bad(char *msg, size_t msglen, const char *text)
{
	pf_errf(msg, msglen, "%s", text);
	return 400;
}

/* One member of the body into <out>. Returns 0 or 400 with <msg>. */
static unsigned body_member(const cJSON *it, struct admin_request *out, bool *has_reason, char *msg,
                            size_t msglen)
{
	const char *k = it->string != NULL ? it->string : "";
	const char *v = cJSON_IsString(it) ? it->valuestring : NULL;
	size_t n = v != NULL ? strlen(v) : 0;

	if (strcmp(k, "node") == 0) {
		bool ok = v != NULL && n >= 1 && n <= STATE_NAME_MAX;

		for (size_t i = 0; ok && i < n; i++)
			ok = node_char((unsigned char)v[i]);
		if (!ok)
			return bad(msg, msglen, "node: expected 1-63 characters of [A-Za-z0-9_.-]");
		memcpy(out->node, v, n + 1);
	} else if (strcmp(k, "reason") == 0) {
		if (v == NULL || n > STATE_REASON_MAX)
			return bad(msg, msglen, "reason: expected a string of at most 127 bytes");
		if (!reason_ok((const unsigned char *)v, n))
			return bad(msg, msglen,
			           "reason: control characters (newline, tab, escape...) are "
			           "not allowed");
		memcpy(out->reason, v, n + 1);
		*has_reason = n > 0;
	} else if (strcmp(k, "by") == 0) {
		bool ok = v != NULL && n <= STATE_BY_MAX;

		for (size_t i = 0; ok && i < n; i++)
			ok = (unsigned char)v[i] >= 0x20 && (unsigned char)v[i] < 0x7f;
		if (!ok)
			return bad(
			    msg, msglen,
			    "by: expected at most 64 printable ASCII characters (user@host)");
		memcpy(out->by, v, n + 1);
	} else if (strcmp(k, "force") == 0) {
		if (!cJSON_IsBool(it))
			return bad(msg, msglen, "force: expected true or false");
		out->force = cJSON_IsTrue(it);
	} else {
		char shown[40];

		(void)pf_printable(shown, sizeof(shown), k, strlen(k), "\"\\");
		pf_errf(msg, msglen, "unknown key \"%s\": expected node, reason, by, force", shown);
		return 400;
	}
	return 0;
}

static unsigned parse_body(const char *body, size_t len, struct admin_request *out, char *msg,
                           size_t msglen)
{
	const char *end = NULL;
	cJSON *root;
	const cJSON *it, *other;
	bool has_reason = false;
	unsigned st = 0;

	if (pf_json_nul_escape_at(body, len) < len || memchr(body, '\0', len) != NULL)
		return bad(msg, msglen,
		           "\\u0000 in the body: names and reasons are matched exactly");
	root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (root == NULL || !cJSON_IsObject(root) || end[strspn(end, " \t\r\n")] != '\0') {
		cJSON_Delete(root);
		return bad(msg, msglen,
		           "expected a JSON object {\"node\": NAME, \"reason\": TEXT, \"by\": "
		           "USER@HOST, \"force\": BOOL}");
	}
	cJSON_ArrayForEach(it, root)
	{
		for (other = root->child; st == 0 && other != it; other = other->next)
			if (it->string != NULL && other->string != NULL &&
			    strcmp(it->string, other->string) == 0)
				st = bad(msg, msglen, "a key is given twice");
		if (st == 0)
			st = body_member(it, out, &has_reason, msg, msglen);
		if (st != 0)
			break;
	}
	cJSON_Delete(root);
	if (st == 0 && out->node[0] == '\0')
		st = bad(msg, msglen, "node: required");
	if (st == 0 && !has_reason && out->action == ADMIN_DRAIN)
		(void)snprintf(out->reason, sizeof(out->reason), "%s", ADMIN_NO_REASON);
	return st;
}

unsigned admin_parse(const struct admin_policy *p, const struct http_request *req, int64_t now_ms,
                     struct admin_request *out, char *msg, size_t msglen)
{
	const char *tok;
	size_t tlen = 0;

	memset(out, 0, sizeof(*out));
	if (p->token_len == 0) {
		pf_errf(msg, msglen,
		        "admin endpoints are off: the controller has no admin_token_file");
		return 404;
	}
	if (strcmp(req->url, "/admin/drain") == 0) {
		out->action = ADMIN_DRAIN;
	} else if (strcmp(req->url, "/admin/undrain") == 0) {
		out->action = ADMIN_UNDRAIN;
	} else {
		pf_errf(msg, msglen, "not found: POST /admin/drain or /admin/undrain");
		return 404;
	}
	if (strcmp(req->method, "POST") != 0) {
		pf_errf(msg, msglen, "%s needs POST", req->url);
		return 405;
	}
	tok = bearer(req->authorization, &tlen);
	if (tok == NULL) {
		pf_errf(msg, msglen, "missing \"Authorization: Bearer TOKEN\" (admin_token_file)");
		return 401;
	}
	if (!admin_token_equal(tok, tlen, p->token, p->token_len)) {
		pf_errf(msg, msglen, "wrong admin token");
		return 401;
	}
	if (req->origin != NULL) {
		pf_errf(msg, msglen, "requests from web pages (with an Origin header) are refused");
		return 403;
	}
	if (!is_json_type(req->content_type)) {
		pf_errf(msg, msglen, "Content-Type must be application/json");
		return 415;
	}
	out->at_ms = now_ms;
	(void)pf_printable(out->peer, sizeof(out->peer), req->peer, strlen(req->peer), NULL);
	return parse_body(req->body, req->len, out, msg, msglen);
}

/* ---- the flow ---- */

static void reply_json(struct http_reply *out, unsigned status, cJSON *obj)
{
	char *text = obj != NULL ? cJSON_PrintUnformatted(obj) : NULL;

	cJSON_Delete(obj);
	out->status = text != NULL ? status : 500;
	out->content_type = "application/json";
	out->body = text != NULL ? text : strdup("{\"error\":\"out of memory\"}");
	out->len = out->body != NULL ? strlen(out->body) : 0;
}

static void reply_error(struct http_reply *out, unsigned status, const char *msg)
{
	cJSON *o = cJSON_CreateObject();

	if (o != NULL && cJSON_AddStringToObject(o, "error", msg) == NULL) {
		cJSON_Delete(o);
		o = NULL;
	}
	reply_json(out, status, o);
	if (status == 401) {
		out->hdr_name = "WWW-Authenticate";
		out->hdr_value = "Bearer";
	} else if (status == 405) {
		out->hdr_name = "Allow";
		out->hdr_value = "POST";
	}
}

static void log_refusal(struct admin *a, const struct http_request *req, unsigned status,
                        const char *msg)
{
	int64_t sec = pf_mono_ms() / 1000;
	char url[64], method[16];

	if (sec != a->log_second) {
		if (a->log_count > ADMIN_LOG_BURST)
			log_warn(MOD, "%u more refusals in the last second not logged",
			         a->log_count - ADMIN_LOG_BURST);
		a->log_second = sec;
		a->log_count = 0;
	}
	if (++a->log_count > ADMIN_LOG_BURST)
		return;
	(void)pf_printable(url, sizeof(url), req->url, strlen(req->url), NULL);
	(void)pf_printable(method, sizeof(method), req->method, strlen(req->method), NULL);
	log_warn(MOD, "peer=%s refused %s %s: %u %s", req->peer, method, url, status, msg);
}

static void on_saved(void *ctx, int rc, const char *err)
{
	struct admin_flow *f = ctx;
	struct admin *a = f->a;
	struct http_reply r = {0};
	char msg[512];

	a->in_flight--;
	if (rc == 0) {
		cJSON *o = cJSON_CreateObject();
		bool drain = f->req.action == ADMIN_DRAIN;

		a->ops.applied(a->ops_ctx, &f->req);
		if (o != NULL) {
			(void)cJSON_AddStringToObject(o, "node", f->req.node);
			(void)cJSON_AddBoolToObject(o, "admin_drain", drain);
			if (drain)
				(void)cJSON_AddStringToObject(o, "reason", f->req.reason);
			(void)cJSON_AddStringToObject(o, "by", f->req.by);
			(void)cJSON_AddStringToObject(o, "peer", f->req.peer);
			(void)cJSON_AddNumberToObject(o, "at_ms", (double)f->req.at_ms);
		}
		reply_json(&r, 200, o);
	} else {
		log_err(MOD, "node=%s admin %s not saved, nothing changed: %s", f->req.node,
		        f->req.action == ADMIN_DRAIN ? "drain" : "undrain", err);
		pf_errf(msg, sizeof(msg), "%s: %s; nothing changed",
		        rc == STATE_ESTOP ? "controller stopping" : "cannot save the state file",
		        err);
		reply_error(&r, rc == STATE_ESTOP ? 503 : 500, msg);
	}
	http_pending_reply(f->pending, &r);
	free(f);
}

/* Starts saving the validated <ar>; the reply is deferred. Returns 0 or an HTTP status. */
static unsigned start_change(struct admin *a, const struct http_request *req,
                             const struct admin_request *ar, char *msg, size_t msglen)
{
	struct admin_flow *f = calloc(1, sizeof(*f));
	struct state_entry e = {0};
	char err[256];

	if (f == NULL) {
		pf_errf(msg, msglen, "out of memory; nothing changed");
		return 503;
	}
	f->a = a;
	f->req = *ar;
	memcpy(e.node, ar->node, sizeof(e.node));
	memcpy(e.reason, ar->reason, sizeof(e.reason));
	memcpy(e.by, ar->by, sizeof(e.by));
	memcpy(e.peer, ar->peer, sizeof(e.peer));
	e.at_ms = ar->at_ms;
	if (state_change(a->st, ar->node, ar->action == ADMIN_DRAIN ? &e : NULL, on_saved, f, err,
	                 sizeof(err)) == -1) {
		free(f);
		pf_errf(msg, msglen, "cannot save the change: %s; nothing changed", err);
		return 503;
	}
	a->in_flight++;
	f->pending = http_defer(req);
	return 0;
}

void admin_http_handler(void *ctx, const struct http_request *req, struct http_reply *out)
{
	struct admin *a = ctx;
	struct admin_request ar;
	char msg[512];
	unsigned status = admin_check_host(&a->policy, req->host, msg, sizeof(msg));
	bool is_admin = strcmp(req->url, "/admin") == 0 || strncmp(req->url, "/admin/", 7) == 0;

	if (status == 0 && !is_admin) {
		a->next(a->next_ctx, req, out);
		return;
	}
	if (status == 0)
		status = admin_parse(&a->policy, req, pf_wall_ms(), &ar, msg, sizeof(msg));
	if (status == 0)
		status = a->ops.check(a->ops_ctx, &ar, msg, sizeof(msg));
	if (status == 0)
		status = start_change(a, req, &ar, msg, sizeof(msg));
	if (status == 0)
		return; /* deferred */
	log_refusal(a, req, status, msg);
	reply_error(out, status, msg);
}

struct admin *admin_new(const struct admin_policy *p, struct state *st, const struct admin_ops *ops,
                        void *ops_ctx, http_handler_fn next, void *next_ctx)
{
	struct admin *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->policy = *p;
	a->st = st;
	a->ops = *ops;
	a->ops_ctx = ops_ctx;
	a->next = next;
	a->next_ctx = next_ctx;
	return a;
}

void admin_free(struct admin *a)
{
	if (a == NULL)
		return;
	PF_BUG_ON(a->in_flight != 0); /* their callbacks would find <a> freed */
	explicit_bzero(&a->policy, sizeof(a->policy));
	free(a);
}
