/*
 * parley-admin: the operator's command for a parley database.
 *
 *   parley-admin [--db FILE] migrate
 *   parley-admin [--db FILE] user add LOGIN [PHONE]   (password on stdin)
 *   parley-admin [--db FILE] user passwd LOGIN        (password on stdin)
 *   parley-admin [--db FILE] prune
 *   parley-admin [--db FILE] backup FILE
 *   parley-admin [--db FILE] stats
 *   parley-admin [--db FILE] tenant add NAME          (prints its chat key)
 *   parley-admin [--db FILE] tenant list
 *   parley-admin [--db FILE] tenant revoke NAME
 *   parley-admin [--db FILE] tenant origins NAME [ORIGIN...]
 *
 * Passwords are read from standard input, never from the command line,
 * where other users of the machine could see them in ps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/api.h"
#include "../api/auth.h"
#include "../api/clock.h"
#include "../api/config.h"
#include "../api/cors.h"
#include "../api/limits.h"
#include "../api/text.h"
#include "db.h"

struct command {
	const char *words;      /* "user add" */
	const char *args;       /* what follows the words */
	const char *help;       /* one paragraph */
	int nargs_min, nargs_max;
	int (*run)(char **args, int nargs);
};

/* Reads one line (the password) from stdin into buf; strips the newline. */
static int
read_password(char *buf, size_t len)
{
	size_t n;

	if (fgets(buf, (int)len, stdin) == NULL) {
		fprintf(stderr, "parley-admin: give the password on standard"
		    " input\n");
		return -1;
	}
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	if (n < LIMIT_PASSWORD_MIN || n > LIMIT_PASSWORD_MAX) {
		fprintf(stderr, "parley-admin: a password has %d to %d"
		    " characters\n", LIMIT_PASSWORD_MIN, LIMIT_PASSWORD_MAX);
		return -1;
	}
	return 0;
}

static int
cmd_migrate(char **args, int nargs)
{
	(void)args;
	(void)nargs;
	printf("%s: schema %d of %d\n", config.db_path, db_schema_version(),
	    db_schema_latest());
	return 0;
}

static int
cmd_user_add(char **args, int nargs)
{
	char password[LIMIT_PASSWORD_MAX + 2], hash[crypto_pwhash_STRBYTES];
	char phone[PHONE_E164_MAX];
	struct user_new u = { 0 };
	int64_t id;
	enum err e;

	if (!login_is_valid(args[0])) {
		fprintf(stderr, "parley-admin: %s is not a valid login\n", args[0]);
		return 2;
	}
	if (nargs > 1 && phone_normalize(args[1], phone) != ERR_OK) {
		fprintf(stderr, "parley-admin: %s is not an international phone"
		    " number (+79991234567)\n", args[1]);
		return 2;
	}
	if (read_password(password, sizeof(password)) != 0)
		return 2;
	if (!password_hash(password, hash))
		return 1;
	u.login = args[0];
	u.nick = args[0];
	u.phone = nargs > 1 ? phone : NULL;
	u.password_hash = hash;
	e = db_user_create(&u, now_ms(), &id);
	if (e != ERR_OK) {
		fprintf(stderr, "parley-admin: cannot add %s: %s\n", args[0],
		    err_code(e));
		return 1;
	}
	printf("user %lld %s\n", (long long)id, args[0]);
	return 0;
}

static int
cmd_user_passwd(char **args, int nargs)
{
	char password[LIMIT_PASSWORD_MAX + 2], hash[crypto_pwhash_STRBYTES];
	char old[crypto_pwhash_STRBYTES];
	int64_t id;
	enum err e;

	(void)nargs;
	e = db_user_find(0, args[0], NULL, &id, old, sizeof(old));
	if (e != ERR_OK) {
		fprintf(stderr, "parley-admin: no user %s\n", args[0]);
		return 1;
	}
	if (read_password(password, sizeof(password)) != 0)
		return 2;
	if (!password_hash(password, hash))
		return 1;
	e = db_user_set_password(id, hash, 0);
	if (e != ERR_OK) {
		fprintf(stderr, "parley-admin: %s\n", err_code(e));
		return 1;
	}
	printf("password of %s changed; its sessions ended\n", args[0]);
	return 0;
}

static int
cmd_backup(char **args, int nargs)
{
	(void)nargs;
	if (db_backup(args[0]) != ERR_OK)
		return 1;
	printf("backed up %s to %s\n", config.db_path, args[0]);
	return 0;
}

