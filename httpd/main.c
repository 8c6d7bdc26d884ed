/*
 * parleyd: parley's standalone HTTP server (libmicrohttpd).
 *
 * Serves /api/v1 through the shared handlers and the browser client's
 * static files from --www. Start-up is a fixed sequence: read the
 * configuration, raise the descriptor limit, open and migrate the
 * database, start libmicrohttpd's epoll thread pool, wait for SIGINT or
 * SIGTERM, stop.
 *
 * Stopping (SIGTERM, SIGINT) cuts no request: the listening socket is
 * closed first (new connections are refused), held polls are answered
 * (park_stop()), requests already begun may finish for HTTPD_DRAIN_S, and
 * only then does libmicrohttpd close what is left.
 *
 * A request's life here: the URI log callback allocates its struct conn
 * (and keeps the raw URI, which libmicrohttpd otherwise unescapes and
 * splits); the access handler collects the body, then runs api_handle()
 * and queues the response. See api/park.c for requests that wait.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "../api/api.h"
#include "../api/clock.h"
#include "../api/config.h"
#include "../api/limits.h"
#include "httpd.h"

static const char *const usage_line = "[options]";

/* Requests begun and not completed (uri_logger to request_completed). */
static long inflight;

/* Frees what a struct conn holds, and it. */
static void
conn_free(struct conn *c)
{
	api_request_free(&c->req);
	api_response_free(&c->resp);
	free(c->body);
	free(c->uri);
	free(c);
}

static const char *
conn_header(void *front, const char *name)
{
	struct conn *c = front;

	return MHD_lookup_connection_value(c->mhd, MHD_HEADER_KIND, name);
}

/* libmicrohttpd calls this first for every request, with the raw URI; what
 * it returns becomes the request's *con_cls. */
static void *
uri_logger(void *cls, const char *uri, struct MHD_Connection *mhd)
{
	struct conn *c = calloc(1, sizeof(*c));
	char *q;

	(void)cls;
	if (c == NULL || (c->uri = strdup(uri)) == NULL) {
		free(c);
		return NULL;
	}
	c->mhd = mhd;
	api_request_init(&c->req);
	api_response_init(&c->resp);
	q = strchr(c->uri, '?');
	if (q != NULL) {
		*q = '\0';
		c->req.query = q + 1;
	}
	c->req.path = c->uri;
	c->req.header = conn_header;
	c->req.front = c;
	c->req.can_defer = true;
	__atomic_add_fetch(&inflight, 1, __ATOMIC_RELAXED);
	return c;
}

static void
request_completed(void *cls, struct MHD_Connection *mhd, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct conn *c = *con_cls;

	(void)cls;
	(void)mhd;
	(void)toe;
	if (c == NULL)
		return;
	park_forget(&c->waiter);
	/* libmicrohttpd closed it (the client went away) while it was
	 * held: its verdict is still WAIT. Log it as nginx does a request
	 * whose client closed. */
	if (c->resp.wait) {
		c->resp.status = STATUS_CLIENT_GONE;
		api_finish(&c->req, &c->resp);
	}
	conn_free(c);
	*con_cls = NULL;
	__atomic_sub_fetch(&inflight, 1, __ATOMIC_RELAXED);
}

/* Sets c->req.peer from the connection's address. */
static void
conn_peer(struct conn *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c->mhd,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;

	if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    c->peer, sizeof(c->peer));
	else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
		    c->peer, sizeof(c->peer));
	c->req.peer = c->peer;
}

