/*
 * test_chaos.c: every allocation of a request fails in turn.
 *
 * Like jansson's test_chaos: jansson (json_set_alloc_funcs, through api_json_malloc) and SQLite
 * (SQLITE_CONFIG_MALLOC) allocate through a counter; for each request of
 * the list below, and for k = 1, 2, ... until the request runs without
 * reaching its k-th allocation, the k-th allocation fails. Each time:
 *   - nothing crashes (and, in build-san/, nothing leaks: LeakSanitizer
 *     checks at exit);
 *   - the response is complete: the status the request has without
 *     failures, or 500/503 (or a not-found/forbidden, see fails_closed()),
 *     and a JSON object (with an error for >= 400);
 *   - afterwards, with memory back, the server works: the same user can
 *     read and write (no transaction was left open, no cache poisoned).
 * Every run starts from the same database (an in-memory SQLite copied from
 * a template with the online backup API). libsodium's allocations
 * (argon2id) and plain malloc() in parley's own code are not counted.
 *
 * CHAOS_STRIDE (environment) tests only every n-th k beyond the first 400,
 * to shorten a run; the default is 3 (10 in an ASan build), and make
 * chaos runs both builds with 1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <fcntl.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "../../api/api.h"
#include "../../api/config.h"
#include "../../db/internal.h"
#include "../inmem.h"

/* So that make check stays short: every k up to 400, then every 3rd
 * (every 10th under AddressSanitizer, where a run is ~5 times slower).
 * make chaos sets CHAOS_STRIDE=1: every allocation of every request. */
#ifdef __SANITIZE_ADDRESS__
#define DEFAULT_STRIDE 10
#else
#define DEFAULT_STRIDE 3
#endif

/* --- the failing allocator ------------------------------------------- */

static long countdown;        /* fail when it reaches 0; < 0: never */
static long allocations;      /* counted while armed */
static int failed;            /* the armed failure happened */

static bool
should_fail(void)
{
	if (countdown < 0)
		return false;
	allocations++;
	if (--countdown == 0) {
		failed = 1;
		return true;
	}
	return false;
}

static void *
j_malloc(size_t n)
{
	return should_fail() ? NULL : malloc(n);
}

/* SQLite wants the size of a block: keep it in a header. */
#define HDR 16

static void *
s_malloc(int n)
{
	char *p;

	if (should_fail() || (p = malloc((size_t)n + HDR)) == NULL)
		return NULL;
	*(int *)p = n;
	return p + HDR;
}

static void
s_free(void *p)
{
	if (p != NULL)
		free((char *)p - HDR);
}

static void *
s_realloc(void *p, int n)
{
	char *q;

	if (p == NULL)
		return s_malloc(n);
	if (should_fail())
		return NULL;
	q = realloc((char *)p - HDR, (size_t)n + HDR);
	if (q == NULL)
		return NULL;
	*(int *)q = n;
	return q + HDR;
}

static int
s_size(void *p)
{
	return p != NULL ? *(int *)((char *)p - HDR) : 0;
}

static int
s_roundup(int n)
{
	return (n + 7) & ~7;
}

static int
s_init(void *unused)
{
	(void)unused;
	return SQLITE_OK;
}

static void
s_shutdown(void *unused)
{
	(void)unused;
}

static const sqlite3_mem_methods mem = { s_malloc, s_free, s_realloc,
    s_size, s_roundup, s_init, s_shutdown, NULL };

/* --- requests in memory ---------------------------------------------- */

struct answer {
	int status;
	json_t *json;              /* the parsed body, or NULL */
};

/* Runs one request (a held poll is answered at once, as at shutdown). */
static struct answer
run(const char *method, const char *path, const char *query,
    const char *token, const char *body)
{
	struct inmem_front f;
	struct request req;
	struct response resp;
	struct answer a;

	inmem_request(&req, &f, method, path, query, token, body);
	api_response_init(&resp);
	api_stopping = 1;
	api_handle(&req, &resp);
	if (resp.wait) { /* woken at once */
		api_response_free(&resp);
		api_response_init(&resp);
		api_handle(&req, &resp);
	}
	a.status = resp.wait ? -1 : resp.status;
	a.json = resp.body_len > 0 && resp.content_type != NULL &&
	    strncmp(resp.content_type, "application/json", 16) == 0 ?
	    json_loadb(resp.body, resp.body_len, 0, NULL) : NULL;
	/* With the allocator armed, the parse above may fail: it is the
	 * caller's to judge (json_loadb's allocations count too, which is
	 * why the caller disarms before calling this... see chaos()). */
	api_request_free(&req);
	api_response_free(&resp);
	return a;
}

static char token_a[64], token_b[64];
static sqlite3 *template_db;

static void
copy_db(sqlite3 *dst, sqlite3 *src)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");

	assert_non_null(b);
	assert_int_equal(sqlite3_backup_step(b, -1), SQLITE_DONE);
	sqlite3_backup_finish(b);
}

