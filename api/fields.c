/*
 * fields.c: JSON field getters with the API's errors.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "api.h"
#include "fields.h"

enum err
field_string(struct request *req, struct response *resp, const json_t *obj,
    const char *name, int flags, size_t min, size_t max, const char **out)
{
	const json_t *v = json_object_get(obj, name);
	size_t len;

	*out = NULL;
	if (v == NULL || (json_is_null(v) && (flags & FIELD_NULLABLE))) {
		if (v == NULL && (flags & FIELD_REQUIRED))
			return reply_error(resp, req, ERR_MISSING_FIELD, name,
			    "%s is required", name);
		return ERR_OK;
	}
	if (!json_is_string(v))
		return reply_error(resp, req, ERR_INVALID_FIELD, name,
		    "%s must be a string", name);
	len = json_string_length(v);
	if (len < min || len > max)
		return reply_error(resp, req, ERR_INVALID_FIELD, name,
		    "%s must be %zu to %zu bytes long", name, min, max);
	if (!text_is_clean(json_string_value(v), len,
	    (flags & FIELD_MULTILINE) != 0))
		return reply_error(resp, req, ERR_INVALID_FIELD, name,
		    "%s holds control characters", name);
	*out = json_string_value(v);
	return ERR_OK;
}

enum err
field_id(struct request *req, struct response *resp, const json_t *obj,
    const char *name, int flags, int64_t *out)
{
	const json_t *v = json_object_get(obj, name);

	*out = 0;
	if (v == NULL) {
		if (flags & FIELD_REQUIRED)
			return reply_error(resp, req, ERR_MISSING_FIELD, name,
			    "%s is required", name);
		return ERR_OK;
	}
	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		return reply_error(resp, req, ERR_INVALID_FIELD, name,
		    "%s must be a positive integer id", name);
	*out = json_integer_value(v);
	return ERR_OK;
}

enum err
field_phone(struct request *req, struct response *resp, const json_t *obj,
    const char *name, int flags, char out[PHONE_E164_MAX])
{
	const json_t *v = json_object_get(obj, name);

	out[0] = '\0';
	if (v == NULL || (json_is_null(v) && (flags & FIELD_NULLABLE))) {
		if (v == NULL && (flags & FIELD_REQUIRED))
			return reply_error(resp, req, ERR_MISSING_FIELD, name,
			    "%s is required", name);
		return ERR_OK;
	}
	if (phone_normalize_json(v, out) != ERR_OK)
		return reply_error(resp, req, ERR_INVALID_PHONE, name,
		    "%s must be an international number such as"
		    " \"+79991234567\" or {\"area_code\":\"7\","
		    "\"number\":\"9991234567\"}", name);
	return ERR_OK;
}

enum err
field_only(struct request *req, struct response *resp, const json_t *obj,
    const char *const *known)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)obj, key, v) {
		if (strcmp(key, "transaction") == 0)
			continue; /* the request id, allowed everywhere */
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(known[i], key) == 0)
				break;
		if (known[i] == NULL)
			return reply_error(resp, req, ERR_INVALID_FIELD, key,
			    "unknown field %s", key);
	}
	return ERR_OK;
}

enum err
field_base64(struct request *req, struct response *resp, const json_t *obj,
    const char *name, int flags, size_t max, unsigned char **out, size_t *len)
{
	static const int variants[] = { sodium_base64_VARIANT_ORIGINAL,
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
	    sodium_base64_VARIANT_URLSAFE,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING };
	const json_t *v = json_object_get(obj, name);
	const char *s;
	size_t n, cap, i;

	*out = NULL;
	*len = 0;
	if (v == NULL) {
		if (flags & FIELD_REQUIRED)
			return reply_error(resp, req, ERR_MISSING_FIELD, name,
			    "%s is required", name);
		return ERR_OK;
	}
	if (!json_is_string(v))
		return reply_error(resp, req, ERR_INVALID_FIELD, name,
		    "%s must be a base64 string", name);
	s = json_string_value(v);
	n = json_string_length(v);
	/* Only the alphabets, padding and white space: libsodium (1.0.18)
	 * takes some bytes above 0x7f for digits ("a\xc2\x85b" decodes). */
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/' ||
		    c == '-' || c == '_' || c == '=' || c == ' ' ||
		    c == '\r' || c == '\n' || c == '\t'))
			return reply_error(resp, req, ERR_INVALID_FIELD, name,
			    "%s is not base64", name);
	}
	cap = n / 4 * 3 + 3;
	/* Refuse early what cannot fit even with line breaks in it; the
	 * exact check follows the decoding. */
	if (n / 4 * 3 > max + max / 16 + 3)
		return reply_error(resp, req, ERR_PAYLOAD_TOO_LARGE, name,
		    "%s is larger than %zu bytes", name, max);
	if ((*out = malloc(cap ? cap : 1)) == NULL)
		return reply_error(resp, req, ERR_INTERNAL, NULL, "out of memory");
	for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++)
		if (sodium_base642bin(*out, cap, s, n, " \r\n\t", len, NULL,
		    variants[i]) == 0)
			break;
	if (i == sizeof(variants) / sizeof(variants[0])) {
		free(*out);
		*out = NULL;
		return reply_error(resp, req, ERR_INVALID_FIELD, name,
		    "%s is not base64", name);
	}
	if (*len > max) {
		free(*out);
		*out = NULL;
		return reply_error(resp, req, ERR_PAYLOAD_TOO_LARGE, name,
		    "%s is larger than %zu bytes", name, max);
	}
	return ERR_OK;
}
