/*
 * test_text.c: the pure text helpers of api/text.c: phone_normalize and
 * phone_normalize_json (the three phone forms of API.md, E.164 bounds),
 * query_get and query_int (decoding, key matching, buffer bounds, ranges),
 * time_format (RFC 3339 with milliseconds), text_is_clean (UTF-8 and
 * control characters), login_is_valid and email_is_valid.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../api/limits.h"
#include "../../api/text.h"

/* --- phones --- */

/* Macros rather than functions, so that a failure names the caller's line
 * and the input. */
#define PHONE_OK(in, want) do { \
	char o_[PHONE_E164_MAX]; \
	memset(o_, 'x', sizeof(o_)); \
	if (phone_normalize((in), o_) != ERR_OK) \
		fail_msg("phone_normalize refused \"%s\"", (const char *)(in)); \
	assert_string_equal(o_, (want)); \
} while (0)

#define PHONE_BAD(in) do { \
	char o_[PHONE_E164_MAX]; \
	if (phone_normalize((in), o_) != ERR_INVALID_PHONE) \
		fail_msg("phone_normalize accepted \"%s\"", \
		    (in) ? (const char *)(in) : "(null)"); \
} while (0)

static void
phone_accepts_the_documented_forms(void **state)
{
	PHONE_OK("+79991234567", "+79991234567");
	PHONE_OK("+7 (999) 123-45-67", "+79991234567");
	PHONE_OK("+1 415-555-2671", "+14155552671");
	PHONE_OK("+44 20 7946 0958", "+442079460958");
}

static void
phone_accepts_other_separators(void **state)
{
	PHONE_OK("+7 999 123 45 67", "+79991234567");
	PHONE_OK("+7.999.123.45.67", "+79991234567");
	PHONE_OK("+7-999-123-45-67", "+79991234567");
	PHONE_OK("+7(999)1234567", "+79991234567");
	PHONE_OK("+7 (999)123-45-67", "+79991234567");
	PHONE_OK("+49 (30) 901820", "+4930901820");
}

static void
phone_digit_bounds(void **state)
{
	/* E.164: 7 to 15 digits, country code included. */
	PHONE_BAD("+123456");
	PHONE_OK("+1234567", "+1234567");
	PHONE_OK("+123456789012345", "+123456789012345");
	PHONE_BAD("+1234567890123456");
	PHONE_OK("+12 345 678 901 234 5", "+123456789012345");
	PHONE_BAD("+12 345 678 901 234 56");
	/* A very long input is refused without writing past out (ASan). */
	PHONE_BAD("+1111111111111111111111111111111111111111111111111111111111"
	    "11111111111111111111111111111111111111111111111111111111111111");
}

static void
phone_rejects_malformed(void **state)
{
	PHONE_BAD(NULL);
	PHONE_BAD("");
	PHONE_BAD("+");
	PHONE_BAD("+ ");
	PHONE_BAD("79991234567");            /* no '+' */
	PHONE_BAD("8 (999) 123-45-67");       /* national form */
	PHONE_BAD(" +79991234567");          /* leading space */
	PHONE_BAD("++79991234567");
	PHONE_BAD("+7999123456a");           /* letters */
	PHONE_BAD("+7 999 CALL NOW");
	PHONE_BAD("+0123456789");            /* country code 0 */
	PHONE_BAD("+0 999 123 45 67");
	PHONE_BAD("+7  9991234567");         /* double separators */
	PHONE_BAD("+7--9991234567");
	PHONE_BAD("+7 -9991234567");
	PHONE_BAD("+7..9991234567");
	PHONE_BAD("+7 (999 123-45-67");      /* unbalanced parentheses */
	PHONE_BAD("+7 999) 123-45-67");
	PHONE_BAD("+7 ((999)) 1234567");
	PHONE_BAD("+7 (999) (123) 4567");    /* more than one pair */
	PHONE_BAD("+7 ()9991234567");        /* empty pair */
	PHONE_BAD("+79991234567 ");          /* trailing separators */
	PHONE_BAD("+79991234567-");
	PHONE_BAD("+79991234567.");
	PHONE_BAD("+7 (9991234567)");        /* ends in a parenthesis */
	PHONE_BAD("+7\t9991234567");         /* not a separator */
	PHONE_BAD("+7_999_123_45_67");
	PHONE_BAD("+7/999/1234567");
	PHONE_BAD("+7\xef\xbc\x99\xef\xbc\x99\xef\xbc\x99" "1234567"); /* fullwidth 9 */
	PHONE_BAD("+7999123\n4567");
}

