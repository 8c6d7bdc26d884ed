/*
 * peruser.c: per-user limits in this process (see peruser.h).
 *
 * One array of slots, found by a hash of the user id and up to
 * PROBE slots after it, under one mutex (each operation is a few
 * instructions). A slot whose user holds no poll and whose bucket has
 * filled up again is free for another user.
 */
#include <pthread.h>
#include <stdlib.h>

#include "clock.h"
#include "peruser.h"

#define PROBE 8

struct slot {
	int64_t user;             /* 0: free */
	int32_t polls;            /* polls held */
	float tokens;             /* sends left in the bucket */
	int64_t refilled_ms;      /* when tokens was computed */
	int32_t rate;             /* the bucket's size, sends per minute
	                           * (0: no send counted yet) */
};

static struct slot slots[PERUSER_SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* True if s may be given to another user at now: it holds no poll and
 * its bucket has filled up again (so that nobody's limit is forgotten
 * early). */
static bool
idle(const struct slot *s, int64_t now_ms)
{
	if (s->user == 0)
		return true;
	if (s->polls > 0)
		return false;
	return s->rate <= 0 || s->tokens + (float)(now_ms - s->refilled_ms) *
	    (float)s->rate / 60000.0f >= (float)s->rate;
}

/* The slot of user (made when needed), or NULL when none is free. Call
 * with the lock held. */
static struct slot *
find(int64_t user, int64_t now_ms, bool make)
{
	uint64_t h = (uint64_t)user * 0x9e3779b97f4a7c15ull;
	struct slot *free_slot = NULL;
	size_t i;

	for (i = 0; i < PROBE; i++) {
		struct slot *s = &slots[((h >> 40) + i) & (PERUSER_SLOTS - 1)];
		if (s->user == user)
			return s;
		if (free_slot == NULL && idle(s, now_ms))
			free_slot = s;
	}
	if (!make || free_slot == NULL)
		return NULL;
	free_slot->user = user;
	free_slot->polls = 0;
	free_slot->tokens = 0;
	free_slot->refilled_ms = now_ms;
	free_slot->rate = 0;
	return free_slot;
}

bool
peruser_poll_take(int64_t user, long max)
{
	struct slot *s;
	bool ok = true;

	if (max <= 0)
		return true;
	pthread_mutex_lock(&lock);
	s = find(user, now_ms(), true);
	if (s != NULL) {
		if (s->polls >= max)
			ok = false;
		else
			s->polls++;
	}
	pthread_mutex_unlock(&lock);
	return ok;
}

void
peruser_poll_release(int64_t user)
{
	struct slot *s;

	pthread_mutex_lock(&lock);
	s = find(user, 0, false);
	if (s != NULL && s->polls > 0)
		s->polls--;
	pthread_mutex_unlock(&lock);
}

bool
peruser_send_ok(int64_t user, long rate, int64_t now_ms, int *retry_after_s)
{
	struct slot *s;
	bool ok = true;
	float per_ms;

	*retry_after_s = 0;
	if (rate <= 0)
		return true;
	per_ms = (float)rate / 60000.0f;
	pthread_mutex_lock(&lock);
	s = find(user, now_ms, true);
	if (s != NULL) {
		if (s->rate != (int32_t)rate) {
			/* the first send counted here: the bucket starts full */
			s->rate = (int32_t)rate;
			s->tokens = (float)rate;
			s->refilled_ms = now_ms;
		}
		s->tokens += (float)(now_ms - s->refilled_ms) * per_ms;
		if (s->tokens > (float)rate)
			s->tokens = (float)rate;
		s->refilled_ms = now_ms;
		if (s->tokens >= 1.0f) {
			s->tokens -= 1.0f;
		} else {
			ok = false;
			/* whole seconds until one token, rounded up */
			*retry_after_s = (int)((1.0f - s->tokens) / per_ms +
			    999.0f) / 1000;
			if (*retry_after_s < 1)
				*retry_after_s = 1;
		}
	}
	pthread_mutex_unlock(&lock);
	return ok;
}
