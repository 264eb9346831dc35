/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ratelimit.c: the per-source table, driven with explicit times (ms).
 */
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

#include "ratelimit.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define SEED		0x5eed5eed5eed5eedULL

/* An address from its numeric form, IPv4 or IPv6. */
static struct addr
mk(const char *s)
{
	struct addr	 a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, a.addr) == 1)
		a.family = AF_INET;
	else {
		assert_int_equal(inet_pton(AF_INET6, s, a.addr), 1);
		a.family = AF_INET6;
	}
	return a;
}

/* The source key of s, masked /32 and /64 as the daemon does by default. */
static struct addr
key(const char *s)
{
	struct addr	 a = mk(s), k;

	rl_key(&a, 32, 64, &k);
	return k;
}

static struct rl_table *
table(size_t max)
{
	struct rl_table	*t = rl_new(max, SEED);

	assert_non_null(t);
	return t;
}

/* Take n tokens that must all be granted. */
static void
take_ok(struct rl_table *t, const struct addr *k, uint64_t now,
    uint32_t rate, uint32_t burst, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(rl_take(t, k, now, rate, burst), RL_OK);
}

static void
test_ratelimit_new_bounds(void **state)
{
	(void)state;
	assert_null(rl_new(0, SEED));
	rl_free(NULL);
	rl_free(table(1));
}

static void
test_ratelimit_burst_then_limited(void **state)
{
	struct rl_table	*t = table(16);
	struct addr	 a = key("192.0.2.1"), b = key("192.0.2.2");

	(void)state;
	take_ok(t, &a, 1000, 10, 5, 5);
	assert_int_equal(rl_take(t, &a, 1000, 10, 5), RL_LIMITED);
	assert_int_equal(rl_take(t, &a, 1000, 10, 5), RL_LIMITED);
	/* Another source has its own bucket. */
	take_ok(t, &b, 1000, 10, 5, 5);
	assert_int_equal(rl_take(t, &b, 1000, 10, 5), RL_LIMITED);
	assert_int_equal(rl_count(t), 2);
	rl_free(t);
}

static void
test_ratelimit_refill_exact(void **state)
{
	struct rl_table	*t = table(16);
	struct addr	 a = key("192.0.2.1"), b = key("192.0.2.2");

	(void)state;
	/* rate 10: one token per 100 ms exactly. */
	take_ok(t, &a, 5000, 10, 1, 1);
	assert_int_equal(rl_take(t, &a, 5050, 10, 1), RL_LIMITED);
	assert_int_equal(rl_take(t, &a, 5099, 10, 1), RL_LIMITED);
	assert_int_equal(rl_take(t, &a, 5100, 10, 1), RL_OK);
	assert_int_equal(rl_take(t, &a, 5100, 10, 1), RL_LIMITED);
	/* Fractions carry over between calls: 50 + 50 ms is one token. */
	assert_int_equal(rl_take(t, &a, 5150, 10, 1), RL_LIMITED);
	assert_int_equal(rl_take(t, &a, 5200, 10, 1), RL_OK);
	/* 1 s at rate 10 gives 10 tokens, capped at burst 10. */
	take_ok(t, &b, 0, 10, 10, 10);
	assert_int_equal(rl_take(t, &b, 0, 10, 10), RL_LIMITED);
	take_ok(t, &b, 1000, 10, 10, 10);
	assert_int_equal(rl_take(t, &b, 1000, 10, 10), RL_LIMITED);
	/* rate 3: 333 ms is 999 milli-tokens, 334 ms is enough. */
	take_ok(t, &b, 10000, 3, 1, 1);
	assert_int_equal(rl_take(t, &b, 10333, 3, 1), RL_LIMITED);
	assert_int_equal(rl_take(t, &b, 10334, 3, 1), RL_OK);
	rl_free(t);
}