static void
user(const char *login, const char *phone, char out[64])
{
	char body[160];
	struct answer a;

	snprintf(body, sizeof(body), "{\"login\":\"%s\",\"phone\":\"%s\","
	    "\"password\":\"correct horse\"}", login, phone);
	a = run("POST", "/api/v1/users", NULL, NULL, body);
	assert_int_equal(a.status, 201);
	snprintf(out, 64, "%s", json_string_value(json_object_get(
	    json_object_get(a.json, "session"), "token")));
	json_decref(a.json);
}

static void
ok(const char *method, const char *path, const char *token,
    const char *body)
{
	struct answer a = run(method, path, NULL, token, body);

	if (a.status >= 300)
		fail_msg("set-up %s %s: %d", method, path, a.status);
	json_decref(a.json);
}

static int
setup(void **state)
{
	(void)state;
	config.db_path = ":memory:";
	config.pwhash_mem_mib = 1;
	config.pwhash_ops = 1;
	config.send_rate = 0; /* every run sends; no bucket between runs */
	assert_int_equal(api_init(&config), 0);
	user("alice", "+79990000001", token_a);
	user("bob", "+79990000002", token_b);
	ok("POST", "/api/v1/chats", token_a, "{\"type\":\"direct\","
	    "\"user_id\":2}");
	ok("POST", "/api/v1/chats", token_a, "{\"type\":\"group\","
	    "\"title\":\"g\",\"members\":[2]}");
	ok("POST", "/api/v1/chats/1/messages", token_a, "{\"text\":\"hi\","
	    "\"attachment\":{\"mime\":\"image/png\",\"name\":\"a.png\","
	    "\"data\":\"iVBORw0K\"}}");
	ok("POST", "/api/v1/chats/2/messages", token_b, "{\"text\":"
	    "\"hello group\"}");
	assert_int_equal(sqlite3_open(":memory:", &template_db), SQLITE_OK);
	copy_db(template_db, conn());
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	sqlite3_close(template_db);
	api_shutdown();
	return 0;
}

/* --- the test -------------------------------------------------------- */

struct chaos_case {
	const char *method, *path, *query, *body;
	int who;                     /* 0: no token, 1: alice, 2: bob */
};

static const struct chaos_case cases[] = {
	{ "POST", "/api/v1/users", NULL, "{\"login\":\"carol\",\"password\":"
	  "\"correct horse\",\"nick\":\"C\",\"phone\":\"+7 999 123-45-67\"}", 0 },
	{ "POST", "/api/v1/sessions", NULL, "{\"login\":\"alice\","
	  "\"password\":\"correct horse\"}", 0 },
	{ "POST", "/api/v1/sessions", NULL, "{\"login\":\"alice\","
	  "\"password\":\"wrong horse\"}", 0 },
	{ "GET", "/api/v1/me", NULL, NULL, 1 },
	{ "PATCH", "/api/v1/me", NULL, "{\"nick\":\"Al\",\"status\":\"away\","
	  "\"phone\":\"+79995550000\"}", 1 },
	{ "GET", "/api/v1/users", "q=bo&limit=5", NULL, 1 },
	{ "GET", "/api/v1/users/2", NULL, NULL, 1 },
	{ "POST", "/api/v1/chats", NULL, "{\"type\":\"group\",\"title\":"
	  "\"t\",\"members\":[2]}", 1 },
	{ "POST", "/api/v1/chats", NULL, "{\"type\":\"direct\","
	  "\"user_id\":1}", 2 },
	{ "GET", "/api/v1/chats", NULL, NULL, 1 },
	{ "GET", "/api/v1/chats/2", NULL, NULL, 2 },
	{ "POST", "/api/v1/chats/2/members", NULL, "{\"user_id\":2}", 1 },
	{ "DELETE", "/api/v1/chats/2/members/me", NULL, NULL, 2 },
	{ "POST", "/api/v1/chats/1/messages", NULL, "{\"text\":\"x\","
	  "\"client_msg_id\":\"c1\",\"attachment\":{\"mime\":\"text/html\","
	  "\"data\":\"PGI+\"}}", 2 },
	{ "POST", "/api/v1/messages", NULL, "{\"to\":{\"login\":\"alice\"},"
	  "\"text\":\"yo\"}", 2 },
	{ "GET", "/api/v1/chats/1/messages", "limit=10", NULL, 2 },
	{ "PATCH", "/api/v1/messages/1", NULL, "{\"text\":\"edited\"}", 1 },
	{ "DELETE", "/api/v1/messages/2", NULL, NULL, 2 },
	{ "GET", "/api/v1/messages", "q=hel", NULL, 2 },
	{ "GET", "/api/v1/attachments/1", NULL, NULL, 2 },
	{ "POST", "/api/v1/chats/1/read", NULL, "{\"message_id\":1}", 2 },
	{ "POST", "/api/v1/chats/2/typing", NULL, NULL, 2 },
	{ "GET", "/api/v1/events", "after=0&timeout=0", NULL, 2 },
	{ "GET", "/api/v1/events", "after=5&timeout=1", NULL, 2 },
	{ "DELETE", "/api/v1/sessions/current", NULL, NULL, 1 },
};