static int
cmd_stats(char **args, int nargs)
{
	struct db_stats st;

	(void)args;
	(void)nargs;
	if (db_stats(&st) != ERR_OK) {
		fprintf(stderr, "parley-admin: cannot read %s\n", config.db_path);
		return 1;
	}
	printf("users %lld\nchats %lld\nmessages %lld\nevents %lld\n"
	    "bytes %lld\n", (long long)st.users, (long long)st.chats,
	    (long long)st.messages, (long long)st.events, (long long)st.bytes);
	return 0;
}

static int
cmd_prune(char **args, int nargs)
{
	(void)args;
	(void)nargs;
	api_housekeeping_once(true);
	printf("pruned %s: events older than %ld days, typing notices,"
	    " expired sessions\n", config.db_path, config.retention_days);
	return 0;
}

/* True if s is a site name: 1 to LIMIT_TENANT_NAME_BYTES letters, digits,
 * '.', '_' or '-'. */
static bool
tenant_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= LIMIT_TENANT_NAME_BYTES &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == n;
}

static int
cmd_tenant_add(char **args, int nargs)
{
	unsigned char hash[TOKEN_HASH_BYTES];
	char key[48];
	int64_t id;
	enum err e;

	(void)nargs;
	if (!tenant_name_ok(args[0])) {
		fprintf(stderr, "parley-admin: a site's name is 1 to %d letters,"
		    " digits, '.', '_' or '-'\n", LIMIT_TENANT_NAME_BYTES);
		return 2;
	}
	secret_new(key);
	secret_hash(key, hash);
	e = db_tenant_create(args[0], hash, now_ms(), &id);
	if (e == ERR_ALREADY_EXISTS) {
		fprintf(stderr, "parley-admin: a site %s exists already\n",
		    args[0]);
		return 1;
	}
	if (e != ERR_OK) {
		fprintf(stderr, "parley-admin: cannot add %s: %s\n", args[0],
		    err_code(e));
		return 1;
	}
	/* The key alone on standard output, for KEY=$(parley-admin ...);
	 * it is stored only hashed and cannot be shown again. */
	printf("%s\n", key);
	fprintf(stderr, "site %lld %s added; its chat key (above) is shown"
	    " this once\n", (long long)id, args[0]);
	return 0;
}

static int
cmd_tenant_list(char **args, int nargs)
{
	json_t *list, *t, *o;
	size_t i, j;
	enum err e;

	(void)args;
	(void)nargs;
	if ((list = db_tenant_list(&e)) == NULL) {
		fprintf(stderr, "parley-admin: %s\n", err_code(e));
		return 1;
	}
	printf("id\tname\tcreated\trevoked\torigins\n");
	json_array_foreach(list, i, t) {
		const json_t *rev = json_object_get(t, "revoked_at");
		printf("%lld\t%s\t%s\t%s\t",
		    (long long)json_integer_value(json_object_get(t, "id")),
		    json_string_value(json_object_get(t, "name")),
		    json_string_value(json_object_get(t, "created_at")),
		    json_is_string(rev) ? json_string_value(rev) : "-");
		if (json_array_size(json_object_get(t, "origins")) == 0)
			printf("-");
		json_array_foreach(json_object_get(t, "origins"), j, o)
			printf("%s%s", j ? " " : "", json_string_value(o));
		printf("\n");
	}
	json_decref(list);
	return 0;
}

static int
cmd_tenant_revoke(char **args, int nargs)
{
	enum err e;
	int ended;

	(void)nargs;
	e = db_tenant_revoke(args[0], now_ms(), &ended);
	if (e == ERR_NOT_FOUND) {
		fprintf(stderr, "parley-admin: no site %s\n", args[0]);
		return 1;
	}
	if (e != ERR_OK) {
		fprintf(stderr, "parley-admin: %s\n", err_code(e));
		return 1;
	}
	printf("site %s revoked: its key no longer works; %d sessions of its"
	    " users ended\n", args[0], ended);
	return 0;
}

static int
cmd_tenant_origins(char **args, int nargs)
{
	enum err e;
	int i, j;

	for (i = 1; i < nargs; i++) {
		if (!origin_is_valid(args[i])) {
			fprintf(stderr, "parley-admin: %s is not an origin such"
			    " as https://shop.example or http://localhost:8080"
			    " (scheme, host, port; no path)\n", args[i]);
			return 2;
		}
		/* Stored as browsers send them: lower case. */
		for (j = 0; args[i][j] != '\0'; j++)
			if (args[i][j] >= 'A' && args[i][j] <= 'Z')
				args[i][j] = (char)(args[i][j] - 'A' + 'a');
	}
	e = db_tenant_set_origins(args[0], (const char *const *)args + 1,
	    (size_t)(nargs - 1));
	if (e == ERR_NOT_FOUND) {
		fprintf(stderr, "parley-admin: no site %s\n", args[0]);
		return 1;
	}
	if (e != ERR_OK) {
		fprintf(stderr, "parley-admin: %s\n", err_code(e));
		return 1;
	}
	printf("site %s: %d origin%s\n", args[0], nargs - 1,
	    nargs == 2 ? "" : "s");
	return 0;
}

