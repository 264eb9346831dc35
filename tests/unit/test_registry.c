/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_registry.c: the node table, driven with explicit times.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "registry.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static void
mknode(struct wire_node *n, const char *name, uint16_t port)
{
	memset(n, 0, sizeof(*n));
	n->port = port;
	n->type = 77;
	n->highvsn = 6;
	n->lowvsn = 5;
	n->namelen = (uint16_t)strlen(name);
	memcpy(n->name, name, n->namelen + 1);
}

/* Register name with its own owner; returns the creation. */
static uint32_t
add_ok(struct registry *r, const char *name, void *owner, int fd,
    uint32_t now)
{
	struct wire_node	 n;
	uint32_t		 creation = 0;

	mknode(&n, name, (uint16_t)(4000 + fd));
	assert_int_equal(registry_add(r, &n, owner, fd, now, &creation),
	    REGISTRY_OK);
	return creation;
}

static void
remove_ok(struct registry *r, const char *name)
{
	void	*owner = NULL;

	assert_int_equal(registry_remove_name(r, name, &owner), REGISTRY_OK);
	assert_non_null(owner);
}

/* What a walk saw, in order: "name/port/fd/creation;" per entry. */
struct seen {
	char	 buf[4096];
	size_t	 len;
};

static void
seen_node(const struct wire_node *n, uint32_t creation, int fd, void *arg)
{
	struct seen	*s = arg;
	int		 r;

	r = snprintf(s->buf + s->len, sizeof(s->buf) - s->len, "%s/%u/%d/%u;",
	    n->name, (unsigned)n->port, fd, (unsigned)creation);
	assert_true(r > 0 && (size_t)r < sizeof(s->buf) - s->len);
	s->len += (size_t)r;
}

static void
seen_freed(const char *name, uint16_t port, int fd, void *arg)
{
	struct seen	*s = arg;
	int		 r;

	r = snprintf(s->buf + s->len, sizeof(s->buf) - s->len, "%s/%u/%d;",
	    name, (unsigned)port, fd);
	assert_true(r > 0 && (size_t)r < sizeof(s->buf) - s->len);
	s->len += (size_t)r;
}

static const char *
walk(const struct registry *r, struct seen *s)
{
	s->len = 0;
	s->buf[0] = '\0';
	registry_walk(r, seen_node, s);
	return s->buf;
}

static const char *
walk_freed(const struct registry *r, struct seen *s)
{
	s->len = 0;
	s->buf[0] = '\0';
	registry_walk_freed(r, seen_freed, s);
	return s->buf;
}

static void
test_registry_new_empty(void **state)
{
	struct registry	*r;
	struct seen	 s;

	(void)state;
	r = registry_new(10, 10);
	assert_non_null(r);
	assert_int_equal(registry_count(r), 0);
	assert_int_equal(registry_count_freed(r), 0);
	assert_null(registry_find(r, "a"));
	assert_string_equal(walk(r, &s), "");
	assert_string_equal(walk_freed(r, &s), "");
	registry_free(r);
	registry_free(NULL);
}

static void
test_registry_creation_new_name(void **state)
{
	struct registry	*r;
	int		 o1, o2;

	(void)state;
	r = registry_new(10, 10);
	assert_non_null(r);
	assert_int_equal(add_ok(r, "a", &o1, 1, 1700000000), 1700000001);
	assert_int_equal(add_ok(r, "b", &o2, 2, 1700000005), 1700000006);
	registry_free(r);
}

static void
test_registry_creation_clamped(void **state)
{
	static const struct {
		uint32_t	 now, creation;
	} vecs[] = {
		{ 0, 4 }, { 1, 4 }, { 2, 4 }, { 3, 4 }, { 4, 5 },
		{ UINT32_MAX, 4 },	/* now + 1 wraps to 0 */
		{ UINT32_MAX - 1, UINT32_MAX },
	};
	struct registry	*r;
	char		 name[16];
	int		 owners[NELEM(vecs)];
	size_t		 i;

	(void)state;
	r = registry_new(NELEM(vecs), 0);
	assert_non_null(r);
	for (i = 0; i < NELEM(vecs); i++) {
		snprintf(name, sizeof(name), "n%zu", i);
		assert_int_equal(add_ok(r, name, &owners[i], (int)i,
		    vecs[i].now), vecs[i].creation);
	}
	registry_free(r);
}

