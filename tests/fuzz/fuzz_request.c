/*
 * fuzz_request.c: libFuzzer harness over the whole request path.
 *
 * One input is one HTTP request written as text:
 *
 *   METHOD SP TARGET LF          TARGET is path[?query]
 *   Name: value LF ...           headers, until an empty line
 *   LF
 *   body ...                     the rest of the input, any bytes
 *
 * In the head, "$A" and "$B" stand for the tokens of two users made at
 * start-up, so that inputs reach the handlers behind authentication
 * (tests/fuzz/seeds/request/ uses them). Ids 1 and 2 are those users; chat
 * 1 is their direct chat, chat 2 a group of both, chat 3 a channel of A;
 * message 1 has an attachment (attachment 1).
 *
 * The database is SQLite in memory. Every input starts from the same state:
 * the state made at start-up is copied into a template connection once and
 * copied back (online backup) before each input, so a crash reproduces from
 * its input alone. A request that a front would park (a long-poll with
 * nothing to read) is run a second time, as a front does when the bell
 * rings, with api_stopping set so that it answers at once.
 *
 * FUZZ_DEBUG=1 in the environment prints each request's status and the
 * start of its body (for checking that seeds reach their handlers).
 *
 * Oracles besides the sanitizers: every response is complete: a status
 * from 200 to 599, and for a JSON body, valid JSON that is an object whose
 * errors carry code and message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sqlite3.h>

#include "../../api/api.h"
#include "../../api/config.h"
#include "../../db/internal.h"
#include "../inmem.h"

static char token_a[64], token_b[64];
static sqlite3 *template_db;

/* Runs one request from C strings (set-up only); returns the JSON body. */
static json_t *
setup_request(const char *method, const char *path, const char *token,
    const char *body)
{
	struct inmem_front f;
	struct request req;
	struct response resp;
	json_t *j;

	inmem_request(&req, &f, method, path, NULL, token, body);
	api_response_init(&resp);
	api_handle(&req, &resp);
	if (resp.status >= 300) {
		fprintf(stderr, "fuzz set-up: %s %s: %d %.*s\n", method, path,
		    resp.status, (int)resp.body_len, resp.body);
		abort();
	}
	j = json_loadb(resp.body, resp.body_len, 0, NULL);
	api_request_free(&req);
	api_response_free(&resp);
	return j;
}

/* Registers login; copies its token into out. */
static void
setup_user(const char *login, char out[64])
{
	char body[128];
	json_t *j;

	snprintf(body, sizeof(body), "{\"login\":\"%s\",\"password\":"
	    "\"correct horse battery\",\"phone\":\"+7999000000%c\"}", login,
	    login[0] == 'a' ? '1' : '2');
	j = setup_request("POST", "/api/v1/users", NULL, body);
	snprintf(out, 64, "%s", json_string_value(json_object_get(
	    json_object_get(j, "session"), "token")));
	json_decref(j);
}

/* Copies the database from src into dst (both "main"). */
static void
copy_db(sqlite3 *dst, sqlite3 *src)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");

	if (b == NULL) {
		fprintf(stderr, "fuzz: backup: %s\n", sqlite3_errmsg(dst));
		abort();
	}
	if (sqlite3_backup_step(b, -1) != SQLITE_DONE) {
		fprintf(stderr, "fuzz: backup step: %s\n", sqlite3_errmsg(dst));
		abort();
	}
	sqlite3_backup_finish(b);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	json_t *j;

	(void)argc;
	(void)argv;
	config.db_path = ":memory:";
	/* Cheap argon2id (the floor of libsodium, not of parley's flags):
	 * every registration and sign-in of an input hashes once. */
	config.pwhash_mem_mib = 1;
	config.pwhash_ops = 1;
	config.send_rate = 0; /* every run sends; no bucket between runs */
	config.register_max = 1000000;
	config.max_body = 1 << 20;
	if (api_init(&config) != 0)
		abort();
	setup_user("alice", token_a);
	setup_user("bob", token_b);
	json_decref(setup_request("POST", "/api/v1/chats", token_a,
	    "{\"type\":\"direct\",\"user_id\":2}"));
	json_decref(setup_request("POST", "/api/v1/chats", token_a,
	    "{\"type\":\"group\",\"title\":\"g\",\"members\":[2]}"));
	json_decref(setup_request("POST", "/api/v1/chats", token_a,
	    "{\"type\":\"channel\",\"title\":\"c\"}"));
	json_decref(setup_request("POST", "/api/v1/chats/1/messages", token_a,
	    "{\"text\":\"hi\",\"client_msg_id\":\"m1\",\"attachment\":"
	    "{\"mime\":\"image/png\",\"name\":\"a.png\",\"data\":\"iVBORw0K\"}}"));
	json_decref(setup_request("POST", "/api/v1/chats/2/messages", token_b,
	    "{\"text\":\"hello group\"}"));
	j = setup_request("GET", "/api/v1/me", token_a, NULL);
	json_decref(j);
	if (sqlite3_open(":memory:", &template_db) != SQLITE_OK)
		abort();
	copy_db(template_db, conn());
	return 0;
}

