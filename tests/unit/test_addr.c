/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_addr.c: the one address type: parse, prefix, mask, fold, compare,
 * convert from socket addresses, format.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "addr.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* A socket address from a numeric address and a port. */
static void
sockaddr_of(const char *s, uint16_t port, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)(void *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)(void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		return;
	}
	assert_int_equal(inet_pton(AF_INET6, s, &sin6->sin6_addr), 1);
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
}

/* Parse, with the unused bytes zero and garbage refused. */
static void
test_addr_parse(void **state)
{
	static const char *const bad[] = { "", "1.2.3", "1.2.3.4/8",
	    "localhost", "::1%lo", " 1.2.3.4", "1.2.3.256", ":::" };
	struct addr	 a;
	size_t		 i;

	(void)state;
	assert_int_equal(addr_parse("192.0.2.1", &a), 0);
	assert_int_equal(a.family, AF_INET);
	assert_memory_equal(a.addr, "\xc0\x00\x02\x01\0\0\0\0\0\0\0\0\0\0\0\0",
	    16);
	assert_int_equal(addr_parse("::ffff:1.2.3.4", &a), 0);
	assert_int_equal(a.family, AF_INET6);	/* not folded */
	for (i = 0; i < NELEM(bad); i++) {
		assert_int_equal(addr_parse(bad[i], &a), -1);
		assert_int_equal(a.family, AF_UNSPEC);
	}
}

/* Prefixes: lengths, host bits, the mapped range folded, errors. */
static void
test_addr_parse_prefix(void **state)
{
	static const struct {
		const char		*s;
		enum addr_status	 st;
		int			 family;
		unsigned		 len;
		const char		*net;
	} vecs[] = {
		{ "10.0.0.0/8", ADDR_OK, AF_INET, 8, "10.0.0.0" },
		{ "10.0.0.1", ADDR_OK, AF_INET, 32, "10.0.0.1" },
		{ "0.0.0.0/0", ADDR_OK, AF_INET, 0, "0.0.0.0" },
		{ "2001:db8::/32", ADDR_OK, AF_INET6, 32, "2001:db8::" },
		{ "::1", ADDR_OK, AF_INET6, 128, "::1" },
		{ "::ffff:10.0.0.0/104", ADDR_OK, AF_INET, 8, "10.0.0.0" },
		{ "::ffff:0.0.0.0/96", ADDR_OK, AF_INET, 0, "0.0.0.0" },
		{ "::ffff:0:0/95", ADDR_HOST_BITS, 0, 0, NULL },
		{ "::/95", ADDR_OK, AF_INET6, 95, "::" },
		{ "10.0.0.1/8", ADDR_HOST_BITS, 0, 0, NULL },
		{ "10.0.0.0/33", ADDR_BAD_PREFIX, 0, 0, NULL },
		{ "::/129", ADDR_BAD_PREFIX, 0, 0, NULL },
		{ "10.0.0.0/", ADDR_BAD_PREFIX, 0, 0, NULL },
		{ "10.0.0.0/0008", ADDR_BAD_PREFIX, 0, 0, NULL },
		{ "10.0.0.0/-1", ADDR_BAD_PREFIX, 0, 0, NULL },
		{ "/8", ADDR_BAD_ADDRESS, 0, 0, NULL },
		{ "host/8", ADDR_BAD_ADDRESS, 0, 0, NULL },
		{ "1111:2222:3333:4444:5555:6666:7777:8888:9999/8",
		  ADDR_BAD_ADDRESS, 0, 0, NULL },
	};
	struct addr	 net, want;
	unsigned	 len;
	const char	*errstr;
	size_t		 i;

	(void)state;
	for (i = 0; i < NELEM(vecs); i++) {
		errstr = NULL;
		assert_int_equal(addr_parse_prefix(vecs[i].s, &net, &len,
		    &errstr), vecs[i].st);
		if (vecs[i].st != ADDR_OK) {
			assert_non_null(errstr);
			continue;
		}
		assert_int_equal(net.family, vecs[i].family);
		assert_int_equal(len, vecs[i].len);
		assert_int_equal(addr_parse(vecs[i].net, &want), 0);
		assert_memory_equal(net.addr, want.addr, 16);
	}
}

/* Masking every length of both families keeps exactly len bits. */
static void
test_addr_mask_every_length(void **state)
{
	struct addr	 a, m;
	unsigned	 len, bit;

	(void)state;
	assert_int_equal(addr_parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	    &a), 0);
	for (len = 0; len <= 130; len++) {
		addr_mask(&m, &a, len);
		assert_int_equal(m.family, AF_INET6);
		for (bit = 0; bit < 128; bit++)
			assert_int_equal((m.addr[bit / 8] >> (7 - bit % 8)) & 1,
			    bit < len);
	}
	assert_int_equal(addr_parse("255.255.255.255", &a), 0);
	for (len = 0; len <= 40; len++) {
		addr_mask(&m, &a, len);
		assert_int_equal(m.family, AF_INET);
		for (bit = 0; bit < 128; bit++)
			assert_int_equal((m.addr[bit / 8] >> (7 - bit % 8)) & 1,
			    bit < len && bit < 32);
	}
	/* In place. */
	addr_mask(&a, &a, 8);
	assert_memory_equal(a.addr, "\xff\0\0\0", 4);
}

