/*
 * bell.c: the bell of bell.h, a futex-word array in shared memory.
 *
 * The file PATH-bell (or anonymous shared memory for ":memory:") holds:
 *
 *   struct bell_map    magic, global counter, global waiter count
 *   seq[BELL_SLOTS]    one counter per slot: the futex words
 *   waiters[...]       how many threads (in any process) sleep on each
 *   journal            the slots rung lately, and the cache epoch
 *
 * Rules that make it correct:
 *   - A ringer bumps a slot, THEN reads its waiter count; a waiter bumps
 *     the waiter count, THEN lets the kernel compare the slot with its seq
 *     (FUTEX_WAIT). Both steps are sequentially consistent, so either the
 *     ringer sees the waiter (and wakes it) or the waiter sees the new
 *     value (and does not sleep): no lost wake-up, and no futex system
 *     call at all while nobody waits.
 *   - A ringer bumps every slot of its users BEFORE the global counter. A
 *     process-wide waker reads the global counter BEFORE it scans the
 *     slots (bell_changed()); a ring it did not see in the scan moves the
 *     global counter after that read, so its next bell_wait_global()
 *     returns at once.
 *   - The futex operations are the shared (not _PRIVATE) ones: the
 *     waiters are in other processes.
 *
 * The counters are transient: nothing needs them across a restart, and a
 * process that dies while waiting leaves its waiter count raised, which
 * only costs its slot a needless FUTEX_WAKE per ring. Deleting the file
 * while no process runs is always safe.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../api/clock.h"
#include "bell.h"

/* "PBL1" (layout version 1) and the slot count: a file of another layout
 * is refused rather than misread. */
#define BELL_MAGIC ((uint64_t)0x50424c31 << 32 | BELL_SLOTS)

/* A waiter with a stop flag looks at it at least this often. */
#define BELL_STOP_CHECK_MS 100

/* A turn not given back for this long is taken to be a dead process's,
 * and skipped. A live writer that holds its turn longer (a migration, a
 * huge prune) only lets the next ones queue on SQLite's lock as before. */
#define BELL_TURN_STALE_MS 500

/* bell_changed() compares this many slots at once with memcmp() before it
 * looks at them one by one: most of the array is unchanged. */
#define BELL_SCAN_BLOCK 512

/* The journal of recent rings: enough that a waker woken once per batch
 * of commits never falls behind it. */
#define BELL_JOURNAL 4096

struct bell_map {
	uint64_t magic;            /* BELL_MAGIC once initialised */
	uint32_t global;           /* bumped after every ring; futex word */
	uint32_t global_waiters;   /* threads in bell_wait_global() */
	uint32_t pad[12];          /* the slots start on their own line */
	uint32_t seq[BELL_SLOTS];  /* one counter per slot; futex words */
	uint32_t waiters[BELL_SLOTS]; /* threads sleeping on seq[i] */
	/* Appended to the first layout (a file made before it simply grows):
	 * the slots rung lately, so that a process-wide waker reads what
	 * changed instead of comparing every slot. Entry p of the ring is
	 * (p << 32 | slot), written after the slot was bumped. */
	uint32_t journal_pos;      /* entries ever written */
	/* Appended later still (a file made before holds 0 here): moved
	 * after every commit that changed what processes cache from the
	 * database (bell_caches_stale()). */
	uint32_t cache_epoch;
	/* And later still (0 in a file made before, a valid start): turns
	 * for SQLite's write lock (bell_turn_take()). */
	uint32_t turn_next;        /* the next turn to hand out */
	uint32_t turn_now;         /* the turn whose holder may write;
	                            * futex word */
	uint32_t turn_waiters;     /* threads sleeping on turn_now */
	uint32_t pad2[11];
	uint64_t journal[BELL_JOURNAL];
};

_Static_assert(sizeof(struct bell_map) == 64 + 8 * (size_t)BELL_SLOTS + 64 +
    8 * (size_t)BELL_JOURNAL, "bell layout");
_Static_assert((BELL_SLOTS & (BELL_SLOTS - 1)) == 0, "BELL_SLOTS");
_Static_assert(BELL_SLOTS % BELL_SCAN_BLOCK == 0, "BELL_SCAN_BLOCK");

/* Until bell_open(): a process-private bell, so that a program that never
 * opens one (a test, the admin command) still rings and waits in-process.
 * Untouched pages of it cost nothing. */
