/*
 * test_bell.c: the bell of db/bell.h: ring and sequence numbers, waking a
 * waiter in another process (and how fast), no wake-up for another slot,
 * deadlines, the stop flag, bell_changed(), and two mappings of one file.
 *
 * Each test opens its own bell file in a temporary directory; the bell is
 * a process-wide singleton, so the tests run one after the other.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../api/clock.h"
#include "../../db/bell.h"
#include "../tmpdir.h"

/* Rounds of the cross-process wake-up measurement, and its bound. */
#define LATENCY_ROUNDS 200
#define LATENCY_P99_MAX_US 20000
/* How far a deadline may be missed. */
#define DEADLINE_SLACK_MS 50

/* tmpdir/name + ".db": a database path whose bell is tmpdir/name.db-bell. */
static const char *
db_path(const char *name)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "%s/%s.db", tmpdir, name);
	return buf;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* A user (after u) whose slot differs from u's, or is the same. */
static int64_t
user_in_other_slot(int64_t u)
{
	int64_t v = u + 1;

	while (bell_slot(v) == bell_slot(u))
		v++;
	return v;
}

static int64_t
user_in_same_slot(int64_t u)
{
	int64_t v = u + 1;

	while (bell_slot(v) != bell_slot(u))
		v++;
	return v;
}

/* --- a waiting thread --- */

struct waiter {
	pthread_t thread;
	int64_t user;
	uint32_t seq;
	int64_t deadline_ms;
	volatile int *stop;
	bool moved;           /* what bell_wait() returned */
	int64_t returned_us;  /* mono_us() when it returned */
};

static void *
wait_thread(void *arg)
{
	struct waiter *w = arg;

	w->moved = bell_wait(w->user, w->seq, w->deadline_ms, w->stop);
	w->returned_us = mono_us();
	return NULL;
}

/* Starts a thread that waits on user's current counter for timeout_ms. */
static void
wait_start(struct waiter *w, int64_t user, int64_t timeout_ms,
    volatile int *stop)
{
	memset(w, 0, sizeof(*w));
	w->user = user;
	w->seq = bell_seq(user);
	w->deadline_ms = now_ms() + timeout_ms;
	w->stop = stop;
	assert_int_equal(pthread_create(&w->thread, NULL, wait_thread, w), 0);
}

static void
wait_join(struct waiter *w)
{
	assert_int_equal(pthread_join(w->thread, NULL), 0);
}

/* --- the tests --- */

static void
test_ring_and_seq(void **state)
{
	int64_t u = 42, other, same, twice[2];
	uint32_t s0, o0, g0;
	struct stat st;
	char file[160];

	(void)state;
	assert_int_equal(bell_open(db_path("seq")), 0);
	snprintf(file, sizeof(file), "%s-bell", db_path("seq"));
	assert_int_equal(stat(file, &st), 0);
	assert_true(st.st_size >= (off_t)(8 * (size_t)BELL_SLOTS));
	assert_int_equal(st.st_mode & 0777, 0600);

	other = user_in_other_slot(u);
	same = user_in_same_slot(u);
	s0 = bell_seq(u);
	o0 = bell_seq(other);
	g0 = bell_global();
	assert_int_equal(bell_seq(same), s0);

	bell_ring(&u, 1);
	assert_int_equal(bell_seq(u), s0 + 1);
	assert_int_equal(bell_seq(same), s0 + 1);  /* one slot, one counter */
	assert_int_equal(bell_seq(other), o0);
	assert_int_equal(bell_global(), g0 + 1);   /* once per ring */

	twice[0] = twice[1] = u;
	bell_ring(twice, 2);
	assert_int_equal(bell_seq(u), s0 + 3);
	assert_int_equal(bell_global(), g0 + 2);

	bell_ring(NULL, 0);                        /* only the global */
	assert_int_equal(bell_seq(u), s0 + 3);
	assert_int_equal(bell_global(), g0 + 3);

	/* A counter that already moved: no sleep at all. */
	assert_true(bell_wait(u, s0, now_ms() + 5000, NULL));

	/* Opening the same database again keeps the mapping and counters. */
	assert_int_equal(bell_open(db_path("seq")), 0);
	assert_int_equal(bell_seq(u), s0 + 3);
}