enum MHD_Result
send_response(struct conn *c)
{
	struct MHD_Response *r;
	struct response *resp = &c->resp;
	enum MHD_Result ret;
	size_t i;

	r = MHD_create_response_from_buffer(resp->body_len, resp->body,
	    MHD_RESPMEM_MUST_FREE);
	if (r == NULL)
		return MHD_NO;
	resp->body = NULL; /* libmicrohttpd frees it now */
	if (resp->content_type != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
		    resp->content_type);
	for (i = 0; i < resp->nheaders; i++)
		MHD_add_response_header(r, resp->headers[i].name,
		    resp->headers[i].value);
	ret = MHD_queue_response(c->mhd, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	api_finish(&c->req, resp);
	return ret;
}

/* Gives a suspended connection back to its pool thread, which runs
 * answer() again. c is not touched after: that thread may free it. */
static void
resume(void *c)
{
	MHD_resume_connection(((struct conn *)c)->mhd);
}

static void
suspend(void *c)
{
	MHD_suspend_connection(((struct conn *)c)->mhd);
}

/* A DEFER (api.h): the connection is suspended while its write waits for
 * the group commit, and this thread serves its other connections; the
 * commit's end resumes it, and answer() runs again and answers. A send
 * that held its thread until then bounded the batches by the thread count
 * and cost each send a sleep and a wake-up of its own. Suspended before
 * the write is queued: libmicrohttpd may not be asked to resume a
 * connection that is not suspended yet. */
static enum MHD_Result
defer(struct conn *c)
{
	suspend(c);
	api_defer_queue(&c->req, resume, c);
	return MHD_YES;
}

/* A WAIT: the poll is held in api/park.c with its connection suspended
 * until it is woken, and this thread serves its other connections. A
 * client that went away gets an empty 499 that closes the connection
 * (MHD_NO would too, but libmicrohttpd logs each as an internal error). */
static enum MHD_Result
hold(struct conn *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c->mhd,
	    MHD_CONNECTION_INFO_CONNECTION_FD);

	if (park(&c->waiter, c, ci != NULL ? ci->connect_fd : -1, &c->req,
	    &c->resp, suspend))
		return MHD_YES;
	if (c->resp.status == STATUS_CLIENT_GONE)
		response_header(&c->resp, "Connection", "close");
	return send_response(c);
}

