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

	{ "POST",   "/api/v1/users",            h_register,     AUTH_NONE, BODY_JSON },
	{ "POST",   "/api/v1/sessions",         h_login,        AUTH_NONE, BODY_JSON },
	{ "DELETE", "/api/v1/sessions/current", h_logout,       AUTH_USER, BODY_NONE },

	{ "GET",    "/api/v1/me",               h_me_get,       AUTH_USER, BODY_NONE },
	{ "PATCH",  "/api/v1/me",               h_me_patch,     AUTH_USER, BODY_JSON },
	{ "GET",    "/api/v1/users/{id}",       h_user_get,     AUTH_USER, BODY_NONE },
};

const size_t nroutes = sizeof(routes) / sizeof(routes[0]);