static void
test_registry_creation_reregister(void **state)
{
	struct registry	*r;
	int		 o1, o2;

	(void)state;
	r = registry_new(10, 10);
	assert_non_null(r);
	assert_int_equal(add_ok(r, "a", &o1, 1, 1000), 1001);
	assert_int_equal(registry_remove_owner(r, &o1), REGISTRY_OK);
	assert_int_equal(registry_count_freed(r), 1);
	/* The clock is ignored for a remembered name. */
	assert_int_equal(add_ok(r, "a", &o2, 2, 5000), 1002);
	assert_int_equal(registry_count_freed(r), 0);
	remove_ok(r, "a");
	assert_int_equal(add_ok(r, "a", &o1, 3, 1), 1003);
	remove_ok(r, "a");
	registry_free(r);

	/* A remembered creation at the top wraps and is clamped. */
	r = registry_new(10, 10);
	assert_non_null(r);
	assert_int_equal(add_ok(r, "w", &o1, 1, UINT32_MAX - 1), UINT32_MAX);
	remove_ok(r, "w");
	assert_int_equal(add_ok(r, "w", &o1, 1, 0), 4);
	registry_free(r);
}

static void
test_registry_creation_v5(void **state)
{
	static const struct {
		uint32_t	 creation;
		uint16_t	 v5;
	} vecs[] = {
		{ 0, 1 }, { 1, 2 }, { 2, 3 }, { 3, 1 }, { 4, 2 }, { 5, 3 },
		{ 1700000001, 1700000001 % 3 + 1 },
		{ UINT32_MAX, 1 },	/* 4294967295 = 3 * 1431655765 */
		{ UINT32_MAX - 1, 3 },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(vecs); i++)
		assert_int_equal(registry_creation_v5(vecs[i].creation),
		    vecs[i].v5);
	for (i = 0; i < 1000; i++) {
		uint16_t v = registry_creation_v5((uint32_t)i * 7919u);

		assert_true(v >= 1 && v <= 3);
	}
}

static void
test_registry_duplicate_refused(void **state)
{
	struct registry		*r;
	struct wire_node	 n;
	const struct wire_node	*f;
	uint32_t		 creation = 12345;
	void			*owner = NULL;
	int			 o1, o2;

	(void)state;
	r = registry_new(10, 10);
	assert_non_null(r);
	assert_int_equal(add_ok(r, "dup", &o1, 1, 100), 101);
	mknode(&n, "dup", 9999);
	assert_int_equal(registry_add(r, &n, &o2, 2, 200, &creation),
	    REGISTRY_DUPLICATE);
	assert_int_equal(registry_count(r), 1);
	f = registry_find(r, "dup");
	assert_non_null(f);
	assert_int_equal(f->port, 4001);	/* the first holder's record */
	/* The refused owner holds nothing; the real holder is intact. */
	assert_int_equal(registry_remove_owner(r, &o2), REGISTRY_NOT_FOUND);
	assert_int_equal(registry_remove_name(r, "dup", &owner), REGISTRY_OK);
	assert_ptr_equal(owner, &o1);
	registry_free(r);
}

static void
test_registry_full(void **state)
{
	struct registry		*r;
	struct wire_node	 n;
	uint32_t		 creation;
	int			 o[4];

	(void)state;
	r = registry_new(3, 10);
	assert_non_null(r);
	add_ok(r, "a", &o[0], 0, 100);
	add_ok(r, "b", &o[1], 1, 100);
	add_ok(r, "c", &o[2], 2, 100);
	mknode(&n, "d", 1);
	assert_int_equal(registry_add(r, &n, &o[3], 3, 100, &creation),
	    REGISTRY_FULL);
	assert_int_equal(registry_count(r), 3);
	assert_null(registry_find(r, "d"));
	assert_int_equal(registry_remove_owner(r, &o[1]), REGISTRY_OK);
	assert_int_equal(registry_add(r, &n, &o[3], 3, 100, &creation),
	    REGISTRY_OK);
	assert_int_equal(registry_count(r), 3);
	registry_free(r);

	r = registry_new(0, 10);
	assert_non_null(r);
	assert_int_equal(registry_add(r, &n, &o[0], 0, 100, &creation),
	    REGISTRY_FULL);
	registry_free(r);
}

