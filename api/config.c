/*
 * config.c: the table of settings and its parser.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "limits.h"

struct config config = {
	.db_path = "parley.db",
	.listen = NULL,
	.www_dir = "www",
	.welcome = "Welcome to parley.",
	.synchronous = "FULL",
	.cors_origins = "",
	.threads = 0,
	.head_memory = HTTPD_CONNECTION_MEMORY,
	.max_body = LIMIT_BODY_BYTES,
	.max_text = LIMIT_TEXT_BYTES,
	.max_attachment = LIMIT_ATTACHMENT_BYTES,
	.max_avatar = LIMIT_AVATAR_BYTES,
	.page_size = LIMIT_PAGE_SIZE,
	.poll_timeout_max = LIMIT_POLL_TIMEOUT_S,
	.session_ttl = DEFAULT_SESSION_TTL_S,
	.login_max_failures = DEFAULT_LOGIN_MAX_FAILURES,
	.login_window = DEFAULT_LOGIN_WINDOW_S,
	.register_max = DEFAULT_REGISTER_MAX,
	.register_window = DEFAULT_REGISTER_WINDOW_S,
	.pwhash_mem_mib = PWHASH_MEMLIMIT_MIN_MIB,
	.pwhash_ops = PWHASH_OPSLIMIT_MIN,
	.busy_timeout_ms = DEFAULT_BUSY_TIMEOUT_MS,
	.retention_days = 7,
	.presence_grace = 10,
	.metrics = "loopback",
	.send_rate = DEFAULT_SEND_RATE,
	.max_polls_per_user = DEFAULT_MAX_POLLS_PER_USER,
};

struct setting {
	const char *flag;   /* long option, without "--" */
	const char *env;    /* variable */
	const char **str;   /* where a text setting goes */
	long *num;          /* where a number goes */
	long min, max;      /* bounds of a number */
	const char *help;
};

static const struct setting settings[] = {
	{ "db", "PARLEY_DB", &config.db_path, NULL, 0, 0,
	  "SQLite database file, created and migrated on first start" },
	{ "listen", "PARLEY_LISTEN", &config.listen, NULL, 0, 0,
	  "HOST:PORT or unix:PATH to listen on" },
	{ "www", "PARLEY_WWW", &config.www_dir, NULL, 0, 0,
	  "directory of the browser client (parleyd)" },
	{ "welcome", "PARLEY_WELCOME", &config.welcome, NULL, 0, 0,
	  "welcome text returned by GET /api/v1" },
	{ "synchronous", "PARLEY_SYNCHRONOUS", &config.synchronous, NULL, 0, 0,
	  "SQLite durability: FULL (survives power loss) or NORMAL" },
	{ "cors-origins", "PARLEY_CORS_ORIGINS", &config.cors_origins, NULL, 0, 0,
	  "space-separated origins allowed to call the API (none by default)" },
	{ "threads", "PARLEY_THREADS", NULL, &config.threads, 0, 4096,
	  "worker threads (0: the front's default)" },
	{ "head-memory", "PARLEY_HEAD_MEMORY", NULL, &config.head_memory, 4096,
	  1L << 20, "parleyd: memory per connection for a request's head"
	  " (larger heads get 431); each held poll costs this much" },
	{ "max-body", "PARLEY_MAX_BODY", NULL, &config.max_body, 1024, 1L << 30,
	  "largest request body, bytes" },
	{ "max-text", "PARLEY_MAX_TEXT", NULL, &config.max_text, 1, 1L << 24,
	  "longest message text, bytes" },
	{ "max-attachment", "PARLEY_MAX_ATTACHMENT", NULL, &config.max_attachment,
	  1, 1L << 30, "largest attachment, bytes after base64 decoding" },
	{ "max-avatar", "PARLEY_MAX_AVATAR", NULL, &config.max_avatar, 1, 1L << 26,
	  "largest avatar image, bytes" },
	{ "page-size", "PARLEY_PAGE_SIZE", NULL, &config.page_size, 1, 100000,
	  "largest page of any list" },
	{ "poll-timeout-max", "PARLEY_POLL_TIMEOUT_MAX", NULL,
	  &config.poll_timeout_max, 0, 3600, "longest long-poll hold, seconds" },
	{ "session-ttl", "PARLEY_SESSION_TTL", NULL, &config.session_ttl, 60,
	  10L * 365 * 86400, "session lifetime after last use, seconds" },
	{ "login-max-failures", "PARLEY_LOGIN_MAX_FAILURES", NULL,
	  &config.login_max_failures, 1, 1000000,
	  "failed logins per identity or address before 429" },
	{ "login-window", "PARLEY_LOGIN_WINDOW", NULL, &config.login_window, 1,
	  86400, "window of the failed-login count, seconds" },
	{ "register-max", "PARLEY_REGISTER_MAX", NULL, &config.register_max, 1,
	  1000000, "registrations per address per window" },
	{ "register-window", "PARLEY_REGISTER_WINDOW", NULL,
	  &config.register_window, 1, 86400,
	  "window of the registration count, seconds" },
	{ "pwhash-mem", "PARLEY_PWHASH_MEM", NULL, &config.pwhash_mem_mib,
	  PWHASH_MEMLIMIT_MIN_MIB, 4096, "argon2id memory, MiB (at least 19)" },
	{ "pwhash-ops", "PARLEY_PWHASH_OPS", NULL, &config.pwhash_ops,
	  PWHASH_OPSLIMIT_MIN, 100, "argon2id passes (at least 2)" },
	{ "busy-timeout", "PARLEY_BUSY_TIMEOUT", NULL, &config.busy_timeout_ms,
	  0, 600000, "wait for the database write lock, ms, then 503" },
	{ "retention-days", "PARLEY_RETENTION_DAYS", NULL,
	  &config.retention_days, 1, 3650, "days events are kept" },
	{ "presence-grace", "PARLEY_PRESENCE_GRACE", NULL,
	  &config.presence_grace, 1, 3600,
	  "seconds a user stays online after its poll's timeout" },
	{ "metrics", "PARLEY_METRICS", &config.metrics, NULL, 0, 0,
	  "who may read GET /api/v1/metrics: off, loopback or on" },
	{ "send-rate", "PARLEY_SEND_RATE", NULL, &config.send_rate, 0,
	  1000000, "messages one user may send per minute, per process"
	  " (0: no limit)" },
	{ "max-polls-per-user", "PARLEY_MAX_POLLS_PER_USER", NULL,
	  &config.max_polls_per_user, 0, 1000000,
	  "long-polls one user may hold at once, per process (0: no limit)" },
	{ "max-db-mib", "PARLEY_MAX_DB_MIB", NULL, &config.max_db_mib, 0,
	  1L << 30, "largest database file, MiB; writes beyond answer 507"
	  " (0: no limit)" },
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

/* Stores text into setting s; returns 0 or -1 after printing why. */
static int
set_value(const struct setting *s, const char *text, const char *from)
{
	char *end;
	long v;

	if (s->str != NULL) {
		*s->str = text;
		return 0;
	}
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < s->min ||
	    v > s->max) {
		fprintf(stderr, "%s: %s must be a whole number from %ld to %ld\n",
		    from, s->flag, s->min, s->max);
		return -1;
	}
	*s->num = v;
	return 0;
}

