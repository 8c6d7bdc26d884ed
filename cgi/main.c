/*
 * parley.fcgi: parley behind nginx or Apache, as a FastCGI application
 * (libfcgi's fcgiapp with a pool of worker threads) or as a plain CGI
 * program.
 *
 * Which one it is, is decided at start:
 *   --listen unix:PATH | HOST:PORT   FastCGI on a socket it opens;
 *   LISTEN_FDS=1 (systemd)           FastCGI on the socket at fd 3;
 *   fd 0 is a socket                 FastCGI on the socket it inherited
 *                                    (spawn-fcgi, Apache mod_fcgid);
 *   otherwise, with GATEWAY_INTERFACE set: one CGI request on stdin/stdout.
 *
 * Each worker thread accepts a request, reads its body (refused with 413
 * before reading when CONTENT_LENGTH is over the limit), runs the handlers
 * and writes the response. A long-poll that must wait holds no thread: its
 * struct call (the FastCGI request with its parsed request) is kept in the
 * table of held polls (api/park.c) and the worker accepts another. When
 * the poll's user's bell rings, its deadline passes, nginx closes its
 * connection (the client left) or we stop, the table hands the call to the
 * queue of woken calls, and one of a few answering threads runs the
 * handler again and writes the answer. A thread per held poll, as libfcgi
 * would have it, cost a channel's message to 1,000 held polls 1,000
 * threads woken at once on two cores (docs/BENCHMARKS.md). A send does
 * not hold its worker either while its group commit runs (a DEFER,
 * api.h): the commit's end queues the call in the same way.
 *
 * As CGI the one request's thread sleeps on the bell (bell_wait()).
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "../api/api.h"
#include "../api/config.h"
#include "../api/limits.h"
#include "../api/park.h"
#include "../db/bell.h"

static int listen_fd = -1;
static bool listen_unix; /* listen_fd is a Unix socket */
static volatile sig_atomic_t stopping;

_Static_assert(sizeof(sig_atomic_t) == sizeof(int),
    "bell_wait() takes the stop flag as an int");

/* One FastCGI request, from its accept to its answer. A held poll's call
 * goes from the worker that accepted it to the table of held polls and
 * then, woken, to an answering thread. */
struct call {
	FCGX_Request fr;
	struct request req;
	struct response resp;
	char *uri, *body;          /* req.path and req.body point into them */
	struct waiter *waiter;     /* its place while held (api/park.h) */
	struct call *next;         /* in the queue of woken calls */
};

/* The calls woken by the table, waiting for an answering thread. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t nonempty;
	struct call *head, **tail;
	size_t deferred;           /* calls whose write is queued (a DEFER) */
	bool closed;               /* no more: the answerers leave once none
	                            * is queued or deferred */
} woken = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.nonempty = PTHREAD_COND_INITIALIZER,
	.tail = &woken.head,
};

/* The FastCGI parameter (or CGI variable) of an HTTP header name:
 * "X-Request-Id" is HTTP_X_REQUEST_ID; Content-Type and Content-Length
 * are CONTENT_TYPE and CONTENT_LENGTH. */
static void
header_param(const char *name, char *out, size_t outlen)
{
	size_t n = 0, i;

	if (strcasecmp(name, "Content-Type") != 0 &&
	    strcasecmp(name, "Content-Length") != 0)
		n = (size_t)snprintf(out, outlen, "HTTP_");
	for (i = 0; name[i] != '\0' && n + 1 < outlen; i++)
		out[n++] = name[i] == '-' ? '_' :
		    (char)toupper((unsigned char)name[i]);
	out[n] = '\0';
}

static const char *
fcgi_header(void *front, const char *name)
{
	char key[128];

	header_param(name, key, sizeof(key));
	return FCGX_GetParam(key, ((FCGX_Request *)front)->envp);
}

static const char *
cgi_header(void *front, const char *name)
{
	char key[128];

	(void)front;
	header_param(name, key, sizeof(key));
	return getenv(key);
}

static const char *
status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 507: return "Insufficient Storage";
	default: return "";
	}
}

