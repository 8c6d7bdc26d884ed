/*
 * h_messages.c: sending, history, editing, deleting, search, attachments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../db/db.h"
#include "api.h"
#include "clock.h"
#include "config.h"
#include "fields.h"
#include "handlers.h"
#include "limits.h"
#include "peruser.h"

#define CLIENT_MSG_ID_MAX 64
#define MIME_MAX 127
#define FILE_NAME_MAX 255

/* True if s is a media type: type "/" subtype of token characters. */
static bool
mime_is_valid(const char *s)
{
	size_t i, slash = 0;

	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '/') {
			if (slash++ || i == 0)
				return false;
		} else if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && !strchr("!#$&^_.+-", c)) {
			return false;
		}
	}
	return slash == 1 && s[i - 1] != '/';
}

/* Reads the message fields of the body into m (the attachment's bytes
 * into *bytes, which the caller frees). Answers resp and returns the error
 * on bad input. */
static enum err
read_message(struct request *req, struct response *resp,
    struct message_new *m, unsigned char **bytes)
{
	const json_t *att = json_object_get(req->json, "attachment");
	const char *key = req->header(req->front, "Idempotency-Key");
	static const char *const att_known[] = { "mime", "name", "data", NULL };
	enum err e;

	*bytes = NULL;
	if ((e = field_string(req, resp, req->json, "text", FIELD_MULTILINE |
	    FIELD_NULLABLE, 1, (size_t)config.max_text, &m->text)) != ERR_OK ||
	    (e = field_string(req, resp, req->json, "client_msg_id",
	    FIELD_NULLABLE, 1, CLIENT_MSG_ID_MAX, &m->client_msg_id)) != ERR_OK)
		return e;
	/* encrypted is opaque: any string, bounded only by the body. */
	if (json_object_get(req->json, "encrypted") != NULL &&
	    !json_is_null(json_object_get(req->json, "encrypted"))) {
		if (!json_is_string(json_object_get(req->json, "encrypted")))
			return reply_error(resp, req, ERR_INVALID_FIELD,
			    "encrypted", "encrypted must be a string");
		m->encrypted = json_string_value(json_object_get(req->json,
		    "encrypted"));
	}
	if (m->client_msg_id == NULL && key != NULL) {
		if (key[0] == '\0' || strlen(key) > CLIENT_MSG_ID_MAX ||
		    !text_is_clean(key, strlen(key), false))
			return reply_error(resp, req, ERR_INVALID_FIELD,
			    "Idempotency-Key", "Idempotency-Key is 1 to %d"
			    " plain characters", CLIENT_MSG_ID_MAX);
		m->client_msg_id = key;
	}
	if (att != NULL && !json_is_null(att)) {
		if (!json_is_object(att))
			return reply_error(resp, req, ERR_INVALID_FIELD,
			    "attachment", "attachment is an object {mime, name,"
			    " data}");
		if ((e = field_only(req, resp, att, att_known)) != ERR_OK ||
		    (e = field_string(req, resp, att, "mime", FIELD_REQUIRED, 3,
		    MIME_MAX, &m->mime)) != ERR_OK ||
		    (e = field_string(req, resp, att, "name", FIELD_NULLABLE, 1,
		    FILE_NAME_MAX, &m->name)) != ERR_OK)
			return e;
		if (!mime_is_valid(m->mime))
			return reply_error(resp, req, ERR_INVALID_FIELD, "mime",
			    "mime is a media type such as image/png");
		if ((e = field_base64(req, resp, att, "data", FIELD_REQUIRED,
		    (size_t)config.max_attachment, bytes, &m->size)) != ERR_OK)
			return e;
		m->data = *bytes;
	}
	if (m->text == NULL && m->mime == NULL && m->encrypted == NULL)
		return reply_error(resp, req, ERR_MISSING_FIELD, "text",
		    "a message needs text, an attachment or encrypted");
	return ERR_OK;
}

/* A send left for the group commit (a DEFER): its message, which points
 * into the request's body, and the attachment's decoded bytes. */
struct send_later {
	struct deferred d;
	struct message_new m;
	unsigned char *bytes;
	struct db_send *send;
};

static void
send_queue(struct deferred *d, void (*done)(void *), void *arg)
{
	db_message_send_queue(((struct send_later *)d)->send, done, arg);
}

/* Answers 201 for a new message, 200 for a repeat of an earlier
 * client_msg_id. */
static void
send_answer(struct request *req, struct response *resp, struct deferred *d)
{
	struct send_later *s = (struct send_later *)d;
	int64_t chat = s->m.chat;
	json_t *msg;
	bool created;
	enum err e;

	msg = db_message_send_end(s->send, &created, &e);
	free(s->bytes);
	free(s);
	if (msg == NULL) {
		reply_db_error(resp, req, e, chat);
		return;
	}
	reply_json(resp, created ? 201 : 200, msg);
}

/* Sends the message of the body into chat: leaves it for the group commit
 * with a DEFER, whose answer is send_answer()'s. */
