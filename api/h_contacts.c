/*
 * h_contacts.c: the signed-in user's contacts: list, add or rename,
 * remove, and import from an address book by phone and e-mail.
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
#include "text.h"

/* Answers a storage error about contact (a user id). */
static void
reply_contact_error(struct request *req, struct response *resp, enum err e,
    int64_t contact)
{
	if (e == ERR_USER_NOT_FOUND)
		reply_error(resp, req, e, "user_id", "no user with id %lld",
		    (long long)contact);
	else if (e == ERR_NOT_FOUND)
		reply_error(resp, req, e, "user_id", "user %lld is not your"
		    " contact", (long long)contact);
	else
		reply_db_error(resp, req, e, contact);
}

void
h_contact_list(struct request *req, struct response *resp)
{
	int64_t limit = config.page_size, after = 0;
	bool present;
	json_t *list;
	enum err e;

	if (query_int(req->query, "limit", 1, config.page_size, &limit,
	    &present) || query_int(req->query, "after", 0, INT64_MAX, &after,
	    &present)) {
		reply_error(resp, req, ERR_INVALID_FIELD, NULL,
		    "limit is 1 to %ld; after is a user id", config.page_size);
		return;
	}
	list = db_contact_list(req->user_id, after, (int)limit, now_ms(), &e);
	if (list == NULL) {
		reply_db_error(resp, req, e, 0);
		return;
	}
	reply_json(resp, 200, json_pack("{s:o}", "contacts", list));
}

void
h_contact_put(struct request *req, struct response *resp)
{
	static const char *const known[] = { "name", NULL };
	int64_t contact = param_id(req, 0), now = now_ms();
	const char *name;
	bool created;
	json_t *c;
	enum err e;

	/* The body is optional: PUT with none adds without a name. */
	if (field_only(req, resp, req->json, known) != ERR_OK ||
	    field_string(req, resp, req->json, "name", FIELD_NULLABLE, 1,
	    LIMIT_NAME_BYTES, &name) != ERR_OK)
		return;
	if (contact == req->user_id) {
		reply_error(resp, req, ERR_INVALID_FIELD, "user_id",
		    "you are not your own contact");
		return;
	}
	e = db_contact_put(req->user_id, contact, name, now, &created);
	c = e == ERR_OK ? db_contact_get(req->user_id, contact, now, &e) : NULL;
	if (c == NULL) {
		reply_contact_error(req, resp, e, contact);
		return;
	}
	reply_json(resp, created ? 201 : 200, c);
}

void
h_contact_delete(struct request *req, struct response *resp)
{
	int64_t contact = param_id(req, 0);
	enum err e = db_contact_delete(req->user_id, contact, now_ms());

	if (e != ERR_OK) {
		reply_contact_error(req, resp, e, contact);
		return;
	}
	reply_empty(resp, 204);
}

/* Reads entry i of the import into *c (phone into phone): a name, a phone
 * in any of the three forms, an e-mail. A phone or e-mail that is no such
 * thing leaves the entry without it (it matches by the other, or not at
 * all): an address book holds what its owner typed. Other mistakes (an
 * entry that is no object, an unknown key, a name that is no text) are
 * invalid_field. */
static enum err
read_entry(struct request *req, struct response *resp, const json_t *entry,
    struct contact_entry *c, char phone[PHONE_E164_MAX])
{
	static const char *const known[] = { "name", "phone", "email", NULL };
	const json_t *email = json_object_get(entry, "email");
	enum err e;

	memset(c, 0, sizeof(*c));
	if (!json_is_object(entry))
		return reply_error(resp, req, ERR_INVALID_FIELD, "contacts",
		    "each contact is an object {name, phone, email}");
	if ((e = field_only(req, resp, entry, known)) != ERR_OK ||
	    (e = field_string(req, resp, entry, "name", FIELD_NULLABLE, 1,
	    LIMIT_NAME_BYTES, &c->name)) != ERR_OK)
		return e;
	if (json_object_get(entry, "phone") != NULL &&
	    phone_normalize_json(json_object_get(entry, "phone"), phone) ==
	    ERR_OK)
		c->phone = phone;
	if (json_is_string(email) && json_string_length(email) <=
	    LIMIT_EMAIL_BYTES && email_is_valid(json_string_value(email)))
		c->email = json_string_value(email);
	return ERR_OK;
}

void
h_contact_import(struct request *req, struct response *resp)
{
	static const char *const known[] = { "contacts", NULL };
	const json_t *list = json_object_get(req->json, "contacts");
	struct contact_entry *entries = NULL;
	char (*phones)[PHONE_E164_MAX] = NULL;
	size_t n, i, unmatched;
	json_t *matched;
	enum err e;

	if (field_only(req, resp, req->json, known) != ERR_OK)
		return;
	if (list == NULL) {
		reply_error(resp, req, ERR_MISSING_FIELD, "contacts",
		    "contacts is required: [{name, phone, email}]");
		return;
	}
	n = json_array_size(list);
	if (!json_is_array(list) || n > (size_t)config.page_size) {
		reply_error(resp, req, ERR_INVALID_FIELD, "contacts",
		    "contacts is an array of at most %ld entries",
		    config.page_size);
		return;
	}
	entries = calloc(n ? n : 1, sizeof(*entries));
	phones = calloc(n ? n : 1, sizeof(*phones));
	if (entries == NULL || phones == NULL) {
		reply_error(resp, req, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		if (read_entry(req, resp, json_array_get(list, i), &entries[i],
		    phones[i]) != ERR_OK)
			goto out;
	matched = db_contact_import(req->user_id, entries, n, now_ms(),
	    &unmatched, &e);
	if (matched == NULL) {
		reply_db_error(resp, req, e, 0);
		goto out;
	}
	reply_json(resp, 200, json_pack("{s:o, s:I}", "matched", matched,
	    "unmatched", (json_int_t)unmatched));
out:
	free(entries);
	free(phones);
}
