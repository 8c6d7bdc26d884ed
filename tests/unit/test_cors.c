/*
 * test_cors.c: the pure parts of api/cors.c: which strings are origins
 * (as browsers send them, and as parley-admin tenant origins takes them),
 * and matching an origin against the --cors-origins list.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../api/cors.h"
#include "../../api/limits.h"

static void
valid_origins(void **state)
{
	static const char *const good[] = {
		"https://shop.example", "http://localhost:8080",
		"http://127.0.0.1", "https://a-b.c-d.example:443",
		"http://[::1]:3000", "https://[2001:db8::1]", "HTTPS://SHOP.EXAMPLE",
		"http://x:65535", "https://xn--80ak6aa92e.com",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!origin_is_valid(good[i]))
			fail_msg("%s is refused", good[i]);
}

static void
invalid_origins(void **state)
{
	static const char *const bad[] = {
		"", "null", "*", "shop.example", "//shop.example",
		"ftp://shop.example", "https://", "http://:80",
		"https://shop.example/", "https://shop.example/path",
		"https://shop.example?x", "https://shop.example#x",
		"https://user@shop.example", "https://shop example",
		"https://.shop.example", "https://-shop.example",
		"https://shop-.example-", "https://shop.example:",
		"https://shop.example:0", "https://shop.example:65536",
		"https://shop.example:1234567", "https://shop.example:80a",
		"http://[::1", "http://[]", "http://[zz]",
		"https://shop.example\n", "https://shop.example, https://x.example",
	};
	char longest[LIMIT_ORIGIN_BYTES + 2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (origin_is_valid(bad[i]))
			fail_msg("%s is taken for an origin", bad[i]);
	/* The length bound: exactly at it, and one past it. */
	memcpy(longest, "https://", 8);
	memset(longest + 8, 'a', LIMIT_ORIGIN_BYTES - 8);
	longest[LIMIT_ORIGIN_BYTES] = '\0';
	assert_true(origin_is_valid(longest));
	longest[LIMIT_ORIGIN_BYTES] = 'a';
	longest[LIMIT_ORIGIN_BYTES + 1] = '\0';
	assert_false(origin_is_valid(longest));
}

static void
lists(void **state)
{
	const char *list = "https://a.example  http://localhost:3000,"
	    "https://b.example";

	(void)state;
	assert_true(origin_in_list("https://a.example", list));
	assert_true(origin_in_list("http://localhost:3000", list));
	assert_true(origin_in_list("https://b.example", list));
	assert_true(origin_in_list("HTTPS://B.EXAMPLE", list));
	assert_false(origin_in_list("https://a.exampl", list));
	assert_false(origin_in_list("https://a.example.evil", list));
	assert_false(origin_in_list("http://localhost", list));
	assert_false(origin_in_list("", list));
	assert_false(origin_in_list("https://a.example", ""));
	assert_false(origin_in_list("https://a.example", " , "));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_origins),
		cmocka_unit_test(invalid_origins),
		cmocka_unit_test(lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
