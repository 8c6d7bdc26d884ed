/*
 * h_chats.c: chats, their members, read markers and typing notices.
 */
#include <stdlib.h>
#include <string.h>

#include "../db/db.h"
#include "api.h"
#include "clock.h"
#include "config.h"
#include "fields.h"
#include "handlers.h"
#include "limits.h"

/* Answers status with the Chat as the caller sees it. */
static void
reply_chat(struct request *req, struct response *resp, int status,
    int64_t chat)
{
	enum err e;
	json_t *c = db_chat_get(req->user_id, chat, &e);

	if (c == NULL) {
		reply_db_error(resp, req, e, chat);
		return;
	}
	reply_json(resp, status, c);
}

void
h_chat_create(struct request *req, struct response *resp)
{
	static const char *const known[] = { "type", "user_id", "title",
	    "members", NULL };
	const char *type, *title;
	int64_t chat = 0, other, bad = 0, *ids = NULL;
	json_t *members = json_object_get(req->json, "members"), *v;
	size_t i, n = 0;
	bool created;
	enum err e;

	if (field_only(req, resp, req->json, known) != ERR_OK ||
	    field_string(req, resp, req->json, "type", FIELD_REQUIRED, 1, 16,
	    &type) != ERR_OK)
		return;
	if (strcmp(type, "direct") == 0) {
		if (field_id(req, resp, req->json, "user_id", FIELD_REQUIRED,
		    &other) != ERR_OK)
			return;
		e = db_chat_direct(req->user_id, other, now_ms(), &chat, &created);
		if (e != ERR_OK) {
			reply_db_error(resp, req, e, chat);
			return;
		}
		reply_chat(req, resp, created ? 201 : 200, chat);
		return;
	}
	if (strcmp(type, "group") != 0 && strcmp(type, "channel") != 0) {
		reply_error(resp, req, ERR_INVALID_FIELD, "type",
		    "type is direct, group or channel");
		return;
	}
	if (field_string(req, resp, req->json, "title", FIELD_REQUIRED, 1,
	    LIMIT_NAME_BYTES, &title) != ERR_OK)
		return;
	if (members != NULL && (strcmp(type, "channel") == 0 ||
	    !json_is_array(members) ||
	    json_array_size(members) > (size_t)config.page_size)) {
		reply_error(resp, req, ERR_INVALID_FIELD, "members",
		    "members is an array of at most %ld user ids (groups only)",
		    config.page_size);
		return;
	}
	if (members != NULL && json_array_size(members) > 0) {
		ids = malloc(json_array_size(members) * sizeof(*ids));
		if (ids == NULL) {
			reply_error(resp, req, ERR_INTERNAL, NULL, "out of memory");
			return;
		}
		json_array_foreach(members, i, v) {
			if (!json_is_integer(v) || json_integer_value(v) <= 0) {
				free(ids);
				reply_error(resp, req, ERR_INVALID_FIELD, "members",
				    "members is an array of user ids");
				return;
			}
			ids[n++] = json_integer_value(v);
		}
	}
	e = db_chat_create(req->user_id, type, title, ids, n, now_ms(), &chat,
	    &bad);
	free(ids);
	if (e == ERR_USER_NOT_FOUND) {
		reply_error(resp, req, e, "members", "no user %lld",
		    (long long)bad);
		return;
	}
	if (e != ERR_OK) {
		reply_db_error(resp, req, e, chat);
		return;
	}
	reply_chat(req, resp, 201, chat);
}

void
h_chat_list(struct request *req, struct response *resp)
{
	int64_t limit = config.page_size;
	bool present;
	json_t *list;
	enum err e;

	if (query_int(req->query, "limit", 1, config.page_size, &limit,
	    &present) != ERR_OK) {
		reply_error(resp, req, ERR_INVALID_FIELD, "limit",
		    "limit is 1 to %ld", config.page_size);
		return;
	}
	list = db_chat_list(req->user_id, (int)limit, &e);
	if (list == NULL) {
		reply_db_error(resp, req, e, 0);
		return;
	}
	reply_json(resp, 200, json_pack("{s:o}", "chats", list));
}

void
h_chat_get(struct request *req, struct response *resp)
{
	reply_chat(req, resp, 200, param_id(req, 0));
}

void
h_member_add(struct request *req, struct response *resp)
{
	static const char *const known[] = { "user_id", NULL };
	int64_t chat = param_id(req, 0), user;
	bool added;
	enum err e;

	if (field_only(req, resp, req->json, known) != ERR_OK ||
	    field_id(req, resp, req->json, "user_id", FIELD_REQUIRED, &user) !=
	    ERR_OK)
		return;
	e = db_chat_join(req->user_id, chat, user, now_ms(), &added);
	if (e != ERR_OK) {
		reply_db_error(resp, req, e, chat);
		return;
	}
	reply_chat(req, resp, added ? 201 : 200, chat);
}

void
h_member_remove(struct request *req, struct response *resp)
{
	int64_t chat = param_id(req, 0), user;
	enum err e;

	if (strcmp(req->params[1], "me") == 0) {
		user = req->user_id;
	} else {
		char *end;
		user = strtoll(req->params[1], &end, 10);
		if (*end != '\0' || user <= 0) {
			reply_error(resp, req, ERR_INVALID_FIELD, "user_id",
			    "a user id or \"me\"");
			return;
		}
	}
	e = db_chat_leave(req->user_id, chat, user, now_ms());
	if (e != ERR_OK) {
		reply_db_error(resp, req, e, chat);
		return;
	}
	reply_empty(resp, 204);
}

void
h_chat_read(struct request *req, struct response *resp)
{
	static const char *const known[] = { "message_id", NULL };
	int64_t chat = param_id(req, 0), message;
	enum err e;

	if (field_only(req, resp, req->json, known) != ERR_OK ||
	    field_id(req, resp, req->json, "message_id", FIELD_REQUIRED,
	    &message) != ERR_OK)
		return;
	e = db_chat_read(req->user_id, chat, message, now_ms());
	if (e != ERR_OK) {
		reply_db_error(resp, req, e, e == ERR_MESSAGE_NOT_FOUND ?
		    message : chat);
		return;
	}
	reply_empty(resp, 204);
}

void
h_chat_typing(struct request *req, struct response *resp)
{
	int64_t chat = param_id(req, 0);
	enum err e = db_chat_typing(req->user_id, chat, now_ms());

	if (e != ERR_OK) {
		reply_db_error(resp, req, e, chat);
		return;
	}
	reply_empty(resp, 204);
}
