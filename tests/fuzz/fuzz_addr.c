/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_addr.c: the address helpers (addr.c only).
 *
 * The input is tried as prefix text (addr_parse_prefix) and as raw
 * socket-address bytes. Whatever parses must format and parse back to the
 * same address, mask to itself at its own length, and contain itself;
 * masking must be idempotent and keep no bit past the length.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
		    __LINE__, #x);					\
		abort();						\
	}								\
} while (0)

/* Masking at every length: idempotent, no bit past len, a prefix of a. */
static void
check_mask(const struct addr *a)
{
	struct addr	 m, mm;
	unsigned	 len, bit, bits = addr_bits(a->family);

	for (len = 0; len <= bits + 1; len += 7) {
		addr_mask(&m, a, len);
		addr_mask(&mm, &m, len);
		CHECK(addr_equal(&m, &mm));
		for (bit = 0; bit < 128; bit++) {
			int	 got = (m.addr[bit / 8] >> (7 - bit % 8)) & 1;
			int	 was = (a->addr[bit / 8] >> (7 - bit % 8)) & 1;

			CHECK(got == (bit < len && bit < bits ? was : 0));
		}
	}
}

/* Check one input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char			 text[128], buf[ADDR_STRLEN];
	struct addr		 net, again, a;
	struct sockaddr_storage	 ss;
	unsigned		 len;
	const char		*errstr = NULL;
	enum addr_status	 st;
	size_t			 n = size < sizeof(text) - 1 ? size :
	    sizeof(text) - 1;

	memcpy(text, data, n);
	text[n] = '\0';
	st = addr_parse_prefix(text, &net, &len, &errstr);
	if (st == ADDR_OK) {
		CHECK(net.family == AF_INET || net.family == AF_INET6);
		CHECK(len <= addr_bits(net.family));
		addr_mask(&a, &net, len);
		CHECK(addr_equal(&a, &net));
		addr_format(&net, buf, sizeof(buf));
		CHECK(addr_parse(buf, &again) == 0);
		CHECK(addr_equal(&again, &net));
		check_mask(&net);
	} else
		CHECK(errstr != NULL);

	/* Raw socket addresses: fold, format, parse back, port. */
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, data, size < sizeof(ss) ? size : sizeof(ss));
	if (addr_from_sockaddr((struct sockaddr *)&ss, &a) == 0) {
		CHECK(a.family == AF_INET || a.family == AF_INET6);
		CHECK(addr_sockaddr_port((struct sockaddr *)&ss) >= 0);
		addr_format(&a, buf, sizeof(buf));
		CHECK(addr_parse(buf, &again) == 0);
		addr_fold(&again);
		CHECK(addr_equal(&again, &a));
		check_mask(&a);
		addr_sockaddr_str((struct sockaddr *)&ss, buf, sizeof(buf));
		CHECK(buf[0] != '?');
	} else {
		CHECK(a.family == AF_UNSPEC);
		CHECK(addr_sockaddr_port((struct sockaddr *)&ss) == -1);
		addr_sockaddr_str((struct sockaddr *)&ss, buf, sizeof(buf));
		CHECK(strcmp(buf, "?") == 0);
	}
	return 0;
}