static void
test_ratelimit_cap_after_idle(void **state)
{
	struct rl_table	*t = table(16);
	struct addr	 a = key("192.0.2.1"), b = key("2001:db8::1");
	struct addr	 c = key("192.0.2.3");
	unsigned	 i;

	(void)state;
	take_ok(t, &a, 1000, 10, 3, 3);
	assert_int_equal(rl_take(t, &a, 1000, 10, 3), RL_LIMITED);
	/* A day idle: full again, but never more than burst. */
	take_ok(t, &a, 1000 + 86400000ULL, 10, 3, 3);
	assert_int_equal(rl_take(t, &a, 1000 + 86400000ULL, 10, 3),
	    RL_LIMITED);
	/* The largest jump there is. */
	take_ok(t, &a, UINT64_MAX, 10, 3, 3);
	assert_int_equal(rl_take(t, &a, UINT64_MAX, 10, 3), RL_LIMITED);
	/* Time going backwards grants nothing and breaks nothing. */
	assert_int_equal(rl_take(t, &a, 0, 10, 3), RL_LIMITED);
	assert_int_equal(rl_take(t, &a, 5, 10, 3), RL_LIMITED);
	/* ...nor does it move the refill time back. */
	take_ok(t, &c, 10000, 10, 1, 1);
	assert_int_equal(rl_take(t, &c, 0, 10, 1), RL_LIMITED);
	assert_int_equal(rl_take(t, &c, 10050, 10, 1), RL_LIMITED);
	assert_int_equal(rl_take(t, &c, 10100, 10, 1), RL_OK);
	/* An idle time whose product with the rate is 2^64: still full. */
	take_ok(t, &c, 20000, 16, 2, 2);
	assert_int_equal(rl_take(t, &c, 20000, 16, 2), RL_LIMITED);
	take_ok(t, &c, 20000 + (1ULL << 60), 16, 2, 2);
	assert_int_equal(rl_take(t, &c, 20000 + (1ULL << 60), 16, 2),
	    RL_LIMITED);

	/* The configuration's largest rate and burst: no overflow. */
	for (i = 0; i < 1000000; i++)
		assert_int_equal(rl_take(t, &b, 7, 1000000, 1000000), RL_OK);
	assert_int_equal(rl_take(t, &b, 7, 1000000, 1000000), RL_LIMITED);
	for (i = 0; i < 1000000; i++)
		assert_int_equal(rl_take(t, &b, UINT64_MAX - 1, 1000000,
		    1000000), RL_OK);
	assert_int_equal(rl_take(t, &b, UINT64_MAX - 1, 1000000, 1000000),
	    RL_LIMITED);
	/* Backwards, then forwards from the last refill, not from zero. */
	assert_int_equal(rl_take(t, &b, 1, 1000000, 1000000), RL_LIMITED);
	assert_int_equal(rl_take(t, &b, UINT64_MAX, 1000000, 1000000), RL_OK);
	rl_free(t);
}

static void
test_ratelimit_rate_zero(void **state)
{
	struct rl_table	*t = table(16);
	struct addr	 a = key("192.0.2.1");

	(void)state;
	take_ok(t, &a, 100, 0, 2, 2);
	assert_int_equal(rl_take(t, &a, 100, 0, 2), RL_LIMITED);
	assert_int_equal(rl_take(t, &a, 100 + 1000, 0, 2), RL_LIMITED);
	assert_int_equal(rl_take(t, &a, 100 + 86400000ULL, 0, 2), RL_LIMITED);
	assert_int_equal(rl_take(t, &a, UINT64_MAX, 0, 2), RL_LIMITED);
	rl_free(t);
}

static void
test_ratelimit_key_masking(void **state)
{
	static const struct {
		const char	*addr;
		unsigned	 v4len, v6len;
		const char	*want;
	} vec[] = {
		{ "192.0.2.77", 32, 64, "192.0.2.77" },
		{ "192.0.2.77", 24, 64, "192.0.2.0" },
		{ "192.0.2.77", 16, 128, "192.0.0.0" },
		{ "192.0.2.77", 21, 64, "192.0.0.0" },
		{ "192.0.15.77", 21, 64, "192.0.8.0" },
		{ "203.0.113.255", 31, 64, "203.0.113.254" },
		{ "203.0.113.255", 1, 64, "128.0.0.0" },
		{ "203.0.113.255", 0, 64, "0.0.0.0" },
		{ "2001:db8:1:2:3:4:5:6", 32, 128, "2001:db8:1:2:3:4:5:6" },
		{ "2001:db8:1:2:3:4:5:6", 32, 64, "2001:db8:1:2::" },
		{ "2001:db8:1:2:3:4:5:6", 32, 48, "2001:db8:1::" },
		{ "2001:db8:1:2:3:4:5:6", 32, 56, "2001:db8:1::" },
		{ "2001:db8:1:2ff:3:4:5:6", 32, 56, "2001:db8:1:200::" },
		{ "2001:db8:1:2ff:3:4:5:6", 32, 61, "2001:db8:1:2f8::" },
		{ "2001:db8:1:2:3:4:5:6", 32, 0, "::" },
	};
	struct addr	 a, k, want;
	size_t		 i;

	(void)state;
	for (i = 0; i < NELEM(vec); i++) {
		a = mk(vec[i].addr);
		/* Junk past the 4 bytes of an IPv4 address is not key. */
		if (a.family == AF_INET)
			memset(a.addr + 4, 0xa5, 12);
		memset(&k, 0xff, sizeof(k));
		rl_key(&a, vec[i].v4len, vec[i].v6len, &k);
		want = mk(vec[i].want);
		assert_int_equal(k.family, want.family);
		if (memcmp(k.addr, want.addr, sizeof(k.addr)) != 0)
			fail_msg("vector %zu: %s /%u /%u", i, vec[i].addr,
			    vec[i].v4len, vec[i].v6len);
	}
}