/* The cache epoch moves when caches go stale and when everything is
 * rung, not on an ordinary ring; another process sees it move. */
static void
test_cache_epoch(void **state)
{
	int64_t u = 7;
	uint32_t e0;
	pid_t pid;
	int status;

	(void)state;
	assert_int_equal(bell_open(db_path("epoch")), 0);
	e0 = bell_cache_epoch();
	bell_ring(&u, 1);
	assert_int_equal(bell_cache_epoch(), e0);
	bell_caches_stale();
	assert_int_equal(bell_cache_epoch(), e0 + 1);
	bell_ring_all();
	assert_int_equal(bell_cache_epoch(), e0 + 2);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (bell_open(db_path("elsewhere")) != 0 ||
		    bell_open(db_path("epoch")) != 0 ||
		    bell_cache_epoch() != e0 + 2)
			_exit(1);
		bell_caches_stale();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(bell_cache_epoch(), e0 + 3);
}

/* Write turns go first come, first served across processes: three
 * children ask in turn while the parent holds one, and are served in
 * that order, each after the one before gave its turn back. */
static void
test_turns_in_order(void **state)
{
	int order[2], i, status;
	pid_t pids[3];
	uint32_t t;
	char got[4] = "";

	(void)state;
	assert_int_equal(bell_open(db_path("turns")), 0);
	t = bell_turn_take(); /* uncontended: at once */
	bell_turn_done(t);
	assert_int_equal(bell_turn_take(), t + 1);
	assert_int_equal(pipe(order), 0);
	for (i = 0; i < 3; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			char c = (char)('1' + i);
			uint32_t mine;

			if (bell_open(db_path("turns")) != 0)
				_exit(1);
			mine = bell_turn_take();
			if (write(order[1], &c, 1) != 1)
				_exit(1);
			sleep_ms(20); /* "writing" */
			bell_turn_done(mine);
			_exit(0);
		}
		sleep_ms(100); /* child i asked before child i + 1 */
	}
	/* Nobody went while the parent held its turn. */
	{
		struct pollfd pfd = { .fd = order[0], .events = POLLIN };
		assert_int_equal(poll(&pfd, 1, 0), 0);
	}
	bell_turn_done(t + 1);
	close(order[1]);
	for (i = 0; i < 3; i++)
		assert_int_equal(read(order[0], &got[i], 1), 1);
	assert_string_equal(got, "123");
	for (i = 0; i < 3; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	close(order[0]);
}

/* A process that dies holding its turn holds up the next writer for half
 * a second, not for ever. */
