/*
 * handlers.h: every handler of the route table. A handler validates its
 * input, asks db/ and answers resp; it never blocks except in db/.
 */
#ifndef PARLEY_HANDLERS_H
#define PARLEY_HANDLERS_H

#include "router.h"

/* A handler's write left for the group commit with a DEFER (api.h): the
 * handler sets req->deferred and resp->defer. */
struct deferred {
	/* Queues the write; done(arg) once it has ended. */
	void (*queue)(struct deferred *d, void (*done)(void *), void *arg);
	/* Answers resp from the write's outcome (queued or not: one that was
	 * not runs now, and waits) and frees d. */
	void (*answer)(struct request *req, struct response *resp,
	    struct deferred *d);
};

/* h_service.c */
handler_fn h_service_info, h_health, h_ping;

/* h_accounts.c */
handler_fn h_register, h_login, h_logout;

/* h_users.c */
handler_fn h_me_get, h_me_patch, h_user_get, h_user_search, h_avatar_put,
    h_avatar_delete, h_avatar_get;

/* h_contacts.c */
handler_fn h_contact_list, h_contact_put, h_contact_delete, h_contact_import;

/* h_sites.c */
handler_fn h_site_session;

/* h_chats.c */
handler_fn h_chat_create, h_chat_list, h_chat_get, h_member_add,
    h_member_remove, h_chat_read, h_chat_typing;

/* h_messages.c */
handler_fn h_message_send, h_message_send_to, h_message_history,
    h_message_edit, h_message_delete, h_message_search, h_attachment_get;

/* h_events.c */
handler_fn h_events;

/* metrics.c */
handler_fn h_metrics;

#endif
