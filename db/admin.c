/*
 * parley-admin: the operator's command for a parley database.
 *
 *   parley-admin [--db FILE] migrate
 *   parley-admin [--db FILE] user add LOGIN [PHONE]   (password on stdin)
 *   parley-admin [--db FILE] user passwd LOGIN        (password on stdin)
 *   parley-admin [--db FILE] prune
 *   parley-admin [--db FILE] backup FILE
 *   parley-admin [--db FILE] stats
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