#define JPHONE_OK(j, want) do { \
	json_t *j_ = (j); \
	char o_[PHONE_E164_MAX]; \
	assert_non_null(j_); \
	memset(o_, 'x', sizeof(o_)); \
	if (phone_normalize_json(j_, o_) != ERR_OK) { \
		char *s_ = json_dumps(j_, JSON_ENCODE_ANY); \
		print_error("refused %s\n", s_); \
		free(s_); \
		json_decref(j_); \
		fail(); \
	} \
	json_decref(j_); \
	assert_string_equal(o_, (want)); \
} while (0)

#define JPHONE_BAD(j) do { \
	json_t *j_ = (j); \
	char o_[PHONE_E164_MAX]; \
	if (phone_normalize_json(j_, o_) != ERR_INVALID_PHONE) { \
		char *s_ = j_ ? json_dumps(j_, JSON_ENCODE_ANY) : NULL; \
		print_error("accepted %s\n", s_ ? s_ : "NULL"); \
		free(s_); \
		json_decref(j_); \
		fail(); \
	} \
	json_decref(j_); \
} while (0)

#define OBJ(a, n) json_pack("{s:s, s:s}", "area_code", (a), "number", (n))

static void
phone_json_accepts_string_and_object(void **state)
{
	JPHONE_OK(json_string("+79991234567"), "+79991234567");
	JPHONE_OK(json_string("+7 (999) 123-45-67"), "+79991234567");
	JPHONE_OK(OBJ("7", "9991234567"), "+79991234567");
	JPHONE_OK(OBJ("+7", "9991234567"), "+79991234567");
	JPHONE_OK(OBJ("7", "999 123-45-67"), "+79991234567");
	JPHONE_OK(OBJ("7", "(999) 123-45-67"), "+79991234567");
	JPHONE_OK(OBJ("1", "415-555-2671"), "+14155552671");
	JPHONE_OK(OBJ("44", "20 7946 0958"), "+442079460958");
	/* Keys beyond the two are ignored. */
	JPHONE_OK(json_pack("{s:s, s:s, s:i}", "area_code", "7", "number",
	    "9991234567", "extra", 1), "+79991234567");
}

static void
phone_json_rejects_other_types(void **state)
{
	JPHONE_BAD(NULL);
	JPHONE_BAD(json_null());
	JPHONE_BAD(json_true());
	JPHONE_BAD(json_integer(79991234567LL));
	JPHONE_BAD(json_real(7.9991234567e10));
	JPHONE_BAD(json_pack("[s]", "+79991234567"));
	JPHONE_BAD(json_string(""));
	JPHONE_BAD(json_string("79991234567"));
}

static void
phone_json_rejects_bad_objects(void **state)
{
	JPHONE_BAD(json_object());
	JPHONE_BAD(json_pack("{s:s}", "area_code", "7"));
	JPHONE_BAD(json_pack("{s:s}", "number", "9991234567"));
	JPHONE_BAD(json_pack("{s:s, s:s}", "areaCode", "7", "number",
	    "9991234567"));
	/* Both parts are strings, as API.md shows them. */
	JPHONE_BAD(json_pack("{s:i, s:s}", "area_code", 7, "number",
	    "9991234567"));
	JPHONE_BAD(json_pack("{s:s, s:n}", "area_code", "7", "number"));
	JPHONE_BAD(OBJ("", "9991234567"));
	JPHONE_BAD(OBJ("+", "9991234567"));
	JPHONE_BAD(OBJ("++7", "9991234567"));
	JPHONE_BAD(OBJ("7", ""));
	JPHONE_BAD(OBJ("0", "9991234567"));          /* country code 0 */
	JPHONE_BAD(OBJ("7", "999abc4567"));
	JPHONE_BAD(OBJ("7", "+9991234567"));
	JPHONE_BAD(OBJ("7", "12345"));                /* 6 digits in all */
	JPHONE_BAD(OBJ("7", "999123456789012"));      /* 16 digits in all */
	JPHONE_BAD(OBJ("7", "1111111111111111111111111111111111111111111111"
	    "111111111111111111111111111111111111111111"));
}

