/*
 * load.c: parley's load generator, one process, epoll, HTTP/1.1 keep-alive.
 *
 *   load http URL [-m METHOD] [-H 'Name: value']... [-b BODY] -c CONNS -d SECS
 *       closed loop: CONNS connections each send the same request again and
 *       again; prints throughput and latency.
 *   load send URL -f PAIRS -c CONNS -d SECS
 *       closed loop of message sends: each request posts into a random chat
 *       of the PAIRS file with that chat's sender token.
 *   load polls URL -f PAIRS -n N -d SECS
 *       holds N long-polls (recipients of PAIRS) for SECS; prints how many
 *       were held and how many failed.
 *   load deliver URL -f PAIRS -n N -r RATE -d SECS [-s SENDER_CONNS]
 *       N recipients each hold a poll; sends go out at RATE per second into
 *       random chats among them; for each message, the time from the send's
 *       answer to the poll answer holding it; counts lost and duplicated.
 *   load fanout URL -f MEMBERS -k CHAT -n N -t SENDER_TOKEN [-R ROUNDS]
 *       N members of channel CHAT hold polls; one message is sent; the time
 *       until every poll has it.
 *
 * PAIRS lines: "chat_id recipient_id recipient_token sender_id sender_token"
 * (tests/bench/seed.py writes them). Every mode prints one JSON line.
 *
 * It speaks just enough HTTP for parley: requests it writes itself, and
 * responses with a Content-Length (parleyd and nginx both send one).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define RBUF_MAX   (1u << 20)   /* largest response read */
#define MAX_HDRS   8

/* --- time and statistics --- */

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct samples {
	int64_t *v;
	size_t n, cap;
};

static void
sample_add(struct samples *s, int64_t us)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 4096;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (s->v == NULL)
			abort();
	}
	s->v[s->n++] = us;
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile of s in milliseconds (sorts s). */
static double
quantile_ms(struct samples *s, double q)
{
	size_t i;

	if (s->n == 0)
		return 0;
	qsort(s->v, s->n, sizeof(*s->v), cmp64);
	i = (size_t)(q * (double)(s->n - 1) + 0.5);
	return (double)s->v[i] / 1000.0;
}

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "load: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

/* --- connections --- */

struct conn;
typedef void (*done_fn)(struct conn *c, int status, const char *body,
    size_t len);

struct conn {
	int fd;
	bool connected;
	char *req;            /* the request being sent (malloc'd) */
	size_t reqlen, sent;
	char *rbuf;           /* the response being read */
	size_t rlen;
	int64_t started;      /* when the request was queued, us */
	done_fn done;         /* called with the complete response */
	long user;            /* mode data: a pairs index */
	int64_t cursor;       /* mode data: a poll's cursor */
	bool busy;            /* a request is under way */
	bool is_poll;
};

static struct sockaddr_in target;
static char host_header[96];
static int ep;
static long errors_io;

static void
conn_open(struct conn *c)
{
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&target, sizeof(target)) != 0 &&
	    errno != EINPROGRESS)
		die("connect: %s", strerror(errno));
	c->connected = false;
	c->rlen = 0;
	if (c->rbuf == NULL && (c->rbuf = malloc(RBUF_MAX)) == NULL)
		die("out of memory");
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
		die("epoll_ctl: %s", strerror(errno));
}

static void
conn_close(struct conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
}

static void
conn_want(struct conn *c, bool out)
{
	struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0),
	    .data.ptr = c };

	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Queues a request on c: method, path, extra headers (CRLF-terminated
 * lines or ""), body (may be NULL); done is called with the answer. */
