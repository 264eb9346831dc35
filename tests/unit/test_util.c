/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_util.c: strict number and address parsing and log escaping.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static void
test_util_parse_port_valid(void **state)
{
	static const struct {
		const char	*s;
		uint16_t	 port;
	} vecs[] = {
		{ "1", 1 }, { "9", 9 }, { "80", 80 }, { "4369", 4369 },
		{ "65535", 65535 }, { "65534", 65534 }, { "10000", 10000 },
	};
	const char	*errstr;
	uint16_t	 port;
	size_t		 i;

	(void)state;
	for (i = 0; i < NELEM(vecs); i++) {
		port = 0;
		errstr = NULL;
		assert_int_equal(util_parse_port(vecs[i].s, &port, &errstr), 0);
		assert_int_equal(port, vecs[i].port);
	}
}

static void
test_util_parse_port_invalid(void **state)
{
	static const char *vecs[] = {
		"0", "00", "65536", "65537", "99999", "100000", "655350",
		"4294967296", "4294967297", "18446744073709551616",
		"99999999999999999999999999999999999999",
		"", " ", "abc", "12a", "a12", "4369 ", " 4369", "\t4369",
		"4369\n", "+4369", "-4369", "-1", "+0", "0x10", "1e3", "43.69",
		"4,369", "\xd9\xa1",	/* ARABIC-INDIC DIGIT ONE */
	};
	const char	*errstr;
	uint16_t	 port;
	size_t		 i;

	(void)state;
	for (i = 0; i < NELEM(vecs); i++) {
		print_message("port \"%s\"\n", vecs[i]);
		errstr = NULL;
		assert_int_equal(util_parse_port(vecs[i], &port, &errstr), -1);
		assert_non_null(errstr);
	}
	errstr = NULL;
	assert_int_equal(util_parse_port(NULL, &port, &errstr), -1);
	assert_non_null(errstr);
}

struct uint_vec {
	const char	*s;
	unsigned long	 min, max;
	int		 ok;
	unsigned long	 v;
};

static const struct uint_vec uint_vecs[] = {
	{ "0", 0, 10, 1, 0 },
	{ "10", 0, 10, 1, 10 },
	{ "11", 0, 10, 0, 0 },
	{ "100", 0, 10, 0, 0 },
	{ "4", 5, 10, 0, 0 },
	{ "5", 5, 10, 1, 5 },
	{ "0", 1, 10, 0, 0 },
	{ "86400", 0, 86400, 1, 86400 },
	{ "86401", 0, 86400, 0, 0 },
	{ "864000", 0, 86400, 0, 0 },
	{ "007", 0, 10, 1, 7 },
	{ "15", 0, 15, 1, 15 },
	{ "16", 0, 15, 0, 0 },
	{ "19", 0, 15, 0, 0 },
	{ "1", 1, 1, 1, 1 },
	{ "", 0, 10, 0, 0 },
	{ "-0", 0, 10, 0, 0 },
	{ "+1", 0, 10, 0, 0 },
	{ " 1", 0, 10, 0, 0 },
	{ "1 ", 0, 10, 0, 0 },
	{ "4294967295", 0, 4294967295UL, 1, 4294967295UL },
	{ "4294967296", 0, 4294967295UL, 0, 0 },
};

static void
test_util_parse_uint_bounds(void **state)
{
	const char	*errstr;
	unsigned long	 v;
	size_t		 i;

	(void)state;
	for (i = 0; i < NELEM(uint_vecs); i++) {
		const struct uint_vec	*u = &uint_vecs[i];

		print_message("\"%s\" in [%lu, %lu]\n", u->s, u->min, u->max);
		v = 12345;
		errstr = NULL;
		if (u->ok) {
			assert_int_equal(util_parse_uint(u->s, u->min, u->max,
			    &v, &errstr), 0);
			assert_int_equal(v, u->v);
		} else {
			assert_int_equal(util_parse_uint(u->s, u->min, u->max,
			    &v, &errstr), -1);
			assert_non_null(errstr);
		}
	}
}

static void
test_util_parse_uint_ulong_max(void **state)
{
	char		 s[64];
	const char	*errstr;
	unsigned long	 v = 0;
	size_t		 n;

	(void)state;
	snprintf(s, sizeof(s), "%lu", ULONG_MAX);
	assert_int_equal(util_parse_uint(s, 0, ULONG_MAX, &v, &errstr), 0);
	assert_true(v == ULONG_MAX);
	/* ULONG_MAX + 1: bump the last digit (ULONG_MAX ends in 5). */
	n = strlen(s);
	assert_int_equal(s[n - 1], '5');
	s[n - 1] = '6';
	assert_int_equal(util_parse_uint(s, 0, ULONG_MAX, &v, &errstr), -1);
	snprintf(s, sizeof(s), "%lu0", ULONG_MAX);
	assert_int_equal(util_parse_uint(s, 0, ULONG_MAX, &v, &errstr), -1);
}

