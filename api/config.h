/*
 * config.h: run-time settings, from flags and PARLEY_* variables.
 *
 * One table in config.c lists every setting once: its flag, its variable,
 * its default and its help line. A flag wins over the variable, the
 * variable over the default.
 */
#ifndef PARLEY_CONFIG_H
#define PARLEY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct config {
	const char *db_path;        /* --db, PARLEY_DB */
	const char *listen;         /* --listen: HOST:PORT or unix:PATH */
	const char *www_dir;        /* --www: static files (parleyd) */
	const char *welcome;        /* --welcome: text of GET /api/v1 */
	const char *synchronous;    /* --synchronous: FULL or NORMAL */
	const char *cors_origins;   /* --cors-origins: space-separated, "" = none */
	long threads;               /* --threads: worker threads */
	long head_memory;           /* --head-memory: parleyd, bytes */
	long max_body;              /* --max-body: bytes */
	long max_text;              /* --max-text: bytes */
	long max_attachment;        /* --max-attachment: bytes, decoded */
	long max_avatar;            /* --max-avatar: bytes */
	long page_size;             /* --page-size: largest page */
	long poll_timeout_max;      /* --poll-timeout-max: seconds */
	long session_ttl;           /* --session-ttl: seconds */
	long login_max_failures;    /* --login-max-failures */
	long login_window;          /* --login-window: seconds */
	long register_max;          /* --register-max: per peer per window */
	long register_window;       /* --register-window: seconds */
	long pwhash_mem_mib;        /* --pwhash-mem: MiB */
	long pwhash_ops;            /* --pwhash-ops: passes */
	long busy_timeout_ms;       /* --busy-timeout: ms */
	long retention_days;        /* --retention-days: events kept */
	long presence_grace;        /* --presence-grace: seconds online after
	                             * a poll's deadline */
	const char *metrics;        /* --metrics: off, loopback or on */
	long send_rate;             /* --send-rate: sends per user per minute */
	long max_polls_per_user;    /* --max-polls-per-user: held at once */
	long max_db_mib;            /* --max-db-mib: database size quota, 0: none */
};

extern struct config config;

/* Fills config from the defaults, the environment and argv, for the program
 * prog whose usage line is usage. Options it does not know end the parse
 * and stay in argv. Returns the index of the first argument that is not an
 * option, or -1 after printing an error (or 0 after printing --help, with
 * *help_shown set). */
int config_load(int argc, char **argv, const char *prog, const char *usage,
    bool *help_shown);

/* Prints the options and their variables to f. */
void config_usage(void *f, const char *prog, const char *usage);

#endif
