/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ratelimit.c: a chained hash of sources with an LRU list of the idle
 * ones. Buckets hold milli-tokens so that integer arithmetic refills
 * exactly: rate tokens per second is rate milli-tokens per millisecond.
 */
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"

struct rl_src {
	struct rl_src	*hnext;			/* hash chain */
	struct rl_src	*lprev, *lnext;		/* LRU of idle sources */
	struct addr	 key;
	uint64_t	 mtokens;		/* milli-tokens */
	uint64_t	 refilled_ms;
	int		 bucket_set;
	uint32_t	 conns;
	uint64_t	 window_ms;		/* start of the summary window */
	uint64_t	 refusals[RL_NKINDS];	/* counted, not summarised */
	int		 in_window;		/* refusing lately */
};

struct rl_table {
	struct rl_src	**buckets;
	size_t		 nbuckets;		/* power of 2 */
	size_t		 count;
	size_t		 max;
	uint64_t	 seed;
	struct rl_src	*lru_head;		/* most recent idle */
	struct rl_src	*lru_tail;		/* least recent idle */
};

struct rl_table *
rl_new(size_t max_sources, uint64_t seed)
{
	struct rl_table	*t;
	size_t		 n = 16;

	if (max_sources == 0 || (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	while (n < max_sources && n < ((size_t)1 << 30))
		n *= 2;
	if ((t->buckets = calloc(n, sizeof(*t->buckets))) == NULL) {
		free(t);
		return NULL;
	}
	t->nbuckets = n;
	t->max = max_sources;
	t->seed = seed;
	return t;
}

void
rl_free(struct rl_table *t)
{
	size_t		 i;
	struct rl_src	*s, *next;

	if (t == NULL)
		return;
	for (i = 0; i < t->nbuckets; i++)
		for (s = t->buckets[i]; s != NULL; s = next) {
			next = s->hnext;
			free(s);
		}
	free(t->buckets);
	free(t);
}

/* Mask an address to its source key. */
void
rl_key(const struct addr *a, unsigned v4len, unsigned v6len,
    struct addr *key)
{
	addr_mask(key, a, a->family == AF_INET ? v4len : v6len);
}

/* SipHash would be stronger; a seeded 64-bit mix is enough here. */
static size_t
hash(const struct rl_table *t, const struct addr *k)
{
	uint64_t	 h = t->seed ^ (uint64_t)k->family;
	size_t		 i;

	for (i = 0; i < 16; i++) {
		h ^= k->addr[i];
		h *= 0x100000001b3ULL;
		h ^= h >> 29;
	}
	h ^= h >> 32;
	return (size_t)h & (t->nbuckets - 1);
}

static void
lru_unlink(struct rl_table *t, struct rl_src *s)
{
	if (s->lprev != NULL)
		s->lprev->lnext = s->lnext;
	else if (t->lru_head == s)
		t->lru_head = s->lnext;
	if (s->lnext != NULL)
		s->lnext->lprev = s->lprev;
	else if (t->lru_tail == s)
		t->lru_tail = s->lprev;
	s->lprev = s->lnext = NULL;
}

static void
lru_push(struct rl_table *t, struct rl_src *s)
{
	s->lprev = NULL;
	s->lnext = t->lru_head;
	if (t->lru_head != NULL)
		t->lru_head->lprev = s;
	t->lru_head = s;
	if (t->lru_tail == NULL)
		t->lru_tail = s;
}

/* Mark s as just seen: idle sources move to the front of the LRU. */
static void
touch(struct rl_table *t, struct rl_src *s)
{
	if (s->conns == 0) {
		lru_unlink(t, s);
		lru_push(t, s);
	}
}

static void
hash_remove(struct rl_table *t, struct rl_src *s)
{
	struct rl_src	**pp = &t->buckets[hash(t, &s->key)];

	for (; *pp != NULL; pp = &(*pp)->hnext)
		if (*pp == s) {
			*pp = s->hnext;
			return;
		}
}

static struct rl_src *
find(const struct rl_table *t, const struct addr *k)
{
	struct rl_src	*s;

	for (s = t->buckets[hash(t, k)]; s != NULL; s = s->hnext)
		if (s->key.family == k->family &&
		    memcmp(s->key.addr, k->addr, 16) == 0)
			return s;
	return NULL;
}

/* Find or create the source; NULL if the table is full of busy ones. */
static struct rl_src *
get(struct rl_table *t, const struct addr *k)
{
	struct rl_src	*s;
	size_t		 b;

	if ((s = find(t, k)) != NULL) {
		touch(t, s);
		return s;
	}
	if (t->count >= t->max) {
		/* Forget the least recently seen idle source. */
		if ((s = t->lru_tail) == NULL)
			return NULL;
		lru_unlink(t, s);
		hash_remove(t, s);
		t->count--;
	} else if ((s = malloc(sizeof(*s))) == NULL)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->key = *k;
	b = hash(t, k);
	s->hnext = t->buckets[b];
	t->buckets[b] = s;
	t->count++;
	lru_push(t, s);
	return s;
}

enum rl_status
rl_take(struct rl_table *t, const struct addr *k, uint64_t now,
    uint32_t rate, uint32_t burst)
{
	struct rl_src	*s;
	uint64_t	 cap = (uint64_t)burst * 1000, add;

	if ((s = get(t, k)) == NULL)
		return RL_FULL;
	if (!s->bucket_set) {
		s->mtokens = cap;
		s->refilled_ms = now;
		s->bucket_set = 1;
	} else if (now > s->refilled_ms) {
		/* Cap the elapsed time first: no overflow, however long. */
		add = now - s->refilled_ms;
		if (add > cap)
			add = cap;
		if (rate > 0 && add > (cap - s->mtokens) / rate)
			s->mtokens = cap;
		else
			s->mtokens += add * rate;
		s->refilled_ms = now;
	}
	if (s->mtokens < 1000)
		return RL_LIMITED;
	s->mtokens -= 1000;
	return RL_OK;
}

enum rl_status
rl_conn_open(struct rl_table *t, const struct addr *k, uint64_t now,
    uint32_t max)
{
	struct rl_src	*s;

	(void)now;
	if ((s = get(t, k)) == NULL)
		return RL_FULL;
	if (s->conns >= max)
		return RL_LIMITED;
	if (s->conns == 0)
		lru_unlink(t, s);	/* busy sources are never evicted */
	s->conns++;
	return RL_OK;
}

void
rl_conn_close(struct rl_table *t, const struct addr *k)
{
	struct rl_src	*s;

	if ((s = find(t, k)) == NULL || s->conns == 0)
		return;
	if (--s->conns == 0)
		lru_push(t, s);
}

int
rl_note_refusal(struct rl_table *t, const struct addr *k,
    enum rl_kind kind, uint64_t now)
{
	struct rl_src	*s;

	if ((unsigned)kind >= RL_NKINDS || (s = get(t, k)) == NULL)
		return 0;
	if (!s->in_window) {
		/* The first refusal after a quiet spell is logged in full. */
		s->in_window = 1;
		s->window_ms = now;
		return 1;
	}
	s->refusals[kind]++;
	return 0;
}

size_t
rl_summarise(struct rl_table *t, uint64_t now, uint64_t interval,
    void (*fn)(const struct addr *, const uint64_t *, uint64_t, void *),
    void *arg)
{
	struct rl_src	*s;
	size_t		 i, k, n = 0;
	uint64_t	 total;

	for (i = 0; i < t->nbuckets; i++)
		for (s = t->buckets[i]; s != NULL; s = s->hnext) {
			if (!s->in_window || now < s->window_ms ||
			    now - s->window_ms < interval)
				continue;
			for (total = 0, k = 0; k < RL_NKINDS; k++)
				total += s->refusals[k];
			if (total == 0) {
				/* A quiet interval ends the window. */
				s->in_window = 0;
				continue;
			}
			fn(&s->key, s->refusals, s->window_ms, arg);
			n++;
			memset(s->refusals, 0, sizeof(s->refusals));
			s->window_ms = now;
		}
	return n;
}

size_t
rl_count(const struct rl_table *t)
{
	return t->count;
}

uint32_t
rl_conns(const struct rl_table *t, const struct addr *k)
{
	struct rl_src	*s = find(t, k);

	return s == NULL ? 0 : s->conns;
}