/* Replaces "$A" and "$B" in head (n bytes) into out (room for cap);
 * returns the new length. */
static size_t
substitute(const char *head, size_t n, char *out, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 64 < cap; i++) {
		if (head[i] == '$' && i + 1 < n && (head[i + 1] == 'A' ||
		    head[i + 1] == 'B')) {
			const char *t = head[i + 1] == 'A' ? token_a : token_b;
			size_t tl = strlen(t);
			memcpy(out + o, t, tl);
			o += tl;
			i++;
		} else {
			out[o++] = head[i];
		}
	}
	out[o] = '\0';
	return o;
}

/* Checks what every response must be. */
static void
check_response(const struct response *resp)
{
	json_t *j, *err;

	if (resp->wait)
		return;
	if (resp->status < 200 || resp->status > 599) {
		fprintf(stderr, "fuzz: status %d\n", resp->status);
		abort();
	}
	if (resp->content_type == NULL ||
	    strncmp(resp->content_type, "application/json", 16) != 0)
		return;
	j = json_loadb(resp->body, resp->body_len, 0, NULL);
	if (!json_is_object(j)) {
		fprintf(stderr, "fuzz: body is not a JSON object: %.*s\n",
		    (int)resp->body_len, resp->body);
		abort();
	}
	if (resp->status >= 400) {
		err = json_object_get(j, "error");
		if (!json_is_string(json_object_get(err, "code")) ||
		    !json_is_string(json_object_get(err, "message"))) {
			fprintf(stderr, "fuzz: bad error body: %.*s\n",
			    (int)resp->body_len, resp->body);
			abort();
		}
	}
	json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inmem_front f;
	struct request req;
	struct response resp;
	const char *end, *body;
	char *head, *line, *next, *sp, *q;
	size_t hlen, cap;

	if (size > (1u << 20))
		return 0;
	/* The head ends at the first empty line; the rest is the body. */
	end = NULL;
	for (hlen = 0; hlen + 1 < size; hlen++)
		if (data[hlen] == '\n' && data[hlen + 1] == '\n') {
			end = (const char *)data + hlen;
			break;
		}
	if (end == NULL)
		hlen = size;
	body = end != NULL ? end + 2 : NULL;
	cap = hlen * 24 + 128; /* each "$A" may grow to a token */
	if ((head = malloc(cap)) == NULL)
		return 0;
	substitute((const char *)data, hlen, head, cap);

	copy_db(conn(), template_db);
	api_stopping = 0;
	/* The method, path and headers are filled in from head below. */
	inmem_request(&req, &f, "GET", "/api/v1", NULL, NULL, NULL);
	api_response_init(&resp);
	req.body = body;
	req.body_len = body != NULL ? size - (size_t)(body -
	    (const char *)data) : 0;

	/* The request line. */
	line = head;
	next = strchr(line, '\n');
	if (next != NULL)
		*next++ = '\0';
	sp = strchr(line, ' ');
	if (sp != NULL)
		*sp++ = '\0';
	req.method = line;
	req.path = sp != NULL ? sp : "/api/v1";
	if (sp != NULL && (q = strchr(sp, '?')) != NULL) {
		*q = '\0';
		req.query = q + 1;
	}
	/* The headers. */
	for (line = next; line != NULL && f.n < INMEM_MAX_HEADERS; line = next) {
		char *colon;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		colon = strchr(line, ':');
		if (colon == NULL)
			continue;
		*colon++ = '\0';
		while (*colon == ' ')
			colon++;
		f.names[f.n] = line;
		f.values[f.n++] = colon;
	}

	api_handle(&req, &resp);
	check_response(&resp);
	if (getenv("FUZZ_DEBUG") != NULL) /* replaying seeds by hand */
		fprintf(stderr, "%s %s -> %d%s %.*s\n", req.method, req.path,
		    resp.status, resp.wait ? " WAIT" : "", (int)(resp.body_len <
		    160 ? resp.body_len : 160), resp.body ? resp.body : "");
	if (resp.wait) {
		/* The bell rang (or the front stops): the second call. */
		api_stopping = 1;
		api_response_free(&resp);
		api_response_init(&resp);
		api_handle(&req, &resp);
		if (resp.wait) {
			fprintf(stderr, "fuzz: WAIT while stopping\n");
			abort();
		}
		check_response(&resp);
	}
	api_request_free(&req);
	api_response_free(&resp);
	free(head);
	return 0;
}