static struct bell_map fallback;

/* The bell in use, and what it maps: the file's path, or "" when it is
 * anonymous or the fallback. */
static struct bell_map *bell = &fallback;
static char bell_path[PATH_MAX];

static inline struct bell_map *
map(void)
{
	return __atomic_load_n(&bell, __ATOMIC_ACQUIRE);
}

static long
futex(uint32_t *word, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, word, op, val, ts, NULL, 0);
}

/* Sleeps while *word == val, at most ms milliseconds (-1: no limit). May
 * return early (a signal, a wake-up for another value). */
static void
futex_wait(uint32_t *word, uint32_t val, int64_t ms)
{
	struct timespec ts;

	if (ms >= 0) {
		ts.tv_sec = (time_t)(ms / 1000);
		ts.tv_nsec = (long)(ms % 1000) * 1000000;
	}
	(void)futex(word, FUTEX_WAIT, val, ms >= 0 ? &ts : NULL);
}

static void
futex_wake_all(uint32_t *word)
{
	(void)futex(word, FUTEX_WAKE, INT_MAX, NULL);
}

/* Checks (or, when it is all zeros, writes) the magic of m. Two processes
 * that initialise a new file at once agree through the compare-and-swap. */
static int
check_magic(struct bell_map *m, const char *what)
{
	uint64_t zero = 0;

	if (__atomic_compare_exchange_n(&m->magic, &zero, BELL_MAGIC, false,
	    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) || zero == BELL_MAGIC)
		return 0;
	fprintf(stderr, "bell: %s is not a bell of this version of parley"
	    " (magic %016llx); remove it while no parley process runs\n",
	    what, (unsigned long long)zero);
	return -1;
}

/* Maps the file path (created if needed). Returns NULL after printing
 * why. */
static struct bell_map *
map_file(const char *path)
{
	struct bell_map *m;
	struct stat st;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "bell: cannot open %s: %s\n", path,
		    strerror(errno));
		return NULL;
	}
	/* Grow, never shrink: a new file is all zeros. Two processes that
	 * both find it short both set the same size, which is harmless. */
	if (fstat(fd, &st) != 0 ||
	    ((size_t)st.st_size < sizeof(*m) &&
	    ftruncate(fd, (off_t)sizeof(*m)) != 0)) {
		fprintf(stderr, "bell: cannot size %s: %s\n", path,
		    strerror(errno));
		close(fd);
		return NULL;
	}
	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		fprintf(stderr, "bell: cannot map %s: %s\n", path,
		    strerror(errno));
		return NULL;
	}
	if (check_magic(m, path) != 0) {
		munmap(m, sizeof(*m));
		return NULL;
	}
	return m;
}

static struct bell_map *
map_anon(void)
{
	struct bell_map *m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED) {
		fprintf(stderr, "bell: cannot map memory: %s\n",
		    strerror(errno));
		return NULL;
	}
	m->magic = BELL_MAGIC;
	return m;
}

int
bell_open(const char *db_path)
{
	char path[PATH_MAX];
	struct bell_map *m, *old = map();
	bool anon = db_path == NULL || db_path[0] == '\0' ||
	    strcmp(db_path, ":memory:") == 0;

	if (anon) {
		path[0] = '\0';
	} else if ((size_t)snprintf(path, sizeof(path), "%s-bell", db_path) >=
	    sizeof(path)) {
		fprintf(stderr, "bell: path too long: %s\n", db_path);
		return -1;
	}
	/* Opened again for the same database: keep the mapping, which other
	 * threads may be using. */
	if (old != &fallback && strcmp(path, bell_path) == 0)
		return 0;
	m = anon ? map_anon() : map_file(path);
	if (m == NULL)
		return -1;
	snprintf(bell_path, sizeof(bell_path), "%s", path);
	__atomic_store_n(&bell, m, __ATOMIC_RELEASE);
	if (old != &fallback)
		munmap(old, sizeof(*old));
	return 0;
}

uint32_t
bell_seq(int64_t user)
{
	return __atomic_load_n(&map()->seq[bell_slot(user)], __ATOMIC_SEQ_CST);
}

uint32_t
bell_global(void)
{
	return __atomic_load_n(&map()->global, __ATOMIC_SEQ_CST);
}