static void
test_ratelimit_families_distinct(void **state)
{
	struct rl_table	*t = table(16);
	/* The same 16 bytes as IPv4 (first four used) and as IPv6. */
	struct addr	 v4 = key("1.2.3.4"), v6 = key("102:304::");

	(void)state;
	assert_memory_equal(v4.addr, v6.addr, 16);
	take_ok(t, &v4, 0, 0, 1, 1);
	assert_int_equal(rl_take(t, &v4, 0, 0, 1), RL_LIMITED);
	assert_int_equal(rl_take(t, &v6, 0, 0, 1), RL_OK);
	assert_int_equal(rl_count(t), 2);
	assert_int_equal(rl_conn_open(t, &v6, 0, 5), RL_OK);
	assert_int_equal(rl_conns(t, &v4), 0);
	assert_int_equal(rl_conns(t, &v6), 1);
	rl_free(t);
}

static void
test_ratelimit_families_distinct_same_chain(void **state)
{
	struct rl_table	*t;
	struct addr	 v4, v6;
	char		 a[64];
	unsigned	 round, i, n;

	(void)state;
	/*
	 * Many pairs in small tables (16 chains), so that some pairs share
	 * a hash chain whatever the hash: the family must tell them apart.
	 */
	for (round = 0; round < 32; round++) {
		t = table(16);
		for (i = 0; i < 8; i++) {
			n = round * 8 + i;
			snprintf(a, sizeof(a), "10.%u.%u.1", n >> 8, n & 0xff);
			v4 = key(a);
			snprintf(a, sizeof(a), "a%02x:%x01::", n >> 8, n & 0xff);
			v6 = key(a);
			assert_memory_equal(v4.addr, v6.addr, 16);
			take_ok(t, &v4, 0, 0, 1, 1);
			assert_int_equal(rl_take(t, &v6, 0, 0, 1), RL_OK);
			assert_int_equal(rl_take(t, &v4, 0, 0, 1), RL_LIMITED);
			assert_int_equal(rl_take(t, &v6, 0, 0, 1), RL_LIMITED);
		}
		assert_int_equal(rl_count(t), 16);
		rl_free(t);
	}
}

static void
test_ratelimit_rotating_v6_share_bucket(void **state)
{
	static const char *const inside[] = {
		"2001:db8:0:7::1", "2001:db8:0:7::2", "2001:db8:0:7:ffff::1234",
		"2001:db8:0:7:8000:1:2:3", "2001:db8:0:7:dead:beef:0:1",
	};
	struct rl_table	*t = table(16);
	struct addr	 k, other = key("2001:db8:0:8::1");
	size_t		 i;

	(void)state;
	/* Burst 5, no refill: five addresses of one /64 use it up. */
	for (i = 0; i < NELEM(inside); i++) {
		k = key(inside[i]);
		assert_int_equal(rl_take(t, &k, 10, 0, 5), RL_OK);
	}
	for (i = 0; i < NELEM(inside); i++) {
		k = key(inside[i]);
		assert_int_equal(rl_take(t, &k, 10, 0, 5), RL_LIMITED);
	}
	assert_int_equal(rl_count(t), 1);
	/* The next /64 is another source. */
	assert_int_equal(rl_take(t, &other, 10, 0, 5), RL_OK);
	/* Connections are counted per /64 too. */
	for (i = 0; i < NELEM(inside); i++) {
		k = key(inside[i]);
		assert_int_equal(rl_conn_open(t, &k, 10, 3), i < 3 ?
		    RL_OK : RL_LIMITED);
	}
	k = key("2001:db8:0:7::abcd");
	assert_int_equal(rl_conns(t, &k), 3);
	assert_int_equal(rl_count(t), 2);
	rl_free(t);
}

