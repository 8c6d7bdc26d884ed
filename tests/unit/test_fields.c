/*
 * test_fields.c: the JSON field getters of api/fields.c: field_string,
 * field_id, field_phone and field_only: required, optional and nullable
 * fields, wrong types and sizes, and that each refusal leaves the API's
 * error body (status, "code", "field", "request_id") in the response while
 * an accepted field leaves the response untouched.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../api/api.h"
#include "../../api/fields.h"

struct fixture {
	struct request req;
	struct response resp;
	json_t *obj;
};

static const char *
no_header(void *front, const char *name)
{
	return NULL;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	api_request_init(&f->req);
	f->req.method = "POST";
	f->req.path = "/api/v1/users";
	f->req.header = no_header;
	snprintf(f->req.request_id, sizeof(f->req.request_id), "req-1");
	api_response_init(&f->resp);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	json_decref(f->obj);
	api_request_free(&f->req);
	api_response_free(&f->resp);
	free(f);
	return 0;
}

/* Sets the body object of the fixture from JSON text. */
static json_t *
body(struct fixture *f, const char *text)
{
	json_error_t jerr;

	json_decref(f->obj);
	f->obj = json_loads(text, 0, &jerr);
	if (f->obj == NULL)
		fail_msg("bad test JSON %s: %s", text, jerr.text);
	return f->obj;
}

/* Asserts that resp holds nothing: the getter accepted the field. */
static void
untouched(const struct fixture *f)
{
	assert_int_equal(f->resp.status, 0);
	assert_null(f->resp.body);
	assert_int_equal(f->resp.nheaders, 0);
}

/* Asserts that resp is the API error body with code and field, then
 * clears resp for the next call. */
static void
error_is(struct fixture *f, int status, const char *code, const char *field)
{
	json_t *j, *err;
	json_error_t jerr;

	assert_int_equal(f->resp.status, status);
	assert_non_null(f->resp.body);
	assert_string_equal(f->resp.content_type,
	    "application/json; charset=utf-8");
	j = json_loadb(f->resp.body, f->resp.body_len, 0, &jerr);
	if (j == NULL)
		fail_msg("error body is not JSON: %.*s", (int)f->resp.body_len,
		    f->resp.body);
	assert_int_equal(json_object_size(j), 1);
	err = json_object_get(j, "error");
	assert_true(json_is_object(err));
	assert_string_equal(json_string_value(json_object_get(err, "code")),
	    code);
	assert_non_null(json_string_value(json_object_get(err, "field")));
	assert_string_equal(json_string_value(json_object_get(err, "field")),
	    field);
	assert_string_equal(json_string_value(json_object_get(err,
	    "request_id")), "req-1");
	assert_true(json_string_length(json_object_get(err, "message")) > 0);
	json_decref(j);
	api_response_free(&f->resp);
	api_response_init(&f->resp);
}

/* --- field_string --- */

static void
string_present(void **state)
{
	struct fixture *f = *state;
	const char *out = "sentinel";

	body(f, "{\"nick\":\"Ann\"}");
	assert_int_equal(field_string(&f->req, &f->resp, f->obj, "nick",
	    FIELD_REQUIRED, 1, 128, &out), ERR_OK);
	assert_string_equal(out, "Ann");
	untouched(f);
	/* The value belongs to the object: the same pointer. */
	assert_ptr_equal(out, json_string_value(json_object_get(f->obj, "nick")));

	body(f, "{\"nick\":\"\\u00e9\\ud83d\\ude00\"}");
	assert_int_equal(field_string(&f->req, &f->resp, f->obj, "nick", 0, 1,
	    128, &out), ERR_OK);
	assert_string_equal(out, "\xc3\xa9\xf0\x9f\x98\x80");
	untouched(f);
}

