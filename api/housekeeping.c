/*
 * housekeeping.c: the work no request asks for. Once a second: users whose
 * online time ran out go offline (presence events). Once a minute: events
 * past retention, typing notices past a few seconds, expired sessions and
 * old rate-limit windows are removed.
 *
 * Every server process runs it; the work is idempotent (each step is one
 * transaction that re-reads its rows), so two processes doing it at once
 * only repeat a cheap check.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "../db/db.h"
#include "api.h"
#include "clock.h"
#include "config.h"

#define SWEEP_EVERY_MS   1000
#define PRUNE_EVERY_MS   60000
#define TYPING_KEEP_MS   10000

static pthread_t thread;
static bool running;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;

void
api_housekeeping_once(bool prune)
{
	int64_t now = now_ms();

	(void)db_presence_sweep(now);
	(void)db_search_index();
	if (prune)
		(void)db_prune(now - (int64_t)config.retention_days * 86400000,
		    now - TYPING_KEEP_MS, now);
}

static void *
housekeeping(void *arg)
{
	int64_t next_prune = 0;
	struct timespec until;

	(void)arg;
	pthread_mutex_lock(&lock);
	while (running) {
		pthread_mutex_unlock(&lock);
		api_housekeeping_once(now_ms() >= next_prune);
		if (now_ms() >= next_prune)
			next_prune = now_ms() + PRUNE_EVERY_MS;
		pthread_mutex_lock(&lock);
		until = realtime_in(SWEEP_EVERY_MS);
		if (running)
			pthread_cond_timedwait(&wake, &lock, &until);
	}
	pthread_mutex_unlock(&lock);
	api_shutdown();
	return NULL;
}

int
api_housekeeping_start(void)
{
	running = true;
	if (pthread_create(&thread, NULL, housekeeping, NULL) != 0) {
		fprintf(stderr, "parley: cannot start housekeeping\n");
		running = false;
		return -1;
	}
	pthread_setname_np(thread, "housekeeping");
	return 0;
}

void
api_housekeeping_stop(void)
{
	if (!running)
		return;
	pthread_mutex_lock(&lock);
	running = false;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);
	pthread_join(thread, NULL);
}