static void
test_ratelimit_conn_counts(void **state)
{
	struct rl_table	*t = table(16);
	struct addr	 a = key("192.0.2.1"), b = key("192.0.2.2");

	(void)state;
	assert_int_equal(rl_conns(t, &a), 0);
	assert_int_equal(rl_conn_open(t, &a, 0, 3), RL_OK);
	assert_int_equal(rl_conn_open(t, &a, 0, 3), RL_OK);
	assert_int_equal(rl_conn_open(t, &a, 0, 3), RL_OK);
	assert_int_equal(rl_conn_open(t, &a, 0, 3), RL_LIMITED);
	assert_int_equal(rl_conns(t, &a), 3);
	/* The cap is per source. */
	assert_int_equal(rl_conn_open(t, &b, 0, 3), RL_OK);
	assert_int_equal(rl_conns(t, &b), 1);
	rl_conn_close(t, &a);
	assert_int_equal(rl_conns(t, &a), 2);
	assert_int_equal(rl_conn_open(t, &a, 0, 3), RL_OK);
	assert_int_equal(rl_conn_open(t, &a, 0, 3), RL_LIMITED);
	rl_conn_close(t, &a);
	rl_conn_close(t, &a);
	rl_conn_close(t, &a);
	assert_int_equal(rl_conns(t, &a), 0);
	/* Closing more than was opened, or an unknown source: no effect. */
	rl_conn_close(t, &a);
	assert_int_equal(rl_conns(t, &a), 0);
	{
		struct addr	 u = key("198.51.100.1");

		rl_conn_close(t, &u);
		assert_int_equal(rl_conns(t, &u), 0);
	}
	assert_int_equal(rl_count(t), 2);
	/* A cap of zero refuses every connection. */
	assert_int_equal(rl_conn_open(t, &b, 0, 0), RL_LIMITED);
	assert_int_equal(rl_conns(t, &b), 1);
	rl_free(t);
}

/*
 * Is k tracked? With rate 0 and burst 1 every tracked source was drained,
 * so a tracked one is LIMITED; an untracked one gets a fresh bucket (OK),
 * which adds it (and may evict). Probe tracked ones first.
 */
static int
tracked(struct rl_table *t, const struct addr *k, uint64_t now)
{
	return rl_take(t, k, now, 0, 1) == RL_LIMITED;
}

static void
test_ratelimit_lru_eviction_order(void **state)
{
	struct rl_table	*t = table(4);
	struct addr	 a = key("10.0.0.1"), b = key("10.0.0.2");
	struct addr	 c = key("10.0.0.3"), d = key("10.0.0.4");
	struct addr	 e = key("10.0.0.5"), f = key("10.0.0.6");
	struct addr	 g = key("10.0.0.7");

	(void)state;
	take_ok(t, &a, 1, 0, 1, 1);
	take_ok(t, &b, 2, 0, 1, 1);
	take_ok(t, &c, 3, 0, 1, 1);
	take_ok(t, &d, 4, 0, 1, 1);
	assert_int_equal(rl_count(t), 4);
	/* Seeing a again makes it recent: b is now the least recent. */
	assert_int_equal(rl_take(t, &a, 5, 0, 1), RL_LIMITED);
	take_ok(t, &e, 6, 0, 1, 1);		/* evicts b */
	assert_int_equal(rl_count(t), 4);
	/* A refusal note is a sighting too: c becomes recent. */
	assert_int_equal(rl_note_refusal(t, &c, RL_KIND_RATE, 7), 1);
	take_ok(t, &f, 8, 0, 1, 1);		/* evicts d */
	assert_int_equal(rl_count(t), 4);
	/* Order now, least recent first: a e c f. */
	assert_true(tracked(t, &a, 9));
	assert_true(tracked(t, &e, 10));
	assert_true(tracked(t, &c, 11));
	assert_true(tracked(t, &f, 12));
	/* b and d were forgotten: they come back with a full bucket. */
	assert_false(tracked(t, &b, 13));	/* evicts a */
	assert_false(tracked(t, &d, 14));	/* evicts e */
	assert_int_equal(rl_count(t), 4);
	assert_true(tracked(t, &c, 15));
	assert_true(tracked(t, &f, 16));
	assert_true(tracked(t, &b, 17));
	assert_true(tracked(t, &d, 18));
	assert_false(tracked(t, &a, 19));	/* evicts c */
	assert_false(tracked(t, &e, 20));	/* evicts f */
	/* A closed connection makes its source the most recent idle one. */
	assert_int_equal(rl_conn_open(t, &b, 21, 5), RL_OK);
	rl_conn_close(t, &b);			/* order: d a e b */
	take_ok(t, &g, 22, 0, 1, 1);		/* evicts d */
	assert_true(tracked(t, &b, 23));
	assert_true(tracked(t, &a, 24));
	assert_true(tracked(t, &e, 25));
	assert_true(tracked(t, &g, 26));
	assert_int_equal(rl_count(t), 4);
	rl_free(t);
}

