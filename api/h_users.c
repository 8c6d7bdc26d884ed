/*
 * h_users.c: the signed-in user's profile and avatar, and other users.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../db/db.h"
#include "api.h"
#include "clock.h"
#include "fields.h"
#include "handlers.h"
#include "config.h"
#include "image.h"
#include "limits.h"
#include "text.h"

/* Answers resp with the User id as the caller sees it. */
static void
reply_user(struct request *req, struct response *resp, int64_t id)
{
	enum err e;
	json_t *u = db_user_get(req->user_id, id, now_ms(), &e);

	if (u == NULL) {
		reply_error(resp, req, e, e == ERR_USER_NOT_FOUND ? "id" : NULL,
		    e == ERR_USER_NOT_FOUND ? "no user with id %lld" :
		    "cannot read user %lld", (long long)id);
		return;
	}
	reply_json(resp, 200, u);
}

void
h_me_get(struct request *req, struct response *resp)
{
	reply_user(req, resp, req->user_id);
}

/* The text fields of PATCH /me: name, largest size, nullable. */
static const struct {
	const char *name;
	size_t max;
	int flags;
} profile_fields[] = {
	{ "nick", LIMIT_NAME_BYTES, FIELD_OPTIONAL },
	{ "first_name", LIMIT_NAME_BYTES, FIELD_NULLABLE },
	{ "last_name", LIMIT_NAME_BYTES, FIELD_NULLABLE },
	{ "middle_name", LIMIT_NAME_BYTES, FIELD_NULLABLE },
	{ "status", LIMIT_STATUS_BYTES, FIELD_NULLABLE },
	{ "language", LIMIT_LANGUAGE_BYTES, FIELD_NULLABLE },
	{ "public_key", LIMIT_PUBLIC_KEY_BYTES, FIELD_NULLABLE | FIELD_MULTILINE },
	{ "email", LIMIT_EMAIL_BYTES, FIELD_NULLABLE },
};