static void
string_absent(void **state)
{
	struct fixture *f = *state;
	const char *out = "sentinel";

	body(f, "{\"other\":\"x\"}");
	assert_int_equal(field_string(&f->req, &f->resp, f->obj, "nick",
	    FIELD_OPTIONAL, 1, 128, &out), ERR_OK);
	assert_null(out);
	untouched(f);

	out = "sentinel";
	assert_int_equal(field_string(&f->req, &f->resp, f->obj, "nick",
	    FIELD_REQUIRED, 1, 128, &out), ERR_MISSING_FIELD);
	assert_null(out);
	error_is(f, 400, "missing_field", "nick");

	/* The same with NULLABLE: absent is still missing when required. */
	assert_int_equal(field_string(&f->req, &f->resp, f->obj, "nick",
	    FIELD_REQUIRED | FIELD_NULLABLE, 1, 128, &out), ERR_MISSING_FIELD);
	error_is(f, 400, "missing_field", "nick");
}

static void
string_null(void **state)
{
	struct fixture *f = *state;
	const char *out = "sentinel";

	body(f, "{\"status\":null}");
	assert_int_equal(field_string(&f->req, &f->resp, f->obj, "status",
	    FIELD_NULLABLE, 0, 512, &out), ERR_OK);
	assert_null(out);
	untouched(f);

	out = "sentinel";
	assert_int_equal(field_string(&f->req, &f->resp, f->obj, "status",
	    FIELD_NULLABLE | FIELD_REQUIRED, 0, 512, &out), ERR_OK);
	assert_null(out);
	untouched(f);

	/* null without FIELD_NULLABLE is a wrong type. */
	assert_int_equal(field_string(&f->req, &f->resp, f->obj, "status",
	    FIELD_OPTIONAL, 0, 512, &out), ERR_INVALID_FIELD);
	error_is(f, 400, "invalid_field", "status");
	assert_int_equal(field_string(&f->req, &f->resp, f->obj, "status",
	    FIELD_REQUIRED, 0, 512, &out), ERR_INVALID_FIELD);
	error_is(f, 400, "invalid_field", "status");
}

static void
string_wrong_types(void **state)
{
	struct fixture *f = *state;
	static const char *const bodies[] = {
		"{\"nick\":5}", "{\"nick\":1.5}", "{\"nick\":true}",
		"{\"nick\":false}", "{\"nick\":[\"Ann\"]}",
		"{\"nick\":{\"v\":\"Ann\"}}",
	};

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		const char *out = "sentinel";
		body(f, bodies[i]);
		assert_int_equal(field_string(&f->req, &f->resp, f->obj, "nick",
		    FIELD_REQUIRED | FIELD_NULLABLE, 0, 128, &out),
		    ERR_INVALID_FIELD);
		assert_null(out);
		error_is(f, 400, "invalid_field", "nick");
	}
}

static void
string_sizes(void **state)
{
	struct fixture *f = *state;
	const char *out;

	/* min 3, max 5, in bytes */
	body(f, "{\"a\":\"ab\",\"b\":\"abc\",\"c\":\"abcde\",\"d\":\"abcdef\","
	    "\"e\":\"\\u00e9\\u00e9\",\"f\":\"\\u00e9\\u00e9\\u00e9\",\"g\":\"\"}");
	assert_int_equal(field_string(&f->req, &f->resp, f->obj, "a", 0, 3, 5,
	    &out), ERR_INVALID_FIELD);
	error_is(f, 400, "invalid_field", "a");
	assert_int_equal(field_string(&f->req, &f->resp, f->obj, "b", 0, 3, 5,
	    &out), ERR_OK);
	assert_string_equal(out, "abc");
	assert_int_equal(field_string(&f->req, &f->resp, f->obj, "c", 0, 3, 5,
	    &out), ERR_OK);
	assert_string_equal(out, "abcde");
	untouched(f);
	assert_int_equal(field_string(&f->req, &f->resp, f->obj, "d", 0, 3, 5,
	    &out), ERR_INVALID_FIELD);
	error_is(f, 400, "invalid_field", "d");
	/* "éé" is 2 characters but 4 bytes. */
	assert_int_equal(field_string(&f->req, &f->resp, f->obj, "e", 0, 3, 5,
	    &out), ERR_OK);
	assert_int_equal(field_string(&f->req, &f->resp, f->obj, "e", 0, 1, 3,
	    &out), ERR_INVALID_FIELD);
	error_is(f, 400, "invalid_field", "e");
	assert_int_equal(field_string(&f->req, &f->resp, f->obj, "f", 0, 3, 5,
	    &out), ERR_INVALID_FIELD);
	error_is(f, 400, "invalid_field", "f");
	/* An empty string is a value, refused only by min. */
	assert_int_equal(field_string(&f->req, &f->resp, f->obj, "g", 0, 0, 5,
	    &out), ERR_OK);
	assert_string_equal(out, "");
	assert_int_equal(field_string(&f->req, &f->resp, f->obj, "g",
	    FIELD_REQUIRED, 1, 5, &out), ERR_INVALID_FIELD);
	error_is(f, 400, "invalid_field", "g");
}

