/*
 * fuzz_base64.c: libFuzzer harness for the base64 fields of a body
 * (api/fields.c field_base64(): attachments, avatars).
 *
 * The first byte picks the largest size allowed (0..255 bytes, or the
 * default attachment limit when it is 255); the rest is the field's text,
 * given to field_base64() inside {"data": ...} exactly as a parsed body
 * holds it (jansson strings are UTF-8 without NUL, so other inputs are
 * given as they are through json_stringn_nocheck()).
 *
 * Oracles besides the sanitizers: success means at most max bytes;
 * failure means a 400 invalid_field or a 413 payload_too_large response
 * naming the field; a byte outside the alphabets, padding and white space
 * is never taken (tests/http/test_malformed.py found libsodium taking
 * some); the decoded bytes, encoded again (standard alphabet,
 * padded) and decoded again, come back the same.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "../../api/api.h"
#include "../../api/fields.h"
#include "../../api/limits.h"

static const char *
no_header(void *front, const char *name)
{
	(void)front;
	(void)name;
	return NULL;
}

static enum err
decode(const char *s, size_t n, size_t max, unsigned char **out, size_t *len,
    struct response *resp)
{
	struct request req;
	json_t *obj = json_object();
	enum err e;

	api_request_init(&req);
	req.header = no_header;
	json_object_set_new(obj, "data", json_stringn_nocheck(s, n));
	api_response_init(resp);
	e = field_base64(&req, resp, obj, "data", FIELD_REQUIRED, max, out,
	    len);
	json_decref(obj);
	return e;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct response resp;
	unsigned char *out = NULL, *again = NULL;
	size_t len = 0, len2 = 0, max;
	char *b64;
	enum err e;

	if (size < 1)
		return 0;
	max = data[0] == 255 ? LIMIT_ATTACHMENT_BYTES : data[0];
	e = decode((const char *)data + 1, size - 1, max, &out, &len, &resp);
	if (e == ERR_OK) {
		size_t i;
		/* Only the alphabets, padding and white space are base64
		 * (libsodium 1.0.18 alone decodes some bytes above 0x7f). */
		for (i = 1; i < size; i++)
			if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789+/-_= \r\n\t", data[i]) == NULL ||
			    data[i] == '\0') {
				fprintf(stderr, "fuzz: byte %#x taken as base64\n",
				    data[i]);
				abort();
			}
		if (len > max || (len > 0 && out == NULL)) {
			fprintf(stderr, "fuzz: %zu bytes for max %zu\n", len, max);
			abort();
		}
		api_response_free(&resp);
		b64 = malloc(sodium_base64_ENCODED_LEN(len,
		    sodium_base64_VARIANT_ORIGINAL));
		sodium_bin2base64(b64, sodium_base64_ENCODED_LEN(len,
		    sodium_base64_VARIANT_ORIGINAL), out, len,
		    sodium_base64_VARIANT_ORIGINAL);
		if (decode(b64, strlen(b64), max, &again, &len2, &resp) !=
		    ERR_OK || len2 != len || memcmp(out, again, len) != 0) {
			fprintf(stderr, "fuzz: round trip differs\n");
			abort();
		}
		free(b64);
	} else if (!((e == ERR_INVALID_FIELD && resp.status == 400) ||
	    (e == ERR_PAYLOAD_TOO_LARGE && resp.status == 413) ||
	    (e == ERR_MISSING_FIELD && resp.status == 400))) {
		fprintf(stderr, "fuzz: error %d status %d\n", e, resp.status);
		abort();
	}
	api_response_free(&resp);
	free(out);
	free(again);
	return 0;
}
