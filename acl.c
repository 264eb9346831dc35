/* SPDX-License-Identifier: Apache-2.0 */
/*
 * acl.c: address classification and the compiled CIDR policy.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"

#define NONE		UINT32_MAX
#define NSCOPES		2

/*
 * Memory: a 100,000-rule ACL is the documented maximum, so a rule costs
 * about 70 bytes: the rule (24), its prefix's entry (36, shared by the
 * rules with the same prefix) and a 4-byte hash slot or two. Arrays grow
 * by doubling with realloc(): large ones are mmap()ed, so their unused
 * tail is never touched and costs no resident memory.
 */
struct acl_rule {
	char		**globs;
	uint32_t	 entry;		/* its prefix, in acl->entries */
	uint32_t	 line;
	uint8_t		 allow;
	uint8_t		 scope;
	uint8_t		 nglobs;
};

/* Glob rules of one prefix and scope, before its first glob-free rule. */
struct gslot {
	uint32_t	*globbed;	/* rule indices, ascending */
	uint32_t	 n;
	uint32_t	 cap;
};

/* One distinct prefix: per scope, the first glob-free rule and globs. */
struct entry {
	uint8_t		 addr[16];
	uint32_t	 first_plain[NSCOPES];
	uint32_t	 gslot[NSCOPES];	/* in acl->gslots, or NONE */
	uint8_t		 fam;		/* 0 IPv4, 1 IPv6 */
	uint8_t		 len;
};

struct acl {
	struct acl_rule	*rules;
	size_t		 nrules;
	size_t		 caprules;
	struct entry	*entries;
	size_t		 nentries;
	size_t		 capentries;
	uint32_t	*table;		/* entry indices, open addressing */
	size_t		 tablesize;	/* power of 2 */
	struct gslot	*gslots;
	size_t		 ngslots;
	size_t		 capgslots;
	/* Distinct prefix lengths in use, per family, for lookups. */
	uint8_t		 has_len[2][129];
	uint8_t		 lens[2][129];
	size_t		 nlens[2];
};

/* Grow an array of size-byte elements to hold one more; -1 if no memory. */
static int
grow(void *pp, size_t *cap, size_t n, size_t size)
{
	void	*np;
	size_t	 ncap;

	if (n < *cap)
		return 0;
	ncap = *cap == 0 ? 16 : *cap * 2;
	if ((np = realloc(*(void **)pp, ncap * size)) == NULL)
		return -1;
	*(void **)pp = np;
	*cap = ncap;
	return 0;
}

static int
fam_index(int family)
{
	return family == AF_INET ? 0 : 1;
}

/* Is peer loopback, or the connection's own local address? */
int
acl_is_local_peer(const struct sockaddr *peer, const struct sockaddr *local)
{
	static const uint8_t	 loop6[16] = { [15] = 1 };
	struct addr		 a, b;

	if (addr_from_sockaddr(peer, &a) == -1)
		return 0;
	if (a.family == AF_INET && a.addr[0] == 127)
		return 1;
	if (a.family == AF_INET6 && memcmp(a.addr, loop6, 16) == 0)
		return 1;
	return local != NULL && addr_from_sockaddr(local, &b) == 0 &&
	    addr_equal(&a, &b);
}

/* Parse a rule's prefix (see addr_parse_prefix()). */
enum acl_status
acl_parse_prefix(const char *s, struct acl_prefix *p, const char **errstr)
{
	memset(p, 0, sizeof(*p));
	switch (addr_parse_prefix(s, &p->net, &p->len, errstr)) {
	case ADDR_OK:
		return ACL_OK;
	case ADDR_BAD_PREFIX:
		return ACL_BAD_PREFIX;
	case ADDR_HOST_BITS:
		return ACL_HOST_BITS;
	default:
		return ACL_BAD_ADDRESS;
	}
}

/* Does a prefix contain an address? */
int
acl_prefix_contains(const struct acl_prefix *p, const struct addr *a)
{
	struct addr	 masked;

	if (p->net.family != a->family)
		return 0;
	addr_mask(&masked, a, p->len);
	return memcmp(masked.addr, p->net.addr, 16) == 0;
}

