/*
 * h_sites.c: sessions for the users of an embedding site. The site signs
 * its request with its chat key (made by parley-admin tenant add) and
 * describes its user; parley creates or updates that user within the
 * site's tenant and answers a session for it. The site's users have no
 * password: this is their only way in.
 */
#include <stdio.h>
#include <string.h>

#include "../db/db.h"
#include "api.h"
#include "auth.h"
#include "clock.h"
#include "config.h"
#include "fields.h"
#include "handlers.h"
#include "limits.h"
#include "text.h"

/* The longest chat key taken: secret_new() makes 43 characters. */
#define CHAT_KEY_MAX 128

/* True if s is an http(s) URL a browser may load as an image: no
 * spaces, quotes, angle brackets or control characters. */
static bool
url_is_valid(const char *s)
{
	const unsigned char *p;

	if (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0)
		return false;
	if (s[strncmp(s, "https://", 8) == 0 ? 8 : 7] == '\0')
		return false;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p <= 0x20 || *p == 0x7f || *p == '"' || *p == '\'' ||
		    *p == '<' || *p == '>' || *p == '\\' || *p == '`')
			return false;
	return true;
}

/* Reads the site's user from the body's "user" into u; its id (a string,
 * or a number written as text) into idbuf, its phone into phone. */
static enum err
read_site_user(struct request *req, struct response *resp,
    struct site_user *u, char idbuf[LIMIT_EXTERNAL_ID_BYTES + 1],
    char phone[PHONE_E164_MAX])
{
	static const char *const known[] = { "id", "name", "last_name",
	    "middle_name", "email", "phone", "avatar", NULL };
	const json_t *user = json_object_get(req->json, "user"), *id;
	enum err e;

	memset(u, 0, sizeof(*u));
	if (user == NULL)
		return reply_error(resp, req, ERR_MISSING_FIELD, "user",
		    "user is required: {id, name, ...}");
	if (!json_is_object(user))
		return reply_error(resp, req, ERR_INVALID_FIELD, "user",
		    "user is an object {id, name, last_name, middle_name,"
		    " email, phone, avatar}");
	if ((e = field_only(req, resp, user, known)) != ERR_OK)
		return e;
	id = json_object_get(user, "id");
	if (json_is_integer(id)) {
		snprintf(idbuf, LIMIT_EXTERNAL_ID_BYTES + 1, "%lld",
		    (long long)json_integer_value(id));
	} else if (json_is_string(id)) {
		const char *s;
		if ((e = field_string(req, resp, user, "id", FIELD_REQUIRED, 1,
		    LIMIT_EXTERNAL_ID_BYTES, &s)) != ERR_OK)
			return e;
		snprintf(idbuf, LIMIT_EXTERNAL_ID_BYTES + 1, "%s", s);
	} else {
		return reply_error(resp, req, id == NULL ? ERR_MISSING_FIELD :
		    ERR_INVALID_FIELD, "id", "id is the site's id of its user:"
		    " a string or an integer");
	}
	u->external_id = idbuf;
	if ((e = field_string(req, resp, user, "name", FIELD_REQUIRED, 1,
	    LIMIT_NAME_BYTES, &u->name)) != ERR_OK ||
	    (e = field_string(req, resp, user, "last_name", FIELD_NULLABLE, 1,
	    LIMIT_NAME_BYTES, &u->last_name)) != ERR_OK ||
	    (e = field_string(req, resp, user, "middle_name", FIELD_NULLABLE, 1,
	    LIMIT_NAME_BYTES, &u->middle_name)) != ERR_OK ||
	    (e = field_string(req, resp, user, "email", FIELD_NULLABLE, 3,
	    LIMIT_EMAIL_BYTES, &u->email)) != ERR_OK ||
	    (e = field_phone(req, resp, user, "phone", FIELD_NULLABLE,
	    phone)) != ERR_OK ||
	    (e = field_string(req, resp, user, "avatar", FIELD_NULLABLE, 1,
	    LIMIT_URL_BYTES, &u->avatar_url)) != ERR_OK)
		return e;
	if (u->email != NULL && !email_is_valid(u->email))
		return reply_error(resp, req, ERR_INVALID_FIELD, "email",
		    "email is not an e-mail address");
	if (u->avatar_url != NULL && !url_is_valid(u->avatar_url))
		return reply_error(resp, req, ERR_INVALID_FIELD, "avatar",
		    "avatar is the http(s) URL of the user's picture");
	u->phone = phone[0] != '\0' ? phone : NULL;
	return ERR_OK;
}

void
h_site_session(struct request *req, struct response *resp)
{
	static const char *const known[] = { "chat_key", "user", NULL };
	const char *key = req->header(req->front, "X-Chat-Key"), *body_key;
	char idbuf[LIMIT_EXTERNAL_ID_BYTES + 1], phone[PHONE_E164_MAX];
	char peer_key[96];
	unsigned char hash[TOKEN_HASH_BYTES];
	int max = 10 * (int)config.login_max_failures, retry;
	int64_t tenant, id, now = now_ms();
	struct site_user u;
	json_t *session;
	bool created;
	enum err e;

	if (field_only(req, resp, req->json, known) != ERR_OK ||
	    field_string(req, resp, req->json, "chat_key", FIELD_OPTIONAL, 1,
	    CHAT_KEY_MAX, &body_key) != ERR_OK)
		return;
	if (key == NULL)
		key = body_key;
	if (key == NULL || key[0] == '\0') {
		reply_error(resp, req, ERR_INVALID_CHAT_KEY, "chat_key", "send"
		    " the site's chat key: header X-Chat-Key, or \"chat_key\"");
		return;
	}
	/* Wrong keys count per address like failed sign-ins do; a right
	 * key is never slowed down by them until the limit is reached. */
	snprintf(peer_key, sizeof(peer_key), "chat-key-peer:%s", req->peer);
	if ((e = db_rate_check(peer_key, max, (int)config.login_window, now,
	    &retry)) != ERR_OK) {
		reply_error(resp, req, e, NULL, "cannot sign in now");
		return;
	}
	if (retry > 0) {
		response_header(resp, "Retry-After", "%d", retry);
		reply_error(resp, req, ERR_RATE_LIMITED, NULL, "too many wrong"
		    " chat keys; try again in %d s", retry);
		return;
	}
	secret_hash(key, hash);
	e = db_tenant_by_key(hash, &tenant);
	if (e == ERR_INVALID_CHAT_KEY) {
		(void)db_rate_hit(peer_key, max, (int)config.login_window, now,
		    &retry);
		reply_error(resp, req, e, "chat_key", "the chat key is unknown"
		    " or revoked");
		return;
	}
	if (e != ERR_OK) {
		reply_error(resp, req, e, NULL, "cannot sign in now");
		return;
	}
	req->tenant_id = tenant; /* the answer's CORS: this site's origins */
	if (read_site_user(req, resp, &u, idbuf, phone) != ERR_OK)
		return;
	e = db_site_user_upsert(tenant, &u, now, &id, &created);
	if (e == ERR_PHONE_TAKEN) {
		reply_error(resp, req, e, "phone", "phone %s belongs to another"
		    " user of the site", phone);
		return;
	}
	if (e != ERR_OK) {
		reply_error(resp, req, e, NULL, "cannot sign in now");
		return;
	}
	session = session_issue(id, &e);
	if (session == NULL) {
		reply_error(resp, req, e, NULL, "cannot sign in now");
		return;
	}
	reply_json(resp, created ? 201 : 200, session);
}
