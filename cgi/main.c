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
 * and writes the response. A long-poll that must wait sleeps on the bell
 * in its worker thread (see wait.c), which is why the pool is large and its
 * stacks small.
 */
#include <ctype.h>
#include <errno.h>
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
#include "../db/bell.h"
#include "cgi.h"

static int listen_fd = -1;
static bool listen_unix; /* listen_fd is a Unix socket */
static volatile sig_atomic_t stopping;

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
 * too). A held poll does this before it watches its connection (wait.c):
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

/* Runs one request whose gateway is described by the functions given, and
 * fills resp. The caller writes resp and then calls api_finish(). */
static void
run(struct request *req, struct response *resp, char **uri, char **body,
    const char *(*param)(void *, const char *), header_fn header,
    int (*read_fn)(void *, char *, int), void (*drain)(void *), void *front,
    int conn_fd)
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
	request_target(req, uri, param, front);
	e = read_body(param(front, "CONTENT_LENGTH"), read_fn, front, body,
	    &req->body_len);
	req->body = *body;
	if (e != ERR_OK) {
		api_reject(req, resp, e);
		return;
	}
	for (;;) {
		api_handle(req, resp);
		if (!resp->wait)
			return;
		if (drain != NULL) {
			drain(front);
			drain = NULL;
		}
		if (!wait_for_bell(resp->wait_user, resp->wait_seq,
		    resp->wait_deadline_ms, conn_fd, &stopping)) {
			/* Nobody to answer: logged as nginx logs it. */
			resp->wait = false;
			resp->status = STATUS_CLIENT_GONE;
			return;
		}
		api_response_free(resp);
		api_response_init(resp);
	}
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

static void *
worker(void *arg)
{
	FCGX_Request fr;
	char head[8192];

	(void)arg;
	if (FCGX_InitRequest(&fr, listen_fd, 0) != 0)
		return NULL;
	while (!stopping && FCGX_Accept_r(&fr) == 0) {
		struct request req;
		struct response resp;
		char *uri = NULL, *body = NULL;
		size_t n;

		run(&req, &resp, &uri, &body, fcgi_param, fcgi_header, fcgi_read,
		    fcgi_drain, &fr, fr.ipcFd);
		if (resp.status != STATUS_CLIENT_GONE) {
			n = format_head(&resp, head, sizeof(head));
			FCGX_PutStr(head, (int)n, fr.out);
			if (resp.body_len > 0 && strcmp(req.method, "HEAD") != 0)
				FCGX_PutStr(resp.body, (int)resp.body_len, fr.out);
		}
		/* Log before FCGX_Finish_r(): req.method points into the
		 * request's parameters, which it frees. */
		api_finish(&req, &resp);
		if (close_at_once(&fr))
			(void)FCGX_Detach(&fr); /* FCGX_Free() then only closes */
		FCGX_Finish_r(&fr);
		api_request_free(&req);
		api_response_free(&resp);
		free(uri);
		free(body);
	}
	FCGX_Free(&fr, 1);
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

	run(&req, &resp, &uri, &body, cgi_param, cgi_header, cgi_read, NULL,
	    NULL, -1);
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
	long i, n;
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
	threads = calloc((size_t)n, sizeof(*threads));
	if (threads == NULL)
		return 1;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, FCGI_THREAD_STACK_BYTES);
	for (i = 0; i < n; i++)
		if (pthread_create(&threads[i], &attr, worker, NULL) != 0) {
			fprintf(stderr, "parley.fcgi: cannot start thread %ld\n", i);
			return 1;
		}
	if (api_housekeeping_start() != 0)
		return 1;
	fprintf(stderr, "parley.fcgi: %ld threads, database %s\n", n,
	    config.db_path);

	sigwait(&sigs, &sig);
	fprintf(stderr, "parley.fcgi: %s, stopping\n", strsignal(sig));
	/* Threads blocked in FCGX_Accept_r do not leave on a signal: shut
	 * the listening socket so that accept() fails. Held polls see the
	 * flags when the bell rings and answer at once. (Ringing every slot
	 * also makes the waiters of other processes on this database query
	 * once; without it ours would notice the flag within 100 ms.) */
	stopping = 1;
	api_stopping = 1;
	FCGX_ShutdownPending();
	bell_ring_all();
	shutdown(listen_fd, SHUT_RDWR);
	for (i = 0; i < n; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	api_housekeeping_stop();
	api_shutdown();
	return 0;
}
