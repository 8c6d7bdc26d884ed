/*
 * test_config.c: config_load of api/config.c: the defaults, flags (both
 * "--flag value" and "--flag=value") and PARLEY_* variables, a flag winning
 * over its variable, the first non-option word, refusals (bad or
 * out-of-range numbers, --synchronous other than FULL/NORMAL, unknown
 * options, a missing value) and --help; config_usage lists every setting.
 * Each test starts from the compiled-in defaults with no PARLEY_* set.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../api/config.h"
#include "../../api/limits.h"

extern char **environ;

static struct config defaults;

/* Removes every PARLEY_* variable. */
static void
clear_env(void)
{
	for (;;) {
		char name[128];
		const char *eq = NULL;
		char **e;

		for (e = environ; *e != NULL; e++)
			if (strncmp(*e, "PARLEY_", 7) == 0 &&
			    (eq = strchr(*e, '=')) != NULL)
				break;
		if (*e == NULL)
			return;
		snprintf(name, sizeof(name), "%.*s", (int)(eq - *e), *e);
		unsetenv(name);
	}
}

static int
group_setup(void **state)
{
	defaults = config;
	return 0;
}

static int
setup(void **state)
{
	config = defaults;
	clear_env();
	return 0;
}

static int
teardown(void **state)
{
	config = defaults;
	clear_env();
	return 0;
}

#define ARGC(v) ((int)(sizeof(v) / sizeof((v)[0])) - 1)

/* Runs config_load on the NULL-terminated argv; help_shown starts true so
 * that a call that does not show help must clear it. */
static int
load(char **argv, bool *help)
{
	int argc = 0;

	while (argv[argc] != NULL)
		argc++;
	*help = true;
	return config_load(argc, argv, "parleyd", "[options]", help);
}

static void
defaults_without_flags(void **state)
{
	char *argv[] = { "parleyd", NULL };
	bool help;

	assert_int_equal(load(argv, &help), 1);
	assert_false(help);
	assert_string_equal(config.db_path, "parley.db");
	assert_null(config.listen);
	assert_string_equal(config.www_dir, "www");
	assert_string_equal(config.synchronous, "FULL");
	assert_string_equal(config.cors_origins, "");
	assert_int_equal(config.threads, 0);
	assert_int_equal(config.max_body, LIMIT_BODY_BYTES);
	assert_int_equal(config.max_text, LIMIT_TEXT_BYTES);
	assert_int_equal(config.max_attachment, LIMIT_ATTACHMENT_BYTES);
	assert_int_equal(config.max_avatar, LIMIT_AVATAR_BYTES);
	assert_int_equal(config.page_size, LIMIT_PAGE_SIZE);
	assert_int_equal(config.poll_timeout_max, LIMIT_POLL_TIMEOUT_S);
	assert_int_equal(config.session_ttl, DEFAULT_SESSION_TTL_S);
	assert_int_equal(config.login_max_failures, DEFAULT_LOGIN_MAX_FAILURES);
	assert_int_equal(config.login_window, DEFAULT_LOGIN_WINDOW_S);
	assert_int_equal(config.register_max, DEFAULT_REGISTER_MAX);
	assert_int_equal(config.register_window, DEFAULT_REGISTER_WINDOW_S);
	assert_int_equal(config.pwhash_mem_mib, PWHASH_MEMLIMIT_MIN_MIB);
	assert_int_equal(config.pwhash_ops, PWHASH_OPSLIMIT_MIN);
	assert_int_equal(config.busy_timeout_ms, DEFAULT_BUSY_TIMEOUT_MS);
	assert_int_equal(config.retention_days, 7);
}

