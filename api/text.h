/*
 * text.h: pure text helpers: phones, query strings, times, validation.
 * Nothing here touches the network, the database or the clock's state,
 * which is why tests/unit/ tests them directly.
 */
#ifndef PARLEY_TEXT_H
#define PARLEY_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"

#define PHONE_E164_MAX 17   /* '+', 15 digits, NUL */

/* Normalises a phone number to E.164 ("+79991234567") into out. Accepts
 * "+79991234567", "+7 (999) 123-45-67" (spaces, dots, dashes and one pair
 * of parentheses between digits) and the object {"area_code","number"}.
 * Returns ERR_OK or ERR_INVALID_PHONE. */
enum err phone_normalize(const char *in, char out[PHONE_E164_MAX]);
enum err phone_normalize_json(const json_t *j, char out[PHONE_E164_MAX]);

/* Finds name in the query string q ("a=1&b=x%20y") and decodes its value
 * (percent escapes, '+' as space) into out, of size outlen. Returns true if
 * found and it fit and decoded to text without NUL bytes. */
bool query_get(const char *q, const char *name, char *out, size_t outlen);

/* Parses a query value as a whole number in [min, max]. Returns ERR_OK
 * and sets *v (left alone when absent: *present says which),
 * or ERR_INVALID_FIELD. */
enum err query_int(const char *q, const char *name, int64_t min, int64_t max,
    int64_t *v, bool *present);

/* Formats ms since the epoch as RFC 3339 UTC with milliseconds into out
 * ("2026-11-21T10:00:00.123Z"); out holds at least 25 bytes. */
void time_format(int64_t ms, char out[32]);

/* True if s (len bytes) is UTF-8 with no control characters but tab, CR
 * and LF (when multiline) — what a name or a message may hold. */
bool text_is_clean(const char *s, size_t len, bool multiline);

/* True if s is a login: LIMIT_LOGIN_MIN..MAX of [A-Za-z0-9_.-], starting
 * with a letter or digit, and not all digits (so it is never taken for an
 * id or a phone). */
bool login_is_valid(const char *s);

/* True if s looks like an e-mail address: one '@' with text on both
 * sides, a dot in the domain, no spaces, at most LIMIT_EMAIL_BYTES. */
bool email_is_valid(const char *s);

#endif