/* Formats the CGI header block of resp into buf; returns its length. */
static size_t
format_head(const struct response *resp, char *buf, size_t buflen)
{
	size_t n, i;

	n = (size_t)snprintf(buf, buflen, "Status: %d %s\r\n", resp->status,
	    status_text(resp->status));
	if (resp->content_type != NULL && n < buflen)
		n += (size_t)snprintf(buf + n, buflen - n,
		    "Content-Type: %s\r\n", resp->content_type);
	if (n < buflen)
		n += (size_t)snprintf(buf + n, buflen - n,
		    "Content-Length: %zu\r\n", resp->body_len);
	for (i = 0; i < resp->nheaders && n < buflen; i++)
		n += (size_t)snprintf(buf + n, buflen - n, "%s: %s\r\n",
		    resp->headers[i].name, resp->headers[i].value);
	if (n < buflen)
		n += (size_t)snprintf(buf + n, buflen - n, "\r\n");
	return n < buflen ? n : buflen - 1;
}

/* The request line's path and query from the gateway's variables. */
static void
request_target(struct request *req, char **uri_copy,
    const char *(*param)(void *, const char *), void *front)
{
	const char *uri = param(front, "REQUEST_URI");
	char *q;

	if (uri == NULL || uri[0] == '\0') {
		/* A CGI server that sets no REQUEST_URI: the script's path
		 * and PATH_INFO together name the resource. */
		const char *script = param(front, "SCRIPT_NAME");
		const char *info = param(front, "PATH_INFO");
		size_t n = strlen(script ? script : "") + strlen(info ? info : "") + 1;
		*uri_copy = malloc(n);
		if (*uri_copy != NULL)
			snprintf(*uri_copy, n, "%s%s", script ? script : "",
			    info ? info : "");
	} else {
		*uri_copy = strdup(uri);
	}
	if (*uri_copy == NULL) {
		req->path = "/";
		return;
	}
	q = strchr(*uri_copy, '?');
	if (q != NULL)
		*q = '\0';
	req->path = *uri_copy;
	req->query = param(front, "QUERY_STRING");
	if (req->query == NULL)
		req->query = "";
}

static const char *
fcgi_param(void *front, const char *name)
{
	return FCGX_GetParam(name, ((FCGX_Request *)front)->envp);
}

static const char *
cgi_param(void *front, const char *name)
{
	(void)front;
	return getenv(name);
}

/* Reads the declared body into *body. Returns ERR_OK, or
 * ERR_PAYLOAD_TOO_LARGE without reading, or ERR_INVALID_JSON when the body
 * ends early. read_fn reads up to n bytes and returns how many. */