static void
test_ratelimit_busy_never_evicted(void **state)
{
	struct rl_table	*t = table(4);
	struct addr	 a = key("10.0.0.1"), b = key("10.0.0.2");
	struct addr	 c = key("10.0.0.3"), d = key("10.0.0.4");
	struct addr	 e = key("10.0.0.5"), f = key("10.0.0.6");
	struct addr	 g = key("10.0.0.7"), h = key("10.0.0.8");

	(void)state;
	/* a and b are the oldest, but hold connections. */
	take_ok(t, &a, 1, 0, 1, 1);
	take_ok(t, &b, 2, 0, 1, 1);
	assert_int_equal(rl_conn_open(t, &a, 3, 9), RL_OK);
	assert_int_equal(rl_conn_open(t, &b, 4, 9), RL_OK);
	assert_int_equal(rl_conn_open(t, &b, 4, 9), RL_OK);
	take_ok(t, &c, 5, 0, 1, 1);
	take_ok(t, &d, 6, 0, 1, 1);
	take_ok(t, &e, 7, 0, 1, 1);		/* evicts c */
	take_ok(t, &f, 8, 0, 1, 1);		/* evicts d */
	take_ok(t, &g, 9, 0, 1, 1);		/* evicts e */
	assert_int_equal(rl_count(t), 4);
	assert_int_equal(rl_conns(t, &a), 1);
	assert_int_equal(rl_conns(t, &b), 2);
	/* Their buckets survived too: still drained. */
	assert_true(tracked(t, &a, 10));
	assert_true(tracked(t, &b, 11));
	/* a goes idle: now the most recent idle source, f the least. */
	rl_conn_close(t, &a);
	take_ok(t, &h, 12, 0, 1, 1);		/* evicts f */
	assert_true(tracked(t, &a, 13));
	assert_true(tracked(t, &g, 14));
	assert_true(tracked(t, &h, 15));
	assert_true(tracked(t, &b, 16));
	assert_int_equal(rl_conns(t, &b), 2);
	rl_free(t);
}

static void
test_ratelimit_full_of_busy(void **state)
{
	struct rl_table	*t = table(4);
	struct addr	 k[4], x = key("10.9.9.9");
	char		 s[32];
	size_t		 i;

	(void)state;
	for (i = 0; i < NELEM(k); i++) {
		snprintf(s, sizeof(s), "10.0.0.%zu", i + 1);
		k[i] = key(s);
		assert_int_equal(rl_conn_open(t, &k[i], i, 2), RL_OK);
	}
	assert_int_equal(rl_conn_open(t, &x, 10, 2), RL_FULL);
	assert_int_equal(rl_take(t, &x, 10, 10, 10), RL_FULL);
	assert_int_equal(rl_note_refusal(t, &x, RL_KIND_CONN, 10), 0);
	assert_int_equal(rl_conns(t, &x), 0);
	assert_int_equal(rl_count(t), 4);
	/* Known busy sources are still served. */
	assert_int_equal(rl_conn_open(t, &k[0], 11, 2), RL_OK);
	assert_int_equal(rl_conn_open(t, &k[0], 11, 2), RL_LIMITED);
	assert_int_equal(rl_take(t, &k[1], 11, 10, 10), RL_OK);
	/* One goes idle: the newcomer takes its place. */
	rl_conn_close(t, &k[2]);
	assert_int_equal(rl_conn_open(t, &x, 12, 2), RL_OK);
	assert_int_equal(rl_count(t), 4);
	assert_int_equal(rl_conns(t, &k[2]), 0);
	for (i = 0; i < NELEM(k); i++)
		if (i != 2)
			assert_true(rl_conns(t, &k[i]) > 0);
	{
		struct addr	 y = key("10.9.9.10");

		assert_int_equal(rl_conn_open(t, &y, 13, 2), RL_FULL);
	}
	rl_free(t);
}