/* --- query strings --- */

#define QGET_OK(q, name, want) do { \
	char b_[64]; \
	memset(b_, 'x', sizeof(b_)); \
	if (!query_get((q), (name), b_, sizeof(b_))) \
		fail_msg("query_get(\"%s\", \"%s\") found nothing", \
		    (q) ? (const char *)(q) : "(null)", (name)); \
	assert_string_equal(b_, (want)); \
} while (0)

#define QGET_NONE(q, name) do { \
	char b_[64]; \
	if (query_get((q), (name), b_, sizeof(b_))) \
		fail_msg("query_get(\"%s\", \"%s\") gave \"%s\"", \
		    (q) ? (const char *)(q) : "(null)", (name), b_); \
} while (0)

static void
query_get_decodes(void **state)
{
	QGET_OK("a=1&b=x%20y", "b", "x y");
	QGET_OK("a=1&b=x%20y", "a", "1");
	QGET_OK("q=hello+world", "q", "hello world");
	QGET_OK("q=%41%62%63", "q", "Abc");
	QGET_OK("q=%c3%a9%C3%A9", "q", "\xc3\xa9\xc3\xa9");
	QGET_OK("q=a%2Bb", "q", "a+b");
	QGET_OK("q=%26%3D%25", "q", "&=%");
	QGET_OK("q=a=b", "q", "a=b");
	QGET_OK("phone=%2B7+999+123", "phone", "+7 999 123");
}

static void
query_get_finds_keys(void **state)
{
	QGET_NONE("a=1", "b");
	QGET_NONE("", "a");
	QGET_NONE(NULL, "a");
	QGET_OK("a&b=2", "a", "");      /* key without value */
	QGET_OK("b=2&a", "a", "");
	QGET_OK("a=&b=2", "a", "");
	QGET_OK("&&a=1&", "a", "1");
	QGET_OK("a=1&a=2", "a", "1");   /* the first one */
	/* A key that is a prefix of another, or ends another, is not it. */
	QGET_OK("ab=1&a=2", "a", "2");
	QGET_OK("a=1&ab=2", "ab", "2");
	QGET_NONE("ab=1", "a");
	QGET_NONE("abc", "ab");
	QGET_NONE("xa=1", "a");
	QGET_NONE("a=1", "ab");
	QGET_NONE("b=a", "a");
}

static void
query_get_refuses_bad_escapes_and_nul(void **state)
{
	QGET_NONE("q=%", "q");
	QGET_NONE("q=%4", "q");
	QGET_NONE("q=abc%", "q");
	QGET_NONE("q=%4&r=1", "q");     /* escape cut by '&' */
	QGET_NONE("q=%zz", "q");
	QGET_NONE("q=%4g", "q");
	QGET_NONE("q=%g4", "q");
	QGET_NONE("q=%00", "q");
	QGET_NONE("q=a%00b", "q");
	/* A bad value of another key does not spoil this one. */
	QGET_OK("q=%zz&r=ok", "r", "ok");
}

static void
query_get_respects_the_buffer(void **state)
{
	char b[16];

	/* outlen 4: three bytes and the NUL fit, four do not; nothing is
	 * written past outlen. */
	memset(b, '#', sizeof(b));
	assert_true(query_get("q=abc", "q", b, 4));
	assert_string_equal(b, "abc");
	for (size_t i = 4; i < sizeof(b); i++)
		assert_int_equal(b[i], '#');

	memset(b, '#', sizeof(b));
	assert_false(query_get("q=abcd", "q", b, 4));
	for (size_t i = 4; i < sizeof(b); i++)
		assert_int_equal(b[i], '#');

	/* Escapes count decoded. */
	memset(b, '#', sizeof(b));
	assert_true(query_get("q=%41%42%43", "q", b, 4));
	assert_string_equal(b, "ABC");
	assert_false(query_get("q=%41%42%43%44", "q", b, 4));

	assert_true(query_get("q=", "q", b, 1));
	assert_string_equal(b, "");
	assert_false(query_get("q=a", "q", b, 1));
}

