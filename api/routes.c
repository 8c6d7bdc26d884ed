/*
 * routes.c: the route table, one line per endpoint. The API reference in
 * docs/API.md follows this order.
 */
#include "handlers.h"

const struct route routes[] = {
	/* method   pattern                     handler         auth       body */
	{ "GET",    "/api/v1",                  h_service_info, AUTH_NONE, BODY_NONE },
	{ "GET",    "/api/v1/health",           h_health,       AUTH_NONE, BODY_NONE },
	{ "GET",    "/api/v1/ping",             h_ping,         AUTH_NONE, BODY_NONE },
	{ "GET",    "/api/v1/metrics",          h_metrics,      AUTH_NONE, BODY_NONE },

	{ "POST",   "/api/v1/users",            h_register,     AUTH_NONE, BODY_JSON },
	{ "POST",   "/api/v1/sessions",         h_login,        AUTH_NONE, BODY_JSON },
	{ "DELETE", "/api/v1/sessions/current", h_logout,       AUTH_USER, BODY_NONE },
	{ "POST",   "/api/v1/integrations/sessions", h_site_session, AUTH_NONE, BODY_JSON },

	{ "GET",    "/api/v1/me",               h_me_get,       AUTH_USER, BODY_NONE },
	{ "PATCH",  "/api/v1/me",               h_me_patch,     AUTH_USER, BODY_JSON },
	{ "GET",    "/api/v1/users",            h_user_search,  AUTH_USER, BODY_NONE },
	{ "GET",    "/api/v1/users/{id}",       h_user_get,     AUTH_USER, BODY_NONE },
	{ "PUT",    "/api/v1/me/avatar",        h_avatar_put,   AUTH_USER, BODY_JSON_OR_RAW },
	{ "DELETE", "/api/v1/me/avatar",        h_avatar_delete, AUTH_USER, BODY_NONE },
	{ "GET",    "/api/v1/users/{id}/avatar", h_avatar_get,  AUTH_USER, BODY_NONE },

	{ "GET",    "/api/v1/contacts",         h_contact_list, AUTH_USER, BODY_NONE },
	{ "POST",   "/api/v1/contacts/import",  h_contact_import, AUTH_USER, BODY_JSON },
	{ "PUT",    "/api/v1/contacts/{id}",    h_contact_put,  AUTH_USER, BODY_JSON_OPT },
	{ "DELETE", "/api/v1/contacts/{id}",    h_contact_delete, AUTH_USER, BODY_NONE },

	{ "POST",   "/api/v1/chats",            h_chat_create,  AUTH_USER, BODY_JSON },
	{ "GET",    "/api/v1/chats",            h_chat_list,    AUTH_USER, BODY_NONE },
	{ "GET",    "/api/v1/chats/{id}",       h_chat_get,     AUTH_USER, BODY_NONE },
	{ "POST",   "/api/v1/chats/{id}/members", h_member_add, AUTH_USER, BODY_JSON },
	{ "DELETE", "/api/v1/chats/{id}/members/{user}", h_member_remove, AUTH_USER, BODY_NONE },
	{ "GET",    "/api/v1/chats/{id}/messages", h_message_history, AUTH_USER, BODY_NONE },
	{ "POST",   "/api/v1/chats/{id}/messages", h_message_send, AUTH_USER, BODY_JSON },
	{ "POST",   "/api/v1/chats/{id}/read",  h_chat_read,    AUTH_USER, BODY_JSON },
	{ "POST",   "/api/v1/chats/{id}/typing", h_chat_typing, AUTH_USER, BODY_NONE },

	{ "POST",   "/api/v1/messages",         h_message_send_to, AUTH_USER, BODY_JSON },
	{ "GET",    "/api/v1/messages",         h_message_search, AUTH_USER, BODY_NONE },
	{ "PATCH",  "/api/v1/messages/{id}",    h_message_edit, AUTH_USER, BODY_JSON },
	{ "DELETE", "/api/v1/messages/{id}",    h_message_delete, AUTH_USER, BODY_NONE },
	{ "GET",    "/api/v1/attachments/{id}", h_attachment_get, AUTH_USER, BODY_NONE },

	{ "GET",    "/api/v1/events",           h_events,       AUTH_USER, BODY_NONE },
};

const size_t nroutes = sizeof(routes) / sizeof(routes[0]);