/*
 * A maximum below 9: a single digit above it must still be refused. The
 * overflow guard computes (max - digit) / 10 in unsigned arithmetic, which
 * wraps when digit > max and lets the digit through.
 */
static void
test_util_parse_uint_small_max(void **state)
{
	static const struct uint_vec vecs[] = {
		{ "6", 0, 5, 0, 0 },
		{ "9", 0, 5, 0, 0 },
		{ "09", 0, 5, 0, 0 },
		{ "1", 0, 0, 0, 0 },
		{ "3", 1, 2, 0, 0 },
		{ "2", 1, 1, 0, 0 },
		{ "5", 0, 5, 1, 5 },
		{ "0", 0, 0, 1, 0 },
	};
	const char	*errstr;
	unsigned long	 v;
	size_t		 i;

	(void)state;
	for (i = 0; i < NELEM(vecs); i++) {
		print_message("\"%s\" in [%lu, %lu]\n", vecs[i].s, vecs[i].min,
		    vecs[i].max);
		v = 12345;
		errstr = NULL;
		assert_int_equal(util_parse_uint(vecs[i].s, vecs[i].min,
		    vecs[i].max, &v, &errstr), vecs[i].ok ? 0 : -1);
		if (vecs[i].ok)
			assert_int_equal(v, vecs[i].v);
	}
}

static void
test_util_parse_address_v4(void **state)
{
	static const struct {
		const char	*s;
		uint8_t		 b[4];
	} vecs[] = {
		{ "127.0.0.1", { 127, 0, 0, 1 } },
		{ "0.0.0.0", { 0, 0, 0, 0 } },
		{ "255.255.255.255", { 255, 255, 255, 255 } },
		{ "192.0.2.33", { 192, 0, 2, 33 } },
	};
	struct sockaddr_storage	 ss;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)(void *)&ss;
	const char		*errstr;
	socklen_t		 sslen;
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(vecs); i++) {
		memset(&ss, 0xa5, sizeof(ss));
		sslen = 0;
		assert_int_equal(util_parse_address(vecs[i].s, 4369, &ss,
		    &sslen, &errstr), 0);
		assert_int_equal(sin->sin_family, AF_INET);
		assert_int_equal(sslen, sizeof(struct sockaddr_in));
		assert_int_equal(ntohs(sin->sin_port), 4369);
		assert_memory_equal(&sin->sin_addr, vecs[i].b, 4);
	}
}

static void
test_util_parse_address_v6(void **state)
{
	static const struct {
		const char	*s;
		uint8_t		 b[16];
	} vecs[] = {
		{ "::1", { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } },
		{ "::", { 0 } },
		{ "2001:db8::7", { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0,
		    0, 0, 0, 0, 7 } },
		{ "::ffff:127.0.0.1", { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
		    0xff, 127, 0, 0, 1 } },
		{ "FE80::A", { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		    0, 0x0a } },
	};
	struct sockaddr_storage	 ss;
	const struct sockaddr_in6 *sin6 =
	    (const struct sockaddr_in6 *)(void *)&ss;
	const char		*errstr;
	socklen_t		 sslen;
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(vecs); i++) {
		memset(&ss, 0xa5, sizeof(ss));
		sslen = 0;
		assert_int_equal(util_parse_address(vecs[i].s, 65535, &ss,
		    &sslen, &errstr), 0);
		assert_int_equal(sin6->sin6_family, AF_INET6);
		assert_int_equal(sslen, sizeof(struct sockaddr_in6));
		assert_int_equal(ntohs(sin6->sin6_port), 65535);
		assert_memory_equal(&sin6->sin6_addr, vecs[i].b, 16);
		assert_int_equal(sin6->sin6_flowinfo, 0);
		assert_int_equal(sin6->sin6_scope_id, 0);
	}
}

static void
test_util_parse_address_refused(void **state)
{
	static const char *vecs[] = {
		"", " ", "localhost", "example.com", "ip6-localhost",
		"1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.-4", "127.1",
		"0x7f.0.0.1", "0177.0.0.1", "127.0.0.1 ", " 127.0.0.1",
		"127.0.0.1:4369", "127.0.0.1/8", "[::1]", "::1%lo", "::1/128",
		"[::1]:4369", ":::", "1::2::3", "::g", "12345::",
		"127.0.0.1,::1", "*", "any",
	};
	struct sockaddr_storage	 ss;
	const char		*errstr;
	socklen_t		 sslen;
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(vecs); i++) {
		print_message("address \"%s\"\n", vecs[i]);
		errstr = NULL;
		assert_int_equal(util_parse_address(vecs[i], 4369, &ss, &sslen,
		    &errstr), -1);
		assert_non_null(errstr);
	}
}

struct escape_vec {
	const char	*in;
	size_t		 inlen;
	const char	*out;
};

#define EV(in, out)	{ in, sizeof(in) - 1, out }