static void
flags_set_values(void **state)
{
	char *argv[] = { "parleyd", "--db", "/tmp/x.db", "--listen",
	    "127.0.0.1:9000", "--www=/srv/www", "--welcome", "Hi there",
	    "--synchronous", "NORMAL", "--cors-origins",
	    "https://a.example https://b.example", "--threads", "8",
	    "--max-body=2048", "--max-text", "100", "--max-attachment", "1000",
	    "--max-avatar", "5000", "--page-size", "50",
	    "--poll-timeout-max", "0", "--session-ttl", "60",
	    "--login-max-failures", "3", "--login-window", "86400",
	    "--register-max", "1000000", "--register-window", "1",
	    "--pwhash-mem", "64", "--pwhash-ops", "3", "--busy-timeout", "0",
	    "--retention-days", "3650", NULL };
	bool help;

	assert_int_equal(load(argv, &help), ARGC(argv));
	assert_false(help);
	assert_string_equal(config.db_path, "/tmp/x.db");
	assert_string_equal(config.listen, "127.0.0.1:9000");
	assert_string_equal(config.www_dir, "/srv/www");
	assert_string_equal(config.welcome, "Hi there");
	assert_string_equal(config.synchronous, "NORMAL");
	assert_string_equal(config.cors_origins,
	    "https://a.example https://b.example");
	assert_int_equal(config.threads, 8);
	assert_int_equal(config.max_body, 2048);
	assert_int_equal(config.max_text, 100);
	assert_int_equal(config.max_attachment, 1000);
	assert_int_equal(config.max_avatar, 5000);
	assert_int_equal(config.page_size, 50);
	assert_int_equal(config.poll_timeout_max, 0);
	assert_int_equal(config.session_ttl, 60);
	assert_int_equal(config.login_max_failures, 3);
	assert_int_equal(config.login_window, 86400);
	assert_int_equal(config.register_max, 1000000);
	assert_int_equal(config.register_window, 1);
	assert_int_equal(config.pwhash_mem_mib, 64);
	assert_int_equal(config.pwhash_ops, 3);
	assert_int_equal(config.busy_timeout_ms, 0);
	assert_int_equal(config.retention_days, 3650);
}

static void
stops_at_the_first_word(void **state)
{
	char *argv[] = { "parley-admin", "--db", "a.db", "user", "add",
	    "--threads", "3", NULL };
	char *argv2[] = { "parleyd", "--threads", "2", "--", "--db", "b.db",
	    NULL };
	bool help;

	/* The command's own words (and options after them) stay in argv. */
	assert_int_equal(load(argv, &help), 3);
	assert_string_equal(argv[3], "user");
	assert_string_equal(config.db_path, "a.db");
	assert_int_equal(config.threads, 0);

	config = defaults;
	assert_int_equal(load(argv2, &help), 4);
	assert_int_equal(config.threads, 2);
	assert_string_equal(config.db_path, "parley.db");
}

static void
env_sets_values(void **state)
{
	char *argv[] = { "parleyd", NULL };
	bool help;

	setenv("PARLEY_DB", "/var/lib/parley/p.db", 1);
	setenv("PARLEY_LISTEN", "unix:/run/parley.sock", 1);
	setenv("PARLEY_SYNCHRONOUS", "NORMAL", 1);
	setenv("PARLEY_PAGE_SIZE", "10", 1);
	setenv("PARLEY_BUSY_TIMEOUT", "250", 1);
	setenv("PARLEY_RETENTION_DAYS", "30", 1);
	assert_int_equal(load(argv, &help), 1);
	assert_string_equal(config.db_path, "/var/lib/parley/p.db");
	assert_string_equal(config.listen, "unix:/run/parley.sock");
	assert_string_equal(config.synchronous, "NORMAL");
	assert_int_equal(config.page_size, 10);
	assert_int_equal(config.busy_timeout_ms, 250);
	assert_int_equal(config.retention_days, 30);
	/* Untouched settings keep their defaults. */
	assert_int_equal(config.max_body, LIMIT_BODY_BYTES);
	assert_string_equal(config.www_dir, "www");
}

static void
empty_env_is_ignored(void **state)
{
	char *argv[] = { "parleyd", NULL };
	bool help;

	setenv("PARLEY_THREADS", "", 1);
	setenv("PARLEY_DB", "", 1);
	setenv("PARLEY_SYNCHRONOUS", "", 1);
	assert_int_equal(load(argv, &help), 1);
	assert_int_equal(config.threads, 0);
	assert_string_equal(config.db_path, "parley.db");
	assert_string_equal(config.synchronous, "FULL");
}