#define QINT(q, min, max, want_e, want_present, want_v) do { \
	int64_t v_ = -777; \
	bool p_ = !(want_present); \
	enum err e_ = query_int((q), "limit", (min), (max), &v_, &p_); \
	if (e_ != (want_e)) \
		fail_msg("query_int(\"%s\") gave %d, not %d", (q), e_, \
		    (want_e)); \
	if ((want_e) == ERR_OK) { \
		assert_int_equal(p_, (want_present)); \
		assert_int_equal(v_, (want_v)); \
	} \
} while (0)

static void
query_int_parses_in_range(void **state)
{
	QINT("limit=50", 1, 500, ERR_OK, true, 50);
	QINT("after=3&limit=7", 1, 500, ERR_OK, true, 7);
	QINT("limit=1", 1, 500, ERR_OK, true, 1);
	QINT("limit=500", 1, 500, ERR_OK, true, 500);
	QINT("limit=%35%30", 1, 500, ERR_OK, true, 50);
	QINT("limit=-5", -10, 10, ERR_OK, true, -5);
	QINT("limit=0", 0, 0, ERR_OK, true, 0);
	QINT("limit=9223372036854775807", 0, INT64_MAX, ERR_OK, true,
	    INT64_MAX);
	QINT("limit=-9223372036854775808", INT64_MIN, 0, ERR_OK, true,
	    INT64_MIN);
}

static void
query_int_absent_leaves_value(void **state)
{
	/* Absent: ERR_OK, *present false, *v untouched (-777). */
	QINT("", 1, 500, ERR_OK, false, -777);
	QINT("after=5", 1, 500, ERR_OK, false, -777);
	QINT("limitx=5", 1, 500, ERR_OK, false, -777);
	QINT("xlimit=5", 1, 500, ERR_OK, false, -777);
	QINT("q=limit", 1, 500, ERR_OK, false, -777);
}

static void
query_int_refuses_bad_values(void **state)
{
	QINT("limit=0", 1, 500, ERR_INVALID_FIELD, true, 0);
	QINT("limit=501", 1, 500, ERR_INVALID_FIELD, true, 0);
	QINT("limit=-1", 0, 500, ERR_INVALID_FIELD, true, 0);
	QINT("limit=", 1, 500, ERR_INVALID_FIELD, true, 0);
	QINT("limit", 1, 500, ERR_INVALID_FIELD, true, 0);
	QINT("a=1&limit&b=2", 1, 500, ERR_INVALID_FIELD, true, 0);
	QINT("limit=abc", 1, 500, ERR_INVALID_FIELD, true, 0);
	QINT("limit=5x", 1, 500, ERR_INVALID_FIELD, true, 0);
	QINT("limit=5+", 1, 500, ERR_INVALID_FIELD, true, 0);
	QINT("limit=+5", 1, 500, ERR_INVALID_FIELD, true, 0);
	QINT("limit=%2B5", 1, 500, ERR_INVALID_FIELD, true, 0);
	QINT("limit=%205", 1, 500, ERR_INVALID_FIELD, true, 0);
	QINT("limit=-", -10, 10, ERR_INVALID_FIELD, true, 0);
	QINT("limit=1.5", 1, 500, ERR_INVALID_FIELD, true, 0);
	QINT("limit=1e2", 1, 500, ERR_INVALID_FIELD, true, 0);
	QINT("limit=0x10", 0, 500, ERR_INVALID_FIELD, true, 0);
	QINT("limit=9223372036854775808", 0, INT64_MAX, ERR_INVALID_FIELD,
	    true, 0);
	QINT("limit=99999999999999999999", 0, INT64_MAX, ERR_INVALID_FIELD,
	    true, 0);
	/* Present but undecodable, or too long for the parse buffer: an
	 * error, not "absent". */
	QINT("limit=%zz", 1, 500, ERR_INVALID_FIELD, true, 0);
	QINT("limit=%00", 1, 500, ERR_INVALID_FIELD, true, 0);
	QINT("limit=5%00", 1, 500, ERR_INVALID_FIELD, true, 0);
	QINT("limit=0000000000000000000000000000000000000000005", 1, 500,
	    ERR_INVALID_FIELD, true, 0);
	QINT("after=1&limit=%", 1, 500, ERR_INVALID_FIELD, true, 0);
}

