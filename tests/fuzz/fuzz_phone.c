/*
 * fuzz_phone.c: libFuzzer harness for phone numbers (api/text.c) and the
 * other pure text helpers a request's query goes through.
 *
 * The input is used three ways: as a C string for phone_normalize(); as a
 * JSON document for phone_normalize_json() (a string, or an object
 * {"area_code","number"}); and as a query string for query_get() and
 * query_int().
 *
 * Oracles besides the sanitizers: a number that normalises is '+' and
 * LIMIT_PHONE_DIGITS_MIN..MAX digits, the first not 0, and normalising it
 * again gives itself; the object form with area_code "+X" and the rest of
 * the digits gives the same number; a decoded query value fits its buffer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../api/limits.h"
#include "../../api/text.h"

static void
check_e164(const char *out, const char *from)
{
	char again[PHONE_E164_MAX];
	size_t i, n = strlen(out);

	if (out[0] != '+' || n - 1 < LIMIT_PHONE_DIGITS_MIN ||
	    n - 1 > LIMIT_PHONE_DIGITS_MAX || out[1] == '0')
		goto bad;
	for (i = 1; i < n; i++)
		if (out[i] < '0' || out[i] > '9')
			goto bad;
	if (phone_normalize(out, again) != ERR_OK || strcmp(again, out) != 0)
		goto bad;
	return;
bad:
	fprintf(stderr, "fuzz: %s normalised to bad %s\n", from, out);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[PHONE_E164_MAX], out2[PHONE_E164_MAX], value[64];
	char *s = malloc(size + 1);
	json_t *j;
	int64_t v;
	bool present;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	memset(out, 'X', sizeof(out));
	if (phone_normalize(s, out) == ERR_OK) {
		check_e164(out, s);
		/* The same digits as the object form must agree. */
		j = json_pack("{s:s#, s:s}", "area_code", out + 1, (int)1,
		    "number", out + 2);
		if (j != NULL && phone_normalize_json(j, out2) == ERR_OK &&
		    strcmp(out, out2) != 0) {
			fprintf(stderr, "fuzz: %s vs %s\n", out, out2);
			abort();
		}
		json_decref(j);
	}

	j = json_loadb((const char *)data, size, JSON_DECODE_ANY |
	    JSON_REJECT_DUPLICATES, NULL);
	if (j != NULL) {
		if (phone_normalize_json(j, out) == ERR_OK)
			check_e164(out, s);
		json_decref(j);
	}

	if (query_get(s, "phone", value, sizeof(value)) &&
	    strlen(value) >= sizeof(value)) {
		fprintf(stderr, "fuzz: query value overflows\n");
		abort();
	}
	if (query_int(s, "after", 0, INT64_MAX, &v, &present) == ERR_OK &&
	    present && v < 0) {
		fprintf(stderr, "fuzz: query_int out of range\n");
		abort();
	}
	(void)text_is_clean(s, size, true);
	(void)login_is_valid(s);
	(void)email_is_valid(s);
	free(s);
	return 0;
}