/*
 * Freed names are remembered oldest first. As in stock, the memory is only
 * trimmed when a name that is not remembered registers while more than
 * max_freed are remembered: the oldest is then forgotten.
 */
static void
test_registry_freed_trimmed_on_new_name(void **state)
{
	static const char	*names[] = { "a", "b", "c", "d", "e" };
	struct registry		*r;
	struct seen		 s;
	uint32_t		 cr[NELEM(names)];
	int			 o[NELEM(names)], x, y, z, w;
	size_t			 i;

	(void)state;
	r = registry_new(10, 3);
	assert_non_null(r);
	for (i = 0; i < NELEM(names); i++)
		cr[i] = add_ok(r, names[i], &o[i], (int)i, 1000 + (uint32_t)i);
	/* Frees alone never trim. */
	for (i = 0; i < NELEM(names); i++) {
		assert_int_equal(registry_remove_owner(r, &o[i]), REGISTRY_OK);
		assert_int_equal(registry_count_freed(r), i + 1);
	}
	assert_string_equal(walk_freed(r, &s),
	    "a/4000/0;b/4001/1;c/4002/2;d/4003/3;e/4004/4;");

	/* New names: one oldest dropped each while over max_freed. */
	assert_int_equal(add_ok(r, "x", &x, 5, 2000), 2001);
	assert_string_equal(walk_freed(r, &s),
	    "b/4001/1;c/4002/2;d/4003/3;e/4004/4;");
	assert_int_equal(add_ok(r, "y", &y, 6, 2000), 2001);
	assert_string_equal(walk_freed(r, &s),
	    "c/4002/2;d/4003/3;e/4004/4;");
	assert_int_equal(add_ok(r, "z", &z, 7, 2000), 2001);
	assert_int_equal(registry_count_freed(r), 3);

	/* A remembered name continues and leaves the memory; no trim. */
	assert_int_equal(add_ok(r, "d", &o[3], 3, 50000), cr[3] + 1);
	assert_string_equal(walk_freed(r, &s), "c/4002/2;e/4004/4;");
	/* A forgotten name starts afresh. */
	assert_int_equal(add_ok(r, "a", &o[0], 9, 50000), 50001);

	/* Freed again, a name moves to the newest end. */
	remove_ok(r, "d");
	assert_string_equal(walk_freed(r, &s),
	    "c/4002/2;e/4004/4;d/4003/3;");
	remove_ok(r, "a");
	assert_string_equal(walk_freed(r, &s),
	    "c/4002/2;e/4004/4;d/4003/3;a/4009/9;");
	assert_int_equal(add_ok(r, "w", &w, 8, 50000), 50001);
	assert_string_equal(walk_freed(r, &s),
	    "e/4004/4;d/4003/3;a/4009/9;");
	registry_free(r);
}

/* A tiny deterministic generator for the model test. */
static uint32_t
xorshift(uint32_t *st)
{
	uint32_t	 x = *st;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *st = x;
}

#define MODEL_NAMES	12

/* The registry as registry.h describes it, for comparison. */
struct model {
	size_t		 max_nodes, max_freed;
	int		 registered[MODEL_NAMES];
	uint32_t	 creation[MODEL_NAMES];
	int		 freed[4 * MODEL_NAMES];	/* name indices, oldest first */
	size_t		 nfreed, nreg;
};

static void
model_drop_oldest(struct model *m)
{
	memmove(m->freed, m->freed + 1, (m->nfreed - 1) * sizeof(m->freed[0]));
	m->nfreed--;
}

static const char *
model_walk_freed(const struct model *m, char *buf, size_t len)
{
	size_t	 i, o = 0;
	int	 r;

	buf[0] = '\0';
	for (i = 0; i < m->nfreed; i++) {
		r = snprintf(buf + o, len - o, "m%d/%u/%d;", m->freed[i],
		    4000u + (unsigned)m->freed[i], m->freed[i]);
		assert_true(r > 0 && (size_t)r < len - o);
		o += (size_t)r;
	}
	return buf;
}