/* --- times --- */

#define TIME_IS(ms, want) do { \
	char t_[32]; \
	memset(t_, 'x', sizeof(t_)); \
	time_format((ms), t_); \
	assert_string_equal(t_, (want)); \
} while (0)

static void
time_format_known_values(void **state)
{
	TIME_IS(0, "1970-01-01T00:00:00.000Z");
	TIME_IS(1795402633302LL, "2026-11-23T02:57:13.302Z");
	TIME_IS(1000000000000LL, "2001-09-09T01:46:40.000Z");
	TIME_IS(951782400001LL, "2000-02-29T00:00:00.001Z");   /* leap day */
	TIME_IS(2147483648000LL, "2038-01-19T03:14:08.000Z");  /* past 2^31 s */
	TIME_IS(4102444799999LL, "2099-12-31T23:59:59.999Z");
	TIME_IS(86399999, "1970-01-01T23:59:59.999Z");
}

static void
time_format_pads_milliseconds(void **state)
{
	char t[32];

	TIME_IS(1, "1970-01-01T00:00:00.001Z");
	TIME_IS(5, "1970-01-01T00:00:00.005Z");
	TIME_IS(50, "1970-01-01T00:00:00.050Z");
	TIME_IS(999, "1970-01-01T00:00:00.999Z");
	TIME_IS(1000, "1970-01-01T00:00:01.000Z");
	TIME_IS(1795402633007LL, "2026-11-23T02:57:13.007Z");
	TIME_IS(1795402633070LL, "2026-11-23T02:57:13.070Z");
	/* Always 24 characters: fits the 25 bytes text.h promises. */
	time_format(1795402633302LL, t);
	assert_int_equal(strlen(t), 24);
}

/* --- text --- */

#define CLEAN(lit, ml) text_is_clean((lit), sizeof(lit) - 1, (ml))

static void
text_clean_ascii(void **state)
{
	assert_true(CLEAN("", false));
	assert_true(CLEAN("hello, world ~!@#$%^&*()", false));
	assert_true(CLEAN(" ", false));
	/* tab, LF, CR only with multiline */
	assert_false(CLEAN("a\nb", false));
	assert_false(CLEAN("a\rb", false));
	assert_false(CLEAN("a\tb", false));
	assert_true(CLEAN("a\nb", true));
	assert_true(CLEAN("a\r\nb", true));
	assert_true(CLEAN("a\tb", true));
	/* other C0 controls and DEL never */
	for (int c = 0; c < 0x20; c++) {
		char s[3] = { 'a', (char)c, 'b' };
		bool ml_ok = c == '\n' || c == '\r' || c == '\t';
		if (text_is_clean(s, 3, false))
			fail_msg("control 0x%02x accepted", c);
		if (text_is_clean(s, 3, true) != ml_ok)
			fail_msg("control 0x%02x multiline wrong", c);
	}
	assert_false(CLEAN("a\x7f" "b", false));
	assert_false(CLEAN("a\x7f" "b", true));
	assert_false(CLEAN("a\0b", true));        /* NUL within len */
	assert_false(CLEAN("\x1b[31mred", false));
	/* Only len bytes are read. */
	assert_true(text_is_clean("ab\x01", 2, false));
}

