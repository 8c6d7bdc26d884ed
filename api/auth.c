/*
 * auth.c: passwords (argon2id), tokens (256 random bits, stored as BLAKE2b
 * hashes), and the check of a request's token.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../db/db.h"
#include "api.h"
#include "auth.h"
#include "clock.h"
#include "config.h"
#include "limits.h"
#include "text.h"

/* A hash of a random password made at start-up: checked against when the
 * user is unknown, so that both failures cost the same. */
static char dummy_hash[crypto_pwhash_STRBYTES];

static unsigned long long
memlimit(void)
{
	return (unsigned long long)config.pwhash_mem_mib * 1024 * 1024;
}

bool
auth_init(void)
{
	char pw[33];

	random_hex(pw, 16);
	return password_hash(pw, dummy_hash);
}

bool
password_hash(const char *password, char out[crypto_pwhash_STRBYTES])
{
	return crypto_pwhash_str_alg(out, password, strlen(password),
	    (unsigned long long)config.pwhash_ops, memlimit(),
	    crypto_pwhash_ALG_ARGON2ID13) == 0;
}

bool
password_check(const char *hash, const char *password)
{
	if (hash == NULL || hash[0] == '\0') {
		/* The answer is false either way; the work is the point. */
		bool spent = crypto_pwhash_str_verify(dummy_hash, password,
		    strlen(password)) == 0;
		(void)spent;
		return false;
	}
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

void
secret_hash(const char *secret, unsigned char out[32])
{
	crypto_generichash(out, 32, (const unsigned char *)secret,
	    strlen(secret), NULL, 0);
}

void
secret_new(char out[48])
{
	unsigned char raw[32];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, 48, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

void
random_hex(char *out, size_t n)
{
	unsigned char raw[32];

	if (n > sizeof(raw))
		n = sizeof(raw);
	randombytes_buf(raw, n);
	sodium_bin2hex(out, 2 * n + 1, raw, n);
}

json_t *
session_issue(int64_t user, enum err *e)
{
	char token[48], expires[32];
	unsigned char hash[32];
	int64_t now = now_ms(), until, session;
	json_t *j;

	until = now + (int64_t)config.session_ttl * 1000;
	secret_new(token);
	secret_hash(token, hash);
	*e = db_session_create(user, hash, now, until, &session);
	if (*e != ERR_OK)
		return NULL;
	time_format(until, expires);
	j = json_pack("{s:s, s:I, s:s}", "token", token, "user_id",
	    (json_int_t)user, "expires_at", expires);
	if (j == NULL)
		*e = ERR_INTERNAL; /* out of memory */
	return j;
}

/* The token of req, or NULL when it sent none. */
static const char *
request_token(const struct request *req)
{
	const char *h = req->header(req->front, "Authorization");

	if (h != NULL) {
		if (strncasecmp(h, "Bearer ", 7) != 0)
			return "";
		h += 7;
		while (*h == ' ')
			h++;
		return h;
	}
	return req->header(req->front, "authToken");
}

enum err
auth_request(struct request *req, struct response *resp)
{
	const char *token = request_token(req);
	unsigned char hash[32];
	int64_t now = now_ms(), expires;
	enum err e;

	if (token == NULL)
		return reply_error(resp, req, ERR_AUTH_REQUIRED, NULL,
		    "sign in first: send Authorization: Bearer <token>");
	secret_hash(token, hash);
	e = db_session_find(hash, now, &req->user_id, &req->session_id,
	    &req->tenant_id, &expires);
	if (e == ERR_INVALID_TOKEN)
		return reply_error(resp, req, e, NULL,
		    "the token is unknown, expired or revoked");
	if (e != ERR_OK)
		return reply_error(resp, req, e, NULL, "cannot check the token");
	/* Sliding expiry, written at most once per SESSION_SLIDE_EVERY_S. */
	if (now + (int64_t)config.session_ttl * 1000 - expires >
	    SESSION_SLIDE_EVERY_S * 1000LL)
		(void)db_session_extend(hash, req->session_id,
		    now + (int64_t)config.session_ttl * 1000);
	return ERR_OK;
}
