/*
 * api.h: the one interface between a front and parley's handlers.
 *
 * Life of a request:
 *   api_request_init()   the front fills method, path, query, body, peer,
 *                        header lookup
 *   api_handle()         routes, authenticates, runs the handler; fills resp
 *   ...                  if resp->wait: the front parks the request and,
 *                        when woken or at the deadline, calls api_handle()
 *                        again with the same req and a fresh resp
 *   ...                  if resp->defer: the same, around
 *                        api_defer_queue() (below)
 *   api_finish()         logs the request line
 *   api_request_free(), api_response_free()
 *
 * Before any front starts threads it calls api_init() once.
 */
#ifndef PARLEY_API_H
#define PARLEY_API_H

#include "error.h"
#include "request.h"

struct config;

/* Opens and migrates the database, seeds what needs seeding before threads
 * start. Returns 0, or -1 after printing why. */
int api_init(const struct config *cfg);

/* Releases what api_init() took (the calling thread's database handle). */
void api_shutdown(void);

void api_request_init(struct request *req);
void api_request_free(struct request *req);
void api_response_init(struct response *resp);
void api_response_free(struct response *resp);

/* Runs the request. Always leaves a complete response (or a WAIT) in resp. */
void api_handle(struct request *req, struct response *resp);

/* DEFER: a write (a send) that waits for the process's group commit
 * need not hold its front's thread: a front that can set a request aside
 * (parleyd suspends the connection, parley.fcgi keeps the FastCGI request
 * for an answering thread) sets req->can_defer, and then may
 * get resp->defer from api_handle(). It sets the request aside first,
 * then calls api_defer_queue(): done(arg) is called once, on another
 * thread or at once in this one, when the write has ended, and the front
 * then calls api_handle() again with the same req and a fresh resp, which
 * answers. A front without can_defer never sees a DEFER: api_handle()
 * waits for the write itself. */
void api_defer_queue(struct request *req, void (*done)(void *), void *arg);

/* The answer for a request refused before its body was read (413): the
 * front calls this instead of api_handle(). */
void api_reject(struct request *req, struct response *resp, enum err e);

/* Logs one line for the finished request: method, path, status, duration
 * and request id. Never the query, a header or the body. */
void api_finish(const struct request *req, const struct response *resp);

/* The housekeeping thread of a server process (housekeeping.c): presence
 * sweeps and pruning. */
int api_housekeeping_start(void);
void api_housekeeping_stop(void);

/* One round of housekeeping now, pruning too when prune (parley-admin). */
void api_housekeeping_once(bool prune);

/* Set by a front when it begins to stop: a held long-poll answers at once
 * (with what it has) instead of waiting on. */
extern volatile int api_stopping;

/* The allocator behind jansson (malloc); tests/unit/test_chaos.c makes
 * it fail. Set it before api_init(). */
extern void *(*api_json_malloc)(size_t);

/* The largest body a front may read, in bytes (--max-body). */
size_t api_max_body(void);

#endif