void
config_usage(void *fp, const char *prog, const char *usage)
{
	FILE *f = fp;
	size_t i;

	fprintf(f, "usage: %s %s\n\noptions (each also a variable):\n", prog,
	    usage);
	for (i = 0; i < NSETTINGS; i++)
		fprintf(f, "  --%-20s %-26s %s\n", settings[i].flag,
		    settings[i].env, settings[i].help);
	fprintf(f, "  --%-20s %-26s %s\n", "help", "", "this text");
}

int
config_load(int argc, char **argv, const char *prog, const char *usage,
    bool *help_shown)
{
	struct option opts[NSETTINGS + 2];
	size_t i;
	int c;

	*help_shown = false;
	for (i = 0; i < NSETTINGS; i++) {
		const char *v = getenv(settings[i].env);
		if (v != NULL && *v != '\0' &&
		    set_value(&settings[i], v, settings[i].env) != 0)
			return -1;
		opts[i] = (struct option){ settings[i].flag, required_argument,
		    NULL, (int)i + 256 };
	}
	opts[NSETTINGS] = (struct option){ "help", no_argument, NULL, 'h' };
	opts[NSETTINGS + 1] = (struct option){ 0 };

	/* "+": stop at the first word that is not an option, so that a
	 * command's own words (parley-admin user add ...) stay in argv. */
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			config_usage(stdout, prog, usage);
			*help_shown = true;
			return 0;
		}
		if (c < 256) {
			config_usage(stderr, prog, usage);
			return -1;
		}
		if (set_value(&settings[c - 256], optarg, prog) != 0)
			return -1;
	}
	if (strcmp(config.synchronous, "FULL") != 0 &&
	    strcmp(config.synchronous, "NORMAL") != 0) {
		fprintf(stderr, "%s: --synchronous must be FULL or NORMAL\n", prog);
		return -1;
	}
	if (strcmp(config.metrics, "off") != 0 &&
	    strcmp(config.metrics, "loopback") != 0 &&
	    strcmp(config.metrics, "on") != 0) {
		fprintf(stderr, "%s: --metrics must be off, loopback or on\n",
		    prog);
		return -1;
	}
	return optind;
}
