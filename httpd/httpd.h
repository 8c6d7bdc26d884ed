/*
 * httpd.h: what the files of parleyd share.
 */
#ifndef PARLEY_HTTPD_H
#define PARLEY_HTTPD_H

#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

#include "../api/api.h"
#include "../api/park.h"

/* One HTTP request in flight; libmicrohttpd's *con_cls. */
struct conn {
	struct MHD_Connection *mhd;
	struct request req;
	struct response resp;
	char *uri;                 /* the raw URI; req.path and req.query
	                            * point into it */
	char *body;                /* the body read so far */
	size_t len, cap;
	char peer[64];
	bool seen;                 /* the access handler has seen it */
	bool too_large;            /* the body passed --max-body */
	struct waiter *waiter;     /* its place while held (api/park.h) */
};

/* Queues c->resp on the connection and logs the request. */
enum MHD_Result send_response(struct conn *c);

/* static.c: answers a GET or HEAD outside /api from --www. */
enum MHD_Result serve_static(struct conn *c);


#endif
