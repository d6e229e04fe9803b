/* SPDX-License-Identifier: MIT */
/*
 * ctl/cachet/cachet_api.c against Cachet's API v1 documentation: the paths,
 * methods and field values of component and incident requests (status
 * numbers as the docs list them), the id in {"data": {"id": N}}, and the
 * incident map's file format round trip and its broken lines.
 */
#include <string.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "ctl/cachet/cachet_api.h"
#include "tests/unit/check_main.h"

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	ck_assert_msg(cJSON_IsNumber(v), "%s missing", k);
	return v->valuedouble;
}

START_TEST(status_mapping)
{
	/* Cachet: 1 operational, 2 performance issues, 3 partial outage, 4 major outage. */
	ck_assert_int_eq(cachet_status_of("up"), 1);
	ck_assert_int_eq(cachet_status_of("degraded"), 2);
	ck_assert_int_eq(cachet_status_of("down"), 4);
	ck_assert_int_eq(cachet_status_of("nodata"), 0);
	ck_assert_int_eq(cachet_status_of(NULL), 0);
}
END_TEST

START_TEST(component_request)
{
	struct cachet_req r;
	cJSON *o;

	ck_assert_int_eq(cachet_req_component(&r, 7, CACHET_COMP_MAJOR), 0);
	ck_assert_str_eq(r.method, "PUT");
	ck_assert_str_eq(r.path, "/api/v1/components/7");
	ck_assert_uint_eq(r.len, strlen(r.body));
	o = cJSON_Parse(r.body);
	ck_assert_ptr_nonnull(o);
	ck_assert_double_eq(num(o, "status"), 4);
	ck_assert_int_eq(cJSON_GetArraySize(o), 1);
	cJSON_Delete(o);
}
END_TEST

START_TEST(incident_open_request)
{
	struct cachet_req r;
	cJSON *o;

	ck_assert_int_eq(cachet_req_incident_open(&r, "polkadot: chain_down",
	                                          "no \"node\"\n answering", 3, CACHET_COMP_MAJOR),
	                 0);
	ck_assert_str_eq(r.method, "POST");
	ck_assert_str_eq(r.path, "/api/v1/incidents");
	o = cJSON_Parse(r.body);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(cJSON_GetObjectItem(o, "name")->valuestring, "polkadot: chain_down");
	ck_assert_str_eq(cJSON_GetObjectItem(o, "message")->valuestring, "no \"node\"\n answering");
	ck_assert_double_eq(num(o, "status"), 1); /* investigating */
	ck_assert_double_eq(num(o, "visible"), 1);
	ck_assert_double_eq(num(o, "component_id"), 3);
	ck_assert_double_eq(num(o, "component_status"), 4);
	cJSON_Delete(o);
	/* No component: the incident alone. */
	ck_assert_int_eq(cachet_req_incident_open(&r, "n", "m", 0, CACHET_COMP_MAJOR), 0);
	o = cJSON_Parse(r.body);
	ck_assert_ptr_null(cJSON_GetObjectItem(o, "component_id"));
	ck_assert_ptr_null(cJSON_GetObjectItem(o, "component_status"));
	cJSON_Delete(o);
}
END_TEST

START_TEST(incident_fixed_request)
{
	struct cachet_req r;
	cJSON *o;
	char big[CACHET_BODY_MAX + 8];

	ck_assert_int_eq(cachet_req_incident_fixed(&r, 12345678901ULL, "resolved"), 0);
	ck_assert_str_eq(r.method, "PUT");
	ck_assert_str_eq(r.path, "/api/v1/incidents/12345678901");
	o = cJSON_Parse(r.body);
	ck_assert_double_eq(num(o, "status"), 4); /* fixed */
	cJSON_Delete(o);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(cachet_req_incident_fixed(&r, 1, big), -1);
}
END_TEST

START_TEST(parse_id)
{
	static const char ok[] = "{\"data\":{\"id\":42,\"name\":\"x\",\"status\":1}}";
	static const char *const bad[] = {
	    "",
	    "{}",
	    "{\"data\":[]}",
	    "{\"data\":{\"id\":\"42\"}}",
	    "{\"data\":{\"id\":0}}",
	    "{\"data\":{\"id\":-3}}",
	    "{\"data\":{\"id\":1.5}}",
	    "{\"data\":{\"id\":1e300}}",
	    "{\"id\":42}",
	    "{\"data\":{\"id\":42}",
	};

	ck_assert_uint_eq(cachet_parse_id(ok, strlen(ok)), 42);
	/* The length is honoured: the same text cut short is broken. */
	ck_assert_uint_eq(cachet_parse_id(ok, strlen(ok) - 1), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(cachet_parse_id(bad[i], strlen(bad[i])) == 0, "%s", bad[i]);
}
END_TEST

START_TEST(map_round_trip)
{
	static struct cachet_map m, back;
	char text[256];
	long n;

	ck_assert_int_eq(cachet_map_set(&m, "abc-1", 10), 0);
	ck_assert_int_eq(cachet_map_set(&m, "abc-2", 0), 0); /* POST in flight: not written */
	ck_assert_int_eq(cachet_map_set(&m, "abc-3", 30), 0);
	n = cachet_map_encode(&m, text, sizeof(text));
	ck_assert_str_eq(text, "abc-1 10\nabc-3 30\n");
	ck_assert_int_eq(n, 18);
	ck_assert_uint_eq(cachet_map_decode(&back, text, (size_t)n), 0);
	ck_assert_uint_eq(back.n, 2);
	ck_assert_uint_eq(cachet_map_find(&back, "abc-3")->cachet_id, 30);
	cachet_map_del(&back, "abc-1");
	ck_assert_ptr_null(cachet_map_find(&back, "abc-1"));
	ck_assert_uint_eq(cachet_map_find(&back, "abc-3")->cachet_id, 30);
	ck_assert_int_eq(cachet_map_encode(&m, text, 10), -1);
}
END_TEST

START_TEST(map_broken_lines)
{
	static struct cachet_map m;
	static const char text[] =
	    "a 1\nno-number\nb 0\n c\nd 12x\ne 99999999999999999999999\n\nf 6";

	ck_assert_uint_eq(cachet_map_decode(&m, text, strlen(text)), 5);
	ck_assert_uint_eq(m.n, 2);
	ck_assert_uint_eq(cachet_map_find(&m, "a")->cachet_id, 1);
	ck_assert_uint_eq(cachet_map_find(&m, "f")->cachet_id, 6);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cachet_api");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, status_mapping);
	tcase_add_test(tc, component_request);
	tcase_add_test(tc, incident_open_request);
	tcase_add_test(tc, incident_fixed_request);
	tcase_add_test(tc, parse_id);
	tcase_add_test(tc, map_round_trip);
	tcase_add_test(tc, map_broken_lines);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
