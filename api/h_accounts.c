/*
 * h_accounts.c: register, sign in, sign out.
 */
#include <ctype.h>
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

/* Answers 429 with Retry-After; returns ERR_RATE_LIMITED. */
static enum err
reply_rate_limited(struct request *req, struct response *resp, int retry_s,
    const char *what)
{
	response_header(resp, "Retry-After", "%d", retry_s);
	return reply_error(resp, req, ERR_RATE_LIMITED, NULL,
	    "too many %s; try again in %d s", what, retry_s);
}

/* Reads the identity of a register or login body: a login and/or a phone.
 * At least one is required. */
static enum err
read_identity(struct request *req, struct response *resp, const char **login,
    char phone[PHONE_E164_MAX])
{
	enum err e;

	if ((e = field_string(req, resp, req->json, "login", FIELD_OPTIONAL,
	    LIMIT_LOGIN_MIN, LIMIT_LOGIN_MAX, login)) != ERR_OK)
		return e;
	if (*login != NULL && !login_is_valid(*login))
		return reply_error(resp, req, ERR_INVALID_FIELD, "login",
		    "a login is %d to %d letters, digits, '_', '.' or '-',"
		    " with at least one letter", LIMIT_LOGIN_MIN, LIMIT_LOGIN_MAX);
	if ((e = field_phone(req, resp, req->json, "phone", FIELD_OPTIONAL,
	    phone)) != ERR_OK)
		return e;
	if (*login == NULL && phone[0] == '\0')
		return reply_error(resp, req, ERR_MISSING_FIELD, "login",
		    "a login or a phone is required");
	return ERR_OK;
}

void
h_register(struct request *req, struct response *resp)
{
	static const char *const known[] = { "login", "password", "nick",
	    "email", "phone", NULL };
	const char *login, *password, *nick, *email;
	char phone[PHONE_E164_MAX], hash[crypto_pwhash_STRBYTES], key[96];
	struct user_new u = { 0 };
	json_t *session, *user;
	int64_t id;
	int retry;
	enum err e;

	if (field_only(req, resp, req->json, known) != ERR_OK ||
	    read_identity(req, resp, &login, phone) != ERR_OK ||
	    field_string(req, resp, req->json, "password", FIELD_REQUIRED,
	    LIMIT_PASSWORD_MIN, LIMIT_PASSWORD_MAX, &password) != ERR_OK ||
	    field_string(req, resp, req->json, "nick", FIELD_OPTIONAL, 1,
	    LIMIT_NAME_BYTES, &nick) != ERR_OK ||
	    field_string(req, resp, req->json, "email", FIELD_OPTIONAL, 3,
	    LIMIT_EMAIL_BYTES, &email) != ERR_OK)
		return;
	if (email != NULL && !email_is_valid(email)) {
		reply_error(resp, req, ERR_INVALID_FIELD, "email",
		    "email is not an e-mail address");
		return;
	}
	snprintf(key, sizeof(key), "register:%s", req->peer);
	e = db_rate_hit(key, (int)config.register_max,
	    (int)config.register_window, now_ms(), &retry);
	if (e != ERR_OK) {
		reply_error(resp, req, e, NULL, "cannot register now");
		return;
	}
	if (retry > 0) {
		reply_rate_limited(req, resp, retry, "registrations");
		return;
	}
	if (!password_hash(password, hash)) {
		reply_error(resp, req, ERR_INTERNAL, NULL, "cannot hash");
		return;
	}
	u.login = login;
	u.phone = phone[0] != '\0' ? phone : NULL;
	u.email = email;
	/* A nick is what others see; without one, the login or phone. */
	u.nick = nick != NULL ? nick : login != NULL ? login : phone;
	u.password_hash = hash;
	e = db_user_create(&u, now_ms(), &id);
	if (e == ERR_LOGIN_TAKEN) {
		reply_error(resp, req, e, "login", "login %s is taken", login);
		return;
	}
	if (e == ERR_PHONE_TAKEN) {
		reply_error(resp, req, e, "phone", "phone %s is taken", phone);
		return;
	}
	if (e != ERR_OK) {
		reply_error(resp, req, e, NULL, "cannot register now");
		return;
	}
	session = session_issue(id, &e);
	user = session != NULL ? db_user_get(id, id, now_ms(), &e) : NULL;
	if (user == NULL) {
		json_decref(session);
		reply_error(resp, req, e, NULL, "registered, but cannot sign in"
		    " now: sign in with POST /api/v1/sessions");
		return;
	}
	reply_json(resp, 201, json_pack("{s:o, s:o}", "user", user, "session",
	    session));
}

void
h_login(struct request *req, struct response *resp)
{
	static const char *const known[] = { "login", "phone", "password",
	    NULL };
	const char *login, *password;
	char phone[PHONE_E164_MAX], hash[crypto_pwhash_STRBYTES];
	char who_key[96], peer_key[96];
	int64_t id = 0, now = now_ms();
	int retry, retry_peer;
	size_t i;
	json_t *session;
	enum err e;

	if (field_only(req, resp, req->json, known) != ERR_OK ||
	    read_identity(req, resp, &login, phone) != ERR_OK ||
	    field_string(req, resp, req->json, "password", FIELD_REQUIRED, 1,
	    LIMIT_PASSWORD_MAX, &password) != ERR_OK)
		return;

	/* Failures count per identity and, ten times as many, per address. */
	i = (size_t)snprintf(who_key, sizeof(who_key), "login:%s",
	    login != NULL ? login : phone);
	for (i = 6; who_key[i] != '\0'; i++)
		who_key[i] = (char)tolower((unsigned char)who_key[i]);
	snprintf(peer_key, sizeof(peer_key), "login-peer:%s", req->peer);
	if ((e = db_rate_check(who_key, (int)config.login_max_failures,
	    (int)config.login_window, now, &retry)) != ERR_OK ||
	    (e = db_rate_check(peer_key, 10 * (int)config.login_max_failures,
	    (int)config.login_window, now, &retry_peer)) != ERR_OK) {
		reply_error(resp, req, e, NULL, "cannot sign in now");
		return;
	}
	if (retry > 0 || retry_peer > 0) {
		reply_rate_limited(req, resp, retry > retry_peer ? retry :
		    retry_peer, "failed sign-ins");
		return;
	}

	e = db_user_find(0, login, login != NULL ? NULL : phone, &id, hash,
	    sizeof(hash));
	if (e != ERR_OK && e != ERR_USER_NOT_FOUND) {
		reply_error(resp, req, e, NULL, "cannot sign in now");
		return;
	}
	if (!password_check(e == ERR_OK ? hash : NULL, password)) {
		(void)db_rate_hit(who_key, (int)config.login_max_failures,
		    (int)config.login_window, now, &retry);
		(void)db_rate_hit(peer_key, 10 * (int)config.login_max_failures,
		    (int)config.login_window, now, &retry);
		reply_error(resp, req, ERR_INVALID_CREDENTIALS, NULL,
		    "wrong login or password");
		return;
	}
	(void)db_rate_clear(who_key);
	session = session_issue(id, &e);
	if (session == NULL) {
		reply_error(resp, req, e, NULL, "cannot sign in now");
		return;
	}
	reply_json(resp, 201, session);
}

void
h_logout(struct request *req, struct response *resp)
{
	enum err e = db_session_delete(req->session_id);

	if (e != ERR_OK) {
		reply_error(resp, req, e, NULL, "cannot sign out now");
		return;
	}
	reply_empty(resp, 204);
}