/* Bumps slot s of m and wakes its sleepers, if it has any. */
static inline void
ring_slot(struct bell_map *m, uint32_t s)
{
	__atomic_add_fetch(&m->seq[s], 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&m->waiters[s], __ATOMIC_SEQ_CST) != 0)
		futex_wake_all(&m->seq[s]);
}

/* Bumps the global counter (after the slots) and wakes its sleepers. */
static inline void
ring_global(struct bell_map *m)
{
	__atomic_add_fetch(&m->global, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&m->global_waiters, __ATOMIC_SEQ_CST) != 0)
		futex_wake_all(&m->global);
}

void
bell_ring(const int64_t *users, size_t n)
{
	struct bell_map *m = map();
	size_t i;

	/* A user named twice is rung twice: harmless, and cheaper than
	 * looking for duplicates in a chat's member list. */
	for (i = 0; i < n; i++) {
		uint32_t s = bell_slot(users[i]), p;

		ring_slot(m, s);
		p = __atomic_fetch_add(&m->journal_pos, 1, __ATOMIC_SEQ_CST);
		__atomic_store_n(&m->journal[p % BELL_JOURNAL],
		    (uint64_t)p << 32 | s, __ATOMIC_RELEASE);
	}
	ring_global(m);
}

void
bell_ring_all(void)
{
	struct bell_map *m = map();
	uint32_t s;

	for (s = 0; s < BELL_SLOTS; s++)
		ring_slot(m, s);
	/* Past the journal's length: its readers scan everything. */
	__atomic_fetch_add(&m->journal_pos, BELL_JOURNAL + 1, __ATOMIC_SEQ_CST);
	bell_caches_stale();
	ring_global(m);
}

uint32_t
bell_cache_epoch(void)
{
	return __atomic_load_n(&map()->cache_epoch, __ATOMIC_SEQ_CST);
}

void
bell_caches_stale(void)
{
	__atomic_add_fetch(&map()->cache_epoch, 1, __ATOMIC_SEQ_CST);
}

/*
 * Turns: first come, first served for SQLite's write lock, across every
 * process on the database. SQLite's own lock is tried, and a loser sleeps
 * and tries again (conn.c's busy handler); a process whose committer has
 * its next batch ready takes the lock back the moment it lets it go,
 * before a sleeping process wakes, and two such processes could pass it
 * between them while a third waited (docs/BENCHMARKS.md). A writer takes
 * a turn before BEGIN IMMEDIATE and gives it back after its COMMIT or
 * ROLLBACK; the next turn's holder is woken at once. The same rules as the
 * slots make the wake-up safe (see the top of this file). Without another
 * process writing, a turn costs two atomic operations and no system call.
 */
uint32_t
bell_turn_take(void)
{
	struct bell_map *m = map();
	uint32_t mine = __atomic_fetch_add(&m->turn_next, 1,
	    __ATOMIC_SEQ_CST);
	uint32_t seen = 0;
	int64_t since = -1;     /* when turn_now last moved; -1: not yet read */

	for (;;) {
		uint32_t now = __atomic_load_n(&m->turn_now, __ATOMIC_SEQ_CST);
		int64_t t, waited;

		if ((int32_t)(mine - now) <= 0)
			return mine;
		t = mono_us() / 1000;
		if (since < 0 || now != seen) {
			seen = now;
			since = t;
		}
		waited = t - since;
		if (waited >= BELL_TURN_STALE_MS) {
			/* Its holder died: skip it (unless it just moved). */
			(void)__atomic_compare_exchange_n(&m->turn_now, &now,
			    now + 1, false, __ATOMIC_SEQ_CST,
			    __ATOMIC_SEQ_CST);
			futex_wake_all(&m->turn_now);
			continue;
		}
		__atomic_add_fetch(&m->turn_waiters, 1, __ATOMIC_SEQ_CST);
		futex_wait(&m->turn_now, now, BELL_TURN_STALE_MS - waited);
		__atomic_sub_fetch(&m->turn_waiters, 1, __ATOMIC_SEQ_CST);
	}
}

void
bell_turn_done(uint32_t turn)
{
	struct bell_map *m = map();
	uint32_t expect = turn;

	/* Fails only when turn was skipped as stale: then it is not ours to
	 * move any more. */
	(void)__atomic_compare_exchange_n(&m->turn_now, &expect, turn + 1,
	    false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&m->turn_waiters, __ATOMIC_SEQ_CST) != 0)
		futex_wake_all(&m->turn_now);
}

