/*
 * test_peruser.c: the per-user limits of a process (api/peruser.c): held
 * polls and the send bucket.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../api/peruser.h"

static void
test_polls(void **state)
{
	(void)state;
	assert_true(peruser_poll_take(7, 2));
	assert_true(peruser_poll_take(7, 2));
	assert_false(peruser_poll_take(7, 2));   /* the third */
	assert_true(peruser_poll_take(8, 2));    /* another user */
	peruser_poll_release(7);
	assert_true(peruser_poll_take(7, 2));    /* a place came free */
	assert_false(peruser_poll_take(7, 2));
	assert_true(peruser_poll_take(7, 0));    /* 0: no limit */
	peruser_poll_release(7);
	peruser_poll_release(7);
	peruser_poll_release(8);
	peruser_poll_release(99);                /* never took one: no harm */
}

static void
test_send_bucket(void **state)
{
	int64_t t = 1000000;
	int retry, i;

	(void)state;
	for (i = 0; i < 60; i++)                  /* a minute's worth at once */
		assert_true(peruser_send_ok(11, 60, t, &retry));
	assert_false(peruser_send_ok(11, 60, t, &retry));
	assert_int_equal(retry, 1);               /* one token per second */
	assert_true(peruser_send_ok(12, 60, t, &retry)); /* another user */
	assert_true(peruser_send_ok(11, 60, t + 1000, &retry)); /* refilled */
	assert_false(peruser_send_ok(11, 60, t + 1000, &retry));
	assert_true(peruser_send_ok(11, 0, t, &retry)); /* 0: no limit */
	/* a poll and sends of the same user share one slot */
	assert_true(peruser_poll_take(11, 1));
	assert_false(peruser_send_ok(11, 60, t + 1000, &retry));
	peruser_poll_release(11);
}

static void
test_many_users(void **state)
{
	int64_t u;
	int retry;

	(void)state;
	/* more users than slots: the table lets the overflow through rather
	 * than refusing anyone, and keeps counting those it has */
	for (u = 1000; u < 1000 + 2 * (int64_t)PERUSER_SLOTS; u++)
		(void)peruser_send_ok(u, 1, 5000, &retry);
	assert_true(peruser_poll_take(424242, 1));
	peruser_poll_release(424242);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_polls),
		cmocka_unit_test(test_send_bucket),
		cmocka_unit_test(test_many_users),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