static void
flag_wins_over_env(void **state)
{
	char *argv[] = { "parleyd", "--page-size", "20", "--db", "flag.db",
	    "--synchronous=FULL", NULL };
	bool help;

	setenv("PARLEY_PAGE_SIZE", "10", 1);
	setenv("PARLEY_DB", "env.db", 1);
	setenv("PARLEY_SYNCHRONOUS", "NORMAL", 1);
	setenv("PARLEY_THREADS", "16", 1);
	assert_int_equal(load(argv, &help), ARGC(argv));
	assert_int_equal(config.page_size, 20);
	assert_string_equal(config.db_path, "flag.db");
	assert_string_equal(config.synchronous, "FULL");
	assert_int_equal(config.threads, 16);
}

static void
last_flag_wins(void **state)
{
	char *argv[] = { "parleyd", "--threads", "2", "--threads", "5", NULL };
	bool help;

	assert_int_equal(load(argv, &help), ARGC(argv));
	assert_int_equal(config.threads, 5);
}

/* config_load(argv) must fail. */
#define REFUSED(...) do { \
	char *argv_[] = { "parleyd", __VA_ARGS__, NULL }; \
	bool h_; \
	config = defaults; \
	if (load(argv_, &h_) != -1) \
		fail_msg("accepted %s %s", argv_[1], \
		    argv_[2] ? argv_[2] : ""); \
} while (0)

#define ACCEPTED(...) do { \
	char *argv_[] = { "parleyd", __VA_ARGS__, NULL }; \
	bool h_; \
	config = defaults; \
	if (load(argv_, &h_) != ARGC(argv_)) \
		fail_msg("refused %s %s", argv_[1], \
		    argv_[2] ? argv_[2] : ""); \
} while (0)

static void
bad_numbers(void **state)
{
	REFUSED("--threads", "abc");
	REFUSED("--threads", "");
	REFUSED("--threads", "12x");
	REFUSED("--threads", "1.5");
	REFUSED("--threads", "0x10");
	REFUSED("--threads", "4 ");
	REFUSED("--threads=");
	REFUSED("--page-size", "99999999999999999999999");
	REFUSED("--busy-timeout", "-");
	/* A refused value leaves the setting as it was. */
	assert_int_equal(config.busy_timeout_ms, DEFAULT_BUSY_TIMEOUT_MS);
}

static void
ranges(void **state)
{
	ACCEPTED("--threads", "0");
	ACCEPTED("--threads", "4096");
	REFUSED("--threads", "4097");
	REFUSED("--threads", "-1");
	ACCEPTED("--max-body", "1024");
	REFUSED("--max-body", "1023");
	ACCEPTED("--max-body", "1073741824");
	REFUSED("--max-body", "1073741825");
	REFUSED("--max-text", "0");
	REFUSED("--page-size", "0");
	ACCEPTED("--page-size", "100000");
	REFUSED("--page-size", "100001");
	REFUSED("--poll-timeout-max", "3601");
	REFUSED("--session-ttl", "59");
	REFUSED("--login-max-failures", "0");
	REFUSED("--login-window", "86401");
	REFUSED("--register-window", "0");
	ACCEPTED("--pwhash-mem", "19");
	REFUSED("--pwhash-mem", "18");           /* OWASP's minimum */
	REFUSED("--pwhash-mem", "4097");
	ACCEPTED("--pwhash-ops", "2");
	REFUSED("--pwhash-ops", "1");
	REFUSED("--busy-timeout", "600001");
	REFUSED("--retention-days", "0");
	REFUSED("--retention-days", "3651");
}

static void
bad_env(void **state)
{
	char *argv[] = { "parleyd", NULL };
	char *argv_ok[] = { "parleyd", "--threads", "4", NULL };
	bool help;

	setenv("PARLEY_THREADS", "many", 1);
	assert_int_equal(load(argv, &help), -1);
	/* The variable is refused even though a flag would replace it. */
	config = defaults;
	assert_int_equal(load(argv_ok, &help), -1);
	unsetenv("PARLEY_THREADS");

	config = defaults;
	setenv("PARLEY_PAGE_SIZE", "0", 1);
	assert_int_equal(load(argv, &help), -1);
	unsetenv("PARLEY_PAGE_SIZE");

	config = defaults;
	setenv("PARLEY_PWHASH_MEM", "8", 1);
	assert_int_equal(load(argv, &help), -1);
	unsetenv("PARLEY_PWHASH_MEM");

	config = defaults;
	setenv("PARLEY_SYNCHRONOUS", "OFF", 1);
	assert_int_equal(load(argv, &help), -1);
	/* ...but a flag that fixes it is enough. */
	config = defaults;
	{
		char *argv_sync[] = { "parleyd", "--synchronous", "NORMAL",
		    NULL };
		assert_int_equal(load(argv_sync, &help), 3);
		assert_string_equal(config.synchronous, "NORMAL");
	}
}