/*
 * Random registrations and frees against the model: creations, counts and
 * the remembered names in order must agree at every step, and remembered
 * plus registered never exceeds max_freed + max_nodes.
 */
static void
test_registry_freed_model(void **state)
{
	static const size_t	 shapes[][2] = {
		{ 5, 3 }, { 1, 1 }, { 3, 0 }, { 8, 2 }, { 12, 12 }, { 2, 7 },
	};
	struct registry		*r;
	struct model		 m;
	struct seen		 s;
	struct wire_node	 n;
	char			 name[16], want[1024];
	int			 owners[MODEL_NAMES];
	uint32_t		 rng = 0x2545f491, creation, now;
	size_t			 sh, step, k;
	int			 i, rs;

	(void)state;
	for (sh = 0; sh < NELEM(shapes); sh++) {
		memset(&m, 0, sizeof(m));
		m.max_nodes = shapes[sh][0];
		m.max_freed = shapes[sh][1];
		r = registry_new(m.max_nodes, m.max_freed);
		assert_non_null(r);
		for (step = 0; step < 5000; step++) {
			i = (int)(xorshift(&rng) % MODEL_NAMES);
			now = 100000 + (uint32_t)step;
			snprintf(name, sizeof(name), "m%d", i);
			mknode(&n, name, (uint16_t)(4000 + i));
			if (m.registered[i] && xorshift(&rng) % 4 != 0) {
				if (step % 2)
					rs = registry_remove_owner(r,
					    &owners[i]);
				else {
					void *o = NULL;

					rs = registry_remove_name(r, name, &o);
					assert_ptr_equal(o, &owners[i]);
				}
				assert_int_equal(rs, REGISTRY_OK);
				m.registered[i] = 0;
				m.nreg--;
				if (m.max_freed > 0) {
					while (m.nfreed >= m.max_freed +
					    m.max_nodes)
						model_drop_oldest(&m);
					m.freed[m.nfreed++] = i;
				}
			} else if (m.registered[i]) {
				assert_int_equal(registry_add(r, &n, &owners[i],
				    i, now, &creation), REGISTRY_DUPLICATE);
			} else if (m.nreg >= m.max_nodes) {
				assert_int_equal(registry_add(r, &n, &owners[i],
				    i, now, &creation), REGISTRY_FULL);
			} else {
				assert_int_equal(registry_add(r, &n, &owners[i],
				    i, now, &creation), REGISTRY_OK);
				for (k = 0; k < m.nfreed; k++)
					if (m.freed[k] == i)
						break;
				if (k < m.nfreed) {
					assert_int_equal(creation,
					    m.creation[i] + 1);
					memmove(m.freed + k, m.freed + k + 1,
					    (m.nfreed - k - 1) *
					    sizeof(m.freed[0]));
					m.nfreed--;
				} else {
					assert_int_equal(creation, now + 1);
					if (m.nfreed > m.max_freed)
						model_drop_oldest(&m);
				}
				m.creation[i] = creation;
				m.registered[i] = 1;
				m.nreg++;
			}
			assert_int_equal(registry_count(r), m.nreg);
			assert_int_equal(registry_count_freed(r), m.nfreed);
			assert_true(m.nfreed + m.nreg <=
			    m.max_freed + m.max_nodes);
			assert_string_equal(walk_freed(r, &s),
			    model_walk_freed(&m, want, sizeof(want)));
		}
		registry_free(r);
	}
}

static void
test_registry_freed_disabled(void **state)
{
	struct registry	*r;
	int		 o;

	(void)state;
	r = registry_new(10, 0);
	assert_non_null(r);
	assert_int_equal(add_ok(r, "a", &o, 1, 1000), 1001);
	remove_ok(r, "a");
	assert_int_equal(registry_count_freed(r), 0);
	assert_int_equal(add_ok(r, "a", &o, 1, 2000), 2001);
	registry_free(r);
}