/* What rl_summarise reported. */
struct sums {
	size_t		 n;
	struct addr	 key[8];
	uint64_t	 counts[8][RL_NKINDS];
	uint64_t	 since[8];
};

static void
sum_cb(const struct addr *k, const uint64_t *counts, uint64_t since,
    void *arg)
{
	struct sums	*s = arg;

	assert_true(s->n < NELEM(s->key));
	s->key[s->n] = *k;
	memcpy(s->counts[s->n], counts, sizeof(s->counts[0]));
	s->since[s->n] = since;
	s->n++;
}

static size_t
summarise(struct rl_table *t, uint64_t now, uint64_t interval,
    struct sums *s)
{
	size_t	 n;

	memset(s, 0, sizeof(*s));
	n = rl_summarise(t, now, interval, sum_cb, s);
	assert_int_equal(n, s->n);
	return n;
}

static void
test_ratelimit_refusal_notes(void **state)
{
	struct rl_table	*t = table(16);
	struct addr	 a = key("192.0.2.1"), b = key("192.0.2.2");
	struct sums	 s;
	unsigned	 i;

	(void)state;
	/* The first refusal is logged in full; the rest only counted. */
	assert_int_equal(rl_note_refusal(t, &a, RL_KIND_RATE, 1000), 1);
	for (i = 0; i < 5; i++)
		assert_int_equal(rl_note_refusal(t, &a, RL_KIND_RATE, 1001),
		    0);
	for (i = 0; i < 3; i++)
		assert_int_equal(rl_note_refusal(t, &a, RL_KIND_CONN, 1002),
		    0);
	/* Each source has its own quiet spell. */
	assert_int_equal(rl_note_refusal(t, &b, RL_KIND_CONN, 1500), 1);
	assert_int_equal(rl_note_refusal(t, &b, RL_KIND_CONN, 1501), 0);
	/* An unknown kind is ignored. */
	assert_int_equal(rl_note_refusal(t, &a, RL_NKINDS, 1003), 0);
	assert_int_equal(rl_note_refusal(t, &a, (enum rl_kind)-1, 1003), 0);

	assert_int_equal(summarise(t, 11000, 10000, &s), 1);
	assert_memory_equal(&s.key[0], &a, sizeof(a));
	assert_int_equal(s.counts[0][RL_KIND_RATE], 5);
	assert_int_equal(s.counts[0][RL_KIND_CONN], 3);
	assert_int_equal(s.since[0], 1000);
	assert_int_equal(summarise(t, 11501, 10000, &s), 1);
	assert_memory_equal(&s.key[0], &b, sizeof(b));
	assert_int_equal(s.counts[0][RL_KIND_RATE], 0);
	assert_int_equal(s.counts[0][RL_KIND_CONN], 1);
	assert_int_equal(s.since[0], 1500);
	rl_free(t);
}

static void
test_ratelimit_summarise_window(void **state)
{
	struct rl_table	*t = table(16);
	struct addr	 a = key("192.0.2.1"), quiet = key("192.0.2.3");
	struct sums	 s;

	(void)state;
	assert_int_equal(summarise(t, 0, 2000, &s), 0);
	assert_int_equal(rl_note_refusal(t, &a, RL_KIND_RATE, 1000), 1);
	assert_int_equal(rl_note_refusal(t, &a, RL_KIND_RATE, 1100), 0);
	assert_int_equal(rl_note_refusal(t, &a, RL_KIND_CONN, 1200), 0);
	/* A source that never refused, or one refusal only: no summary. */
	take_ok(t, &quiet, 1000, 10, 10, 1);
	/* Not before a whole interval since the window began. */
	assert_int_equal(summarise(t, 2999, 2000, &s), 0);
	assert_int_equal(summarise(t, 3000, 2000, &s), 1);
	assert_int_equal(s.counts[0][RL_KIND_RATE], 1);
	assert_int_equal(s.counts[0][RL_KIND_CONN], 1);
	assert_int_equal(s.since[0], 1000);
	/* Reset: nothing more to say at once. */
	assert_int_equal(summarise(t, 3000, 2000, &s), 0);
	/* Still refusing: counted, not logged; the next window starts at 3000. */
	assert_int_equal(rl_note_refusal(t, &a, RL_KIND_RATE, 3500), 0);
	assert_int_equal(rl_note_refusal(t, &a, RL_KIND_RATE, 3600), 0);
	assert_int_equal(summarise(t, 4999, 2000, &s), 0);
	assert_int_equal(summarise(t, 5000, 2000, &s), 1);
	assert_int_equal(s.counts[0][RL_KIND_RATE], 2);
	assert_int_equal(s.counts[0][RL_KIND_CONN], 0);
	assert_int_equal(s.since[0], 3000);
	/* A whole quiet interval ends the window, with no summary... */
	assert_int_equal(summarise(t, 7000, 2000, &s), 0);
	/* ...so the next refusal is logged in full again. */
	assert_int_equal(rl_note_refusal(t, &a, RL_KIND_CONN, 9000), 1);
	assert_int_equal(rl_note_refusal(t, &a, RL_KIND_CONN, 9001), 0);
	assert_int_equal(summarise(t, 11000, 2000, &s), 1);
	assert_int_equal(s.counts[0][RL_KIND_CONN], 1);
	assert_int_equal(s.since[0], 9000);

	/* A lone refusal: its window ends quietly after one interval. */
	assert_int_equal(rl_note_refusal(t, &quiet, RL_KIND_RATE, 20000), 1);
	assert_int_equal(summarise(t, 22000, 2000, &s), 0);
	assert_int_equal(rl_note_refusal(t, &quiet, RL_KIND_RATE, 22001), 1);
	rl_free(t);
}