static void
synchronous_values(void **state)
{
	ACCEPTED("--synchronous", "FULL");
	ACCEPTED("--synchronous", "NORMAL");
	REFUSED("--synchronous", "full");
	REFUSED("--synchronous", "normal");
	REFUSED("--synchronous", "OFF");
	REFUSED("--synchronous", "EXTRA");
	REFUSED("--synchronous", "");
	REFUSED("--synchronous", "FULL ");
	REFUSED("--synchronous", "FULLER");
}

static void
unknown_options(void **state)
{
	REFUSED("--nope");
	REFUSED("--nope", "x");
	REFUSED("-x");
	REFUSED("--db");                         /* value missing */
	REFUSED("--threads");
	REFUSED("--help=yes");
	REFUSED("--max-body", "2048", "--bogus");
}

static void
help_option(void **state)
{
	char *argv[] = { "parleyd", "--help", NULL };
	char *argv_h[] = { "parleyd", "-h", NULL };
	char *argv_late[] = { "parleyd", "--threads", "3", "--help", "--db",
	    "x.db", NULL };
	char *argv_none[] = { "parleyd", "--threads", "3", NULL };
	bool shown;

	assert_int_equal(load(argv, &shown), 0);
	assert_true(shown);
	shown = false;
	assert_int_equal(load(argv_h, &shown), 0);
	assert_true(shown);
	assert_int_equal(load(argv_late, &shown), 0);
	assert_true(shown);
	/* A later call without --help clears the flag (optind is reset). */
	assert_int_equal(load(argv_none, &shown), 3);
	assert_false(shown);
	assert_int_equal(config.threads, 3);
}

static void
usage_lists_every_setting(void **state)
{
	static const char *const expect[] = {
		"--db", "PARLEY_DB", "--listen", "PARLEY_LISTEN", "--www",
		"PARLEY_WWW", "--welcome", "PARLEY_WELCOME", "--synchronous",
		"PARLEY_SYNCHRONOUS", "--cors-origins", "PARLEY_CORS_ORIGINS",
		"--threads", "PARLEY_THREADS", "--max-body", "PARLEY_MAX_BODY",
		"--max-text", "PARLEY_MAX_TEXT", "--max-attachment",
		"PARLEY_MAX_ATTACHMENT", "--max-avatar", "PARLEY_MAX_AVATAR",
		"--page-size", "PARLEY_PAGE_SIZE", "--poll-timeout-max",
		"PARLEY_POLL_TIMEOUT_MAX", "--session-ttl",
		"PARLEY_SESSION_TTL", "--login-max-failures",
		"PARLEY_LOGIN_MAX_FAILURES", "--login-window",
		"PARLEY_LOGIN_WINDOW", "--register-max", "PARLEY_REGISTER_MAX",
		"--register-window", "PARLEY_REGISTER_WINDOW", "--pwhash-mem",
		"PARLEY_PWHASH_MEM", "--pwhash-ops", "PARLEY_PWHASH_OPS",
		"--busy-timeout", "PARLEY_BUSY_TIMEOUT", "--retention-days",
		"PARLEY_RETENTION_DAYS", "--help",
		"usage: parleyd [options]",
	};
	char text[8192];
	size_t n;
	FILE *f = tmpfile();

	assert_non_null(f);
	config_usage(f, "parleyd", "[options]");
	rewind(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
		if (strstr(text, expect[i]) == NULL)
			fail_msg("usage lacks %s", expect[i]);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(defaults_without_flags),
		T(flags_set_values),
		T(stops_at_the_first_word),
		T(env_sets_values),
		T(empty_env_is_ignored),
		T(flag_wins_over_env),
		T(last_flag_wins),
		T(bad_numbers),
		T(ranges),
		T(bad_env),
		T(synchronous_values),
		T(unknown_options),
		T(help_option),
		T(usage_lists_every_setting),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