static void
send_into(struct request *req, struct response *resp, int64_t chat)
{
	struct send_later *s = calloc(1, sizeof(*s));
	int retry;

	if (s == NULL) {
		reply_error(resp, req, ERR_INTERNAL, NULL, "out of memory");
		return;
	}
	if (read_message(req, resp, &s->m, &s->bytes) != ERR_OK)
		goto refused;
	if (!peruser_send_ok(req->user_id, config.send_rate, now_ms(),
	    &retry)) {
		response_header(resp, "Retry-After", "%d", retry);
		reply_error(resp, req, ERR_RATE_LIMITED, NULL, "more than %ld"
		    " messages a minute; try again in %d s", config.send_rate,
		    retry);
		goto refused;
	}
	s->m.chat = chat;
	s->m.sender = req->user_id;
	if ((s->send = db_message_send_begin(&s->m, now_ms())) == NULL) {
		reply_error(resp, req, ERR_INTERNAL, NULL, "out of memory");
		goto refused;
	}
	s->d.queue = send_queue;
	s->d.answer = send_answer;
	req->deferred = &s->d;
	resp->defer = true;
	return;
refused:
	free(s->bytes);
	free(s);
}

void
h_message_send(struct request *req, struct response *resp)
{
	static const char *const known[] = { "text", "attachment", "encrypted",
	    "client_msg_id", NULL };

	if (field_only(req, resp, req->json, known) != ERR_OK)
		return;
	send_into(req, resp, param_id(req, 0));
}

/* Finds the user named by the body's "to": {user_id}, {phone} (any of the
 * three forms) or {login}. */
static enum err
find_recipient(struct request *req, struct response *resp, int64_t *user)
{
	static const char *const known[] = { "user_id", "phone", "login", NULL };
	const json_t *to = json_object_get(req->json, "to");
	char phone[PHONE_E164_MAX], hash[8];
	const char *login;
	enum err e;

	if (to == NULL)
		return reply_error(resp, req, ERR_MISSING_FIELD, "to",
		    "to is required: {\"user_id\"}, {\"phone\"} or {\"login\"}");
	if (!json_is_object(to) || json_object_size(to) != 1)
		return reply_error(resp, req, ERR_INVALID_FIELD, "to",
		    "to is one of {\"user_id\"}, {\"phone\"} or {\"login\"}");
	if ((e = field_only(req, resp, to, known)) != ERR_OK ||
	    (e = field_id(req, resp, to, "user_id", FIELD_OPTIONAL, user)) !=
	    ERR_OK ||
	    (e = field_phone(req, resp, to, "phone", FIELD_OPTIONAL, phone)) !=
	    ERR_OK ||
	    (e = field_string(req, resp, to, "login", FIELD_OPTIONAL, 1,
	    LIMIT_LOGIN_MAX, &login)) != ERR_OK)
		return e;
	if (*user != 0)
		return ERR_OK; /* db_chat_direct() checks the tenant */
	e = db_user_find(req->tenant_id, login, login != NULL ? NULL : phone,
	    user, hash, sizeof(hash));
	if (e == ERR_USER_NOT_FOUND)
		return reply_error(resp, req, e, "to", "no user %s",
		    login != NULL ? login : phone);
	if (e != ERR_OK)
		reply_db_error(resp, req, e, 0);
	return e;
}

void
h_message_send_to(struct request *req, struct response *resp)
{
	static const char *const known[] = { "to", "text", "attachment",
	    "encrypted", "client_msg_id", NULL };
	int64_t user = 0, chat = 0;
	bool created;
	enum err e;

	if (field_only(req, resp, req->json, known) != ERR_OK ||
	    find_recipient(req, resp, &user) != ERR_OK)
		return;
	e = db_chat_direct(req->user_id, user, now_ms(), &chat, &created);
	if (e == ERR_USER_NOT_FOUND) {
		reply_error(resp, req, e, "to", "no user %lld", (long long)user);
		return;
	}
	if (e != ERR_OK) {
		reply_db_error(resp, req, e, chat);
		return;
	}
	send_into(req, resp, chat);
}

void
h_message_history(struct request *req, struct response *resp)
{
	int64_t chat = param_id(req, 0), before = 0, after = 0, limit = 50;
	bool present, has_more;
	json_t *list;
	enum err e;

	if (query_int(req->query, "before", 1, INT64_MAX, &before, &present) ||
	    query_int(req->query, "after", 0, INT64_MAX, &after, &present) ||
	    query_int(req->query, "limit", 1, config.page_size, &limit,
	    &present) || (before > 0 && after > 0)) {
		reply_error(resp, req, ERR_INVALID_FIELD, NULL, "before or after"
		    " (not both) are message ids; limit is 1 to %ld",
		    config.page_size);
		return;
	}
	list = db_message_history(req->user_id, chat, before, after, (int)limit,
	    &has_more, &e);
	if (list == NULL) {
		reply_db_error(resp, req, e, chat);
		return;
	}
	reply_json(resp, 200, json_pack("{s:o, s:b}", "messages", list,
	    "has_more", has_more));
}