static void
conn_request(struct conn *c, const char *method, const char *path,
    const char *headers, const char *body, done_fn done)
{
	size_t blen = body ? strlen(body) : 0;
	int n;

	free(c->req);
	n = asprintf(&c->req, "%s %s HTTP/1.1\r\nHost: %s\r\n%s"
	    "%sContent-Length: %zu\r\n\r\n%s", method, path, host_header,
	    headers, body ? "Content-Type: application/json\r\n" : "", blen,
	    body ? body : "");
	if (n < 0)
		die("out of memory");
	c->reqlen = (size_t)n;
	c->sent = 0;
	c->rlen = 0;
	c->done = done;
	c->busy = true;
	c->started = now_us();
	if (c->fd < 0) {
		conn_open(c);
		return;
	}
	/* Written at once where it fits (it nearly always does): arming
	 * EPOLLOUT, then disarming it, cost the load generator two more
	 * system calls and a loop turn per request, CPU taken from the
	 * server it measures. */
	n = (int)write(c->fd, c->req, c->reqlen);
	if (n > 0)
		c->sent = (size_t)n;
	if (c->sent < c->reqlen)
		conn_want(c, true);
}

/* Tries to parse a whole response in c->rbuf; returns its total length or
 * 0 when incomplete. Sets *status, *body, *blen. */
static size_t
parse_response(struct conn *c, int *status, const char **body, size_t *blen)
{
	char *end = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4), *p;
	size_t hlen, clen = 0;

	if (end == NULL)
		return 0;
	hlen = (size_t)(end - c->rbuf) + 4;
	*status = atoi(c->rbuf + 9);
	for (p = c->rbuf; p < end; p++) {
		p = memchr(p, '\n', (size_t)(end - p));
		if (p == NULL)
			break;
		if (strncasecmp(p + 1, "Content-Length:", 15) == 0)
			clen = strtoul(p + 16, NULL, 10);
	}
	if (c->rlen < hlen + clen)
		return 0;
	*body = c->rbuf + hlen;
	*blen = clen;
	return hlen + clen;
}

static void
conn_event(struct conn *c, uint32_t events)
{
	if (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLIN)) {
		errors_io++;
		conn_close(c);
		if (c->busy) /* again on a new connection */
			conn_open(c), c->sent = 0;
		return;
	}
	if ((events & EPOLLOUT) && c->busy && c->sent < c->reqlen) {
		ssize_t n = write(c->fd, c->req + c->sent, c->reqlen - c->sent);
		if (n > 0)
			c->sent += (size_t)n;
		else if (n < 0 && errno != EAGAIN) {
			errors_io++;
			conn_close(c);
			conn_open(c);
			c->sent = 0;
			return;
		}
		if (c->sent == c->reqlen)
			conn_want(c, false);
	}
	if (events & EPOLLIN) {
		for (;;) {
			ssize_t n = read(c->fd, c->rbuf + c->rlen,
			    RBUF_MAX - c->rlen);
			int status;
			const char *body;
			size_t blen, total;

			if (n == 0 || (n < 0 && errno != EAGAIN)) {
				conn_close(c);
				if (c->busy) {
					errors_io++;
					conn_open(c);
					c->sent = 0;
				}
				return;
			}
			if (n < 0)
				return;
			c->rlen += (size_t)n;
			total = parse_response(c, &status, &body, &blen);
			if (total == 0) {
				if (c->rlen == RBUF_MAX)
					die("response too large");
				continue;
			}
			c->busy = false;
			c->done(c, status, body, blen);
			return;
		}
	}
}

/* Runs the event loop until *stop or until deadline_us (0: none). */
static void
loop(volatile bool *stop, int64_t deadline_us)
{
	struct epoll_event evs[256];

	while (!*stop && (deadline_us == 0 || now_us() < deadline_us)) {
		int n = epoll_wait(ep, evs, 256, 10), i;
		for (i = 0; i < n; i++)
			conn_event(evs[i].data.ptr, evs[i].events);
	}
}

/* --- the PAIRS file --- */

struct pair {
	long chat, recipient, sender;
	char rtoken[64], stoken[64];
	char rauth[96], sauth[96];  /* "Authorization: Bearer ...\r\n" */
};

static struct pair *pairs;
static size_t npairs;

