/*
 * handlers.h: every handler of the route table. A handler validates its
 * input, asks db/ and answers resp; it never blocks except in db/.
 */
#ifndef PARLEY_HANDLERS_H
#define PARLEY_HANDLERS_H

#include "router.h"

/* h_service.c */
handler_fn h_service_info, h_health, h_ping;

/* h_accounts.c */
handler_fn h_register, h_login, h_logout;

/* h_users.c */
handler_fn h_me_get, h_me_patch, h_user_get;

#endif
