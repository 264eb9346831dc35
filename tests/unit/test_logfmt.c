/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_logfmt.c: escaping of peer text for logfmt records (vectors, every
 * byte, every UTF-8 class, truncation at every length) and timestamps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "logfmt.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static void
test_logfmt_escape_vectors(void **state)
{
	static const struct {
		const char	*in;
		size_t		 len;
		const char	*out;
		int		 invalid;
	} v[] = {
		{ "rabbit", 6, "rabbit", 0 },
		{ "q\"uo\\te", 7, "q\\\"uo\\\\te", 0 },
		{ "a b=c", 5, "a b=c", 0 },
		{ "n\xc3\xb6" "de", 5, "n\xc3\xb6" "de", 0 },
		{ "\xe2\x82\xac\xf0\x9f\x90\x87", 7,
		    "\xe2\x82\xac\xf0\x9f\x90\x87", 0 },
		{ "l\nf\rc\tt", 7, "l\\nf\\rc\\tt", 0 },
		{ "\x01\x1f\x7f", 3, "\\u0001\\u001f\\u007f", 0 },
		{ "\0z", 2, "\\u0000z", 0 },
		{ "nel\xc2\x85", 5, "nel\\u0085", 0 },
		{ "\xc2\x9f\xc2\xa0", 4, "\\u009f\xc2\xa0", 0 },
		{ "\xe2\x80\xa8\xe2\x80\xa9", 6, "\\u2028\\u2029", 0 },
		{ "x\xff", 2, "x\xef\xbf\xbd", 1 },
		{ "\xc3", 1, "\xef\xbf\xbd", 1 },
		{ "\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd", 1 },	/* overlong */
		{ "\xed\xa0\x80", 3,					/* surrogate */
		    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 1 },
		{ "\xf4\x90\x80\x80", 4,				/* > U+10FFFF */
		    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 1 },
		{ "", 0, "", 0 },
	};
	char	 out[256];
	size_t	 i, n;
	int	 inv, tr;

	(void)state;
	for (i = 0; i < NELEM(v); i++) {
		n = logfmt_escape(out, sizeof(out), v[i].in, v[i].len, &inv,
		    &tr);
		assert_string_equal(out, v[i].out);
		assert_int_equal(n, strlen(v[i].out));
		assert_int_equal(inv, v[i].invalid);
		assert_int_equal(tr, 0);
	}
}

/* Every single byte: never a raw control, quote or backslash in the output. */
static void
test_logfmt_escape_every_byte(void **state)
{
	char	 in[1], out[16];
	size_t	 n, k;
	int	 inv, tr, c;

	(void)state;
	for (c = 0; c < 256; c++) {
		in[0] = (char)c;
		n = logfmt_escape(out, sizeof(out), in, 1, &inv, &tr);
		assert_int_equal(tr, 0);
		assert_int_equal(inv, c >= 0x80);
		for (k = 0; k < n; k++) {
			unsigned char o = (unsigned char)out[k];

			assert_true(o >= 0x20 && o != 0x7f);
		}
		if (c == '"' || c == '\\')
			assert_true(n == 2 && out[0] == '\\' && out[1] == c);
		else if (c < 0x20 || c == 0x7f)
			assert_true(out[0] == '\\');
		else if (c < 0x80)
			assert_true(n == 1 && out[0] == c);
	}
}

/* Cut at every output size: always at a character boundary, NUL ended. */
static void
test_logfmt_escape_truncation(void **state)
{
	static const char in[] = "a\"\xc3\xb6\x01\xff\xe2\x82\xacz";
	char	 full[64], out[64];
	size_t	 fn, n, len;
	int	 inv, tr;

	(void)state;
	fn = logfmt_escape(full, sizeof(full), in, sizeof(in) - 1, &inv, &tr);
	assert_int_equal(tr, 0);
	assert_int_equal(inv, 1);
	for (len = 1; len <= fn + 1; len++) {
		memset(out, 'X', sizeof(out));
		n = logfmt_escape(out, len, in, sizeof(in) - 1, &inv, &tr);
		assert_true(n < len);
		assert_int_equal(out[n], '\0');
		assert_memory_equal(out, full, n);
		assert_int_equal(tr, len <= fn);
		/* The rest is still checked for invalid bytes. */
		assert_int_equal(inv, 1);
		/* Never half an escape or half a character. */
		assert_true(n == 0 || n == fn || full[n] == '\\' ||
		    ((unsigned char)full[n] & 0xc0) != 0x80);
		if (n > 0 && n < fn)
			assert_true(full[n - 1] != '\\' || full[n - 2] == '\\');
	}
	/* No room at all: still says cut, and still sees invalid bytes. */
	assert_int_equal(logfmt_escape(out, 0, in, 3, &inv, &tr), 0);
	assert_int_equal(tr, 1);
	assert_int_equal(inv, 1);
}

static void
test_logfmt_bare_classes(void **state)
{
	(void)state;
	assert_true(logfmt_bare("rabbit", 6));
	assert_true(logfmt_bare("a.b-c_1@x", 9));
	assert_false(logfmt_bare("", 0));
	assert_false(logfmt_bare("a b", 3));
	assert_false(logfmt_bare("a=b", 3));
	assert_false(logfmt_bare("a\"", 2));
	assert_false(logfmt_bare("a\\", 2));
	assert_false(logfmt_bare("\xc3\xb6", 2));
	assert_false(logfmt_bare("a\x7f", 2));
	assert_false(logfmt_bare("a\x00", 2));
}

static void
test_logfmt_hex_bytes(void **state)
{
	char	 out[8];

	(void)state;
	assert_int_equal(logfmt_hex(out, sizeof(out), "\x00\xff\x7a", 3), 6);
	assert_string_equal(out, "00ff7a");
	assert_int_equal(logfmt_hex(out, 4, "\x01\x02\x03", 3), 2);
	assert_string_equal(out, "01");
}

static void
test_logfmt_ts_format(void **state)
{
	char	 out[LOGFMT_TS_LEN];

	(void)state;
	assert_int_equal(logfmt_ts(out, sizeof(out), 0, 0), 0);
	assert_string_equal(out, "1970-01-01T00:00:00.000000Z");
	assert_int_equal(logfmt_ts(out, sizeof(out), 1796187623LL, 4567), 0);
	assert_string_equal(out, "2026-12-02T05:00:23.004567Z");
	assert_int_equal(logfmt_ts(out, sizeof(out), 951782400LL, 999999), 0);
	assert_string_equal(out, "2000-02-29T00:00:00.999999Z");
	assert_int_equal(logfmt_ts(out, sizeof(out), 0, 1000000), -1);
	assert_int_equal(logfmt_ts(out, sizeof(out), 0, -1), -1);
	assert_int_equal(logfmt_ts(out, sizeof(out) - 1, 0, 0), -1);
	assert_int_equal(logfmt_ts(out, sizeof(out), 253402300800LL, 0), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_logfmt_escape_vectors),
		cmocka_unit_test(test_logfmt_escape_every_byte),
		cmocka_unit_test(test_logfmt_escape_truncation),
		cmocka_unit_test(test_logfmt_bare_classes),
		cmocka_unit_test(test_logfmt_hex_bytes),
		cmocka_unit_test(test_logfmt_ts_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