static enum err
read_body(const char *length, int (*read_fn)(void *, char *, int), void *src,
    char **body, size_t *len)
{
	unsigned long long want = length != NULL ? strtoull(length, NULL, 10) : 0;
	size_t got = 0;

	*body = NULL;
	*len = 0;
	if (want == 0)
		return ERR_OK;
	if (want > api_max_body())
		return ERR_PAYLOAD_TOO_LARGE;
	if ((*body = malloc((size_t)want)) == NULL)
		return ERR_INTERNAL;
	while (got < want) {
		int n = read_fn(src, *body + got, (int)(want - got));
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	*len = got;
	return ERR_OK;
}

static int
fcgi_read(void *src, char *buf, int n)
{
	return FCGX_GetStr(buf, n, ((FCGX_Request *)src)->in);
}

/* Reads the rest of the request's input, up to the end of its stream (the
 * empty FCGI_STDIN record every server sends after the body, for a GET
 * too). A held poll does this before its connection is watched (park.c):
 * an unread end-of-input record would look like a message from the server
 * (FCGI_ABORT_REQUEST) and end the poll at once. nginx sends that record
 * in the same write as the parameters, so libfcgi has mostly read it
 * already; Apache's mod_proxy_fcgi sends it apart. */
static void
fcgi_drain(void *src)
{
	char buf[1024];

	while (FCGX_GetStr(buf, (int)sizeof(buf), ((FCGX_Request *)src)->in) > 0)
		;
}

static int
cgi_read(void *src, char *buf, int n)
{
	(void)src;
	return (int)fread(buf, 1, (size_t)n, stdin);
}

/* Starts one request whose gateway is described by the functions given:
 * reads its body and runs the handler, which fills resp (the answer, or a
 * WAIT for the caller to wait on). */
static void
begin(struct request *req, struct response *resp, char **uri, char **body,
    const char *(*param)(void *, const char *), header_fn header,
    int (*read_fn)(void *, char *, int), void *front, bool can_defer)
{
	const char *method = param(front, "REQUEST_METHOD");
	const char *peer = param(front, "REMOTE_ADDR");
	enum err e;

	api_request_init(req);
	api_response_init(resp);
	req->method = method != NULL ? method : "GET";
	req->peer = peer != NULL ? peer : "";
	req->header = header;
	req->front = front;
	req->can_defer = can_defer;
	request_target(req, uri, param, front);
	e = read_body(param(front, "CONTENT_LENGTH"), read_fn, front, body,
	    &req->body_len);
	req->body = *body;
	if (e != ERR_OK)
		api_reject(req, resp, e);
	else
		api_handle(req, resp);
}

/*
 * libfcgi closes a connection the careful way: shutdown(), then poll()
 * and read() until the web server closes its end, so that data arriving
 * late cannot make the kernel reset the connection and drop the answer.
 * That is a sleep, a wake-up and four system calls per request, a sixth
 * of parley.fcgi's time in the fan-out benchmark. A reset is a TCP
 * matter: on a Unix socket with nothing left unread (the request's input
 * read to its end, nothing more queued), closing at once loses nothing.
 * True when this request's connection may be closed so.
 */
static bool
close_at_once(FCGX_Request *fr)
{
	char c;
	ssize_t r;

	if (!listen_unix)
		return false;
	fcgi_drain(fr);
	r = recv(fr->ipcFd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return r == 0 || (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

static struct call *
call_new(void)
{
	struct call *c = calloc(1, sizeof(*c));

	if (c != NULL && FCGX_InitRequest(&c->fr, listen_fd, 0) != 0) {
		free(c);
		c = NULL;
	}
	return c;
}

/* Writes c's answer (none to a client gone), logs it and ends the FastCGI
 * request; c may then accept another. */
static void
reply(struct call *c)
{
	char head[8192];
	size_t n;

	if (c->resp.status != STATUS_CLIENT_GONE) {
		n = format_head(&c->resp, head, sizeof(head));
		FCGX_PutStr(head, (int)n, c->fr.out);
		if (c->resp.body_len > 0 && strcmp(c->req.method, "HEAD") != 0)
			FCGX_PutStr(c->resp.body, (int)c->resp.body_len,
			    c->fr.out);
	}
	/* Log before FCGX_Finish_r(): req.method points into the request's
	 * parameters, which it frees. */
	api_finish(&c->req, &c->resp);
	park_forget(&c->waiter);
	if (close_at_once(&c->fr))
		(void)FCGX_Detach(&c->fr); /* FCGX_Free() then only closes */
	FCGX_Finish_r(&c->fr);
	api_request_free(&c->req);
	api_response_free(&c->resp);
	free(c->uri);
	free(c->body);
	c->uri = c->body = NULL;
}

/* Queues c for an answering thread; one that was deferred is no longer
 * counted so. park_init()'s wake, and a DEFER's. */
static void
enqueue(struct call *c, bool was_deferred)
{
	c->next = NULL;
	pthread_mutex_lock(&woken.lock);
	*woken.tail = c;
	woken.tail = &c->next;
	if (was_deferred)
		woken.deferred--;
	if (woken.closed && woken.deferred == 0)
		pthread_cond_broadcast(&woken.nonempty); /* all may leave */
	else
		pthread_cond_signal(&woken.nonempty);
	pthread_mutex_unlock(&woken.lock);
}

static void
wake(void *c)
{
	enqueue(c, false);
}

static void
wake_deferred(void *c)
{
	enqueue(c, true);
}

/* After a run of the handler: a WAIT puts c in the table of held polls, a
 * DEFER queues its write (the commit's end queues c for an answerer).
 * True when c was handed on so (the caller lets go of it), false when
 * c->resp is the answer to send now. */
static bool
hand_on(struct call *c)
{
	if (c->resp.wait)
		return park(&c->waiter, c, c->fr.ipcFd, &c->req, &c->resp,
		    NULL);
	if (!c->resp.defer)
		return false;
	pthread_mutex_lock(&woken.lock);
	woken.deferred++;
	pthread_mutex_unlock(&woken.lock);
	api_defer_queue(&c->req, wake_deferred, c);
	return true;
}

/* The next woken call; NULL once the queue is closed and nothing is left
 * in it or on its way to it. */
static struct call *
next_woken(void)
{
	struct call *c;

	pthread_mutex_lock(&woken.lock);
	while (woken.head == NULL && !(woken.closed && woken.deferred == 0))
		pthread_cond_wait(&woken.nonempty, &woken.lock);
	c = woken.head;
	if (c != NULL && (woken.head = c->next) == NULL)
		woken.tail = &woken.head;
	pthread_mutex_unlock(&woken.lock);
	return c;
}

static void *
worker(void *arg)
{
	struct call *c = NULL;

	(void)arg;
	while (!stopping) {
		if (c == NULL && (c = call_new()) == NULL)
			break;
		if (FCGX_Accept_r(&c->fr) != 0)
			break;
		begin(&c->req, &c->resp, &c->uri, &c->body, fcgi_param,
		    fcgi_header, fcgi_read, &c->fr, true);
		/* Before a poll is held its input is read to the end: an
		 * unread end-of-input record would look like the server
		 * closing or aborting it (fcgi_drain()). */
		if (c->resp.wait)
			fcgi_drain(&c->fr);
		if (hand_on(c)) {
			c = NULL; /* the table's or the committer's now */
			continue;
		}
		reply(c);
	}
	if (c != NULL) {
		FCGX_Free(&c->fr, 1);
		free(c);
	}
	api_shutdown();
	return NULL;
}

/* An answering thread: runs the handler again for each woken call (a held
 * poll woken, a send whose commit ended) and answers it, or hands it on
 * again. */
static void *
answerer(void *arg)
{
	struct call *c;

	(void)arg;
	while ((c = next_woken()) != NULL) {
		/* A client gone needs no handler: park() makes its answer a
		 * 499 for nobody. */
		if (!park_client_gone(&c->waiter)) {
			api_response_free(&c->resp);
			api_response_init(&c->resp);
			api_handle(&c->req, &c->resp);
		}
		if (hand_on(c))
			continue;
		reply(c);
		free(c);
	}
	api_shutdown();
	return NULL;
}

/* Reads and drops the rest of a CGI body that was not read (one refused
 * with 413 before reading), after the answer is written: a CGI server
 * such as Apache's mod_cgid writes the whole body before it reads the
 * answer, and fails the request when the program leaves first. Never more
 * than CONTENT_LENGTH (RFC 3875: the program must not read past it), at
 * most CGI_DISCARD_MAX. */
static void
cgi_discard_rest(size_t consumed)
{
	const char *length = getenv("CONTENT_LENGTH");
	unsigned long long want = length != NULL ? strtoull(length, NULL, 10) : 0;
	char buf[16384];

	if (want > CGI_DISCARD_MAX)
		want = CGI_DISCARD_MAX;
	while (consumed < want) {
		size_t n = want - consumed < sizeof(buf) ? (size_t)(want -
		    consumed) : sizeof(buf);
		if ((n = fread(buf, 1, n, stdin)) == 0)
			break;
		consumed += n;
	}
}

/* One request as a CGI program. */
static int
cgi_main(void)
{
	struct request req;
	struct response resp;
	char *uri = NULL, *body = NULL, head[8192];
	size_t n;

	begin(&req, &resp, &uri, &body, cgi_param, cgi_header, cgi_read, NULL,
	    false);
	/* A held poll: this process is the request's, so it sleeps on the
	 * bell until its user's slot moves or the deadline passes. */
	while (resp.wait) {
		bell_wait(resp.wait_user, resp.wait_seq, resp.wait_deadline_ms,
		    (volatile const int *)&stopping);
		api_response_free(&resp);
		api_response_init(&resp);
		api_handle(&req, &resp);
	}
	n = format_head(&resp, head, sizeof(head));
	fwrite(head, 1, n, stdout);
	if (resp.body_len > 0 && strcmp(req.method, "HEAD") != 0)
		fwrite(resp.body, 1, resp.body_len, stdout);
	fflush(stdout);
	cgi_discard_rest(req.body_len);
	api_finish(&req, &resp);
	api_request_free(&req);
	api_response_free(&resp);
	free(uri);
	free(body);
	api_shutdown();
	return 0;
}

/* The listening socket: --listen, systemd's fd 3, or the inherited fd 0.
 * Returns -1 when there is none (CGI). */
static int
listen_socket(void)
{
	const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");

	if (config.listen != NULL) {
		const char *spec = config.listen;
		int fd;
		if (strncmp(spec, "unix:", 5) == 0) {
			spec += 5;
			(void)unlink(spec); /* a stale socket of an earlier run */
		}
		fd = FCGX_OpenSocket(spec, 1024);
		if (fd < 0)
			fprintf(stderr, "parley.fcgi: cannot listen on %s\n",
			    config.listen);
		return fd < 0 ? -2 : fd;
	}
	if (fds != NULL && pid != NULL && atoi(fds) == 1 &&
	    atol(pid) == (long)getpid())
		return 3;
	if (!FCGX_IsCGI())
		return 0;
	return -1;
}

int
main(int argc, char **argv)
{
	pthread_t *threads;
	pthread_attr_t attr;
	sigset_t sigs;
	bool help;
	long i, n, na, cores;
	int sig, argi;

	argi = config_load(argc, argv, "parley.fcgi", "[options]", &help);
	if (argi < 0)
		return 2;
	if (help)
		return 0;
	if (FCGX_Init() != 0)
		return 1;
	listen_fd = listen_socket();
	if (listen_fd == -2)
		return 1;
	if (listen_fd >= 0) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		listen_unix = getsockname(listen_fd, (struct sockaddr *)&ss,
		    &len) == 0 && ss.ss_family == AF_UNIX;
	}
	if (listen_fd == -1 && getenv("GATEWAY_INTERFACE") == NULL) {
		fprintf(stderr, "parley.fcgi: no socket to accept on and no CGI"
		    " request; use --listen unix:PATH or HOST:PORT, or run it"
		    " under spawn-fcgi, systemd, or a CGI server\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (api_init(&config) != 0)
		return 1;
	if (listen_fd == -1)
		return cgi_main();

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	n = config.threads > 0 ? config.threads : DEFAULT_FCGI_THREADS;
	cores = sysconf(_SC_NPROCESSORS_ONLN);
	na = (cores > 0 ? cores : 1) * FCGI_ANSWER_THREADS_PER_CORE;
	threads = calloc((size_t)(n + na), sizeof(*threads));
	if (threads == NULL || park_init("parley.fcgi", wake,
	    POLLIN | POLLRDHUP) != 0)
		return 1;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, FCGI_THREAD_STACK_BYTES);
	for (i = 0; i < n + na; i++)
		if (pthread_create(&threads[i], &attr, i < n ? worker : answerer,
		    NULL) != 0) {
			fprintf(stderr, "parley.fcgi: cannot start thread %ld\n", i);
			return 1;
		}
	for (i = n; i < n + na; i++)
		pthread_setname_np(threads[i], "answerer");
	if (park_start() != 0 || api_housekeeping_start() != 0)
		return 1;
	fprintf(stderr, "parley.fcgi: %ld threads, database %s\n", n,
	    config.db_path);

	sigwait(&sigs, &sig);
	fprintf(stderr, "parley.fcgi: %s, stopping\n", strsignal(sig));
	/* Threads blocked in FCGX_Accept_r do not leave on a signal: shut
	 * the listening socket so that accept() fails. The held polls are
	 * woken and answered (with what they have) by the answerers, which
	 * leave once the workers have and nothing is left to answer. */
	stopping = 1;
	FCGX_ShutdownPending();
	shutdown(listen_fd, SHUT_RDWR);
	park_stop();
	for (i = 0; i < n; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_lock(&woken.lock);
	woken.closed = true;
	pthread_cond_broadcast(&woken.nonempty);
	pthread_mutex_unlock(&woken.lock);
	for (i = n; i < n + na; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	api_housekeeping_stop();
	api_shutdown();
	return 0;
}