static void
text_clean_valid_utf8(void **state)
{
	assert_true(CLEAN("\xc2\xa0", false));             /* U+00A0 */
	assert_true(CLEAN("caf\xc3\xa9", false));          /* é */
	assert_true(CLEAN("\xd0\x9f\xd1\x80\xd0\xb8", false)); /* При */
	assert_true(CLEAN("\xdf\xbf", false));             /* U+07FF */
	assert_true(CLEAN("\xe0\xa0\x80", false));         /* U+0800 */
	assert_true(CLEAN("\xe2\x82\xac", false));         /* € */
	assert_true(CLEAN("\xed\x9f\xbf", false));         /* U+D7FF */
	assert_true(CLEAN("\xee\x80\x80", false));         /* U+E000 */
	assert_true(CLEAN("\xef\xbf\xbd", false));         /* U+FFFD */
	assert_true(CLEAN("\xf0\x90\x80\x80", false));     /* U+10000 */
	assert_true(CLEAN("\xf0\x9f\x98\x80", false));     /* 😀 */
	assert_true(CLEAN("\xf4\x8f\xbf\xbf", false));     /* U+10FFFF */
	assert_true(CLEAN("a\xc3\xa9z\xf0\x9f\x98\x80!", false));
}

static void
text_clean_refuses_bad_utf8(void **state)
{
	/* overlong */
	assert_false(CLEAN("\xc0\x80", false));
	assert_false(CLEAN("\xc0\xaf", false));
	assert_false(CLEAN("\xc1\xbf", false));
	assert_false(CLEAN("\xe0\x80\x80", false));
	assert_false(CLEAN("\xe0\x9f\xbf", false));
	assert_false(CLEAN("\xf0\x80\x80\x80", false));
	assert_false(CLEAN("\xf0\x8f\xbf\xbf", false));
	/* surrogates */
	assert_false(CLEAN("\xed\xa0\x80", false));        /* U+D800 */
	assert_false(CLEAN("\xed\xbf\xbf", false));        /* U+DFFF */
	assert_false(CLEAN("\xed\xa0\xbd\xed\xb8\x80", false)); /* CESU pair */
	/* beyond U+10FFFF, and bytes never valid */
	assert_false(CLEAN("\xf4\x90\x80\x80", false));
	assert_false(CLEAN("\xf5\x80\x80\x80", false));
	assert_false(CLEAN("\xf7\xbf\xbf\xbf", false));
	assert_false(CLEAN("\xf8\x88\x80\x80\x80", false));
	assert_false(CLEAN("\xfe", false));
	assert_false(CLEAN("\xff", false));
	/* lone or misplaced continuation bytes */
	assert_false(CLEAN("\x80", false));
	assert_false(CLEAN("a\xbf", false));
	assert_false(CLEAN("\xc3\xa9\xa9", false));
	/* truncated sequences, at the end and before other bytes */
	assert_false(CLEAN("\xc3", false));
	assert_false(CLEAN("\xe2\x82", false));
	assert_false(CLEAN("\xf0\x9f\x98", false));
	assert_false(CLEAN("\xe2\x82" "a", false));
	assert_false(CLEAN("\xf0\x9f\x98" "a", false));
	assert_false(CLEAN("\xc3 ", false));
	assert_false(text_is_clean("\xe2\x82\xac", 2, false)); /* cut by len */
	/* C1 controls U+0080..U+009F, in either mode */
	assert_false(CLEAN("\xc2\x80", false));
	assert_false(CLEAN("\xc2\x85", true));             /* NEL */
	assert_false(CLEAN("\xc2\x9b", false));            /* CSI */
	assert_false(CLEAN("\xc2\x9f", false));
}