static enum MHD_Result
answer(void *cls, struct MHD_Connection *mhd, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct conn *c = *con_cls;

	(void)cls;
	(void)url;
	(void)version;
	if (c == NULL)
		return MHD_NO; /* out of memory in uri_logger */

	if (!c->seen) {
		const char *cl = MHD_lookup_connection_value(mhd,
		    MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		const char *te = MHD_lookup_connection_value(mhd,
		    MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
		c->seen = true;
		c->req.method = method;
		conn_peer(c);
		/* Refuse an announced oversized body before reading it. This
		 * answer on the first call makes libmicrohttpd close the
		 * connection, which is right: the body is never read. */
		if (cl != NULL && strtoull(cl, NULL, 10) > api_max_body()) {
			api_reject(&c->req, &c->resp, ERR_PAYLOAD_TOO_LARGE);
			return send_response(c);
		}
		/* libmicrohttpd 0.9.75 reads the body of any other transfer
		 * coding until the client closes (ignoring Content-Length):
		 * a held connection, and a request-smuggling shape. Only
		 * "chunked", alone, is taken (tests/http/test_raw_http.py). */
		if (te != NULL && (strcasecmp(te, "chunked") != 0 ||
		    cl != NULL)) {
			api_reject(&c->req, &c->resp, ERR_INVALID_FIELD);
			return send_response(c);
		}
		/* Answering later keeps the connection alive (MEASURED.md). */
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (c->too_large || c->len + n > api_max_body()) {
			c->too_large = true; /* chunked: count, drop */
			return MHD_YES;
		}
		if (c->len + n > c->cap) {
			size_t cap = c->cap ? c->cap : 4096;
			char *p;
			while (cap < c->len + n)
				cap *= 2;
			if ((p = realloc(c->body, cap)) == NULL)
				return MHD_NO;
			c->body = p;
			c->cap = cap;
		}
		memcpy(c->body + c->len, upload_data, n);
		c->len += n;
		return MHD_YES;
	}
	if (c->too_large) {
		api_reject(&c->req, &c->resp, ERR_PAYLOAD_TOO_LARGE);
		return send_response(c);
	}
	if (strncmp(c->req.path, "/api/", 5) != 0 &&
	    strcmp(c->req.path, "/api") != 0)
		return serve_static(c);

	/* Woken because its client went away: hold() closes it without
	 * running the handler again for nobody. */
	if (c->resp.wait && park_client_gone(&c->waiter))
		return hold(c);
	c->req.body = c->body;
	c->req.body_len = c->len;
	api_response_free(&c->resp);
	api_response_init(&c->resp);
	api_handle(&c->req, &c->resp);
	if (c->resp.wait)
		return hold(c);
	if (c->resp.defer)
		return defer(c);
	return send_response(c);
}

/* Parses HOST:PORT ("[::1]:8080", "127.0.0.1:0") into *ss. */
static int
parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	struct addrinfo hints = { 0 }, *res;
	size_t hl;

	if (colon == NULL || colon == spec || (hl = (size_t)(colon - spec)) >=
	    sizeof(host))
		return -1;
	memcpy(host, spec, hl);
	host[hl] = '\0';
	if (host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
		return -1;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* Stops d without cutting a request: refuses new connections, answers the
 * held polls, lets the requests in flight finish (at most HTTPD_DRAIN_S),
 * then stops libmicrohttpd. */
static void
stop_gently(struct MHD_Daemon *d)
{
	MHD_socket lsock = MHD_quiesce_daemon(d);
	int64_t until = mono_us() + (int64_t)HTTPD_DRAIN_S * 1000000;
	long left;

	/* Connections now are refused. The socket is closed only after
	 * MHD_stop_daemon(): a pool thread may still be in accept() on it,
	 * and its number must not be reused before that thread returns. */
	if (lsock != MHD_INVALID_SOCKET)
		shutdown(lsock, SHUT_RDWR);
	api_housekeeping_stop();
	park_stop();
	while ((left = __atomic_load_n(&inflight, __ATOMIC_RELAXED)) > 0 &&
	    mono_us() < until)
		usleep(10000);
	if (left > 0)
		fprintf(stderr, "parleyd: %ld requests still open after %d s;"
		    " closing them\n", left, HTTPD_DRAIN_S);
	MHD_stop_daemon(d);
	if (lsock != MHD_INVALID_SOCKET)
		close(lsock);
}

/* Raises the descriptor limit to the hard limit: each held poll is one. */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	sigset_t sigs;
	bool help;
	int sig, argi;
	unsigned threads;

	config.listen = "127.0.0.1:8080";
	argi = config_load(argc, argv, "parleyd", usage_line, &help);
	if (argi < 0)
		return 2;
	if (help)
		return 0;
	if (argi < argc) {
		fprintf(stderr, "parleyd: unexpected argument %s\n", argv[argi]);
		return 2;
	}
	if (parse_listen(config.listen, &ss, &sslen) != 0) {
		fprintf(stderr, "parleyd: --listen wants HOST:PORT, not %s\n",
		    config.listen);
		return 2;
	}
	raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	if (api_init(&config) != 0)
		return 1;
	if (park_init("parleyd", resume, POLLRDHUP) != 0)
		return 1;

	/* Signals go to sigwait() below, not to the pool's threads. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	/* HTTPD_THREADS_PER_CORE threads per core by default (api/limits.h):
	 * neither a held poll nor a send waiting for its group commit holds
	 * a thread. */
	threads = config.threads > 0 ? (unsigned)config.threads :
	    HTTPD_THREADS_PER_CORE * (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | MHD_USE_ITC |
	    (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
	    0, NULL, NULL, answer, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_THREAD_POOL_SIZE, threads,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTPD_CONNECTION_LIMIT,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)config.head_memory,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTPD_CONNECTION_TIMEOUT_S,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_logger, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, request_completed, NULL,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
	    MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "parleyd: cannot listen on %s: %s\n",
		    config.listen, strerror(errno));
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	fprintf(stderr, "parleyd: listening on %s (port %u), database %s\n",
	    config.listen, info != NULL ? (unsigned)info->port : 0,
	    config.db_path);

	if (park_start() != 0 || api_housekeeping_start() != 0)
		return 1;
	sigwait(&sigs, &sig);
	fprintf(stderr, "parleyd: %s, stopping\n", strsignal(sig));
	stop_gently(d);
	api_shutdown();
	return 0;
}
