/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_owner.c: libFuzzer target for owner.c's state-file parser.
 *
 * A file that parses must serialize to text that parses to the same
 * table and serializes to the same bytes; one that does not parse leaves
 * the table empty.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "owner.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
		    __LINE__, #x);					\
		abort();						\
	}								\
} while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct owner_sticky	*t, *u;
	const char		*err;
	unsigned		 line;
	char			*text, *again, *copy;
	size_t			 len, len2;

	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	if (size > 0)
		memcpy(copy, data, size);
	t = owner_sticky_new();
	u = owner_sticky_new();
	CHECK(t != NULL && u != NULL);
	if (owner_state_parse(t, copy, size, &line, &err) == -1) {
		CHECK(err != NULL && line >= 1);
		CHECK(owner_sticky_count(t) == 0);
	} else {
		CHECK(owner_state_serialize(t, &text, &len) == 0);
		CHECK(owner_state_parse(u, text, len, &line, &err) == 0);
		CHECK(owner_sticky_count(u) == owner_sticky_count(t));
		CHECK(owner_state_serialize(u, &again, &len2) == 0);
		CHECK(len == len2 && memcmp(text, again, len) == 0);
		/* What was read is what is written, header aside. */
		if (size > 0)
			CHECK(len == size && memcmp(text, copy, len) == 0);
		free(text);
		free(again);
	}
	owner_sticky_free(t);
	owner_sticky_free(u);
	free(copy);
	return 0;
}
