/*
 * auth.h: passwords, tokens, sessions: the only code that handles secrets.
 */
#ifndef PARLEY_AUTH_H
#define PARLEY_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include <sodium.h>

#include "request.h"

/* Makes the stand-in hash checked for unknown users; call once before
 * threads start. Returns false when out of memory. */
bool auth_init(void);

/* Hashes password with argon2id at the configured cost into out.
 * Returns false when out of memory. */
bool password_hash(const char *password, char out[crypto_pwhash_STRBYTES]);

/* True if password matches hash. With hash NULL or "" it still spends the
 * time of a real check, so that an unknown user answers as slowly as a
 * wrong password. */
bool password_check(const char *hash, const char *password);

/* Makes a new session for user and returns its API object
 * {"token","user_id","expires_at"}, or NULL with *e set. */
json_t *session_issue(int64_t user, enum err *e);

/* Reads the caller's token (Authorization: Bearer, or authToken) and sets
 * req->user_id, session_id and tenant_id. On failure answers resp with
 * auth_required or invalid_token and returns that error. */
enum err auth_request(struct request *req, struct response *resp);

/* Hashes a secret (token or chat key) for storage and lookup. */
void secret_hash(const char *secret, unsigned char out[32]);

/* Fills out with a new random secret: 32 bytes, URL-safe base64 (43 chars). */
void secret_new(char out[48]);

/* Fills out with n random bytes as lowercase hex (2n+1 bytes). */
void random_hex(char *out, size_t n);

#endif
