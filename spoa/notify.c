/* SPDX-License-Identifier: MIT */
/*
 * Turns a decoded "rpc-request" message into a verdict and the verdict into
 * ACK actions. The variable names carry no prefix: the shipped SPOE config
 * sets "option var-prefix rpc", so HAProxy sees txn.rpc.class and so on.
 */
#include "spoa/notify.h"

#include <ctype.h>
#include <string.h>

#include "common/compiler.h"

int notify_chains_parse(const char *list, struct notify_chains *out, char *err, size_t errlen)
{
	const char *p = list;

	memset(out, 0, sizeof(*out));
	while (*p != '\0') {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (len == 0 || len > NOTIFY_CHAIN_MAX) {
			snprintf(err, errlen, "chain names must be 1-%d characters",
			         NOTIFY_CHAIN_MAX);
			return -1;
		}
		if (!pf_chain_name_is_valid(p, len)) {
			snprintf(err, errlen, "'%.*s': use lower-case letters, digits and '-'",
			         (int)len, p);
			return -1;
		}
		for (unsigned i = 0; i < out->n; i++) {
			if (strlen(out->names[i]) == len && memcmp(out->names[i], p, len) == 0) {
				snprintf(err, errlen, "'%.*s' listed twice", (int)len, p);
				return -1;
			}
		}
		if (out->n == NOTIFY_MAX_CHAINS) {
			snprintf(err, errlen, "at most %d chains", NOTIFY_MAX_CHAINS);
			return -1;
		}
		memcpy(out->names[out->n], p, len);
		out->names[out->n][len] = '\0';
		out->n++;
		if (end == NULL)
			break;
		p = end + 1;
		if (*p == '\0') {
			snprintf(err, errlen, "trailing comma");
			return -1;
		}
	}
	if (out->n == 0) {
		snprintf(err, errlen, "no chain given");
		return -1;
	}
	return 0;
}

int notify_chain_of_host(const struct notify_chains *chains, struct pf_slice host)
{
	char label[NOTIFY_CHAIN_MAX + 1];
	size_t n = 0;

	while (n < host.len && host.p[n] != '.' && host.p[n] != ':') {
		if (n == NOTIFY_CHAIN_MAX)
			return -1;
		label[n] = (char)tolower(host.p[n]);
		n++;
	}
	label[n] = '\0';
	for (unsigned i = 0; i < chains->n; i++) {
		if (strcmp(chains->names[i], label) == 0)
			return (int)i;
	}
	return -1;
}

static bool data_as_bytes(const struct spop_data *d, struct pf_slice *out)
{
	if (d == NULL || (d->type != SPOP_DATA_STRING && d->type != SPOP_DATA_BINARY))
		return false;
	*out = d->v.s;
	return true;
}

static bool data_as_u64(const struct spop_data *d, uint64_t *out)
{
	if (d == NULL)
		return false;
	switch (d->type) {
	case SPOP_DATA_INT32:
	case SPOP_DATA_INT64:
		if (d->v.i < 0)
			return false;
		*out = (uint64_t)d->v.i;
		return true;
	case SPOP_DATA_UINT32:
	case SPOP_DATA_UINT64:
		*out = d->v.u;
		return true;
	default:
		return false;
	}
}

void notify_decide(const struct spop_message *m, const struct methods *table,
                   const struct notify_chains *chains, size_t max_body, struct notify_verdict *v)
{
	struct pf_slice host = {NULL, 0}, body = {NULL, 0};
	uint64_t size;

	memset(v, 0, sizeof(*v));
	v->chain = data_as_bytes(spop_message_arg(m, "host"), &host)
	               ? notify_chain_of_host(chains, host)
	               : -1;
	(void)data_as_bytes(spop_message_arg(m, "body"), &body);
	if (!data_as_u64(spop_message_arg(m, "size"), &size))
		size = body.len; /* no size passed: trust the body as whole */
	if (body.len > max_body || size > body.len) {
		v->rpc.cls = RPC_CLASS_OVERSIZE;
		return;
	}
	rpc_classify(table, body.p, body.len, &v->rpc);
}

void notify_put_actions(const struct notify_verdict *v, const struct notify_chains *chains,
                        struct spop_buf *b)
{
	const char *chain = v->chain >= 0 ? chains->names[v->chain] : "unknown";
	const char *cls = rpc_class_name(v->rpc.cls);

	spop_put_set_var_string(b, SPOP_SCOPE_TXN, "chain", chain, strlen(chain));
	spop_put_set_var_string(b, SPOP_SCOPE_TXN, "class", cls, strlen(cls));
	if (v->rpc.cls == RPC_CLASS_INVALID || v->rpc.cls == RPC_CLASS_OVERSIZE)
		goto id;
	if (v->rpc.is_batch) {
		spop_put_set_var_string(b, SPOP_SCOPE_TXN, "method", "batch", 5);
	} else if (v->rpc.has_method) {
		char safe[RPC_METHOD_MAX];

		for (size_t i = 0; i < v->rpc.method_len; i++) {
			unsigned char c = (unsigned char)v->rpc.method[i];

			safe[i] = (c > 0x20 && c < 0x7f && c != '"' && c != '\\') ? (char)c : '?';
		}
		spop_put_set_var_string(b, SPOP_SCOPE_TXN, "method", safe, v->rpc.method_len);
	}
	spop_put_set_var_uint32(b, SPOP_SCOPE_TXN, "batch", v->rpc.calls);
id:
	if (v->rpc.has_id && !v->rpc.is_batch)
		spop_put_set_var_string(b, SPOP_SCOPE_TXN, "id", (const char *)v->rpc.id.p,
		                        v->rpc.id.len);
}
