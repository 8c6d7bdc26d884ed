/*
 * limits.h: every size and time limit of parley, in one place.
 *
 * Each limit is the compiled-in default; the ones a deployment may want to
 * change are also fields of struct config (config.h) with a flag and a
 * PARLEY_* variable. Why each has its value is said beside it.
 */
#ifndef PARLEY_LIMITS_H
#define PARLEY_LIMITS_H

/* A request body: large enough for a 5 MiB attachment sent as base64
 * (4/3 of it, plus the JSON around it), small enough that one request
 * cannot pin much memory. Refused with 413 before it is read. */
#define LIMIT_BODY_BYTES            (8u * 1024 * 1024)

/* A message text, in bytes of UTF-8. */
#define LIMIT_TEXT_BYTES            (16u * 1024)

/* An attachment after base64 decoding. */
#define LIMIT_ATTACHMENT_BYTES      (5u * 1024 * 1024)

/* An avatar image. */
#define LIMIT_AVATAR_BYTES          (256u * 1024)

/* An avatar's dimensions, read from its header: each side at most
 * IMAGE_MAX_SIDE pixels and the canvas at most IMAGE_MAX_PIXELS (4096 x
 * 4096: 64 MiB as RGBA once a browser decodes it). A small file can
 * declare a huge canvas (a "pixel flood"), so the bytes alone bound
 * nothing. The frames of an animation (GIF, APNG, animated WebP) together
 * at most IMAGE_MAX_FRAME_PIXELS, against many full-canvas frames that
 * compress to nothing. */
#define IMAGE_MAX_SIDE              4096u
#define IMAGE_MAX_PIXELS            (4096u * 4096u)
#define IMAGE_MAX_FRAME_PIXELS      (4u * IMAGE_MAX_PIXELS)

/* A site user's avatar URL (given by the site, never fetched). */
#define LIMIT_URL_BYTES             2048

/* A web origin ("https://shop.example:8443"): scheme, host and port. */
#define LIMIT_ORIGIN_BYTES          255

/* An embedding site's name (parley-admin tenant add NAME), and its own id
 * of one of its users. */
#define LIMIT_TENANT_NAME_BYTES     64
#define LIMIT_EXTERNAL_ID_BYTES     128

/* How long a browser may keep a CORS preflight's answer: short, so that a
 * change of a site's origins reaches its visitors soon. */
#define CORS_MAX_AGE_S              600

/* Rows in one page of any list. */
#define LIMIT_PAGE_SIZE             500

/* Long-poll: the longest hold a client may ask for, and the default. The
 * default stays below nginx's and Apache's 60 s proxy timeouts. */
#define LIMIT_POLL_TIMEOUT_S        60
#define DEFAULT_POLL_TIMEOUT_S      25

/* Short fields: a login, a nick or a name, an e-mail (RFC 5321's 254),
 * a status line, a language tag, a public key (room for PEM or JWK). */
#define LIMIT_LOGIN_MIN             3
#define LIMIT_LOGIN_MAX             32
#define LIMIT_NAME_BYTES            128
#define LIMIT_EMAIL_BYTES           254
#define LIMIT_STATUS_BYTES          512
#define LIMIT_LANGUAGE_BYTES        35
#define LIMIT_PUBLIC_KEY_BYTES      8192

/* A password is whatever the client sends (some send an MD5 hex): at least
 * 8 characters; at most 1 KiB so that hashing cannot be made expensive. */
#define LIMIT_PASSWORD_MIN          8
#define LIMIT_PASSWORD_MAX          1024

/* E.164: at most 15 digits after the '+'; the shortest numbers in use have
 * 7 (country code included). */
#define LIMIT_PHONE_DIGITS_MIN      7
#define LIMIT_PHONE_DIGITS_MAX      15

/* A client's X-Request-Id is echoed only when it is this short and plain. */
#define LIMIT_REQUEST_ID_BYTES      64

/* A session lives this long after its last use (sliding expiry). */
#define DEFAULT_SESSION_TTL_S       (30 * 24 * 3600)
/* The stored expiry is moved forward at most this often, so that a busy
 * client does not turn every read into a write. */