enum acl_status
acl_glob_check(const char *glob, const char **errstr)
{
	size_t		 n = strlen(glob);
	const char	*p;

	if (n == 0 || n > ACL_MAX_GLOB_LEN) {
		*errstr = "bad node glob: 1..255 characters";
		return ACL_BAD_GLOB;
	}
	for (p = glob; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c >= 0x7f) {
			*errstr = "bad node glob: printable ASCII only";
			return ACL_BAD_GLOB;
		}
		if (c == '[' || c == ']') {
			*errstr = "bad node glob: '[' and ']' are reserved";
			return ACL_BAD_GLOB;
		}
	}
	return ACL_OK;
}

int
acl_glob_match(const char *g, const char *s)
{
	const char	*star = NULL, *resume = NULL;

	/* Iterative: on mismatch, let the last '*' absorb one more byte. */
	while (*s != '\0') {
		if (*g == '*') {
			star = ++g;
			resume = s;
		} else if (*g == '?' || *g == *s) {
			g++;
			s++;
		} else if (star != NULL) {
			g = star;
			s = ++resume;
		} else
			return 0;
	}
	while (*g == '*')
		g++;
	return *g == '\0';
}

/* Make an empty policy. */
struct acl *
acl_new(void)
{
	return calloc(1, sizeof(struct acl));
}

/* Free a policy. */
void
acl_free(struct acl *acl)
{
	size_t	 i, j;

	if (acl == NULL)
		return;
	for (i = 0; i < acl->nrules; i++) {
		for (j = 0; j < acl->rules[i].nglobs; j++)
			free(acl->rules[i].globs[j]);
		free(acl->rules[i].globs);
	}
	free(acl->rules);
	for (i = 0; i < acl->ngslots; i++)
		free(acl->gslots[i].globbed);
	free(acl->gslots);
	free(acl->entries);
	free(acl->table);
	free(acl);
}

/* Number of rules. */
size_t
acl_count(const struct acl *acl)
{
	return acl->nrules;
}