static void
read_pairs(const char *path)
{
	FILE *f = fopen(path, "r");
	struct pair p;
	size_t cap = 0;

	if (f == NULL)
		die("%s: %s", path, strerror(errno));
	while (fscanf(f, "%ld %ld %63s %ld %63s", &p.chat, &p.recipient,
	    p.rtoken, &p.sender, p.stoken) == 5) {
		snprintf(p.rauth, sizeof(p.rauth), "Authorization: Bearer %s\r\n",
		    p.rtoken);
		snprintf(p.sauth, sizeof(p.sauth), "Authorization: Bearer %s\r\n",
		    p.stoken);
		if (npairs == cap) {
			cap = cap ? 2 * cap : 1024;
			pairs = realloc(pairs, cap * sizeof(*pairs));
			if (pairs == NULL)
				die("out of memory");
		}
		pairs[npairs++] = p;
	}
	fclose(f);
	if (npairs == 0)
		die("%s: no pairs", path);
}

/* --- the modes --- */

static struct samples lat;
static long ok, non2xx;
static volatile bool stopping;
static const char *g_method = "GET", *g_path = "/", *g_body;
static char g_headers[4096];
static unsigned rnd_state = 12345;
static bool fanout_mode; /* every poller counts each message */
static int64_t fanout_sent; /* when the fan-out message was sent */

static unsigned
rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

static void
http_done(struct conn *c, int status, const char *body, size_t len)
{
	(void)body;
	(void)len;
	sample_add(&lat, now_us() - c->started);
	if (status >= 200 && status < 300)
		ok++;
	else
		non2xx++;
	if (!stopping)
		conn_request(c, g_method, g_path, g_headers, g_body, http_done);
}

static void send_next(struct conn *c);

static void
send_done(struct conn *c, int status, const char *body, size_t len)
{
	(void)body;
	(void)len;
	sample_add(&lat, now_us() - c->started);
	if (status == 201)
		ok++;
	else
		non2xx++;
	if (!stopping)
		send_next(c);
}

static void
send_next(struct conn *c)
{
	struct pair *p = &pairs[rnd() % npairs];
	char path[64], body[96];

	snprintf(path, sizeof(path), "/api/v1/chats/%ld/messages", p->chat);
	snprintf(body, sizeof(body), "{\"text\":\"load %u\"}", rnd());
	conn_request(c, "POST", path, p->sauth, body, send_done);
}

static void
report_closed(const char *mode, int conns, double secs)
{
	printf("{\"mode\":\"%s\",\"conns\":%d,\"seconds\":%.1f,\"rps\":%.0f,"
	    "\"ok\":%ld,\"non2xx\":%ld,\"io_errors\":%ld,\"p50_ms\":%.3f,"
	    "\"p99_ms\":%.3f,\"max_ms\":%.3f}\n", mode, conns, secs,
	    (double)ok / secs, ok, non2xx, errors_io,
	    quantile_ms(&lat, 0.5), quantile_ms(&lat, 0.99),
	    quantile_ms(&lat, 1.0));
}

/* Closed-loop modes: start conns connections with start(), run for secs
 * after a warm-up (a second; less for a short run), report. */
static void
closed_loop(const char *mode, int conns, double secs,
    void (*start)(struct conn *))
{
	struct conn *cs = calloc((size_t)conns, sizeof(*cs));
	int64_t t0;
	int i;

	for (i = 0; i < conns; i++) {
		cs[i].fd = -1;
		start(&cs[i]);
	}
	loop(&stopping, now_us() + (secs < 2 ? 300000 : 1000000)); /* warm-up */
	ok = non2xx = errors_io = 0;
	lat.n = 0;
	t0 = now_us();
	loop(&stopping, t0 + (int64_t)(secs * 1e6));
	stopping = true;
	report_closed(mode, conns, (double)(now_us() - t0) / 1e6);
}

static void
http_start(struct conn *c)
{
	conn_request(c, g_method, g_path, g_headers, g_body, http_done);
}