void
h_message_edit(struct request *req, struct response *resp)
{
	static const char *const known[] = { "text", NULL };
	int64_t id = param_id(req, 0);
	const char *text;
	json_t *msg;
	enum err e;

	if (field_only(req, resp, req->json, known) != ERR_OK ||
	    field_string(req, resp, req->json, "text", FIELD_REQUIRED |
	    FIELD_MULTILINE, 1, (size_t)config.max_text, &text) != ERR_OK)
		return;
	msg = db_message_edit(req->user_id, id, text, now_ms(), &e);
	if (msg == NULL) {
		reply_db_error(resp, req, e, id);
		return;
	}
	reply_json(resp, 200, msg);
}

void
h_message_delete(struct request *req, struct response *resp)
{
	int64_t id = param_id(req, 0);
	enum err e = db_message_delete(req->user_id, id, now_ms());

	if (e != ERR_OK) {
		reply_db_error(resp, req, e, id);
		return;
	}
	reply_empty(resp, 204);
}

/* Turns the words of q into an FTS5 query that matches messages holding
 * all of them: each word quoted (so no FTS5 syntax gets through), the last
 * one as a prefix. Returns false when q has no words or out is too small. */
static bool
fts_query(const char *q, char *out, size_t outlen)
{
	size_t n = 0;
	bool any = false;

	while (*q != '\0') {
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q == '\0')
			break;
		if (n + 4 >= outlen)
			return false;
		if (any)
			out[n++] = ' ';
		out[n++] = '"';
		for (; *q != '\0' && *q != ' ' && *q != '\t'; q++) {
			if (n + 4 >= outlen)
				return false;
			if (*q == '"')
				out[n++] = '"';
			out[n++] = *q;
		}
		out[n++] = '"';
		any = true;
	}
	if (!any || n + 2 >= outlen)
		return false;
	out[n++] = '*';
	out[n] = '\0';
	return true;
}

void
h_message_search(struct request *req, struct response *resp)
{
	char q[512], match[1100];
	int64_t chat = 0, limit = 50;
	bool present;
	json_t *list;
	enum err e;

	if (!query_get(req->query, "q", q, sizeof(q)) ||
	    !text_is_clean(q, strlen(q), false)) {
		reply_error(resp, req, ERR_MISSING_FIELD, "q",
		    "q holds the words to search for (at most %zu bytes)",
		    sizeof(q) - 1);
		return;
	}
	if (!fts_query(q, match, sizeof(match))) {
		reply_error(resp, req, ERR_INVALID_FIELD, "q",
		    "q holds no words");
		return;
	}
	if (query_int(req->query, "chat_id", 1, INT64_MAX, &chat, &present) ||
	    query_int(req->query, "limit", 1, config.page_size, &limit,
	    &present)) {
		reply_error(resp, req, ERR_INVALID_FIELD, NULL,
		    "chat_id is a chat id; limit is 1 to %ld", config.page_size);
		return;
	}
	list = db_message_search(req->user_id, match, chat, (int)limit, &e);
	if (list == NULL) {
		reply_db_error(resp, req, e, chat);
		return;
	}
	reply_json(resp, 200, json_pack("{s:o}", "messages", list));
}

/* True for types a browser may show inline without running anything. */
static bool
inline_safe(const char *mime)
{
	static const char *const safe[] = { "image/png", "image/jpeg",
	    "image/gif", "image/webp", "text/plain", "application/pdf",
	    "audio/mpeg", "audio/ogg", "video/mp4", "video/webm", NULL };
	size_t i;

	for (i = 0; safe[i] != NULL; i++)
		if (strcasecmp(mime, safe[i]) == 0)
			return true;
	return false;
}

void
h_attachment_get(struct request *req, struct response *resp)
{
	int64_t id = param_id(req, 0);
	char mime[MIME_MAX + 1], name[FILE_NAME_MAX + 1];
	char *data;
	size_t len, i;
	enum err e;
	bool safe;

	e = db_attachment_get(req->user_id, id, &data, &len, mime, sizeof(mime),
	    name, sizeof(name));
	if (e != ERR_OK) {
		reply_db_error(resp, req, e, id);
		return;
	}
	/* The file name goes into a header: plain ASCII only. */
	for (i = 0; name[i] != '\0'; i++)
		if ((unsigned char)name[i] < 0x20 || (unsigned char)name[i] >
		    0x7e || name[i] == '"' || name[i] == '\\' || name[i] == ';')
			name[i] = '_';
	/* Anything that could run in a browser (HTML, SVG, scripts) is sent
	 * as bytes to save, never to render. */
	safe = inline_safe(mime);
	response_header(resp, "Content-Disposition", "%s; filename=\"%s\"",
	    safe ? "inline" : "attachment", name[0] ? name : "attachment");
	response_header(resp, "Content-Security-Policy", "sandbox");
	response_header(resp, "Cache-Control", "private, max-age=31536000,"
	    " immutable");
	reply_bytes(resp, 200, safe ? NULL : "application/octet-stream", data,
	    len);
	if (safe) /* the stored type is no static string: send it as a header */
		response_header(resp, "Content-Type", "%s", mime);
	free(data);
}