static void
test_ratelimit_summarise_several(void **state)
{
	struct rl_table	*t = table(64);
	struct addr	 k[5];
	struct sums	 s;
	char		 a[32];
	uint64_t	 seen = 0, total = 0;
	size_t		 i, j;

	(void)state;
	for (i = 0; i < NELEM(k); i++) {
		snprintf(a, sizeof(a), "198.51.100.%zu", i + 1);
		k[i] = key(a);
		/* Source i: one logged, then i counted (rate), 1 conn. */
		assert_int_equal(rl_note_refusal(t, &k[i], RL_KIND_RATE, 100),
		    1);
		for (j = 0; j < i; j++)
			rl_note_refusal(t, &k[i], RL_KIND_RATE, 200);
		rl_note_refusal(t, &k[i], RL_KIND_CONN, 300);
	}
	assert_int_equal(summarise(t, 1100, 1000, &s), NELEM(k));
	for (i = 0; i < s.n; i++) {
		for (j = 0; j < NELEM(k); j++)
			if (memcmp(&s.key[i], &k[j], sizeof(k[j])) == 0)
				break;
		assert_true(j < NELEM(k));
		assert_false(seen & (1ULL << j));
		seen |= 1ULL << j;
		assert_int_equal(s.counts[i][RL_KIND_RATE], j);
		assert_int_equal(s.counts[i][RL_KIND_CONN], 1);
		total += s.counts[i][RL_KIND_RATE];
	}
	assert_int_equal(total, 0 + 1 + 2 + 3 + 4);
	rl_free(t);
}

/*
 * A random workload against a plain model of the table: membership,
 * connection counts, eviction of the least recently seen idle source,
 * RL_FULL, and buckets (rate 0, so a bucket is a plain counter that a
 * forgotten source gets back full).
 */
#define MODEL_MAX	16
#define MODEL_ADDRS	48
#define MODEL_BURST	3
#define MODEL_CAP	4

struct model_src {
	int		 tracked;
	uint32_t	 conns;
	uint32_t	 tokens;
	uint64_t	 seen;		/* when last made the most recent idle */
	int		 in_window;
};

struct model {
	struct model_src src[MODEL_ADDRS];
	size_t		 count;
	uint64_t	 clock;
	size_t		 evictions;
	size_t		 fulls;
};

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The model's get(): find or add; -1 if full of busy sources. */
static int
model_get(struct model *m, size_t i)
{
	struct model_src	*s = &m->src[i];
	size_t			 j, victim = MODEL_ADDRS;

	if (s->tracked) {
		if (s->conns == 0)
			s->seen = ++m->clock;
		return 0;
	}
	if (m->count >= MODEL_MAX) {
		for (j = 0; j < MODEL_ADDRS; j++)
			if (m->src[j].tracked && m->src[j].conns == 0 &&
			    (victim == MODEL_ADDRS ||
			    m->src[j].seen < m->src[victim].seen))
				victim = j;
		if (victim == MODEL_ADDRS) {
			m->fulls++;
			return -1;
		}
		memset(&m->src[victim], 0, sizeof(m->src[victim]));
		m->count--;
		m->evictions++;
	}
	memset(s, 0, sizeof(*s));
	s->tracked = 1;
	s->tokens = MODEL_BURST;
	s->seen = ++m->clock;
	m->count++;
	return 0;
}

