/* SPDX-License-Identifier: Apache-2.0 */
/*
 * acl_gen.h: a seeded generator of random ACL rules and peers, shared by
 * test_acl.c (the compiled policy against a naive scan) and test_conf.c
 * (the same rules written as text read back by the parser). Test code
 * only; needs acl.h and <string.h> first.
 */
#ifndef ACL_GEN_H
#define ACL_GEN_H

struct rng {
	uint64_t	 s;
};

/* Next xorshift64 value. */
static inline uint64_t
rng_next(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return r->s;
}

/* A value in [0, n). */
static inline unsigned
rng_below(struct rng *r, unsigned n)
{
	return (unsigned)(rng_next(r) % n);
}

/* Clear the bits of a beyond len (bits: 32 or 128). */
static inline void
mask_bits(uint8_t *a, unsigned len, unsigned bits)
{
	unsigned	 i;

	for (i = len; i < bits; i++)
		a[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	for (i = bits / 8; i < 16; i++)
		a[i] = 0;
}

/* Randomize the bits of a from bit from on. */
static inline void
random_bits_from(struct rng *r, uint8_t *a, unsigned from, unsigned bits)
{
	unsigned	 i;

	for (i = from; i < bits; i++) {
		if (rng_next(r) & 1)
			a[i / 8] |= (uint8_t)(0x80u >> (i % 8));
		else
			a[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	}
}

#define NANCHOR		4

struct gen {
	struct rng	 rng;
	struct addr	 anchor[2][NANCHOR];	/* [0] IPv4, [1] IPv6 */
};

static const uint8_t mapped_head[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* Pick the anchor addresses that prefixes and peers cluster around. */
static inline void
gen_anchors(struct gen *g)
{
	size_t	 i, f;

	for (f = 0; f < 2; f++)
		for (i = 0; i < NANCHOR; i++) {
			struct addr	*a = &g->anchor[f][i];

			memset(a, 0, sizeof(*a));
			a->family = f == 0 ? AF_INET : AF_INET6;
			random_bits_from(&g->rng, a->addr, 0,
			    f == 0 ? 32 : 128);
			/* Anchors share a few leading bits too. */
			if (i > 0 && rng_below(&g->rng, 2) == 0)
				memcpy(a->addr, g->anchor[f][0].addr,
				    1 + rng_below(&g->rng, f == 0 ? 3 : 12));
			if (f == 1 && memcmp(a->addr, mapped_head, 12) == 0)
				a->addr[0] = 0x20;
		}
}

/* A random prefix near an anchor, host bits clear. */
static inline void
gen_prefix(struct gen *g, struct acl_prefix *p)
{
	static const unsigned	 fav4[] = { 0, 8, 16, 24, 31, 32 };
	static const unsigned	 fav6[] = { 0, 32, 48, 64, 127, 128 };
	unsigned		 f = rng_below(&g->rng, 10) < 6 ? 0 : 1;
	unsigned		 bits = f == 0 ? 32 : 128;

	memset(p, 0, sizeof(*p));
	p->len = rng_below(&g->rng, 10) < 7 ?
	    (f == 0 ? fav4 : fav6)[rng_below(&g->rng, 6)] :
	    rng_below(&g->rng, bits + 1);
	p->net = g->anchor[f][rng_below(&g->rng, NANCHOR)];
	switch (rng_below(&g->rng, 4)) {
	case 0:		/* anchor as is: nested prefixes */
	case 1:
		break;
	case 2:		/* a near neighbour */
		random_bits_from(&g->rng, p->net.addr,
		    p->len > 4 ? p->len - 1 - rng_below(&g->rng, 4) : 0, bits);
		break;
	default:
		random_bits_from(&g->rng, p->net.addr,
		    rng_below(&g->rng, bits + 1), bits);
		break;
	}
	mask_bits(p->net.addr, p->len, bits);
	/* Keep IPv6 rules clear of the IPv4-mapped range (folded). */
	if (f == 1 && p->len >= 96 && memcmp(p->net.addr, mapped_head,
	    12) == 0)
		p->net.addr[0] = 0x20;
}

/* A random word of minlen..maxlen letters of alphabet. */
static inline void
gen_word(struct gen *g, char *out, const char *alphabet, unsigned minlen,
    unsigned maxlen)
{
	unsigned	 n = minlen + rng_below(&g->rng, maxlen - minlen + 1);
	unsigned	 i, k = (unsigned)strlen(alphabet);

	for (i = 0; i < n; i++)
		out[i] = alphabet[rng_below(&g->rng, k)];
	out[n] = '\0';
}

/* One generated rule, as the generator meant it. */
struct gen_rule {
	int			 allow;
	struct acl_prefix	 p;
	unsigned		 scope;
	char			 globs[3][8];
	size_t			 nglobs;
	unsigned		 line;
};

/* Fill r with a random rule on line (anchors set by gen_anchors()). */
static inline void
gen_rule_random(struct gen *g, struct gen_rule *r, unsigned line)
{
	size_t	 j;

	memset(r, 0, sizeof(*r));
	r->allow = (int)rng_below(&g->rng, 2);
	gen_prefix(g, &r->p);
	r->scope = 1 + rng_below(&g->rng, 3);
	r->nglobs = rng_below(&g->rng, 2) ? 0 : rng_below(&g->rng, 4);
	for (j = 0; j < r->nglobs; j++)
		gen_word(g, r->globs[j], "ab*?", 1, 3);
	r->line = line;
}

/* What goes before a rule: 0 nothing, 1 a blank line, 2 a comment. */
static inline unsigned
gen_gap(struct gen *g)
{
	unsigned	 r = rng_below(&g->rng, 12);

	return r < 2 ? r + 1 : 0;
}

#endif