static void
test_a_dead_process_turn_is_skipped(void **state)
{
	int64_t t0, waited_ms;
	pid_t pid;
	int status;

	(void)state;
	assert_int_equal(bell_open(db_path("deadturn")), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (bell_open(db_path("deadturn")) != 0)
			_exit(1);
		(void)bell_turn_take();
		_exit(0); /* never gives it back */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	t0 = mono_us();
	bell_turn_done(bell_turn_take());
	waited_ms = (mono_us() - t0) / 1000;
	assert_true(waited_ms >= 400);
	assert_true(waited_ms < 3000);
	t0 = mono_us(); /* and the turns after it go at once */
	bell_turn_done(bell_turn_take());
	assert_true(mono_us() - t0 < 100000);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* A child process waits, the parent rings: the time from the ring to the
 * child's return from bell_wait(), on the system-wide monotonic clock. */
static void
test_wake_other_process(void **state)
{
	int64_t u = 7, lat[LATENCY_ROUNDS];
	int ready[2], done[2], status, i;
	pid_t pid;

	(void)state;
	assert_int_equal(bell_open(db_path("latency")), 0);
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(done), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fail = 0;
		for (i = 0; i < LATENCY_ROUNDS; i++) {
			uint32_t seq = bell_seq(u);
			int64_t t;
			bool moved;
			if (write(ready[1], &seq, sizeof(seq)) != sizeof(seq))
				_exit(2);
			moved = bell_wait(u, seq, now_ms() + 2000, NULL);
			t = mono_us();
			fail |= !moved;
			if (write(done[1], &t, sizeof(t)) != sizeof(t))
				_exit(2);
		}
		_exit(fail);
	}
	for (i = 0; i < LATENCY_ROUNDS; i++) {
		uint32_t seq;
		int64_t t0, t1;
		assert_int_equal(read(ready[0], &seq, sizeof(seq)), sizeof(seq));
		sleep_ms(2); /* let the child fall asleep in the kernel */
		t0 = mono_us();
		bell_ring(&u, 1);
		assert_int_equal(read(done[0], &t1, sizeof(t1)), sizeof(t1));
		lat[i] = t1 - t0;
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(ready[0]);
	close(ready[1]);
	close(done[0]);
	close(done[1]);

	qsort(lat, LATENCY_ROUNDS, sizeof(lat[0]), cmp_i64);
	printf("bell: wake-up in another process over %d rounds: p50 %lld us,"
	    " p99 %lld us, max %lld us\n", LATENCY_ROUNDS,
	    (long long)lat[LATENCY_ROUNDS / 2],
	    (long long)lat[LATENCY_ROUNDS * 99 / 100],
	    (long long)lat[LATENCY_ROUNDS - 1]);
	assert_true(lat[LATENCY_ROUNDS * 99 / 100] < LATENCY_P99_MAX_US);
}

static void
test_other_slot_does_not_wake(void **state)
{
	int64_t a = 1000, b = user_in_other_slot(1000), c;
	struct waiter w;
	int64_t t0;
	int i;

	(void)state;
	assert_int_equal(bell_open(db_path("slots")), 0);

	t0 = mono_us();
	wait_start(&w, a, 300, NULL);
	sleep_ms(50);
	for (i = 0; i < 5; i++)
		bell_ring(&b, 1);
	wait_join(&w);
	assert_false(w.moved);
	assert_true(w.returned_us - t0 >= (300 - DEADLINE_SLACK_MS) * 1000);

	/* A user sharing a's slot does wake a's waiter (and a's handler
	 * then finds nothing: one spurious query). */
	c = user_in_same_slot(a);
	t0 = mono_us();
	wait_start(&w, a, 5000, NULL);
	sleep_ms(50);
	bell_ring(&c, 1);
	wait_join(&w);
	assert_true(w.moved);
	assert_true(w.returned_us - t0 < 1000 * 1000);
}

static void
test_many_waiters_one_ring(void **state)
{
	struct waiter w[4];
	int64_t u = 31337, t0;
	int i;

	(void)state;
	assert_int_equal(bell_open(db_path("many")), 0);
	for (i = 0; i < 4; i++)
		wait_start(&w[i], u, 5000, NULL);
	sleep_ms(50);
	t0 = mono_us();
	bell_ring(&u, 1);
	for (i = 0; i < 4; i++) {
		wait_join(&w[i]);
		assert_true(w[i].moved);
		assert_true(w[i].returned_us - t0 < 500 * 1000);
	}
}

static void
test_deadline(void **state)
{
	static const int timeouts[] = { -10, 0, 100, 250 };
	int64_t u = 555;
	size_t i;

	(void)state;
	assert_int_equal(bell_open(db_path("deadline")), 0);
	for (i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++) {
		int64_t t0 = mono_us(), took;
		bool moved = bell_wait(u, bell_seq(u), now_ms() + timeouts[i],
		    NULL);
		int want = timeouts[i] > 0 ? timeouts[i] : 0;
		took = (mono_us() - t0) / 1000;
		assert_false(moved);
		assert_true(took >= want - DEADLINE_SLACK_MS);
		assert_true(took <= want + DEADLINE_SLACK_MS);
	}
	/* A stop flag (which shortens each sleep) keeps the deadline too. */
	{
		volatile int stop = 0;
		int64_t t0 = mono_us(), took;
		assert_false(bell_wait(u, bell_seq(u), now_ms() + 350, &stop));
		took = (mono_us() - t0) / 1000;
		assert_true(took >= 350 - DEADLINE_SLACK_MS);
		assert_true(took <= 350 + DEADLINE_SLACK_MS);
	}
}

static void
test_stop_flag(void **state)
{
	volatile int stop = 0;
	struct waiter w;
	int64_t u = 99, t_set;
	uint32_t g0;

	(void)state;
	assert_int_equal(bell_open(db_path("stop")), 0);

	/* Noticed within the 100 ms check, without a ring. */
	wait_start(&w, u, 10000, &stop);
	sleep_ms(50);
	t_set = mono_us();
	stop = 1;
	wait_join(&w);
	assert_false(w.moved);
	assert_true(w.returned_us - t_set < 150 * 1000);

	/* Set before the wait: no sleep. */
	t_set = mono_us();
	assert_false(bell_wait(u, bell_seq(u), now_ms() + 10000, &stop));
	assert_true(mono_us() - t_set < 20 * 1000);

	/* Shutdown: the flag, then bell_ring_all(), which wakes at once and
	 * moves every slot and the global counter by one. */
	stop = 0;
	g0 = bell_global();
	wait_start(&w, u, 10000, &stop);
	sleep_ms(50);
	t_set = mono_us();
	stop = 1;
	bell_ring_all();
	wait_join(&w);
	assert_true(w.moved);
	assert_true(w.returned_us - t_set < 20 * 1000);
	assert_int_equal(bell_seq(u), w.seq + 1);
	assert_int_equal(bell_seq(user_in_other_slot(u)), 1);
	assert_int_equal(bell_global(), g0 + 1);
}

struct changed {
	uint32_t slots[BELL_SLOTS];   /* reported, in order */
	uint32_t values[BELL_SLOTS];  /* snap[slot] when it was reported */
	size_t n;
	const uint32_t *snap;
};

static void
collect(uint32_t slot, void *arg)
{
	struct changed *ch = arg;

	ch->values[ch->n] = ch->snap[slot];
	ch->slots[ch->n++] = slot;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static void
test_changed(void **state)
{
	int64_t users[] = { 5, 77, 123456, 5, 9000000001LL };
	uint32_t want[4];
	uint32_t *snap = calloc(BELL_SLOTS, sizeof(*snap));
	struct changed *ch = calloc(1, sizeof(*ch));
	size_t i;

	(void)state;
	assert_non_null(snap);
	assert_non_null(ch);
	assert_int_equal(bell_open(db_path("changed")), 0);
	bell_ring_all(); /* so that the first snapshot is not all zeros */
	bell_changed(snap, NULL, NULL);
	ch->snap = snap;

	bell_changed(snap, collect, ch);
	assert_int_equal(ch->n, 0);

	bell_ring(users, sizeof(users) / sizeof(users[0]));
	bell_changed(snap, collect, ch);
	want[0] = bell_slot(5);
	want[1] = bell_slot(77);
	want[2] = bell_slot(123456);
	want[3] = bell_slot(9000000001LL);
	qsort(want, 4, sizeof(want[0]), cmp_u32);
	assert_int_equal(ch->n, 4);
	for (i = 0; i < ch->n; i++) {
		size_t k;
		/* snap already held the slot's new value when fn ran */
		for (k = 0; k < sizeof(users) / sizeof(users[0]); k++)
			if (bell_slot(users[k]) == ch->slots[i])
				assert_int_equal(ch->values[i],
				    bell_seq(users[k]));
		assert_int_equal(snap[ch->slots[i]], ch->values[i]);
	}
	qsort(ch->slots, ch->n, sizeof(ch->slots[0]), cmp_u32);
	for (i = 0; i < 4; i++)
		assert_int_equal(ch->slots[i], want[i]);

	/* Nothing rang since: nothing reported. */
	ch->n = 0;
	bell_changed(snap, collect, ch);
	assert_int_equal(ch->n, 0);

	/* What a waker pays per wake-up when few slots changed. */
	{
		int64_t t0 = mono_us(), u = 5;
		int k;
		for (k = 0; k < 1000; k++) {
			bell_ring(&u, 1);
			bell_changed(snap, NULL, NULL);
		}
		printf("bell: ring + bell_changed() of one slot: %.1f us\n",
		    (double)(mono_us() - t0) / 1000);
	}

	/* Every slot after bell_ring_all(). */
	bell_ring_all();
	bell_changed(snap, collect, ch);
	assert_int_equal(ch->n, BELL_SLOTS);
	free(snap);
	free(ch);
}

/* bell_changed_since() reads the journal: exactly the rung slots, and after
 * the journal was lapped (more rings than it holds, or bell_ring_all())
 * still every changed slot, by a scan. */
static void
test_changed_since(void **state)
{
	int64_t users[] = { 11, 4242, 11, 700000000007LL };
	uint32_t *snap = calloc(BELL_SLOTS, sizeof(*snap)), pos, want[3];
	struct changed *ch = calloc(1, sizeof(*ch));
	int64_t u;
	size_t i;

	(void)state;
	assert_non_null(snap);
	assert_non_null(ch);
	assert_int_equal(bell_open(db_path("since")), 0);
	bell_ring_all();
	pos = bell_journal_pos();
	bell_changed(snap, NULL, NULL);
	ch->snap = snap;

	bell_changed_since(snap, &pos, collect, ch);
	assert_int_equal(ch->n, 0);
	bell_ring(users, sizeof(users) / sizeof(users[0]));
	bell_changed_since(snap, &pos, collect, ch);
	want[0] = bell_slot(11);
	want[1] = bell_slot(4242);
	want[2] = bell_slot(700000000007LL);
	qsort(want, 3, sizeof(want[0]), cmp_u32);
	qsort(ch->slots, ch->n, sizeof(ch->slots[0]), cmp_u32);
	assert_int_equal(ch->n, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(ch->slots[i], want[i]);
		assert_int_equal(snap[want[i]], bell_seq(want[i] == bell_slot(11)
		    ? 11 : want[i] == bell_slot(4242) ? 4242 : 700000000007LL));
	}
	assert_int_equal(pos, bell_journal_pos());

	/* Lapped: 5000 rings of many users, then one reader call. */
	ch->n = 0;
	for (u = 1; u <= 5000; u++)
		bell_ring(&u, 1);
	bell_changed_since(snap, &pos, collect, ch);
	for (u = 1; u <= 5000; u++)
		assert_int_equal(snap[bell_slot(u)], bell_seq(u));
	assert_true(ch->n > 0);

	/* What a waker pays per wake-up when one slot changed. */
	{
		int64_t t0 = mono_us();
		int k;
		u = 5;
		for (k = 0; k < 1000; k++) {
			bell_ring(&u, 1);
			bell_changed_since(snap, &pos, NULL, NULL);
		}
		printf("bell: ring + bell_changed_since() of one slot: %.2f us\n",
		    (double)(mono_us() - t0) / 1000);
	}
	bell_ring_all();
	ch->n = 0;
	bell_changed_since(snap, &pos, collect, ch);
	assert_int_equal(ch->n, BELL_SLOTS);
	free(snap);
	free(ch);
}

struct gwait {
	pthread_t thread;
	uint32_t seen;
	int timeout_ms;
	int64_t returned_us;
};

static void *
gwait_thread(void *arg)
{
	struct gwait *g = arg;

	bell_wait_global(g->seen, g->timeout_ms);
	g->returned_us = mono_us();
	return NULL;
}

static void
test_wait_global(void **state)
{
	struct gwait g = { 0 };
	int64_t u = 4242, t0;

	(void)state;
	assert_int_equal(bell_open(db_path("global")), 0);

	/* Times out. */
	t0 = mono_us();
	bell_wait_global(bell_global(), 100);
	assert_true(mono_us() - t0 >= 95 * 1000);
	assert_true(mono_us() - t0 <= (100 + DEADLINE_SLACK_MS) * 1000);

	/* Already moved: returns at once. */
	t0 = mono_us();
	bell_wait_global(bell_global() - 1, 5000);
	assert_true(mono_us() - t0 < 20 * 1000);

	/* Woken by any ring. */
	g.seen = bell_global();
	g.timeout_ms = -1;
	assert_int_equal(pthread_create(&g.thread, NULL, gwait_thread, &g), 0);
	sleep_ms(50);
	t0 = mono_us();
	bell_ring(&u, 1);
	assert_int_equal(pthread_join(g.thread, NULL), 0);
	assert_true(g.returned_us - t0 < 100 * 1000);
}

/* Two mappings of one file, in this process one after the other and in
 * two processes at once, see the same counters; another file does not. */
static void
test_two_mappings(void **state)
{
	int64_t u = 2024;
	uint32_t s;
	pid_t pid;
	int status;
	char bad[160];
	FILE *f;

	(void)state;
	assert_int_equal(bell_open(db_path("shared")), 0);
	s = bell_seq(u);
	bell_ring(&u, 1);

	assert_int_equal(bell_open(db_path("elsewhere")), 0);
	assert_int_equal(bell_seq(u), 0);
	assert_int_equal(bell_open(db_path("shared")), 0); /* a new mapping */
	assert_int_equal(bell_seq(u), s + 1);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Drop the mapping inherited from the parent, map anew. */
		if (bell_open(db_path("elsewhere")) != 0 ||
		    bell_open(db_path("shared")) != 0 ||
		    bell_seq(u) != s + 1)
			_exit(1);
		bell_ring(&u, 1);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(bell_seq(u), s + 2);

	/* Anonymous memory (":memory:") is shared with forked children. */
	assert_int_equal(bell_open(":memory:"), 0);
	s = bell_seq(u);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		bell_ring(&u, 1);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(bell_seq(u), s + 1);

	/* A file of another layout is refused; the bell in use stays. */
	snprintf(bad, sizeof(bad), "%s-bell", db_path("bad"));
	f = fopen(bad, "w");
	assert_non_null(f);
	fputs("not a bell, definitely not a bell", f);
	fclose(f);
	assert_int_equal(bell_open(db_path("bad")), -1);
	assert_int_equal(bell_seq(u), s + 1);
}

struct ringer {
	pthread_t thread;
	int64_t user;
	int times;
};

static void *
ring_thread(void *arg)
{
	struct ringer *r = arg;
	int i;

	for (i = 0; i < r->times; i++)
		bell_ring(&r->user, 1);
	return NULL;
}

static void
test_concurrent_rings(void **state)
{
	struct ringer r[4];
	int64_t u = 77777;
	uint32_t s, g;
	int i;

	(void)state;
	assert_int_equal(bell_open(db_path("concurrent")), 0);
	s = bell_seq(u);
	g = bell_global();
	for (i = 0; i < 4; i++) {
		r[i].user = u;
		r[i].times = 20000;
		assert_int_equal(pthread_create(&r[i].thread, NULL, ring_thread,
		    &r[i]), 0);
	}
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_join(r[i].thread, NULL), 0);
	assert_int_equal(bell_seq(u), s + 80000);
	assert_int_equal(bell_global(), g + 80000);
}

static int
setup(void **state)
{
	(void)state;
	return tmpdir_make("bell");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_and_seq),
		cmocka_unit_test(test_cache_epoch),
		cmocka_unit_test(test_turns_in_order),
		cmocka_unit_test(test_a_dead_process_turn_is_skipped),
		cmocka_unit_test(test_changed_since),
		cmocka_unit_test(test_wake_other_process),
		cmocka_unit_test(test_other_slot_does_not_wake),
		cmocka_unit_test(test_many_waiters_one_ring),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_stop_flag),
		cmocka_unit_test(test_changed),
		cmocka_unit_test(test_wait_global),
		cmocka_unit_test(test_two_mappings),
		cmocka_unit_test(test_concurrent_rings),
	};

	return cmocka_run_group_tests(tests, setup, tmpdir_teardown);
}
