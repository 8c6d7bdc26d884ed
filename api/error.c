/*
 * error.c: the mapping of enum err to API codes and HTTP statuses.
 */
#include "error.h"

static const struct {
	const char *code;
	int status;
} errors[ERR__COUNT] = {
	[ERR_OK]                  = { "ok", 200 },
	[ERR_INVALID_JSON]        = { "invalid_json", 400 },
	[ERR_MISSING_FIELD]       = { "missing_field", 400 },
	[ERR_INVALID_FIELD]       = { "invalid_field", 400 },
	[ERR_INVALID_PHONE]       = { "invalid_phone", 400 },
	[ERR_AUTH_REQUIRED]       = { "auth_required", 401 },
	[ERR_INVALID_TOKEN]       = { "invalid_token", 401 },
	[ERR_INVALID_CREDENTIALS] = { "invalid_credentials", 401 },
	[ERR_INVALID_CHAT_KEY]    = { "invalid_chat_key", 401 },
	[ERR_FORBIDDEN]           = { "forbidden", 403 },
	[ERR_NOT_FOUND]           = { "not_found", 404 },
	[ERR_USER_NOT_FOUND]      = { "user_not_found", 404 },
	[ERR_CHAT_NOT_FOUND]      = { "chat_not_found", 404 },
	[ERR_MESSAGE_NOT_FOUND]   = { "message_not_found", 404 },
	[ERR_METHOD_NOT_ALLOWED]  = { "method_not_allowed", 405 },
	[ERR_ALREADY_EXISTS]      = { "already_exists", 409 },
	[ERR_LOGIN_TAKEN]         = { "login_taken", 409 },
	[ERR_PHONE_TAKEN]         = { "phone_taken", 409 },
	[ERR_CURSOR_EXPIRED]      = { "cursor_expired", 410 },
	[ERR_PAYLOAD_TOO_LARGE]   = { "payload_too_large", 413 },
	[ERR_AVATAR_TOO_LARGE]    = { "avatar_too_large", 413 },
	[ERR_UNSUPPORTED_MEDIA]   = { "unsupported_media_type", 415 },
	[ERR_RATE_LIMITED]        = { "rate_limited", 429 },
	[ERR_INTERNAL]            = { "internal", 500 },
	[ERR_UNAVAILABLE]         = { "unavailable", 503 },
	[ERR_STORAGE_FULL]        = { "storage_full", 507 },
};

const char *
err_code(enum err e)
{
	if ((unsigned)e >= ERR__COUNT)
		return "internal";
	return errors[e].code;
}

int
err_status(enum err e)
{
	if ((unsigned)e >= ERR__COUNT)
		return 500;
	return errors[e].status;
}
