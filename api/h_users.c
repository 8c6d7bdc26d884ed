/*
 * h_users.c: the signed-in user's profile, and other users.
 */
#include <stdlib.h>
#include <string.h>

#include "../db/db.h"
#include "api.h"
#include "clock.h"
#include "fields.h"
#include "handlers.h"
#include "config.h"
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