/* --- held polls, delivery, fan-out --- */

struct msgrec {
	long id;
	int64_t acked;        /* when the send's 2xx arrived, us */
	int seen;             /* times a poll returned it */
};

static struct msgrec *msgs;   /* open hash on id */
static size_t msgcap;
static long sent_count, recv_count, dup_count, polls_failed, polls_done;
static int poll_timeout = 25;
static FILE *trace;  /* LOAD_TRACE=FILE: "received_us latency_us user" */

static struct msgrec *
msg_slot(long id)
{
	size_t i = ((size_t)id * 2654435761u) & (msgcap - 1);

	while (msgs[i].id != 0 && msgs[i].id != id)
		i = (i + 1) & (msgcap - 1);
	return &msgs[i];
}

static void poll_next(struct conn *c);

static void
poll_done(struct conn *c, int status, const char *body, size_t len)
{
	json_t *j, *events, *e;
	size_t i;

	polls_done++;
	if (status != 200) {
		polls_failed++;
		if (!stopping)
			poll_next(c);
		return;
	}
	j = json_loadb(body, len, 0, NULL);
	events = json_object_get(j, "events");
	json_array_foreach(events, i, e) {
		json_t *d = json_object_get(e, "data");
		const char *type = json_string_value(json_object_get(e, "type"));
		struct msgrec *m;
		long id;

		if (type == NULL || strcmp(type, "message.new") != 0)
			continue;
		id = (long)json_integer_value(json_object_get(d, "id"));
		if (fanout_mode) { /* one message, many pollers: count each */
			recv_count++;
			sample_add(&lat, now_us() - fanout_sent);
			continue;
		}
		m = msg_slot(id);
		if (m->id == 0) {          /* its send has not answered yet */
			m->id = id;
			m->acked = 0;
		}
		if (m->seen++ > 0) {
			dup_count++;
			continue;
		}
		recv_count++;
		if (m->acked != 0)
			sample_add(&lat, now_us() - m->acked);
		else
			sample_add(&lat, 0); /* the poll beat the send's answer */
		if (trace != NULL)
			fprintf(trace, "%lld %lld %ld\n", (long long)now_us(),
			    (long long)(m->acked ? now_us() - m->acked : 0),
			    c->user);
	}
	if (json_is_integer(json_object_get(j, "last_id")))
		c->cursor = json_integer_value(json_object_get(j, "last_id"));
	json_decref(j);
	if (!stopping)
		poll_next(c);
}

static void
poll_next(struct conn *c)
{
	char path[96];

	snprintf(path, sizeof(path), "/api/v1/events?after=%lld&timeout=%d"
	    "&limit=500", (long long)c->cursor, poll_timeout);
	c->is_poll = true;
	conn_request(c, "GET", path, pairs[c->user].rauth, NULL, poll_done);
}

/* Reads each poller's starting cursor (a poll without after). */
static void
cursor_done(struct conn *c, int status, const char *body, size_t len)
{
	json_t *j = json_loadb(body, len, 0, NULL);

	if (status != 200)
		die("first poll of user %ld: %d %.*s", pairs[c->user].recipient,
		    status, (int)len, body);
	c->cursor = json_integer_value(json_object_get(j, "last_id"));
	json_decref(j);
	poll_next(c);
}

static struct conn *
start_pollers(long n)
{
	struct conn *cs = calloc((size_t)n, sizeof(*cs));
	long i;

	if (cs == NULL)
		die("out of memory");
	for (i = 0; i < n; i++) {
		cs[i].fd = -1;
		cs[i].user = i % (long)npairs;
		conn_request(&cs[i], "GET", "/api/v1/events?timeout=0",
		    pairs[cs[i].user].rauth, NULL, cursor_done);
	}
	return cs;
}

static long
held(struct conn *cs, long n)
{
	long i, h = 0;

	for (i = 0; i < n; i++)
		h += cs[i].busy && cs[i].is_poll && cs[i].sent == cs[i].reqlen;
	return h;
}