/* Count remembered names and keep the first one seen. */
struct first {
	char	 name[16];
	size_t	 count;
};

static void
first_freed(const char *name, uint16_t port, int fd, void *arg)
{
	struct first	*f = arg;

	(void)port;
	(void)fd;
	if (f->count++ == 0)
		snprintf(f->name, sizeof(f->name), "%s", name);
}

/* Stock's 1000 settles at 1001: one over, trimmed by the next new name. */
static void
test_registry_freed_stock_cap(void **state)
{
	struct registry	*r;
	struct first	 f = { "", 0 };
	char		 name[16];
	int		 o;
	size_t		 i;

	(void)state;
	r = registry_new(10, REGISTRY_MAX_FREED);
	assert_non_null(r);
	for (i = 0; i < REGISTRY_MAX_FREED + 5; i++) {
		snprintf(name, sizeof(name), "n%zu", i);
		add_ok(r, name, &o, 1, 100);
		remove_ok(r, name);
		assert_true(registry_count_freed(r) <= REGISTRY_MAX_FREED + 1);
	}
	assert_int_equal(registry_count_freed(r), REGISTRY_MAX_FREED + 1);
	registry_walk_freed(r, first_freed, &f);
	assert_int_equal(f.count, REGISTRY_MAX_FREED + 1);
	assert_string_equal(f.name, "n4");
	registry_free(r);
}

static void
test_registry_walk_newest_first(void **state)
{
	struct registry	*r;
	struct seen	 s;
	int		 o[3];

	(void)state;
	r = registry_new(10, 10);
	assert_non_null(r);
	add_ok(r, "a", &o[0], 1, 10);
	add_ok(r, "b", &o[1], 2, 20);
	add_ok(r, "c", &o[2], 3, 30);
	assert_string_equal(walk(r, &s),
	    "c/4003/3/31;b/4002/2/21;a/4001/1/11;");
	assert_int_equal(registry_remove_owner(r, &o[1]), REGISTRY_OK);
	assert_string_equal(walk(r, &s), "c/4003/3/31;a/4001/1/11;");
	add_ok(r, "b", &o[1], 4, 99);
	assert_string_equal(walk(r, &s),
	    "b/4004/4/22;c/4003/3/31;a/4001/1/11;");
	registry_free(r);
}

static void
test_registry_remove_by_owner(void **state)
{
	struct registry	*r;
	int		 o[3], stranger;

	(void)state;
	r = registry_new(10, 10);
	assert_non_null(r);
	add_ok(r, "a", &o[0], 1, 10);
	add_ok(r, "b", &o[1], 2, 10);
	add_ok(r, "c", &o[2], 3, 10);
	assert_int_equal(registry_remove_owner(r, &stranger),
	    REGISTRY_NOT_FOUND);
	assert_int_equal(registry_remove_owner(r, &o[1]), REGISTRY_OK);
	assert_int_equal(registry_count(r), 2);
	assert_null(registry_find(r, "b"));
	assert_non_null(registry_find(r, "a"));
	assert_non_null(registry_find(r, "c"));
	assert_int_equal(registry_remove_owner(r, &o[1]), REGISTRY_NOT_FOUND);
	assert_int_equal(registry_remove_owner(r, &o[0]), REGISTRY_OK);
	assert_int_equal(registry_remove_owner(r, &o[2]), REGISTRY_OK);
	assert_int_equal(registry_count(r), 0);
	assert_int_equal(registry_count_freed(r), 3);
	registry_free(r);
}

static void
test_registry_remove_by_name(void **state)
{
	struct registry	*r;
	void		*owner;
	int		 o[2];

	(void)state;
	r = registry_new(10, 10);
	assert_non_null(r);
	add_ok(r, "a", &o[0], 1, 10);
	add_ok(r, "b", &o[1], 2, 10);
	owner = NULL;
	assert_int_equal(registry_remove_name(r, "nope", &owner),
	    REGISTRY_NOT_FOUND);
	assert_int_equal(registry_remove_name(r, "", &owner),
	    REGISTRY_NOT_FOUND);
	assert_int_equal(registry_remove_name(r, "b", &owner), REGISTRY_OK);
	assert_ptr_equal(owner, &o[1]);
	assert_null(registry_find(r, "b"));
	assert_int_equal(registry_remove_name(r, "b", &owner),
	    REGISTRY_NOT_FOUND);
	assert_int_equal(registry_remove_owner(r, &o[1]), REGISTRY_NOT_FOUND);
	assert_int_equal(registry_count(r), 1);
	assert_int_equal(registry_remove_name(r, "a", &owner), REGISTRY_OK);
	assert_ptr_equal(owner, &o[0]);
	assert_null(registry_find(r, "a"));
	registry_free(r);
}