static const struct command commands[] = {
	{ "migrate", "", "Creates the database if needed and applies the"
	  " migrations it has not seen; prints its schema version.", 0, 0,
	  cmd_migrate },
	{ "user add", "LOGIN [PHONE]", "Adds a user who signs in with LOGIN"
	  " (or PHONE, as +79991234567) and the password read from standard"
	  " input.", 1, 2, cmd_user_add },
	{ "user passwd", "LOGIN", "Sets the password of LOGIN to the one read"
	  " from standard input and ends all of its sessions.", 1, 1,
	  cmd_user_passwd },
	{ "prune", "", "Removes events older than --retention-days, typing"
	  " notices, expired sessions and old rate-limit windows, and marks"
	  " users offline whose polls stopped. Servers do this themselves;"
	  " run it from cron or a timer when none runs.", 0, 0, cmd_prune },
	{ "backup", "FILE", "Copies the database into FILE with SQLite's online"
	  " backup, while servers keep running.", 1, 1, cmd_backup },
	{ "stats", "", "Prints one \"name value\" line each: users, chats,"
	  " messages, events (queued deliveries) and bytes (the database's"
	  " size, its write-ahead log not counted).", 0, 0, cmd_stats },
	{ "tenant add", "NAME", "Adds the embedding site NAME and prints its"
	  " chat key on standard output: the key signs the site's"
	  " POST /api/v1/integrations/sessions. It is stored only hashed and"
	  " shown this once.", 1, 1, cmd_tenant_add },
	{ "tenant list", "", "Lists the sites: id, name, created, revoked,"
	  " allowed origins (never their keys).", 0, 0, cmd_tenant_list },
	{ "tenant revoke", "NAME", "Revokes the site NAME: its key stops"
	  " working and the sessions of its users end. Its users and chats"
	  " stay.", 1, 1, cmd_tenant_revoke },
	{ "tenant origins", "NAME [ORIGIN...]", "Replaces the web origins"
	  " (https://shop.example, http://localhost:8080) whose pages may call"
	  " the API for the users of site NAME (CORS); none clears them.",
	  1, 1000, cmd_tenant_origins },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f)
{
	size_t i;

	config_usage(f, "parley-admin", "[options] COMMAND [ARGS]");
	fprintf(f, "\ncommands (COMMAND --help for more):\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %s %s\n", commands[i].words, commands[i].args);
}

/* The command whose words start argv, or NULL; sets *used to their count. */
static const struct command *
find_command(int argc, char **argv, int *used)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++) {
		char words[32], *w, *save = NULL;
		int k = 0;
		bool match = true;
		snprintf(words, sizeof(words), "%s", commands[i].words);
		for (w = strtok_r(words, " ", &save); w != NULL;
		    w = strtok_r(NULL, " ", &save), k++)
			if (k >= argc || strcmp(argv[k], w) != 0) {
				match = false;
				break;
			}
		if (match) {
			*used = k;
			return &commands[i];
		}
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	const struct command *cmd;
	bool help;
	int argi, used, nargs, i;

	argi = config_load(argc, argv, "parley-admin", "[options] COMMAND [ARGS]",
	    &help);
	if (argi < 0)
		return 2;
	if (help) {
		usage(stdout);
		return 0;
	}
	if (argi >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = find_command(argc - argi, argv + argi, &used);
	if (cmd == NULL) {
		fprintf(stderr, "parley-admin: unknown command %s\n", argv[argi]);
		usage(stderr);
		return 2;
	}
	argi += used;
	for (i = argi; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: parley-admin [options] %s %s\n\n%s\n",
			    cmd->words, cmd->args, cmd->help);
			return 0;
		}
	nargs = argc - argi;
	if (nargs < cmd->nargs_min || nargs > cmd->nargs_max) {
		fprintf(stderr, "usage: parley-admin [options] %s %s\n",
		    cmd->words, cmd->args);
		return 2;
	}
	if (api_init(&config) != 0)
		return 1;
	i = cmd->run(argv + argi, nargs);
	api_shutdown();
	return i;
}