static const struct escape_vec escape_vecs[] = {
	EV("", ""),
	EV("node@host", "node@host"),
	EV(" ~!#$%&'()*+,-./:;<=>?@[]^_`{|}", " ~!#$%&'()*+,-./:;<=>?@[]^_`{|}"),
	EV("a\nb", "a\\x0ab"),
	EV("\r\n", "\\x0d\\x0a"),
	EV("\t", "\\x09"),
	EV("\x01\x1f", "\\x01\\x1f"),
	EV("\x1b[2J", "\\x1b[2J"),
	EV("\x7f", "\\x7f"),
	EV("\"quoted\"", "\\x22quoted\\x22"),
	EV("back\\slash", "back\\x5cslash"),
	EV("%s%n", "%s%n"),
	EV("\xc3\xa9", "\\xc3\\xa9"),
	EV("\x80\xff", "\\x80\\xff"),
	EV("a\0b", "a\\x00b"),
};

static void
test_util_escape_vectors(void **state)
{
	char	 out[256];
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(escape_vecs); i++) {
		memset(out, 'Z', sizeof(out));
		assert_int_equal(util_escape(out, sizeof(out), escape_vecs[i].in,
		    escape_vecs[i].inlen), strlen(escape_vecs[i].out));
		assert_string_equal(out, escape_vecs[i].out);
	}
}

static void
test_util_escape_every_byte(void **state)
{
	char		 in[1], out[8], want[8];
	unsigned	 c;

	(void)state;
	for (c = 0; c < 256; c++) {
		in[0] = (char)c;
		if (c >= 0x20 && c <= 0x7e && c != '"' && c != '\\')
			snprintf(want, sizeof(want), "%c", (int)c);
		else
			snprintf(want, sizeof(want), "\\x%02x", c);
		assert_int_equal(util_escape(out, sizeof(out), in, 1),
		    strlen(want));
		assert_string_equal(out, want);
	}
}

static void
test_util_escape_truncation(void **state)
{
	static const char	 in[] = "ab\n\"c\\\xff" "d\x7f" "e";
	char			 full[256], *out;
	size_t			 bounds[sizeof(in)], nb = 0, flen, i, k, r;
	size_t			 best;

	(void)state;
	/* Where each input byte's escape ends in the full output. */
	bounds[nb++] = 0;
	for (i = 1; i < sizeof(in); i++)
		bounds[nb++] = util_escape(full, sizeof(full), in, i);
	flen = util_escape(full, sizeof(full), in, sizeof(in) - 1);
	assert_int_equal(flen, bounds[nb - 1]);
	assert_int_equal(flen, strlen("ab\\x0a\\x22c\\x5c\\xffd\\x7fe"));

	for (k = 1; k <= flen + 2; k++) {
		out = malloc(k);
		assert_non_null(out);
		r = util_escape(out, k, in, sizeof(in) - 1);
		/* The longest whole-escape prefix that leaves room for NUL. */
		best = 0;
		for (i = 0; i < nb; i++)
			if (bounds[i] < k)
				best = bounds[i];
		assert_int_equal(r, best);
		assert_int_equal(out[r], '\0');
		assert_memory_equal(out, full, r);
		free(out);
	}
}

static void
test_util_escape_tiny_output(void **state)
{
	char	 out[4];
	char	*zero;

	(void)state;
	/* outlen 0: nothing is written, not even a NUL. */
	zero = malloc(1);
	assert_non_null(zero);
	zero[0] = 'Z';
	assert_int_equal(util_escape(zero, 0, "abc", 3), 0);
	assert_int_equal(zero[0], 'Z');
	free(zero);

	memset(out, 'Z', sizeof(out));
	assert_int_equal(util_escape(out, 1, "abc", 3), 0);
	assert_int_equal(out[0], '\0');
	assert_int_equal(out[1], 'Z');

	memset(out, 'Z', sizeof(out));
	assert_int_equal(util_escape(out, 2, "abc", 3), 1);
	assert_string_equal(out, "a");

	/* An escape needs five bytes: it is dropped, not split. */
	memset(out, 'Z', sizeof(out));
	assert_int_equal(util_escape(out, 4, "\n", 1), 0);
	assert_int_equal(out[0], '\0');

	memset(out, 'Z', sizeof(out));
	assert_int_equal(util_escape(out, sizeof(out), "", 0), 0);
	assert_int_equal(out[0], '\0');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_util_parse_port_valid),
		cmocka_unit_test(test_util_parse_port_invalid),
		cmocka_unit_test(test_util_parse_uint_bounds),
		cmocka_unit_test(test_util_parse_uint_ulong_max),
		cmocka_unit_test(test_util_parse_uint_small_max),
		cmocka_unit_test(test_util_parse_address_v4),
		cmocka_unit_test(test_util_parse_address_v6),
		cmocka_unit_test(test_util_parse_address_refused),
		cmocka_unit_test(test_util_escape_vectors),
		cmocka_unit_test(test_util_escape_every_byte),
		cmocka_unit_test(test_util_escape_truncation),
		cmocka_unit_test(test_util_escape_tiny_output),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