/* CPU seconds (user + system) used so far by the processes listed in
 * LOAD_SERVER_PIDS (comma-separated), or 0 when none are. */
static double
server_cpu(void)
{
	const char *list = getenv("LOAD_SERVER_PIDS");
	double total = 0;
	char path[64], buf[1024];

	while (list != NULL && *list != '\0') {
		long pid = strtol(list, (char **)&list, 10);
		FILE *f;
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if ((f = fopen(path, "r")) != NULL) {
			size_t n = fread(buf, 1, sizeof(buf) - 1, f);
			char *p;
			unsigned long ut, st;
			buf[n] = '\0';
			p = strrchr(buf, ')');
			/* after ") S": fields 4..; utime and stime are 14, 15 */
			if (p != NULL && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d"
			    " %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
				total += (double)(ut + st) /
				    (double)sysconf(_SC_CLK_TCK);
			fclose(f);
		}
		if (*list == ',')
			list++;
	}
	return total;
}

/* The server's own count of held polls (parley_polls_held of
 * /api/v1/metrics), or -1 when it cannot be read. */
static long server_held = -1;

static void
metrics_done(struct conn *c, int status, const char *body, size_t len)
{
	const char *p = memmem(body, len, "\nparley_polls_held ", 19);

	(void)c;
	server_held = status == 200 && p != NULL ? strtol(p + 19, NULL, 10) :
	    -1;
}

/* Waits (at most 60 s) until the client has sent and the server holds
 * at least want of the n polls: the connection storm of the start,
 * and each user's first poll (a presence write, a delivery
 * acknowledgement), are over before anything is measured. Returns how
 * long it took, in seconds. */
static double
settle(struct conn *pollers, long n, long want)
{
	struct conn probe = { .fd = -1 };
	int64_t t0 = now_us(), end = t0 + 60000000;

	while (now_us() < end && held(pollers, n) < want)
		loop(&stopping, now_us() + 50000);
	while (now_us() < end) {
		int64_t give_up = now_us() + 1000000;
		conn_request(&probe, "GET", "/api/v1/metrics", "", NULL,
		    metrics_done);
		while (probe.busy && now_us() < give_up)
			loop(&stopping, now_us() + 10000);
		if (probe.busy) { /* a lost SYN, say: try a new connection */
			conn_close(&probe);
			probe.busy = false;
			continue;
		}
		if (server_held < 0 || server_held >= want)
			break; /* -1: no metrics to read; the client's view then */
		loop(&stopping, now_us() + 50000);
	}
	conn_close(&probe);
	free(probe.req);
	free(probe.rbuf);
	return (double)(now_us() - t0) / 1e6;
}

static void
deliver_send_done(struct conn *c, int status, const char *body, size_t len)
{
	json_t *j;
	struct msgrec *m;
	long id;

	if (status != 201) {
		non2xx++;
		return;
	}
	j = json_loadb(body, len, 0, NULL);
	id = (long)json_integer_value(json_object_get(j, "id"));
	json_decref(j);
	m = msg_slot(id);
	if (m->id == 0) {
		m->id = id;
		m->acked = now_us();
	} else if (m->seen > 0 && m->acked == 0) {
		m->acked = now_us(); /* delivered before its answer: latency 0 */
	}
	sent_count++;
	(void)c;
}

/* The fan-out's send (latencies count from when it was made). */
static void
fanout_send_done(struct conn *c, int status, const char *body, size_t len)
{
	(void)body;
	(void)len;
	(void)c;
	if (status != 201)
		non2xx++;
}

int
main(int argc, char **argv)
{
	const char *mode, *url, *pairs_path = NULL, *token = NULL;
	int conns = 64, opt, senders = 32, rounds = 5;
	double secs = 10, rate = 500;
	long n = 1000, chat = 0;
	struct rlimit rl;
	unsigned port;
	char hostbuf[64];

	if (argc < 3)
		die("usage: load MODE URL [options] (see the comment at the top"
		    " of tests/bench/load.c)");
	mode = argv[1];
	url = argv[2];
	if (sscanf(url, "http://%63[^:]:%u", hostbuf, &port) != 2)
		die("URL is http://HOST:PORT, not %s", url);
	target.sin_family = AF_INET;
	target.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, hostbuf, &target.sin_addr) != 1)
		die("HOST must be an IPv4 address");
	snprintf(host_header, sizeof(host_header), "%s:%u", hostbuf, port);
	optind = 3;
	while ((opt = getopt(argc, argv, "m:p:H:b:c:d:f:n:r:s:k:t:R:T:")) != -1) {
		switch (opt) {
		case 'm': g_method = optarg; break;
		case 'p': g_path = optarg; break;
		case 'H':
			strncat(g_headers, optarg, sizeof(g_headers) -
			    strlen(g_headers) - 3);
			strcat(g_headers, "\r\n");
			break;
		case 'b': g_body = optarg; break;
		case 'c': conns = atoi(optarg); break;
		case 'd': secs = atof(optarg); break;
		case 'f': pairs_path = optarg; break;
		case 'n': n = atol(optarg); break;
		case 'r': rate = atof(optarg); break;
		case 's': senders = atoi(optarg); break;
		case 'k': chat = atol(optarg); break;
		case 't': token = optarg; break;
		case 'R': rounds = atoi(optarg); break;
		case 'T': poll_timeout = atoi(optarg); break;
		default: die("unknown option");
		}
	}
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (getenv("LOAD_TRACE") != NULL)
		trace = fopen(getenv("LOAD_TRACE"), "w");
	if (pairs_path != NULL)
		read_pairs(pairs_path);
	msgcap = 1u << 22;
	msgs = calloc(msgcap, sizeof(*msgs));

	if (strcmp(mode, "http") == 0) {
		closed_loop("http", conns, secs, http_start);
	} else if (strcmp(mode, "send") == 0) {
		if (npairs == 0)
			die("send needs -f PAIRS");
		closed_loop("send", conns, secs, send_next);
	} else if (strcmp(mode, "polls") == 0) {
		struct conn *cs = start_pollers(n);
		int64_t t0 = now_us(), end = t0 + (int64_t)(secs * 1e6);
		long most = 0;
		while (now_us() < end) {
			long h;
			loop(&stopping, now_us() + 200000);
			h = held(cs, n);
			if (h > most)
				most = h;
		}
		printf("{\"mode\":\"polls\",\"wanted\":%ld,\"held\":%ld,"
		    "\"failed\":%ld,\"io_errors\":%ld}\n", n, most, polls_failed,
		    errors_io);
		fflush(stdout);
		if (getenv("LOAD_HOLD_AFTER") != NULL) /* let the caller measure */
			loop(&stopping, now_us() +
			    (int64_t)(atof(getenv("LOAD_HOLD_AFTER")) * 1e6));
	} else if (strcmp(mode, "deliver") == 0) {
		struct conn *pollers, *snd;
		int64_t t0, next, interval = (int64_t)(1e6 / rate), end;
		long late = 0;
		double settle_s, cpu0;
		int s;

		if ((size_t)n > npairs)
			n = (long)npairs;
		pollers = start_pollers(n);
		settle_s = settle(pollers, n, n * 99 / 100);
		snd = calloc((size_t)senders, sizeof(*snd));
		for (s = 0; s < senders; s++)
			snd[s].fd = -1;
		t0 = now_us();
		cpu0 = server_cpu();
		end = t0 + (int64_t)(secs * 1e6);
		next = t0;
		while (now_us() < end) {
			struct epoll_event evs[256];
			int k, m;
			int64_t now = now_us();
			while (next <= now) {
				for (s = 0; s < senders && snd[s].busy; s++)
					;
				if (s == senders) {
					late++;
					break;
				}
				{
					long u = (long)(rnd() % (unsigned)n);
					char path[64], body[64];
					snprintf(path, sizeof(path),
					    "/api/v1/chats/%ld/messages", pairs[u].chat);
					snprintf(body, sizeof(body),
					    "{\"text\":\"d %ld\"}", u);
					conn_request(&snd[s], "POST", path,
					    pairs[u].sauth, body, deliver_send_done);
				}
				next += interval;
			}
			m = epoll_wait(ep, evs, 256, 1);
			for (k = 0; k < m; k++)
				conn_event(evs[k].data.ptr, evs[k].events);
		}
		cpu0 = server_cpu() - cpu0; /* while sending, not the drain */
		/* Let the last sends be answered and their messages arrive (a
		 * message may arrive before its send's answer: wait for both). */
		{
			int64_t drain_end = now_us() + 5000000;
			for (;;) {
				bool sending = false;
				for (s = 0; s < senders; s++)
					sending |= snd[s].busy;
				if (now_us() >= drain_end || (!sending &&
				    recv_count >= sent_count))
					break;
				loop(&stopping, now_us() + 50000);
			}
		}
		stopping = true;
		printf("{\"mode\":\"deliver\",\"pollers\":%ld,\"rate\":%.0f,"
		    "\"achieved_rate\":%.0f,\"sent\":%ld,\"received\":%ld,"
		    "\"lost\":%ld,\"duplicated\":%ld,\"late_sends\":%ld,"
		    "\"send_errors\":%ld,\"poll_errors\":%ld,\"p50_ms\":%.3f,"
		    "\"p99_ms\":%.3f,\"max_ms\":%.3f,\"settle_s\":%.2f,"
		    "\"server_cpu_us_per_msg\":%.0f}\n", n, rate,
		    (double)sent_count / secs, sent_count, recv_count,
		    sent_count - recv_count, dup_count, late, non2xx,
		    polls_failed, quantile_ms(&lat, 0.5), quantile_ms(&lat, 0.99),
		    quantile_ms(&lat, 1.0), settle_s,
		    cpu0 * 1e6 / (double)(sent_count > 0 ? sent_count : 1));
	} else if (strcmp(mode, "fanout") == 0) {
		struct conn *pollers, sender = { .fd = -1 };
		struct samples worst = { 0 };
		char path[64], auth[128];
		int r;

		if (token == NULL || chat == 0)
			die("fanout needs -k CHAT and -t SENDER_TOKEN");
		if ((size_t)n > npairs)
			n = (long)npairs;
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s\r\n", token);
		snprintf(path, sizeof(path), "/api/v1/chats/%ld/messages", chat);
		fanout_mode = true;
		pollers = start_pollers(n);
		for (r = 0; r < rounds; r++) {
			long before = recv_count;
			int64_t t;
			settle(pollers, n, n);
			lat.n = 0;
			fanout_sent = now_us();
			conn_request(&sender, "POST", path, auth,
			    "{\"text\":\"to all\"}", fanout_send_done);
			t = now_us();
			while (recv_count - before < n && now_us() < t + 10000000)
				loop(&stopping, now_us() + 10000);
			sample_add(&worst, (int64_t)(quantile_ms(&lat, 1.0) * 1000));
			fprintf(stderr, "fanout round %d: %ld of %ld in %.1f ms\n",
			    r, recv_count - before, n, quantile_ms(&lat, 1.0));
		}
		printf("{\"mode\":\"fanout\",\"members\":%ld,\"rounds\":%d,"
		    "\"received\":%ld,\"expected\":%ld,\"all_in_ms_median\":%.3f,"
		    "\"all_in_ms_max\":%.3f,\"poll_errors\":%ld}\n", n, rounds,
		    recv_count, n * rounds, quantile_ms(&worst, 0.5),
		    quantile_ms(&worst, 1.0), polls_failed);
	} else {
		die("unknown mode %s", mode);
	}
	return 0;
}