void
h_me_patch(struct request *req, struct response *resp)
{
	static const char *const known[] = { "nick", "first_name", "last_name",
	    "middle_name", "status", "language", "public_key", "email", "phone",
	    NULL };
	char phone[PHONE_E164_MAX];
	json_t *set = json_object();
	const char *v;
	enum err e;
	size_t i;

	if (set == NULL) {
		reply_error(resp, req, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (field_only(req, resp, req->json, known) != ERR_OK)
		goto out;
	for (i = 0; i < sizeof(profile_fields) / sizeof(profile_fields[0]); i++) {
		const char *name = profile_fields[i].name;
		if (json_object_get(req->json, name) == NULL)
			continue;
		if (field_string(req, resp, req->json, name,
		    profile_fields[i].flags, strcmp(name, "nick") == 0 ? 1 : 0,
		    profile_fields[i].max, &v) != ERR_OK)
			goto out;
		if (v != NULL && strcmp(name, "email") == 0 &&
		    !email_is_valid(v)) {
			reply_error(resp, req, ERR_INVALID_FIELD, "email",
			    "email is not an e-mail address");
			goto out;
		}
		if (json_object_set_new(set, name, v ? json_string(v) :
		    json_null()) != 0) {
			reply_error(resp, req, ERR_INTERNAL, NULL, "out of memory");
			goto out;
		}
	}
	if (json_object_get(req->json, "phone") != NULL) {
		if (field_phone(req, resp, req->json, "phone", FIELD_NULLABLE,
		    phone) != ERR_OK)
			goto out;
		if (json_object_set_new(set, "phone",
		    phone[0] ? json_string(phone) : json_null()) != 0) {
			reply_error(resp, req, ERR_INTERNAL, NULL, "out of memory");
			goto out;
		}
	}
	e = db_user_update(req->user_id, set, now_ms());
	if (e == ERR_PHONE_TAKEN) {
		reply_error(resp, req, e, "phone", "phone %s is taken", phone);
		goto out;
	}
	if (e != ERR_OK) {
		reply_error(resp, req, e, NULL, "cannot update the profile now");
		goto out;
	}
	reply_user(req, resp, req->user_id);
out:
	json_decref(set);
}

void
h_user_get(struct request *req, struct response *resp)
{
	reply_user(req, resp, strtoll(req->params[0], NULL, 10));
}

void
h_user_search(struct request *req, struct response *resp)
{
	char online[8], phone_in[64], phone[PHONE_E164_MAX];
	char login[LIMIT_LOGIN_MAX + 1], prefix[LIMIT_NAME_BYTES + 1];
	int64_t limit = 50, after = 0;
	bool is_online = false, has_phone, has_login, has_prefix, present;
	json_t *list;
	enum err e;

	if (query_get(req->query, "online", online, sizeof(online))) {
		if (strcmp(online, "true") != 0 && strcmp(online, "false") != 0) {
			reply_error(resp, req, ERR_INVALID_FIELD, "online",
			    "online is true or false");
			return;
		}
		is_online = strcmp(online, "true") == 0;
	}
	has_phone = query_get(req->query, "phone", phone_in, sizeof(phone_in));
	if (has_phone && phone_normalize(phone_in, phone) != ERR_OK) {
		reply_error(resp, req, ERR_INVALID_PHONE, "phone",
		    "phone must be an international number such as +79991234567");
		return;
	}
	has_login = query_get(req->query, "login", login, sizeof(login));
	has_prefix = query_get(req->query, "q", prefix, sizeof(prefix));
	if ((has_prefix && (prefix[0] == '\0' ||
	    !text_is_clean(prefix, strlen(prefix), false))) ||
	    (has_login && !text_is_clean(login, strlen(login), false))) {
		reply_error(resp, req, ERR_INVALID_FIELD, has_prefix ? "q" :
		    "login", "not a name to look for");
		return;
	}
	if (query_int(req->query, "limit", 1, config.page_size, &limit,
	    &present) || query_int(req->query, "after", 0, INT64_MAX, &after,
	    &present)) {
		reply_error(resp, req, ERR_INVALID_FIELD, NULL,
		    "limit is 1 to %ld; after is a user id", config.page_size);
		return;
	}
	if (!is_online && !has_phone && !has_login && !has_prefix) {
		reply_error(resp, req, ERR_MISSING_FIELD, "q", "say whom to look"
		    " for: online=true, phone=, login= or q=");
		return;
	}
	list = db_user_search(req->user_id, is_online, has_phone ? phone : NULL,
	    has_login ? login : NULL, has_prefix ? prefix : NULL, after,
	    (int)limit, now_ms(), &e);
	if (list == NULL) {
		reply_db_error(resp, req, e, 0);
		return;
	}
	reply_json(resp, 200, json_pack("{s:o}", "users", list));
}

/* --- avatars --------------------------------------------------------- */

void
h_avatar_put(struct request *req, struct response *resp)
{
	static const char *const known[] = { "image_base64", NULL };
	size_t max = (size_t)config.max_avatar, len;
	const unsigned char *bytes;
	unsigned char *decoded = NULL, hash[16];
	const char *field = NULL;
	struct image_info info;
	char etag[2 * sizeof(hash) + 1];
	enum err e;

	if (req->json != NULL) {
		/* {"image_base64": "..."}: refused by its length, when it
		 * cannot fit, before it is decoded. */
		const json_t *v = json_object_get(req->json, "image_base64");
		field = "image_base64";
		if (field_only(req, resp, req->json, known) != ERR_OK)
			return;
		if (json_is_string(v) &&
		    json_string_length(v) / 4 * 3 > max + max / 16 + 3) {
			reply_error(resp, req, ERR_AVATAR_TOO_LARGE, field,
			    "the avatar is larger than %zu bytes", max);
			return;
		}
		if (field_base64(req, resp, req->json, field, FIELD_REQUIRED,
		    (size_t)config.max_body, &decoded, &len) != ERR_OK)
			return;
		bytes = decoded;
	} else {
		bytes = (const unsigned char *)req->body;
		len = req->body_len;
	}
	if (len == 0) {
		reply_error(resp, req, ERR_MISSING_FIELD, field, "send the image:"
		    " its bytes as the body, or {\"image_base64\":\"...\"}");
		goto out;
	}
	if (len > max) {
		reply_error(resp, req, ERR_AVATAR_TOO_LARGE, field, "the avatar"
		    " is %zu bytes; at most %zu", len, max);
		goto out;
	}
	/* The type is the bytes' own, whatever Content-Type says. */
	switch (image_probe(bytes, len, &info)) {
	case IMAGE_OK:
		break;
	case IMAGE_UNSUPPORTED:
		reply_error(resp, req, ERR_UNSUPPORTED_MEDIA, field, "an avatar"
		    " is a PNG, JPEG, GIF or WebP image");
		goto out;
	case IMAGE_TOO_LARGE:
		reply_error(resp, req, ERR_AVATAR_TOO_LARGE, field, "the image"
		    " is %lu x %lu pixels; at most %u on a side and %u in all",
		    (unsigned long)info.width, (unsigned long)info.height,
		    IMAGE_MAX_SIDE, IMAGE_MAX_PIXELS);
		goto out;
	default: /* IMAGE_CORRUPT: the type is known */
		reply_error(resp, req, ERR_INVALID_FIELD, field, "the %s is"
		    " truncated or corrupt", image_mime(info.type) != NULL ?
		    image_mime(info.type) : "image");
		goto out;
	}
	crypto_generichash(hash, sizeof(hash), bytes, len, NULL, 0);
	sodium_bin2hex(etag, sizeof(etag), hash, sizeof(hash));
	e = db_avatar_set(req->user_id, image_mime(info.type), info.width,
	    info.height, bytes, len, etag, now_ms());
	if (e != ERR_OK) {
		reply_db_error(resp, req, e, req->user_id);
		goto out;
	}
	reply_user(req, resp, req->user_id);
out:
	free(decoded);
}

void
h_avatar_delete(struct request *req, struct response *resp)
{
	bool removed;
	enum err e = db_avatar_delete(req->user_id, now_ms(), &removed);

	if (e != ERR_OK) {
		reply_db_error(resp, req, e, req->user_id);
		return;
	}
	reply_empty(resp, 204);
}

/* True if the If-None-Match value list names etag (or is "*"). Weak
 * validators compare as strong ones: the bytes are all an avatar has. */
static bool
etag_listed(const char *list, const char *etag)
{
	size_t n = strlen(etag);
	const char *p = list;

	while (*p != '\0') {
		size_t len;
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		len = strcspn(p, ", \t");
		if (len == n + 2 && p[0] == '"' && p[n + 1] == '"' &&
		    strncmp(p + 1, etag, n) == 0)
			return true;
		p += len;
	}
	return false;
}

/* The caching headers of an avatar: immutable when asked for by its
 * versioned URL (?v=ETAG, as the User gives it), else revalidated each
 * time. Private either way: an avatar is for the users of its site. */
static void
avatar_headers(struct request *req, struct response *resp, const char *etag)
{
	char v[80];
	bool versioned = query_get(req->query, "v", v, sizeof(v)) &&
	    strcmp(v, etag) == 0;

	response_header(resp, "ETag", "\"%s\"", etag);
	response_header(resp, "Cache-Control", "%s", versioned ?
	    "private, max-age=31536000, immutable" : "private, no-cache");
}

void
h_avatar_get(struct request *req, struct response *resp)
{
	int64_t id = param_id(req, 0);
	const char *inm = req->header(req->front, "If-None-Match");
	struct avatar a;
	enum err e;

	e = db_avatar_get(req->user_id, id, false, &a);
	if (e == ERR_OK && inm != NULL && etag_listed(inm, a.etag)) {
		reply_empty(resp, 304);
		avatar_headers(req, resp, a.etag);
		return;
	}
	/* Read again with the bytes: the etag sent is the one of the bytes
	 * sent, even if the avatar changed in between. */
	if (e == ERR_OK)
		e = db_avatar_get(req->user_id, id, true, &a);
	if (e == ERR_USER_NOT_FOUND) {
		reply_error(resp, req, e, "id", "no user with id %lld",
		    (long long)id);
		return;
	}
	if (e == ERR_NOT_FOUND) {
		reply_error(resp, req, e, NULL, "user %lld has no avatar",
		    (long long)id);
		return;
	}
	if (e != ERR_OK || image_mime_known(a.mime) == NULL) {
		free(a.data);
		reply_db_error(resp, req, e != ERR_OK ? e : ERR_INTERNAL, id);
		return;
	}
	reply_bytes(resp, 200, image_mime_known(a.mime), a.data, a.len);
	free(a.data);
	avatar_headers(req, resp, a.etag);
	/* The type was checked from the bytes; nothing in it may run. */
	response_header(resp, "Content-Security-Policy", "sandbox");
}
