/*
 * fields.h: reading the fields of a JSON request body. Each getter checks
 * type and size and, on a bad field, answers resp with missing_field or
 * invalid_field naming the field, and returns that error.
 */
#ifndef PARLEY_FIELDS_H
#define PARLEY_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "request.h"
#include "text.h"

enum field_flags {
	FIELD_OPTIONAL = 0,
	FIELD_REQUIRED = 1 << 0,
	FIELD_MULTILINE = 1 << 1,   /* tabs and newlines allowed */
	FIELD_NULLABLE = 1 << 2,    /* null is accepted (and *out is NULL) */
};

/* obj[name] as a string of min..max bytes of clean UTF-8 text. Absent (or
 * null when FIELD_NULLABLE): ERR_OK with *out NULL. */
enum err field_string(struct request *req, struct response *resp,
    const json_t *obj, const char *name, int flags, size_t min, size_t max,
    const char **out);

/* obj[name] as a positive id. Absent: ERR_OK with *out 0 unless required. */
enum err field_id(struct request *req, struct response *resp,
    const json_t *obj, const char *name, int flags, int64_t *out);

/* obj[name] as a phone in any of the three forms, into out as E.164.
 * Absent: ERR_OK with out[0] '\0'. A bad number: invalid_phone. */
enum err field_phone(struct request *req, struct response *resp,
    const json_t *obj, const char *name, int flags, char out[PHONE_E164_MAX]);

/* obj[name] as base64 (standard or URL-safe, padded or not) decoded into
 * a new buffer *out of *len bytes (the caller frees it). At most max
 * bytes decoded: more is payload_too_large. Absent: ERR_OK, *out NULL. */
enum err field_base64(struct request *req, struct response *resp,
    const json_t *obj, const char *name, int flags, size_t max,
    unsigned char **out, size_t *len);

/* Refuses any key of obj that is not in the NULL-terminated list known,
 * so that a misspelt field is an error rather than silently ignored. */
enum err field_only(struct request *req, struct response *resp,
    const json_t *obj, const char *const *known);

#endif