static void
test_registry_find_exact(void **state)
{
	struct registry		*r;
	const struct wire_node	*f;
	int			 o[2];

	(void)state;
	r = registry_new(10, 10);
	assert_non_null(r);
	add_ok(r, "node", &o[0], 1, 10);
	add_ok(r, "node2", &o[1], 2, 10);
	assert_null(registry_find(r, "nod"));
	assert_null(registry_find(r, "Node"));
	assert_null(registry_find(r, "node3"));
	f = registry_find(r, "node");
	assert_non_null(f);
	assert_string_equal(f->name, "node");
	assert_int_equal(f->port, 4001);
	f = registry_find(r, "node2");
	assert_non_null(f);
	assert_int_equal(f->port, 4002);
	registry_free(r);
}

static void
test_registry_copies_record(void **state)
{
	struct registry		*r;
	struct wire_node	*n;
	const struct wire_node	*f;
	uint32_t		 creation;
	int			 o;

	(void)state;
	r = registry_new(10, 10);
	assert_non_null(r);
	n = malloc(sizeof(*n));
	assert_non_null(n);
	mknode(n, "orig", 4369);
	n->extralen = 2;
	memcpy(n->extra, "xy", 2);
	assert_int_equal(registry_add(r, n, &o, 1, 10, &creation),
	    REGISTRY_OK);
	/* Scribble over and free the caller's record. */
	memcpy(n->name, "mutd", 5);
	n->port = 1;
	memset(n->extra, 0, 2);
	assert_null(registry_find(r, "mutd"));
	free(n);
	f = registry_find(r, "orig");
	assert_non_null(f);
	assert_string_equal(f->name, "orig");
	assert_int_equal(f->namelen, 4);
	assert_int_equal(f->port, 4369);
	assert_int_equal(f->extralen, 2);
	assert_memory_equal(f->extra, "xy", 2);
	registry_free(r);
}

static void
test_registry_free_with_records(void **state)
{
	struct registry	*r;
	char		 name[16];
	int		 o[20];
	size_t		 i;

	(void)state;
	/* Leaks here show up under LeakSanitizer in the ASan build. */
	r = registry_new(20, 5);
	assert_non_null(r);
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "n%zu", i);
		add_ok(r, name, &o[i], (int)i, 100);
	}
	for (i = 0; i < 10; i++)
		assert_int_equal(registry_remove_owner(r, &o[i]), REGISTRY_OK);
	assert_int_equal(registry_count(r), 10);
	assert_int_equal(registry_count_freed(r), 10);
	registry_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_new_empty),
		cmocka_unit_test(test_registry_creation_new_name),
		cmocka_unit_test(test_registry_creation_clamped),
		cmocka_unit_test(test_registry_creation_reregister),
		cmocka_unit_test(test_registry_creation_v5),
		cmocka_unit_test(test_registry_duplicate_refused),
		cmocka_unit_test(test_registry_full),
		cmocka_unit_test(test_registry_freed_trimmed_on_new_name),
		cmocka_unit_test(test_registry_freed_model),
		cmocka_unit_test(test_registry_freed_disabled),
		cmocka_unit_test(test_registry_freed_stock_cap),
		cmocka_unit_test(test_registry_walk_newest_first),
		cmocka_unit_test(test_registry_remove_by_owner),
		cmocka_unit_test(test_registry_remove_by_name),
		cmocka_unit_test(test_registry_find_exact),
		cmocka_unit_test(test_registry_copies_record),
		cmocka_unit_test(test_registry_free_with_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
