/*
 * text.c: pure text helpers (see text.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "limits.h"
#include "text.h"

enum err
phone_normalize(const char *in, char out[PHONE_E164_MAX])
{
	size_t n = 0;
	int parens = 0;
	bool prev_digit = false;
	const char *p = in;

	if (in == NULL || *p != '+')
		return ERR_INVALID_PHONE;
	out[n++] = '+';
	for (p++; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9') {
			if (n == 1 && *p == '0')
				return ERR_INVALID_PHONE; /* no country code 0 */
			if (n - 1 >= LIMIT_PHONE_DIGITS_MAX)
				return ERR_INVALID_PHONE;
			out[n++] = *p;
			prev_digit = true;
			continue;
		}
		/* Separators stand between digits (or after ')'), never twice
		 * in a row; one pair of parentheses, after the first digit. */
		if (*p == '(' && parens == 0 && n > 1) {
			parens = 1;
		} else if (*p == ')' && parens == 1 && prev_digit) {
			parens = 2;
		} else if ((*p == ' ' || *p == '-' || *p == '.') &&
		    (prev_digit || p[-1] == ')')) {
			/* fine */
		} else {
			return ERR_INVALID_PHONE;
		}
		prev_digit = false;
	}
	if (parens == 1 || !prev_digit || n - 1 < LIMIT_PHONE_DIGITS_MIN)
		return ERR_INVALID_PHONE;
	out[n] = '\0';
	return ERR_OK;
}

/* Appends the digits of s (separators allowed as in phone_normalize) to
 * buf; returns false on anything else. */
static bool
append_digits(const char *s, char *buf, size_t *n, size_t cap)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s >= '0' && *s <= '9') {
			if (*n + 1 >= cap)
				return false;
			buf[(*n)++] = *s;
		} else if (*s != ' ' && *s != '-' && *s != '(' && *s != ')') {
			return false;
		}
	}
	return true;
}

enum err
phone_normalize_json(const json_t *j, char out[PHONE_E164_MAX])
{
	char buf[64];
	size_t n = 0;
	const char *area, *number;

	if (json_is_string(j))
		return phone_normalize(json_string_value(j), out);
	if (!json_is_object(j))
		return ERR_INVALID_PHONE;
	area = json_string_value(json_object_get(j, "area_code"));
	number = json_string_value(json_object_get(j, "number"));
	if (area == NULL || number == NULL)
		return ERR_INVALID_PHONE;
	if (*area == '+')
		area++;
	buf[n++] = '+';
	if (!append_digits(area, buf, &n, sizeof(buf)) ||
	    !append_digits(number, buf, &n, sizeof(buf)))
		return ERR_INVALID_PHONE;
	buf[n] = '\0';
	return phone_normalize(buf, out);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool
query_get(const char *q, const char *name, char *out, size_t outlen)
{
	size_t namelen = strlen(name);
	const char *p = q;

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, '&');
		const char *stop = end != NULL ? end : p + strlen(p);

		if ((size_t)(stop - p) >= namelen &&
		    strncmp(p, name, namelen) == 0 &&
		    (p[namelen] == '=' || p + namelen == stop)) {
			const char *v = p + namelen;
			size_t n = 0;

			if (*v == '=')
				v++;
			for (; v < stop; v++) {
				int c = (unsigned char)*v;
				if (c == '+') {
					c = ' ';
				} else if (c == '%') {
					int hi, lo;
					if (stop - v < 3 ||
					    (hi = hexval(v[1])) < 0 ||
					    (lo = hexval(v[2])) < 0)
						return false;
					c = hi * 16 + lo;
					v += 2;
				}
				if (c == 0 || n + 1 >= outlen)
					return false;
				out[n++] = (char)c;
			}
			out[n] = '\0';
			return true;
		}
		p = end != NULL ? end + 1 : NULL;
	}
	return false;
}

/* True if name is a key of the query string q, with or without a value. */
static bool
query_has(const char *q, const char *name)
{
	size_t namelen = strlen(name);
	const char *p = q;

	while ((p = strstr(p, name)) != NULL) {
		if ((p == q || p[-1] == '&') && (p[namelen] == '=' ||
		    p[namelen] == '&' || p[namelen] == '\0'))
			return true;
		p += namelen;
	}
	return false;
}

enum err
query_int(const char *q, const char *name, int64_t min, int64_t max,
    int64_t *v, bool *present)
{
	char buf[32], *end;
	long long x;

	*present = false;
	if (!query_get(q, name, buf, sizeof(buf)))
		/* Present but undecodable or too long is an error, absent is not. */
		return query_has(q, name) ? ERR_INVALID_FIELD : ERR_OK;
	*present = true;
	if (buf[0] == '\0' || !(isdigit((unsigned char)buf[0]) || buf[0] == '-'))
		return ERR_INVALID_FIELD;
	errno = 0;
	x = strtoll(buf, &end, 10);
	if (errno != 0 || *end != '\0' || x < min || x > max)
		return ERR_INVALID_FIELD;
	*v = x;
	return ERR_OK;
}

void
time_format(int64_t ms, char out[32])
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	/* Years past 9999 do not occur in stored times; the cast keeps the
	 * field widths known to the compiler. */
	snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
	    tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
	    tm.tm_sec % 100, (int)(ms % 1000));
}

bool
text_is_clean(const char *s, size_t len, bool multiline)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		unsigned c = *p;
		size_t k;
		unsigned cp;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f) {
				if (!(multiline &&
				    (c == '\n' || c == '\r' || c == '\t')))
					return false;
			}
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) { k = 1; cp = c & 0x1f; }
		else if (c >= 0xe0 && c <= 0xef) { k = 2; cp = c & 0x0f; }
		else if (c >= 0xf0 && c <= 0xf4) { k = 3; cp = c & 0x07; }
		else return false;
		if ((size_t)(end - p) <= k)
			return false;
		for (size_t i = 1; i <= k; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		/* overlong, surrogates, beyond U+10FFFF, C1 controls */
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
		    (cp >= 0x80 && cp <= 0x9f))
			return false;
		p += k + 1;
	}
	return true;
}

bool
login_is_valid(const char *s)
{
	size_t n = strlen(s), i;
	bool letter = false;

	if (n < LIMIT_LOGIN_MIN || n > LIMIT_LOGIN_MAX || !isalnum((unsigned char)s[0]))
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isalpha(c))
			letter = true;
		else if (!isdigit(c) && c != '_' && c != '.' && c != '-')
			return false;
	}
	return letter;
}

bool
email_is_valid(const char *s)
{
	const char *at = strchr(s, '@');
	size_t n = strlen(s);

	if (n > LIMIT_EMAIL_BYTES || at == NULL || at == s ||
	    strchr(at + 1, '@') != NULL || strchr(at + 1, '.') == NULL ||
	    at[1] == '.' || s[n - 1] == '.')
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}