bool
bell_wait(int64_t user, uint32_t seq, int64_t deadline_ms,
    volatile const int *stop)
{
	struct bell_map *m = map();
	uint32_t s = bell_slot(user);
	uint32_t *word = &m->seq[s];
	bool moved;

	if (__atomic_load_n(word, __ATOMIC_SEQ_CST) != seq)
		return true;
	__atomic_add_fetch(&m->waiters[s], 1, __ATOMIC_SEQ_CST);
	for (;;) {
		int64_t left;

		if (__atomic_load_n(word, __ATOMIC_SEQ_CST) != seq)
			break;
		if (stop != NULL && *stop)
			break;
		left = deadline_ms - now_ms();
		if (left <= 0)
			break;
		if (stop != NULL && left > BELL_STOP_CHECK_MS)
			left = BELL_STOP_CHECK_MS;
		futex_wait(word, seq, left);
	}
	__atomic_sub_fetch(&m->waiters[s], 1, __ATOMIC_SEQ_CST);
	moved = __atomic_load_n(word, __ATOMIC_SEQ_CST) != seq;
	return moved;
}

void
bell_wait_global(uint32_t seen, int timeout_ms)
{
	struct bell_map *m = map();
	int64_t end = timeout_ms >= 0 ? mono_us() + (int64_t)timeout_ms * 1000
	    : 0;

	__atomic_add_fetch(&m->global_waiters, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&m->global, __ATOMIC_SEQ_CST) == seen) {
		int64_t left_ms = -1;

		if (timeout_ms >= 0) {
			int64_t left_us = end - mono_us();
			if (left_us <= 0)
				break;
			left_ms = (left_us + 999) / 1000;
		}
		futex_wait(&m->global, seen, left_ms);
	}
	__atomic_sub_fetch(&m->global_waiters, 1, __ATOMIC_SEQ_CST);
}

void
bell_changed(uint32_t *snap, void (*fn)(uint32_t slot, void *arg),
    void *arg)
{
	struct bell_map *m = map();
	uint32_t b, s;

	/* The caller read bell_global() before this: acquire it again so
	 * that the slots read below are at least as new as that. */
	(void)__atomic_load_n(&m->global, __ATOMIC_ACQUIRE);
	for (b = 0; b < BELL_SLOTS; b += BELL_SCAN_BLOCK) {
		/* memcmp() reads slots that other processes may be bumping;
		 * a block it finds equal while a ring lands in it is seen on
		 * the next scan, since that ring moves the global counter
		 * afterwards. */
		if (memcmp(&m->seq[b], &snap[b],
		    BELL_SCAN_BLOCK * sizeof(*snap)) == 0)
			continue;
		for (s = b; s < b + BELL_SCAN_BLOCK; s++) {
			uint32_t v = __atomic_load_n(&m->seq[s],
			    __ATOMIC_ACQUIRE);
			if (v == snap[s])
				continue;
			snap[s] = v;
			if (fn != NULL)
				fn(s, arg);
		}
	}
}

uint32_t
bell_journal_pos(void)
{
	return __atomic_load_n(&map()->journal_pos, __ATOMIC_ACQUIRE);
}

void
bell_changed_since(uint32_t *snap, uint32_t *pos,
    void (*fn)(uint32_t slot, void *arg), void *arg)
{
	struct bell_map *m = map();
	uint32_t end = __atomic_load_n(&m->journal_pos, __ATOMIC_ACQUIRE), p;

	if (end - *pos > BELL_JOURNAL)
		goto scan;
	for (p = *pos; p != end; p++) {
		uint64_t e = __atomic_load_n(&m->journal[p % BELL_JOURNAL],
		    __ATOMIC_ACQUIRE);
		uint32_t s = (uint32_t)e, v;

		/* Overwritten, or claimed but not written yet: scan. */
		if ((uint32_t)(e >> 32) != p || s >= BELL_SLOTS)
			goto scan;
		v = __atomic_load_n(&m->seq[s], __ATOMIC_ACQUIRE);
		if (v == snap[s])
			continue;
		snap[s] = v;
		if (fn != NULL)
			fn(s, arg);
	}
	*pos = end;
	return;
scan:
	*pos = end;
	bell_changed(snap, fn, arg);
}