#define SESSION_SLIDE_EVERY_S       3600

/* Failed logins: this many per identity (or per peer address) within the
 * window, then 429 until the window ends. */
#define DEFAULT_LOGIN_MAX_FAILURES  5
#define DEFAULT_LOGIN_WINDOW_S      300

/* Registrations from one peer address within the window. */
#define DEFAULT_REGISTER_MAX        30
#define DEFAULT_REGISTER_WINDOW_S   3600

/* argon2id: OWASP's minimum is m = 19 MiB, t = 2, p = 1 (libsodium uses
 * p = 1). Configurable upward only. */
#define PWHASH_MEMLIMIT_MIN_MIB     19
#define PWHASH_OPSLIMIT_MIN         2

/* Sends per user per minute (a token bucket: a minute's worth may come
 * at once), and long-polls one user may hold at once: far above what a
 * person or a few devices need, low enough that one token cannot take a
 * process's threads or fill its disk by itself. Per process. */
#define DEFAULT_SEND_RATE           600
#define DEFAULT_MAX_POLLS_PER_USER  10

/* How long a writer waits for SQLite's write lock before the request is
 * answered 503 with Retry-After. */
#define DEFAULT_BUSY_TIMEOUT_MS     5000

/* parleyd: an idle or trickling connection is closed after this long. */
#define HTTPD_CONNECTION_TIMEOUT_S  30
/* parleyd: at SIGTERM, how long requests already begun (a body still
 * arriving, a handler running) may take to finish before their
 * connections are closed. Below systemd's default stop timeout (90 s) and
 * the 30 s of deploy/systemd/parleyd.service. */
#define HTTPD_DRAIN_S               10
/* parleyd: connections at once (each held poll is one). */
#define HTTPD_CONNECTION_LIMIT      20000
/* parleyd: the memory libmicrohttpd gives each connection (--head-memory),
 * which holds the request's head (method, path, headers) and the
 * response's head. It clears all of it after each request of a kept-alive
 * connection, so each held poll costs this much: with libmicrohttpd's
 * default (32 KiB) a held poll cost 32 KiB of RSS, with 6 KiB 6.4-8.1 KB
 * (docs/BENCHMARKS.md). libmicrohttpd reads a head into about half of it:
 * a head past about 2.8 KiB is answered 431, by libmicrohttpd itself with
 * its own HTML body. A browser's request to the API is about 0.8 KiB
 * without cookies (tests/http/test_raw_http.py sends 2.3 KiB). */
#define HTTPD_CONNECTION_MEMORY     (6 * 1024)
/* parleyd: threads per core when --threads is not given. A send no longer
 * holds its thread while its group commit runs (a DEFER, api.h), so the
 * threads need not outnumber the sends in a batch. Measured on 2 cores
 * (docs/BENCHMARKS.md), 4 per core against 32: GET /me 63k against 45k
 * req/s, durable sends 20.0k against 15.9k/s, delivery to 10,000 polls
 * at 2,000 msg/s p99 2-3 against 9-11 ms, fan-out 41-44 against 50-65 ms;
 * with 1 per core, sends fell to 18k/s (one thread served most of the
 * connections). */
#define HTTPD_THREADS_PER_CORE      4

/* parley.fcgi as CGI: the most of a refused body it reads and drops after
 * answering, so that a server which writes the whole body first (Apache's
 * mod_cgid) still delivers the answer. Above any sane server limit. */
#define CGI_DISCARD_MAX             (1024ull * 1024 * 1024)
/* parley.fcgi: worker threads, which accept requests and run them. Neither
 * a held long-poll (it waits in api/park.c's table) nor a send waiting
 * for its group commit (a DEFER) occupies one. */
#define DEFAULT_FCGI_THREADS        64
/* parley.fcgi: threads per core that answer the held polls woken and the
 * sends whose commit ended (a channel's message to 1,000 polls wakes 1,000
 * at once; a few threads answer them one after the other). */
#define FCGI_ANSWER_THREADS_PER_CORE 2
/* parley.fcgi thread stack: handlers use little stack; small stacks let the
 * pool be large. */
#define FCGI_THREAD_STACK_BYTES     (256u * 1024)

#endif