/* FNV-1a over a prefix. */
static uint32_t
entry_hash(unsigned fam, unsigned len, const uint8_t *addr)
{
	uint32_t	 h = 2166136261u;
	size_t		 i;

	h = (h ^ fam) * 16777619u;
	h = (h ^ len) * 16777619u;
	for (i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 16777619u;
	return h;
}

/* The entry of a prefix, or NULL. */
static const struct entry *
entry_find(const struct acl *acl, unsigned fam, unsigned len,
    const uint8_t *addr)
{
	size_t	 i, mask;

	if (acl->tablesize == 0)
		return NULL;
	mask = acl->tablesize - 1;
	for (i = entry_hash(fam, len, addr) & mask; acl->table[i] != NONE;
	    i = (i + 1) & mask) {
		const struct entry *e = &acl->entries[acl->table[i]];

		if (e->fam == fam && e->len == len &&
		    memcmp(e->addr, addr, 16) == 0)
			return e;
	}
	return NULL;
}

/* Double the hash table (kept at most half full). */
static int
table_grow(struct acl *acl)
{
	uint32_t	*nt;
	size_t		 nsize = acl->tablesize == 0 ? 64 : acl->tablesize * 2;
	size_t		 i, j, mask = nsize - 1;

	if ((nt = malloc(nsize * sizeof(*nt))) == NULL)
		return -1;
	memset(nt, 0xff, nsize * sizeof(*nt));
	for (i = 0; i < acl->nentries; i++) {
		const struct entry *e = &acl->entries[i];

		for (j = entry_hash(e->fam, e->len, e->addr) & mask;
		    nt[j] != NONE; j = (j + 1) & mask)
			;
		nt[j] = (uint32_t)i;
	}
	free(acl->table);
	acl->table = nt;
	acl->tablesize = nsize;
	return 0;
}

/* The entry of a prefix, made if new; NONE if no memory. */
static uint32_t
entry_get(struct acl *acl, unsigned fam, unsigned len, const uint8_t *addr)
{
	const struct entry	*found;
	struct entry		*e;
	size_t			 i, mask;

	if ((found = entry_find(acl, fam, len, addr)) != NULL)
		return (uint32_t)(found - acl->entries);
	if (((acl->nentries + 1) * 2 > acl->tablesize &&
	    table_grow(acl) == -1) || grow(&acl->entries, &acl->capentries,
	    acl->nentries, sizeof(*acl->entries)) == -1)
		return NONE;
	e = &acl->entries[acl->nentries];
	memset(e, 0, sizeof(*e));
	memcpy(e->addr, addr, 16);
	e->fam = (uint8_t)fam;
	e->len = (uint8_t)len;
	for (i = 0; i < NSCOPES; i++)
		e->first_plain[i] = e->gslot[i] = NONE;
	mask = acl->tablesize - 1;
	for (i = entry_hash(fam, len, addr) & mask; acl->table[i] != NONE;
	    i = (i + 1) & mask)
		;
	acl->table[i] = (uint32_t)acl->nentries;
	if (!acl->has_len[fam][len]) {
		acl->has_len[fam][len] = 1;
		acl->lens[fam][acl->nlens[fam]++] = (uint8_t)len;
	}
	return (uint32_t)acl->nentries++;
}

/* Note rule idx in an entry's scope si. */
static int
slot_add(struct acl *acl, struct entry *e, unsigned si, uint32_t idx,
    int globbed)
{
	struct gslot	*g;

	/* A glob-free rule already here shadows everything after it. */
	if (e->first_plain[si] != NONE)
		return 0;
	if (!globbed) {
		e->first_plain[si] = idx;
		return 0;
	}
	if (e->gslot[si] == NONE) {
		if (grow(&acl->gslots, &acl->capgslots, acl->ngslots,
		    sizeof(*acl->gslots)) == -1)
			return -1;
		memset(&acl->gslots[acl->ngslots], 0, sizeof(struct gslot));
		e->gslot[si] = (uint32_t)acl->ngslots++;
	}
	g = &acl->gslots[e->gslot[si]];
	if (g->n == g->cap) {
		uint32_t	*n;
		uint32_t	 ncap = g->cap == 0 ? 4 : g->cap * 2;

		if ((n = realloc(g->globbed, ncap * sizeof(*n))) == NULL)
			return -1;
		g->globbed = n;
		g->cap = ncap;
	}
	g->globbed[g->n++] = idx;
	return 0;
}

/* Append a rule. */
enum acl_status
acl_add(struct acl *acl, int allow, const struct acl_prefix *p,
    unsigned scope, const char *const *globs, size_t nglobs, unsigned line)
{
	struct acl_rule	*r;
	size_t		 i;
	uint32_t	 idx, ei;
	unsigned	 fam = p->net.family == AF_INET ? 0 : 1;

	if (acl->nrules >= ACL_MAX_RULES || nglobs > ACL_MAX_GLOBS)
		return ACL_TOO_MANY;
	if (grow(&acl->rules, &acl->caprules, acl->nrules,
	    sizeof(*acl->rules)) == -1 ||
	    (ei = entry_get(acl, fam, p->len, p->net.addr)) == NONE)
		return ACL_NOMEM;
	r = &acl->rules[acl->nrules];
	memset(r, 0, sizeof(*r));
	r->allow = allow ? 1 : 0;
	r->entry = ei;
	r->scope = (uint8_t)(scope & ACL_SCOPE_ALL);
	r->line = line;
	if (nglobs > 0) {
		if ((r->globs = calloc(nglobs, sizeof(char *))) == NULL)
			return ACL_NOMEM;
		for (i = 0; i < nglobs; i++) {
			if ((r->globs[i] = strdup(globs[i])) == NULL) {
				while (i > 0)
					free(r->globs[--i]);
				free(r->globs);
				r->globs = NULL;
				return ACL_NOMEM;
			}
		}
		r->nglobs = (uint8_t)nglobs;
	}
	idx = (uint32_t)acl->nrules;
	acl->nrules++;
	for (i = 0; i < NSCOPES; i++)
		if ((r->scope & (1u << i)) &&
		    slot_add(acl, &acl->entries[ei], (unsigned)i, idx,
		    nglobs > 0) == -1)
			return ACL_NOMEM;
	return ACL_OK;
}

/* Describe rule i. */
int
acl_rule(const struct acl *acl, size_t i, struct acl_rule_view *v)
{
	const struct acl_rule	*r;
	const struct entry	*e;

	if (i >= acl->nrules)
		return -1;
	r = &acl->rules[i];
	e = &acl->entries[r->entry];
	memset(v, 0, sizeof(*v));
	v->allow = r->allow;
	v->prefix.net.family = e->fam == 0 ? AF_INET : AF_INET6;
	memcpy(v->prefix.net.addr, e->addr, 16);
	v->prefix.len = e->len;
	v->scope = r->scope;
	v->globs = (const char *const *)r->globs;
	v->nglobs = r->nglobs;
	v->line = r->line;
	return 0;
}

static int
rule_covers(const struct acl_rule *r, const char *node)
{
	size_t	 i;

	if (r->nglobs == 0)
		return 1;
	if (node == NULL)
		return 0;
	for (i = 0; i < r->nglobs; i++)
		if (acl_glob_match(r->globs[i], node))
			return 1;
	return 0;
}

static unsigned
scope_index(unsigned scope)
{
	return scope == ACL_SCOPE_NAMES ? 0 : 1;
}

/*
 * The smallest rule index matching addr in scope: for node (may be NULL)
 * if want_allow is 0, or the first allow rule before the first glob-free
 * match if want_allow is 1 (node ignored).
 */
static uint32_t
lookup(const struct acl *acl, const struct addr *a, unsigned scope,
    const char *node, int want_allow)
{
	const struct gslot	*hit[129];
	struct addr		 masked;
	uint32_t		 best, plain = NONE;
	size_t			 i, j, nhit = 0;
	size_t			 k = (size_t)fam_index(a->family);
	unsigned		 si = scope_index(scope);

	if (a->family != AF_INET && a->family != AF_INET6)
		return NONE;
	/*
	 * One probe per prefix length in use: the first glob-free rule over
	 * every matching prefix, and the entries with glob rules for later.
	 */
	for (i = 0; i < acl->nlens[k]; i++) {
		const struct entry *e;

		addr_mask(&masked, a, acl->lens[k][i]);
		e = entry_find(acl, (unsigned)k, acl->lens[k][i], masked.addr);
		if (e == NULL)
			continue;
		if (e->first_plain[si] < plain)
			plain = e->first_plain[si];
		if (e->gslot[si] != NONE)
			hit[nhit++] = &acl->gslots[e->gslot[si]];
	}
	/*
	 * The answer so far: that rule, or for want_allow, that rule only if
	 * it allows (a glob-free deny ends the search for an allow).
	 */
	best = plain;
	if (want_allow && plain != NONE && !acl->rules[plain].allow)
		best = NONE;
	/* Glob rules before it, and before plain in any case. */
	for (i = 0; i < nhit; i++) {
		const struct gslot *sl = hit[i];

		for (j = 0; j < sl->n; j++) {
			uint32_t	 idx = sl->globbed[j];

			if (idx >= best || idx >= plain)
				break;
			if (want_allow ? acl->rules[idx].allow :
			    rule_covers(&acl->rules[idx], node)) {
				best = idx;
				break;
			}
		}
	}
	return best;
}

struct acl_verdict
acl_check(const struct acl *acl, const struct addr *a, unsigned scope,
    const char *node)
{
	struct acl_verdict	 v = { 0, 0 };
	uint32_t		 idx = lookup(acl, a, scope, node, 0);

	if (idx != NONE) {
		v.allow = acl->rules[idx].allow;
		v.line = acl->rules[idx].line;
	}
	return v;
}

struct acl_verdict
acl_names_allowed(const struct acl *acl, const struct addr *a)
{
	struct acl_verdict	 v = { 0, 0 };
	uint32_t		 idx = lookup(acl, a, ACL_SCOPE_NAMES, NULL, 1);

	if (idx != NONE) {
		v.allow = 1;
		v.line = acl->rules[idx].line;
	} else {
		/* Report the deny that decided, if any. */
		v = acl_check(acl, a, ACL_SCOPE_NAMES, NULL);
		v.allow = 0;
	}
	return v;
}