static void
login_rules(void **state)
{
	char s[LIMIT_LOGIN_MAX + 2];

	assert_true(login_is_valid("ann"));
	assert_true(login_is_valid("Ann_1"));
	assert_true(login_is_valid("a.b-c_d"));
	assert_true(login_is_valid("1ann"));
	assert_true(login_is_valid("12a"));
	assert_true(login_is_valid("a12"));
	assert_true(login_is_valid("a__"));
	/* length LIMIT_LOGIN_MIN..LIMIT_LOGIN_MAX */
	assert_false(login_is_valid(""));
	assert_false(login_is_valid("a"));
	assert_false(login_is_valid("ab"));
	memset(s, 'a', LIMIT_LOGIN_MAX);
	s[LIMIT_LOGIN_MAX] = '\0';
	assert_true(login_is_valid(s));
	s[LIMIT_LOGIN_MAX] = 'a';
	s[LIMIT_LOGIN_MAX + 1] = '\0';
	assert_false(login_is_valid(s));
	/* starts with a letter or digit */
	assert_false(login_is_valid("_ann"));
	assert_false(login_is_valid(".ann"));
	assert_false(login_is_valid("-ann"));
	/* never all digits (an id or a phone) */
	assert_false(login_is_valid("123"));
	assert_false(login_is_valid("79991234567"));
	assert_false(login_is_valid("+79991234567"));
	/* other characters */
	assert_false(login_is_valid("an n"));
	assert_false(login_is_valid("ann@x"));
	assert_false(login_is_valid("ann/x"));
	assert_false(login_is_valid("ann\n"));
	assert_false(login_is_valid("\xd0\xb0\xd0\xbd\xd0\xbd"));   /* Cyrillic */
	assert_false(login_is_valid("ann\xc3\xa9"));
}

static void
email_rules(void **state)
{
	char s[LIMIT_EMAIL_BYTES + 2];

	assert_true(email_is_valid("a@b.c"));
	assert_true(email_is_valid("ann.lee+tag@mail.example.org"));
	assert_true(email_is_valid("a@b.c.d"));
	assert_false(email_is_valid(""));
	assert_false(email_is_valid("ann"));
	assert_false(email_is_valid("ann@"));
	assert_false(email_is_valid("@b.c"));
	assert_false(email_is_valid("a@b"));              /* no dot in domain */
	assert_false(email_is_valid("a.b@c"));            /* dot only before @ */
	assert_false(email_is_valid("a@.bc"));
	assert_false(email_is_valid("a@bc."));
	assert_false(email_is_valid("a@b@c.d"));
	assert_false(email_is_valid("a@@b.c"));
	assert_false(email_is_valid("a b@c.d"));
	assert_false(email_is_valid("a@c.d "));
	assert_false(email_is_valid(" a@c.d"));
	assert_false(email_is_valid("a\t@c.d"));
	assert_false(email_is_valid("a@c.d\n"));
	assert_false(email_is_valid("a\x7f@c.d"));
	/* at most LIMIT_EMAIL_BYTES */
	memset(s, 'a', LIMIT_EMAIL_BYTES);
	memcpy(s + LIMIT_EMAIL_BYTES - 6, "@b.com", 6);
	s[LIMIT_EMAIL_BYTES] = '\0';
	assert_true(email_is_valid(s));
	memset(s, 'a', LIMIT_EMAIL_BYTES + 1);
	memcpy(s + LIMIT_EMAIL_BYTES + 1 - 6, "@b.com", 6);
	s[LIMIT_EMAIL_BYTES + 1] = '\0';
	assert_false(email_is_valid(s));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(phone_accepts_the_documented_forms),
		cmocka_unit_test(phone_accepts_other_separators),
		cmocka_unit_test(phone_digit_bounds),
		cmocka_unit_test(phone_rejects_malformed),
		cmocka_unit_test(phone_json_accepts_string_and_object),
		cmocka_unit_test(phone_json_rejects_other_types),
		cmocka_unit_test(phone_json_rejects_bad_objects),
		cmocka_unit_test(query_get_decodes),
		cmocka_unit_test(query_get_finds_keys),
		cmocka_unit_test(query_get_refuses_bad_escapes_and_nul),
		cmocka_unit_test(query_get_respects_the_buffer),
		cmocka_unit_test(query_int_parses_in_range),
		cmocka_unit_test(query_int_absent_leaves_value),
		cmocka_unit_test(query_int_refuses_bad_values),
		cmocka_unit_test(time_format_known_values),
		cmocka_unit_test(time_format_pads_milliseconds),
		cmocka_unit_test(text_clean_ascii),
		cmocka_unit_test(text_clean_valid_utf8),
		cmocka_unit_test(text_clean_refuses_bad_utf8),
		cmocka_unit_test(login_rules),
		cmocka_unit_test(email_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
