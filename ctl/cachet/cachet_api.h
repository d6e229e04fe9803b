/* SPDX-License-Identifier: MIT */
/*
 * Cachet API v1 (issue 11, "optionally push to an existing Cachet"), pure:
 * the request each event calls for (method, path, JSON body), the incident
 * id in Cachet's answer, and the file that maps polkfura incident ids to
 * Cachet's. No I/O, no clock: cachet.c sends what this builds.
 *
 * Cachet's API v1: PUT /api/v1/components/{id} {"status": 1..4} (1
 * operational, 2 performance issues, 3 partial outage, 4 major outage);
 * POST /api/v1/incidents {"name", "message", "status" 1 investigating ..
 * 4 fixed, "visible", "component_id", "component_status"}; PUT
 * /api/v1/incidents/{id}; answers {"data": {..., "id": N}}.
 */
#ifndef PF_CTL_CACHET_CACHET_API_H
#define PF_CTL_CACHET_CACHET_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"

#define CACHET_PATH_MAX 64
#define CACHET_BODY_MAX 1024
#define CACHET_ID_MAX   63  /* bytes of a polkfura incident id (REC_ID_MAX) */
#define CACHET_MAP_MAX  256 /* incidents mapped at once; more are not pushed */

/* Component statuses of Cachet's API. */
enum cachet_component_status {
	CACHET_COMP_NONE = 0, /* nothing to push (no data yet) */
	CACHET_COMP_OPERATIONAL,
	CACHET_COMP_PERFORMANCE,
	CACHET_COMP_PARTIAL,
	CACHET_COMP_MAJOR,
};

#define CACHET_INCIDENT_INVESTIGATING 1
#define CACHET_INCIDENT_FIXED         4

struct cachet_req {
	const char *method; /* "PUT" or "POST", static */
	char path[CACHET_PATH_MAX];
	char body[CACHET_BODY_MAX];
	size_t len;
};

/*
 * A chain state's name as ctl/db/observe.c gives it ("up", "degraded",
 * "down", anything else) to the component status it shows: degraded is
 * served with fewer healthy nodes than the floor, so "performance issues";
 * down is a major outage; anything else CACHET_COMP_NONE.
 */
enum cachet_component_status cachet_status_of(const char *state);

/* PUT of component <id>'s <status>. Returns 0, or -1 if it does not fit (never for sane ids). */
PF_MUSTCHECK int cachet_req_component(struct cachet_req *out, unsigned id,
                                      enum cachet_component_status status);

/*
 * POST of a new visible incident <name>/<message> (any bytes: escaped),
 * status investigating, on component <component_id> (0: none) set to
 * <component_status>. Returns 0, or -1 when the body does not fit or on
 * allocation failure.
 */
PF_MUSTCHECK int cachet_req_incident_open(struct cachet_req *out, const char *name,
                                          const char *message, unsigned component_id,
                                          enum cachet_component_status component_status);

/* PUT that marks Cachet incident <id> fixed with <message>. Returns 0 or -1 as above. */
PF_MUSTCHECK int cachet_req_incident_fixed(struct cachet_req *out, uint64_t id,
                                           const char *message);

/*
 * The id in Cachet's answer <body>/<len>: {"data": {"id": N}} with N a
 * positive integer. Returns N, or 0 when the answer is anything else.
 */
uint64_t cachet_parse_id(const char *body, size_t len);

/* polkfura incident id -> Cachet incident id, kept across restarts in a file. */
struct cachet_map_entry {
	char pf_id[CACHET_ID_MAX + 1];
	uint64_t cachet_id; /* 0: the POST is in flight or failed; not resolvable yet */
};

struct cachet_map {
	struct cachet_map_entry e[CACHET_MAP_MAX];
	unsigned n;
};

/* The entry for <pf_id>, or NULL. */
struct cachet_map_entry *cachet_map_find(struct cachet_map *m, const char *pf_id);

/* Adds (or updates) <pf_id> -> <cachet_id>. Returns 0, or -1 when full or <pf_id> is too long. */
PF_MUSTCHECK int cachet_map_set(struct cachet_map *m, const char *pf_id, uint64_t cachet_id);

/* Removes <pf_id> if present. */
void cachet_map_del(struct cachet_map *m, const char *pf_id);

/*
 * The file's text: one "<pf_id> <cachet_id>\n" per entry with a known
 * Cachet id. Writes at most <cap> bytes into <out>; returns the length, or
 * -1 when it does not fit.
 */
PF_MUSTCHECK long cachet_map_encode(const struct cachet_map *m, char *out, size_t cap);

/*
 * Reads the file's text <p>/<len> into <m> (emptied first). A line that is
 * not "<id> <positive integer>" is skipped and counted. Returns the lines
 * skipped.
 */
unsigned cachet_map_decode(struct cachet_map *m, const char *p, size_t len);

#endif