static const char *
token_of(int who)
{
	return who == 1 ? token_a : who == 2 ? token_b : NULL;
}

/* A failed read inside an access or existence check answers as if the
 * object were not there (db/ exists() cannot tell a failure from no row):
 * wrong, but closed, and nothing is committed on it (tx_commit() refuses
 * a transaction in which such a read failed). */
static bool
fails_closed(const struct answer *a)
{
	const char *code = json_string_value(json_object_get(json_object_get(
	    a->json, "error"), "code"));

	return (a->status == 403 || a->status == 404) && code != NULL &&
	    (strcmp(code, "forbidden") == 0 || strstr(code, "not_found"));
}

/* The server still works for both users: a read and a write each. */
static void
still_works(const char *label, long k)
{
	static const char *const tokens[] = { token_a, token_b };
	size_t i;

	for (i = 0; i < 2; i++) {
		struct answer a;
		const char *t = tokens[i];
		/* alice may have signed out in the case itself */
		if (i == 0 && strstr(label, "sessions/current") != NULL)
			continue;
		a = run("GET", "/api/v1/chats", NULL, t, NULL);
		if (a.status != 200)
			fail_msg("%s k=%ld: afterwards GET /chats is %d", label,
			    k, a.status);
		json_decref(a.json);
		a = run("POST", "/api/v1/chats/1/messages", NULL, t,
		    "{\"text\":\"after\"}");
		if (a.status != 201)
			fail_msg("%s k=%ld: afterwards a send is %d", label, k,
			    a.status);
		json_decref(a.json);
	}
}

static void
test_each_allocation_fails(void **state)
{
	long stride = getenv("CHAOS_STRIDE") ? atol(getenv("CHAOS_STRIDE")) :
	    DEFAULT_STRIDE;
	int devnull = open("/dev/null", O_WRONLY), saved = dup(2);
	long total = 0;
	size_t c;

	(void)state;
	if (stride < 1)
		stride = 1;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct chaos_case *cc = &cases[c];
		char label[128];
		struct answer base, a;
		long k;

		snprintf(label, sizeof(label), "%s %s", cc->method, cc->path);
		copy_db(conn(), template_db);
		base = run(cc->method, cc->path, cc->query, token_of(cc->who),
		    cc->body);
		json_decref(base.json);
		assert_true(base.status >= 200 && base.status < 500);
		for (k = 1;; k += k < 400 ? 1 : stride) {
			copy_db(conn(), template_db);
			failed = 0;
			allocations = 0;
			countdown = k;
			dup2(devnull, 2); /* "db: out of memory" lines */
			{
				struct inmem_front f;
				struct request req;
				struct response resp;

				inmem_request(&req, &f, cc->method, cc->path,
				    cc->query, token_of(cc->who), cc->body);
				api_response_init(&resp);
				api_stopping = 1;
				api_handle(&req, &resp);
				if (resp.wait) {
					api_response_free(&resp);
					api_response_init(&resp);
					api_handle(&req, &resp);
				}
				countdown = -1;
				dup2(saved, 2);
				a.status = resp.wait ? -1 : resp.status;
				a.json = resp.content_type != NULL &&
				    strncmp(resp.content_type,
				    "application/json", 16) == 0 ?
				    json_loadb(resp.body, resp.body_len, 0,
				    NULL) : NULL;
				if (a.status != base.status && a.status != 500 &&
				    a.status != 503 && !fails_closed(&a))
					fail_msg("%s k=%ld: status %d (without"
					    " failures %d): %.*s", label, k,
					    a.status, base.status,
					    (int)resp.body_len, resp.body);
				if (resp.content_type != NULL &&
				    !json_is_object(a.json))
					fail_msg("%s k=%ld: body not JSON: %.*s",
					    label, k, (int)resp.body_len,
					    resp.body);
				if (a.status >= 400 && !json_is_object(
				    json_object_get(a.json, "error")))
					fail_msg("%s k=%ld: error without error"
					    " object", label, k);
				json_decref(a.json);
				api_request_free(&req);
				api_response_free(&resp);
			}
			still_works(label, k);
			total++;
			if (!failed)
				break; /* the request needs fewer than k */
		}
		print_message("chaos: %-32s %ld allocations\n", label, k - 1);
	}
	print_message("chaos: %ld failing runs in all\n", total);
	close(devnull);
	close(saved);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_allocation_fails),
	};

	/* Before anything starts SQLite or makes a JSON value. */
	countdown = -1;
	if (sqlite3_config(SQLITE_CONFIG_MALLOC, &mem) != SQLITE_OK) {
		fprintf(stderr, "test_chaos: cannot hook SQLite's allocator\n");
		return 1;
	}
	api_json_malloc = j_malloc; /* api_init() hands it to jansson */
	return cmocka_run_group_tests(tests, setup, teardown);
}
