/*
 * test_commit.c: the group committer of db/commit.c. What it must keep:
 * every job it is handed runs once and its writer hears of it, whether
 * the writer waits in its thread (group_commit()) or is told later
 * (group_commit_queue()), alone or among many, and however the writer's
 * push falls against the committer going to sleep.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../db/internal.h"
#include "../tmpdir.h"

/* Jobs run so far: only the committer writes it. */
static long ran;

static void
count_job(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&ran, 1, __ATOMIC_RELEASE);
}

static long
ran_now(void)
{
	return __atomic_load_n(&ran, __ATOMIC_ACQUIRE);
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Busy for about ns nanoseconds: a pause that a sleep could not make as
 * short. */
static void
spin(int64_t ns)
{
	int64_t until = now_ns() + ns;

	while (now_ns() < until)
		;
}

/* A writer left waiting would hang the test: this thread ends the process
 * (a failure for tests/run.py) when no job has run for STUCK_S seconds
 * while a test is under way. */
#define STUCK_S 10
static volatile int finished;

static void *
watchdog(void *arg)
{
	long last = -1;
	int still = 0;

	(void)arg;
	while (!finished) {
		long now = ran_now();
		still = now == last ? still + 1 : 0;
		last = now;
		if (still >= STUCK_S * 10) {
			fprintf(stderr, "test_commit: a writer still waits after"
			    " %d s\n", STUCK_S);
			_exit(1);
		}
		usleep(100000);
	}
	return NULL;
}

static pthread_t
watch(void)
{
	pthread_t t;

	finished = 0;
	assert_int_equal(pthread_create(&t, NULL, watchdog, NULL), 0);
	return t;
}

static void
unwatch(pthread_t t)
{
	finished = 1;
	pthread_join(t, NULL);
}

/* One writer at a time, each push at another moment of the committer's
 * way to sleep (pauses of 0 to 40 us between them): the first send of a
 * new process waited for ever when its push fell just before the
 * committer's FUTEX_WAIT (a CGI request, a new parley.fcgi). */
static void
test_a_lone_writer_is_never_left_waiting(void **state)
{
	long before = ran_now(), i, n = 30000;
	pthread_t w = watch();

	(void)state;
	for (i = 0; i < n; i++) {
		assert_int_equal(group_commit(count_job, NULL), ERR_OK);
		spin(rand() % 40000);
	}
	unwatch(w);
	assert_int_equal(ran_now() - before, n);
}

/* group_commit_queue(): the notification comes once the job has run;
 * group_commit_end() then gives the batch's outcome. */

static void
note(void *arg)
{
	__atomic_add_fetch((uint32_t *)arg, 1, __ATOMIC_RELEASE);
}

static void
test_a_queued_job_is_told_once_it_ran(void **state)
{
	long before = ran_now();
	pthread_t w = watch();
	int i;

	(void)state;
	for (i = 0; i < 2000; i++) {
		struct commit_job *j = group_commit_job(count_job, NULL);
		uint32_t seen = 0;

		assert_non_null(j);
		group_commit_queue(j, note, &seen);
		while (__atomic_load_n(&seen, __ATOMIC_ACQUIRE) == 0)
			spin(1000);
		assert_int_equal(ran_now() - before, i + 1);
		assert_int_equal(group_commit_end(j), ERR_OK);
		assert_int_equal(seen, 1);
		spin(rand() % 20000);
	}
	unwatch(w);
}

/* A job ended without being queued runs there and then. */
static void
test_a_job_never_queued_runs_at_its_end(void **state)
{
	long before = ran_now();
	struct commit_job *j = group_commit_job(count_job, NULL);

	(void)state;
	assert_non_null(j);
	assert_int_equal(ran_now(), before);
	assert_int_equal(group_commit_end(j), ERR_OK);
	assert_int_equal(ran_now() - before, 1);
}

/* Writers that wait and writers that are told share batches: a batch's
 * waiters wake one another (job_wait()), and a queued job passes the
 * wake-ups it was given on in group_commit_end(); none is left out. */
#define MIXED_THREADS 8
#define MIXED_ROUNDS 500

static void *
mixed_writer(void *arg)
{
	int i;

	for (i = 0; i < MIXED_ROUNDS; i++) {
		if (((intptr_t)arg + i) % 2 == 0) {
			if (group_commit(count_job, NULL) != ERR_OK)
				return (void *)1;
		} else {
			struct commit_job *j = group_commit_job(count_job, NULL);
			uint32_t seen = 0;
			if (j == NULL)
				return (void *)1;
			group_commit_queue(j, note, &seen);
			while (__atomic_load_n(&seen, __ATOMIC_ACQUIRE) == 0)
				spin(2000);
			if (group_commit_end(j) != ERR_OK)
				return (void *)1;
		}
	}
	return NULL;
}

static void
test_waiting_and_told_writers_share_batches(void **state)
{
	pthread_t t[MIXED_THREADS], w = watch();
	long before = ran_now();
	void *failed;
	intptr_t i;

	(void)state;
	for (i = 0; i < MIXED_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, mixed_writer,
		    (void *)i), 0);
	for (i = 0; i < MIXED_THREADS; i++) {
		assert_int_equal(pthread_join(t[i], &failed), 0);
		assert_null(failed);
	}
	unwatch(w);
	assert_int_equal(ran_now() - before, MIXED_THREADS * MIXED_ROUNDS);
}

static int
setup(void **state)
{
	char path[96];

	(void)state;
	if (tmpdir_make("commit") != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/c.db", tmpdir);
	srand(1);
	return db_setup(path, false, 5000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_lone_writer_is_never_left_waiting),
		cmocka_unit_test(test_a_queued_job_is_told_once_it_ran),
		cmocka_unit_test(test_a_job_never_queued_runs_at_its_end),
		cmocka_unit_test(test_waiting_and_told_writers_share_batches),
	};

	return cmocka_run_group_tests(tests, setup, tmpdir_teardown);
}