static void
test_ratelimit_random_vs_model(void **state)
{
	struct rl_table	*t = table(MODEL_MAX);
	struct model	*m = calloc(1, sizeof(*m));
	struct addr	 k[MODEL_ADDRS];
	uint64_t	 rs = 0x9e3779b97f4a7c15ULL, now = 1000;
	size_t		 i, op, maxseen = 0;
	char		 a[64];
	enum rl_status	 st, want;
	int		 r;

	(void)state;
	assert_non_null(m);
	for (i = 0; i < MODEL_ADDRS; i++) {
		/* Alternate families, each address its own source. */
		if (i % 2 == 0)
			snprintf(a, sizeof(a), "10.1.%zu.%zu", i / 7, i);
		else
			snprintf(a, sizeof(a), "2001:db8:%zx::%zx", i, i * 3);
		k[i] = key(a);
	}
	for (op = 0; op < 300000; op++) {
		i = (size_t)(rnd(&rs) % MODEL_ADDRS);
		now += rnd(&rs) % 3;
		switch (rnd(&rs) % 8) {
		case 0:
		case 1:
			st = rl_take(t, &k[i], now, 0, MODEL_BURST);
			if (model_get(m, i) == -1)
				want = RL_FULL;
			else if (m->src[i].tokens == 0)
				want = RL_LIMITED;
			else {
				m->src[i].tokens--;
				want = RL_OK;
			}
			break;
		case 2:
		case 3:
		case 4:
			st = rl_conn_open(t, &k[i], now, MODEL_CAP);
			if (model_get(m, i) == -1)
				want = RL_FULL;
			else if (m->src[i].conns >= MODEL_CAP)
				want = RL_LIMITED;
			else {
				m->src[i].conns++;
				want = RL_OK;
			}
			break;
		case 5:
		case 6:
			rl_conn_close(t, &k[i]);
			if (m->src[i].tracked && m->src[i].conns > 0 &&
			    --m->src[i].conns == 0)
				m->src[i].seen = ++m->clock;
			st = want = RL_OK;
			break;
		default:
			r = rl_note_refusal(t, &k[i], RL_KIND_RATE, now);
			if (model_get(m, i) == -1)
				want = 0;
			else if (!m->src[i].in_window) {
				m->src[i].in_window = 1;
				want = 1;
			} else
				want = 0;
			st = (enum rl_status)r;
			break;
		}
		if (st != want)
			fail_msg("op %zu on source %zu: got %d, model %d", op, i,
			    (int)st, (int)want);
		assert_true(rl_count(t) <= MODEL_MAX);
		assert_int_equal(rl_count(t), m->count);
		assert_int_equal(rl_conns(t, &k[i]), m->src[i].tracked ?
		    m->src[i].conns : 0);
		if (rl_count(t) > maxseen)
			maxseen = rl_count(t);
	}
	/* The workload did fill the table, evict, and run into RL_FULL. */
	assert_int_equal(maxseen, MODEL_MAX);
	assert_true(m->evictions > 100);
	assert_true(m->fulls > 100);
	for (i = 0; i < MODEL_ADDRS; i++)
		assert_int_equal(rl_conns(t, &k[i]), m->src[i].tracked ?
		    m->src[i].conns : 0);
	free(m);
	rl_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ratelimit_new_bounds),
		cmocka_unit_test(test_ratelimit_burst_then_limited),
		cmocka_unit_test(test_ratelimit_refill_exact),
		cmocka_unit_test(test_ratelimit_cap_after_idle),
		cmocka_unit_test(test_ratelimit_rate_zero),
		cmocka_unit_test(test_ratelimit_key_masking),
		cmocka_unit_test(test_ratelimit_families_distinct),
		cmocka_unit_test(test_ratelimit_families_distinct_same_chain),
		cmocka_unit_test(test_ratelimit_rotating_v6_share_bucket),
		cmocka_unit_test(test_ratelimit_conn_counts),
		cmocka_unit_test(test_ratelimit_lru_eviction_order),
		cmocka_unit_test(test_ratelimit_busy_never_evicted),
		cmocka_unit_test(test_ratelimit_full_of_busy),
		cmocka_unit_test(test_ratelimit_refusal_notes),
		cmocka_unit_test(test_ratelimit_summarise_window),
		cmocka_unit_test(test_ratelimit_summarise_several),
		cmocka_unit_test(test_ratelimit_random_vs_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
