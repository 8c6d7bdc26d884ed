/*
 * error.h: the one error enum of parley, shared by every layer.
 *
 * Each value maps to one code and one HTTP status of API.md's error table
 * (error.c holds the mapping). db/ returns these too, so that a storage
 * failure reaches the client as the right status without translation.
 */
#ifndef PARLEY_ERROR_H
#define PARLEY_ERROR_H

enum err {
	ERR_OK = 0,
	ERR_INVALID_JSON,        /* 400 the body is not a JSON object, or not UTF-8 */
	ERR_MISSING_FIELD,       /* 400 a required field is absent */
	ERR_INVALID_FIELD,       /* 400 a field has the wrong type or value */
	ERR_INVALID_PHONE,       /* 400 a phone number that cannot be E.164 */
	ERR_AUTH_REQUIRED,       /* 401 no token given */
	ERR_INVALID_TOKEN,       /* 401 unknown, expired or revoked token */
	ERR_INVALID_CREDENTIALS, /* 401 wrong login or password */
	ERR_INVALID_CHAT_KEY,    /* 401 unknown or revoked tenant key */
	ERR_FORBIDDEN,           /* 403 */
	ERR_NOT_FOUND,           /* 404 no such path or object */
	ERR_USER_NOT_FOUND,      /* 404 */
	ERR_CHAT_NOT_FOUND,      /* 404 */
	ERR_MESSAGE_NOT_FOUND,   /* 404 */
	ERR_METHOD_NOT_ALLOWED,  /* 405 */
	ERR_ALREADY_EXISTS,      /* 409 */
	ERR_LOGIN_TAKEN,         /* 409 */
	ERR_PHONE_TAKEN,         /* 409 */
	ERR_CURSOR_EXPIRED,      /* 410 */
	ERR_PAYLOAD_TOO_LARGE,   /* 413 */
	ERR_AVATAR_TOO_LARGE,    /* 413 */
	ERR_UNSUPPORTED_MEDIA,   /* 415 */
	ERR_RATE_LIMITED,        /* 429 with Retry-After */
	ERR_INTERNAL,            /* 500 */
	ERR_UNAVAILABLE,         /* 503 with Retry-After: database busy */
	ERR_STORAGE_FULL,        /* 507 the disk is full: reads still work */
	ERR__COUNT
};

/* The API's code string for e ("user_not_found"); never NULL. */
const char *err_code(enum err e);

/* The HTTP status for e. */
int err_status(enum err e);

#endif