/* Folding, equality, socket addresses and their ports. */
static void
test_addr_fold_and_sockaddr(void **state)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_un	 sun;
	struct addr		 a, b;
	char			 buf[64];

	(void)state;
	assert_int_equal(addr_parse("::ffff:192.0.2.9", &a), 0);
	addr_fold(&a);
	assert_int_equal(addr_parse("192.0.2.9", &b), 0);
	assert_true(addr_equal(&a, &b));
	assert_int_equal(addr_parse("::fffe:192.0.2.9", &a), 0);
	addr_fold(&a);
	assert_int_equal(a.family, AF_INET6);
	assert_false(addr_equal(&a, &b));

	sockaddr_of("::ffff:127.0.0.1", 4369, &ss);
	assert_int_equal(addr_from_sockaddr((struct sockaddr *)&ss, &a), 0);
	assert_int_equal(a.family, AF_INET);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "127.0.0.1");
	assert_int_equal(addr_sockaddr_port((struct sockaddr *)&ss), 4369);
	sockaddr_of("2001:db8::7", 1, &ss);
	assert_int_equal(addr_from_sockaddr((struct sockaddr *)&ss, &a), 0);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "2001:db8::7");
	assert_int_equal(addr_sockaddr_port((struct sockaddr *)&ss), 1);
	sockaddr_of("10.1.2.3", 65535, &ss);
	assert_int_equal(addr_from_sockaddr((struct sockaddr *)&ss, &a), 0);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "10.1.2.3");
	assert_int_equal(addr_sockaddr_port((struct sockaddr *)&ss), 65535);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_int_equal(addr_from_sockaddr((struct sockaddr *)&sun, &a), -1);
	assert_int_equal(a.family, AF_UNSPEC);
	assert_int_equal(addr_sockaddr_port((struct sockaddr *)&sun), -1);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "-");
	/* Too small for the address: "-" rather than a cut address. */
	assert_int_equal(addr_parse("2001:db8::7", &a), 0);
	assert_string_equal(addr_format(&a, buf, 4), "-");
	assert_int_equal(addr_bits(AF_INET), 32);
	assert_int_equal(addr_bits(AF_INET6), 128);
}

/* Both families, every width, mapped addresses shown as bound. */
static void
test_addr_sockaddr_str_formats(void **state)
{
	static const struct {
		const char	*addr;
		uint16_t	 port;
		const char	*want;
	} vecs[] = {
		{ "127.0.0.1", 4369, "127.0.0.1:4369" },
		{ "0.0.0.0", 0, "0.0.0.0:0" },
		{ "255.255.255.255", 65535, "255.255.255.255:65535" },
		{ "::1", 4369, "[::1]:4369" },
		{ "::", 1, "[::]:1" },
		{ "2001:db8::1", 65535, "[2001:db8::1]:65535" },
		{ "::ffff:127.0.0.1", 80, "[::ffff:127.0.0.1]:80" },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535,
		  "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535" },
		{ "::ffff:255.255.255.255", 65535,
		  "[::ffff:255.255.255.255]:65535" },
	};
	struct sockaddr_storage	 ss;
	char			 buf[ADDR_STRLEN];
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(vecs); i++) {
		sockaddr_of(vecs[i].addr, vecs[i].port, &ss);
		assert_ptr_equal(addr_sockaddr_str((const struct sockaddr *)
		    &ss, buf, sizeof(buf)), buf);
		assert_string_equal(buf, vecs[i].want);
	}
}

/* Other families are "?". */
static void
test_addr_sockaddr_str_other_family(void **state)
{
	struct sockaddr_un	 sun;
	char			 buf[ADDR_STRLEN];

	(void)state;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, "/x", 3);
	addr_sockaddr_str((const struct sockaddr *)&sun, buf, sizeof(buf));
	assert_string_equal(buf, "?");
	sun.sun_family = AF_UNSPEC;
	addr_sockaddr_str((const struct sockaddr *)&sun, buf, sizeof(buf));
	assert_string_equal(buf, "?");
}

/* Every buffer size is respected and terminated. */
static void
test_addr_sockaddr_str_truncated(void **state)
{
	static const char	 want[] = "[2001:db8::1]:4369";
	struct sockaddr_storage	 ss;
	char			*buf;
	size_t			 len;

	(void)state;
	sockaddr_of("2001:db8::1", 4369, &ss);
	/* Exact-size buffers: a write past the end is an ASan error. */
	for (len = 1; len <= sizeof(want); len++) {
		buf = malloc(len);
		assert_non_null(buf);
		addr_sockaddr_str((const struct sockaddr *)&ss, buf, len);
		assert_int_equal(strlen(buf), len - 1);
		assert_memory_equal(buf, want, len - 1);
		free(buf);
	}
}

/* Run the address tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_parse),
		cmocka_unit_test(test_addr_parse_prefix),
		cmocka_unit_test(test_addr_mask_every_length),
		cmocka_unit_test(test_addr_fold_and_sockaddr),
		cmocka_unit_test(test_addr_sockaddr_str_formats),
		cmocka_unit_test(test_addr_sockaddr_str_other_family),
		cmocka_unit_test(test_addr_sockaddr_str_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
