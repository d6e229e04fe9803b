/* SPDX-License-Identifier: MIT */
/*
 * Cachet API v1 requests and answers, and the incident id map's file
 * format. cJSON builds the bodies (strings from nodes and operators need
 * escaping) and reads the answers: a cold path, a few requests a minute.
 */
#include "ctl/cachet/cachet_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

enum cachet_component_status cachet_status_of(const char *state)
{
	if (state == NULL)
		return CACHET_COMP_NONE;
	if (strcmp(state, "up") == 0)
		return CACHET_COMP_OPERATIONAL;
	if (strcmp(state, "degraded") == 0)
		return CACHET_COMP_PERFORMANCE;
	if (strcmp(state, "down") == 0)
		return CACHET_COMP_MAJOR;
	return CACHET_COMP_NONE;
}

/* Prints <o> (freed) into <out>'s body. */
static int put_body(struct cachet_req *out, cJSON *o)
{
	int rc = -1;

	if (o != NULL && cJSON_PrintPreallocated(o, out->body, (int)sizeof(out->body), false)) {
		out->len = strlen(out->body);
		rc = 0;
	}
	cJSON_Delete(o);
	return rc;
}

int cachet_req_component(struct cachet_req *out, unsigned id, enum cachet_component_status status)
{
	cJSON *o = cJSON_CreateObject();

	out->method = "PUT";
	snprintf(out->path, sizeof(out->path), "/api/v1/components/%u", id);
	if (o == NULL || cJSON_AddNumberToObject(o, "status", (double)status) == NULL) {
		cJSON_Delete(o);
		return -1;
	}
	return put_body(out, o);
}

int cachet_req_incident_open(struct cachet_req *out, const char *name, const char *message,
                             unsigned component_id, enum cachet_component_status component_status)
{
	cJSON *o = cJSON_CreateObject();
	bool ok = o != NULL;

	out->method = "POST";
	snprintf(out->path, sizeof(out->path), "/api/v1/incidents");
	ok = ok && cJSON_AddStringToObject(o, "name", name) != NULL;
	ok = ok && cJSON_AddStringToObject(o, "message", message) != NULL;
	ok = ok && cJSON_AddNumberToObject(o, "status", CACHET_INCIDENT_INVESTIGATING) != NULL;
	ok = ok && cJSON_AddNumberToObject(o, "visible", 1) != NULL;
	if (ok && component_id > 0) {
		ok = cJSON_AddNumberToObject(o, "component_id", component_id) != NULL;
		ok = ok && cJSON_AddNumberToObject(o, "component_status", component_status) != NULL;
	}
	if (!ok) {
		cJSON_Delete(o);
		return -1;
	}
	return put_body(out, o);
}

int cachet_req_incident_fixed(struct cachet_req *out, uint64_t id, const char *message)
{
	cJSON *o = cJSON_CreateObject();
	bool ok = o != NULL;

	out->method = "PUT";
	snprintf(out->path, sizeof(out->path), "/api/v1/incidents/%llu", (unsigned long long)id);
	ok = ok && cJSON_AddNumberToObject(o, "status", CACHET_INCIDENT_FIXED) != NULL;
	ok = ok && cJSON_AddStringToObject(o, "message", message) != NULL;
	if (!ok) {
		cJSON_Delete(o);
		return -1;
	}
	return put_body(out, o);
}

uint64_t cachet_parse_id(const char *body, size_t len)
{
	cJSON *root = cJSON_ParseWithLength(body, len);
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(data, "id");
	uint64_t out = 0;

	/* 2^53: beyond it a double no longer holds every integer. */
	if (cJSON_IsObject(data) && cJSON_IsNumber(id) && id->valuedouble >= 1 &&
	    id->valuedouble <= 9007199254740992.0 &&
	    id->valuedouble == (double)(uint64_t)id->valuedouble)
		out = (uint64_t)id->valuedouble;
	cJSON_Delete(root);
	return out;
}

struct cachet_map_entry *cachet_map_find(struct cachet_map *m, const char *pf_id)
{
	for (unsigned i = 0; i < m->n; i++)
		if (strcmp(m->e[i].pf_id, pf_id) == 0)
			return &m->e[i];
	return NULL;
}

int cachet_map_set(struct cachet_map *m, const char *pf_id, uint64_t cachet_id)
{
	struct cachet_map_entry *e = cachet_map_find(m, pf_id);
	size_t len = strlen(pf_id);

	if (e == NULL) {
		if (m->n == CACHET_MAP_MAX || len == 0 || len > CACHET_ID_MAX)
			return -1;
		e = &m->e[m->n++];
		memcpy(e->pf_id, pf_id, len + 1);
	}
	e->cachet_id = cachet_id;
	return 0;
}

void cachet_map_del(struct cachet_map *m, const char *pf_id)
{
	struct cachet_map_entry *e = cachet_map_find(m, pf_id);

	if (e == NULL)
		return;
	*e = m->e[--m->n];
}

long cachet_map_encode(const struct cachet_map *m, char *out, size_t cap)
{
	size_t off = 0;

	if (cap == 0)
		return -1;
	out[0] = '\0';
	for (unsigned i = 0; i < m->n; i++) {
		int k;

		if (m->e[i].cachet_id == 0)
			continue;
		k = snprintf(out + off, cap - off, "%s %llu\n", m->e[i].pf_id,
		             (unsigned long long)m->e[i].cachet_id);
		if (k < 0 || (size_t)k >= cap - off)
			return -1;
		off += (size_t)k;
	}
	return (long)off;
}

/* One line <p>/<len> (no newline) into <m>. Returns false when it is not "<id> <n>". */
static bool decode_line(struct cachet_map *m, const char *p, size_t len)
{
	const char *sp = memchr(p, ' ', len);
	char id[CACHET_ID_MAX + 1];
	uint64_t n = 0;
	size_t idlen, i;

	if (sp == NULL)
		return false;
	idlen = (size_t)(sp - p);
	if (idlen == 0 || idlen > CACHET_ID_MAX || sp + 1 == p + len)
		return false;
	for (i = 0; i < idlen; i++)
		if (p[i] <= ' ' || p[i] > '~')
			return false;
	for (const char *d = sp + 1; d < p + len; d++) {
		if (*d < '0' || *d > '9' || n > (UINT64_MAX - 9) / 10)
			return false;
		n = n * 10 + (uint64_t)(*d - '0');
	}
	if (n == 0)
		return false;
	memcpy(id, p, idlen);
	id[idlen] = '\0';
	return cachet_map_set(m, id, n) == 0;
}

unsigned cachet_map_decode(struct cachet_map *m, const char *p, size_t len)
{
	unsigned skipped = 0;
	size_t off = 0;

	m->n = 0;
	while (off < len) {
		const char *nl = memchr(p + off, '\n', len - off);
		size_t l = nl != NULL ? (size_t)(nl - (p + off)) : len - off;

		if (l > 0 && !decode_line(m, p + off, l))
			skipped++;
		off += l + (nl != NULL ? 1 : 0);
	}
	return skipped;
}