static void
string_control_characters(void **state)
{
	struct fixture *f = *state;
	const char *out;

	body(f, "{\"text\":\"line 1\\nline 2\\tend\",\"bell\":\"a\\u0007b\","
	    "\"c1\":\"a\\u0085b\",\"del\":\"a\\u007fb\"}");
	assert_int_equal(field_string(&f->req, &f->resp, f->obj, "text", 0, 0,
	    100, &out), ERR_INVALID_FIELD);
	error_is(f, 400, "invalid_field", "text");
	assert_int_equal(field_string(&f->req, &f->resp, f->obj, "text",
	    FIELD_MULTILINE, 0, 100, &out), ERR_OK);
	assert_string_equal(out, "line 1\nline 2\tend");
	untouched(f);
	assert_int_equal(field_string(&f->req, &f->resp, f->obj, "bell",
	    FIELD_MULTILINE, 0, 100, &out), ERR_INVALID_FIELD);
	error_is(f, 400, "invalid_field", "bell");
	assert_int_equal(field_string(&f->req, &f->resp, f->obj, "c1",
	    FIELD_MULTILINE, 0, 100, &out), ERR_INVALID_FIELD);
	error_is(f, 400, "invalid_field", "c1");
	assert_int_equal(field_string(&f->req, &f->resp, f->obj, "del",
	    FIELD_MULTILINE, 0, 100, &out), ERR_INVALID_FIELD);
	error_is(f, 400, "invalid_field", "del");

	/* A NUL inside the string (as json_stringn can make) is caught: the
	 * check covers the whole length, not up to the first NUL. */
	json_decref(f->obj);
	f->obj = json_object();
	json_object_set_new(f->obj, "nick", json_stringn("ab\0cd", 5));
	assert_int_equal(field_string(&f->req, &f->resp, f->obj, "nick",
	    FIELD_MULTILINE, 0, 100, &out), ERR_INVALID_FIELD);
	error_is(f, 400, "invalid_field", "nick");
}

/* --- field_id --- */

static void
id_values(void **state)
{
	struct fixture *f = *state;
	int64_t out = -1;

	body(f, "{\"user_id\":42,\"big\":9223372036854775807,\"one\":1}");
	assert_int_equal(field_id(&f->req, &f->resp, f->obj, "user_id",
	    FIELD_REQUIRED, &out), ERR_OK);
	assert_int_equal(out, 42);
	assert_int_equal(field_id(&f->req, &f->resp, f->obj, "big", 0, &out),
	    ERR_OK);
	assert_int_equal(out, INT64_MAX);
	assert_int_equal(field_id(&f->req, &f->resp, f->obj, "one", 0, &out),
	    ERR_OK);
	assert_int_equal(out, 1);
	untouched(f);

	out = -1;
	assert_int_equal(field_id(&f->req, &f->resp, f->obj, "chat_id",
	    FIELD_OPTIONAL, &out), ERR_OK);
	assert_int_equal(out, 0);
	untouched(f);

	out = -1;
	assert_int_equal(field_id(&f->req, &f->resp, f->obj, "chat_id",
	    FIELD_REQUIRED, &out), ERR_MISSING_FIELD);
	assert_int_equal(out, 0);
	error_is(f, 400, "missing_field", "chat_id");
}

