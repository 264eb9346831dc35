/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_sockdiag.c: libFuzzer target for sockdiag.c's netlink reply parser.
 *
 * Input: one control byte (bit 0: the reply answers a dump; bit 1: filter
 * on port 45999; bits 2-7: where to cut the rest into two datagrams, in
 * 4-byte units), then the reply bytes. Each datagram is parsed from an
 * exact-size heap copy (malloc alignment, as a recv buffer) so that ASan
 * sees any read past it. The result must stay within its invariants.
 */
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockdiag.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
		    __LINE__, #x);					\
		abort();						\
	}								\
} while (0)

/* Parse one datagram from its own heap copy. */
static enum sockdiag_status
parse_copy(const uint8_t *d, size_t n, uint32_t seq,
    struct sockdiag_result *res)
{
	enum sockdiag_status	 st;
	const char		*err = NULL;
	uint8_t			*p;

	if ((p = malloc(n ? n : 1)) == NULL)
		return SOCKDIAG_BAD;
	if (n > 0)
		memcpy(p, d, n);
	st = sockdiag_parse(p, n, seq, res, &err);
	free(p);
	CHECK((st == SOCKDIAG_BAD) == (err != NULL));
	return st;
}

/* Check what a parsed result may hold. */
static void
check_result(const struct sockdiag_result *res, enum sockdiag_status st)
{
	size_t	 i;

	CHECK(res->nsocks <= SOCKDIAG_MAX_LISTENERS);
	CHECK(st != SOCKDIAG_OK || res->done);
	if (!res->dump)
		CHECK(res->nsocks <= 1);
	for (i = 0; i < res->nsocks; i++) {
		CHECK(res->socks[i].local.family == AF_INET ||
		    res->socks[i].local.family == AF_INET6);
		if (res->port != 0)
			CHECK(res->socks[i].local.port == res->port);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockdiag_result	 res;
	enum sockdiag_status	 st;
	size_t			 cut;

	if (size < 1)
		return 0;
	sockdiag_result_init(&res, data[0] & 1, (data[0] & 2) ? 45999 : 0);
	cut = (size_t)(data[0] >> 2) * 4;
	data++, size--;
	if (cut > size)
		cut = size;
	st = parse_copy(data, cut, 7, &res);
	check_result(&res, st);
	if (st == SOCKDIAG_NEED_MORE) {
		st = parse_copy(data + cut, size - cut, 7, &res);
		check_result(&res, st);
	}
	return 0;
}