static void
id_refused(void **state)
{
	struct fixture *f = *state;
	static const char *const bodies[] = {
		"{\"user_id\":0}", "{\"user_id\":-1}", "{\"user_id\":\"42\"}",
		"{\"user_id\":42.0}", "{\"user_id\":4.2}", "{\"user_id\":null}",
		"{\"user_id\":true}", "{\"user_id\":[42]}",
		"{\"user_id\":{\"id\":42}}",
		"{\"user_id\":-9223372036854775808}",
	};

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		int64_t out = -1;
		body(f, bodies[i]);
		if (field_id(&f->req, &f->resp, f->obj, "user_id", 0, &out) !=
		    ERR_INVALID_FIELD)
			fail_msg("accepted %s", bodies[i]);
		assert_int_equal(out, 0);
		error_is(f, 400, "invalid_field", "user_id");
	}
}

/* --- field_phone --- */

static void
phone_forms(void **state)
{
	struct fixture *f = *state;
	char out[PHONE_E164_MAX];

	body(f, "{\"a\":\"+79991234567\",\"b\":\"+7 (999) 123-45-67\","
	    "\"c\":{\"area_code\":\"7\",\"number\":\"9991234567\"},"
	    "\"d\":{\"area_code\":\"+44\",\"number\":\"20 7946 0958\"}}");
	assert_int_equal(field_phone(&f->req, &f->resp, f->obj, "a",
	    FIELD_REQUIRED, out), ERR_OK);
	assert_string_equal(out, "+79991234567");
	assert_int_equal(field_phone(&f->req, &f->resp, f->obj, "b", 0, out),
	    ERR_OK);
	assert_string_equal(out, "+79991234567");
	assert_int_equal(field_phone(&f->req, &f->resp, f->obj, "c", 0, out),
	    ERR_OK);
	assert_string_equal(out, "+79991234567");
	assert_int_equal(field_phone(&f->req, &f->resp, f->obj, "d", 0, out),
	    ERR_OK);
	assert_string_equal(out, "+442079460958");
	untouched(f);
}

static void
phone_absent_and_null(void **state)
{
	struct fixture *f = *state;
	char out[PHONE_E164_MAX];

	body(f, "{\"phone\":null}");
	memset(out, 'x', sizeof(out));
	assert_int_equal(field_phone(&f->req, &f->resp, f->obj, "other", 0,
	    out), ERR_OK);
	assert_int_equal(out[0], '\0');
	untouched(f);

	memset(out, 'x', sizeof(out));
	assert_int_equal(field_phone(&f->req, &f->resp, f->obj, "other",
	    FIELD_REQUIRED, out), ERR_MISSING_FIELD);
	assert_int_equal(out[0], '\0');
	error_is(f, 400, "missing_field", "other");

	memset(out, 'x', sizeof(out));
	assert_int_equal(field_phone(&f->req, &f->resp, f->obj, "phone",
	    FIELD_NULLABLE, out), ERR_OK);
	assert_int_equal(out[0], '\0');
	untouched(f);

	assert_int_equal(field_phone(&f->req, &f->resp, f->obj, "phone", 0,
	    out), ERR_INVALID_PHONE);
	error_is(f, 400, "invalid_phone", "phone");
}

static void
phone_refused(void **state)
{
	struct fixture *f = *state;
	static const char *const bodies[] = {
		"{\"phone\":\"79991234567\"}", "{\"phone\":\"+7 999\"}",
		"{\"phone\":\"+7999123456789012\"}", "{\"phone\":\"\"}",
		"{\"phone\":\"+7 (999 1234567\"}", "{\"phone\":79991234567}",
		"{\"phone\":true}", "{\"phone\":[\"+79991234567\"]}",
		"{\"phone\":{\"area_code\":\"7\"}}",
		"{\"phone\":{\"number\":\"9991234567\"}}",
		"{\"phone\":{\"area_code\":\"0\",\"number\":\"9991234567\"}}",
	};

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		char out[PHONE_E164_MAX];
		body(f, bodies[i]);
		if (field_phone(&f->req, &f->resp, f->obj, "phone",
		    FIELD_REQUIRED | FIELD_NULLABLE, out) != ERR_INVALID_PHONE)
			fail_msg("accepted %s", bodies[i]);
		error_is(f, 400, "invalid_phone", "phone");
	}
}

/* --- field_only --- */

static void
only_known_fields(void **state)
{
	struct fixture *f = *state;
	static const char *const known[] = { "login", "password", "nick",
	    NULL };
	static const char *const none[] = { NULL };

	body(f, "{\"login\":\"ann\",\"password\":\"secret123\"}");
	assert_int_equal(field_only(&f->req, &f->resp, f->obj, known), ERR_OK);
	body(f, "{}");
	assert_int_equal(field_only(&f->req, &f->resp, f->obj, known), ERR_OK);
	assert_int_equal(field_only(&f->req, &f->resp, f->obj, none), ERR_OK);
	/* "transaction", the request id, is allowed everywhere. */
	body(f, "{\"login\":\"ann\",\"transaction\":\"t-1\"}");
	assert_int_equal(field_only(&f->req, &f->resp, f->obj, known), ERR_OK);
	body(f, "{\"transaction\":7}");
	assert_int_equal(field_only(&f->req, &f->resp, f->obj, none), ERR_OK);
	untouched(f);
}

static void
only_refuses_unknown(void **state)
{
	struct fixture *f = *state;
	static const char *const known[] = { "login", "password", "nick",
	    NULL };
	static const char *const none[] = { NULL };

	body(f, "{\"login\":\"ann\",\"pasword\":\"secret123\"}");
	assert_int_equal(field_only(&f->req, &f->resp, f->obj, known),
	    ERR_INVALID_FIELD);
	error_is(f, 400, "invalid_field", "pasword");
	/* Names are case-sensitive; prefixes are not the name. */
	body(f, "{\"Login\":\"ann\"}");
	assert_int_equal(field_only(&f->req, &f->resp, f->obj, known),
	    ERR_INVALID_FIELD);
	error_is(f, 400, "invalid_field", "Login");
	body(f, "{\"log\":\"ann\"}");
	assert_int_equal(field_only(&f->req, &f->resp, f->obj, known),
	    ERR_INVALID_FIELD);
	error_is(f, 400, "invalid_field", "log");
	body(f, "{\"Transaction\":\"t\"}");
	assert_int_equal(field_only(&f->req, &f->resp, f->obj, known),
	    ERR_INVALID_FIELD);
	error_is(f, 400, "invalid_field", "Transaction");
	body(f, "{\"a\":1}");
	assert_int_equal(field_only(&f->req, &f->resp, f->obj, none),
	    ERR_INVALID_FIELD);
	error_is(f, 400, "invalid_field", "a");
}

/* Without a request id, the error body has no request_id key. */
static void
error_without_request_id(void **state)
{
	struct fixture *f = *state;
	const char *out;
	json_t *j;

	f->req.request_id[0] = '\0';
	body(f, "{}");
	assert_int_equal(field_string(&f->req, &f->resp, f->obj, "nick",
	    FIELD_REQUIRED, 1, 10, &out), ERR_MISSING_FIELD);
	j = json_loadb(f->resp.body, f->resp.body_len, 0, NULL);
	assert_non_null(j);
	assert_null(json_object_get(json_object_get(j, "error"), "request_id"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(j,
	    "error"), "field")), "nick");
	json_decref(j);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(string_present),
		T(string_absent),
		T(string_null),
		T(string_wrong_types),
		T(string_sizes),
		T(string_control_characters),
		T(id_values),
		T(id_refused),
		T(phone_forms),
		T(phone_absent_and_null),
		T(phone_refused),
		T(only_known_fields),
		T(only_refuses_unknown),
		T(error_without_request_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
