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

struct acl_rule {
	int			 allow;
	struct acl_prefix	 prefix;
	unsigned		 scope;
	char			**globs;
	size_t			 nglobs;
	unsigned		 line;
};

/* Per prefix and scope: the first glob-free rule, and glob rules before. */
struct slot {
	uint32_t	 first_plain;
	uint32_t	*globbed;	/* rule indices, ascending */
	size_t		 nglobbed;
	size_t		 capglobbed;
};

struct entry {
	int		 used;
	int		 family;
	unsigned	 len;
	uint8_t		 addr[16];
	struct slot	 slot[NSCOPES];
};

struct acl {
	struct acl_rule	*rules;
	size_t		 nrules;
	size_t		 caprules;
	struct entry	*table;		/* open addressing, power of 2 */
	size_t		 tablesize;
	size_t		 nentries;
	/* Distinct prefix lengths in use, per family, for lookups. */
	uint8_t		 has_len[2][129];
	unsigned	 lens[2][129];
	size_t		 nlens[2];
};

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

struct acl *
acl_new(void)
{
	return calloc(1, sizeof(struct acl));
}

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
	for (i = 0; i < acl->tablesize; i++)
		for (j = 0; j < NSCOPES; j++)
			free(acl->table[i].slot[j].globbed);
	free(acl->table);
	free(acl);
}

size_t
acl_count(const struct acl *acl)
{
	return acl->nrules;
}

static uint32_t
entry_hash(int family, unsigned len, const uint8_t *addr)
{
	uint32_t	 h = 2166136261u;
	size_t		 i;

	h = (h ^ (uint32_t)family) * 16777619u;
	h = (h ^ len) * 16777619u;
	for (i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 16777619u;
	return h;
}

static struct entry *
entry_find(const struct acl *acl, int family, unsigned len,
    const uint8_t *addr)
{
	size_t	 i, mask;

	if (acl->tablesize == 0)
		return NULL;
	mask = acl->tablesize - 1;
	for (i = entry_hash(family, len, addr) & mask; acl->table[i].used;
	    i = (i + 1) & mask) {
		struct entry *e = &acl->table[i];

		if (e->family == family && e->len == len &&
		    memcmp(e->addr, addr, 16) == 0)
			return e;
	}
	return NULL;
}

static int
table_grow(struct acl *acl)
{
	struct entry	*old = acl->table, *nt;
	size_t		 oldsize = acl->tablesize, i, j, mask;
	size_t		 nsize = oldsize == 0 ? 64 : oldsize * 2;

	if ((nt = calloc(nsize, sizeof(*nt))) == NULL)
		return -1;
	mask = nsize - 1;
	for (i = 0; i < oldsize; i++) {
		if (!old[i].used)
			continue;
		for (j = entry_hash(old[i].family, old[i].len, old[i].addr) &
		    mask; nt[j].used; j = (j + 1) & mask)
			;
		nt[j] = old[i];
	}
	free(old);
	acl->table = nt;
	acl->tablesize = nsize;
	return 0;
}

static struct entry *
entry_get(struct acl *acl, int family, unsigned len, const uint8_t *addr)
{
	struct entry	*e;
	size_t		 i, mask, k;

	if ((e = entry_find(acl, family, len, addr)) != NULL)
		return e;
	if ((acl->nentries + 1) * 2 > acl->tablesize && table_grow(acl) == -1)
		return NULL;
	mask = acl->tablesize - 1;
	for (i = entry_hash(family, len, addr) & mask; acl->table[i].used;
	    i = (i + 1) & mask)
		;
	e = &acl->table[i];
	e->used = 1;
	e->family = family;
	e->len = len;
	memcpy(e->addr, addr, 16);
	for (k = 0; k < NSCOPES; k++)
		e->slot[k].first_plain = NONE;
	acl->nentries++;
	k = (size_t)fam_index(family);
	if (!acl->has_len[k][len]) {
		acl->has_len[k][len] = 1;
		acl->lens[k][acl->nlens[k]++] = len;
	}
	return e;
}

static int
slot_add(struct slot *s, uint32_t idx, int globbed)
{
	uint32_t	*n;
	size_t		 ncap;

	/* A glob-free rule already here shadows everything after it. */
	if (s->first_plain != NONE)
		return 0;
	if (!globbed) {
		s->first_plain = idx;
		return 0;
	}
	if (s->nglobbed == s->capglobbed) {
		ncap = s->capglobbed == 0 ? 4 : s->capglobbed * 2;
		if ((n = realloc(s->globbed, ncap * sizeof(*n))) == NULL)
			return -1;
		s->globbed = n;
		s->capglobbed = ncap;
	}
	s->globbed[s->nglobbed++] = idx;
	return 0;
}

enum acl_status
acl_add(struct acl *acl, int allow, const struct acl_prefix *p,
    unsigned scope, const char *const *globs, size_t nglobs, unsigned line)
{
	struct acl_rule	*r, *nr;
	struct entry	*e;
	size_t		 i, ncap;
	uint32_t	 idx;

	if (acl->nrules >= ACL_MAX_RULES || nglobs > ACL_MAX_GLOBS)
		return ACL_TOO_MANY;
	if (acl->nrules == acl->caprules) {
		ncap = acl->caprules == 0 ? 16 : acl->caprules * 2;
		if ((nr = realloc(acl->rules, ncap * sizeof(*nr))) == NULL)
			return ACL_NOMEM;
		acl->rules = nr;
		acl->caprules = ncap;
	}
	r = &acl->rules[acl->nrules];
	memset(r, 0, sizeof(*r));
	r->allow = allow ? 1 : 0;
	r->prefix = *p;
	r->scope = scope & ACL_SCOPE_ALL;
	r->line = line;
	if (nglobs > 0) {
		if ((r->globs = calloc(nglobs, sizeof(char *))) == NULL)
			return ACL_NOMEM;
		for (i = 0; i < nglobs; i++) {
			if ((r->globs[i] = strdup(globs[i])) == NULL) {
				while (i > 0)
					free(r->globs[--i]);
				free(r->globs);
				return ACL_NOMEM;
			}
		}
		r->nglobs = nglobs;
	}
	idx = (uint32_t)acl->nrules;
	acl->nrules++;
	if ((e = entry_get(acl, p->net.family, p->len, p->net.addr)) == NULL)
		return ACL_NOMEM;
	for (i = 0; i < NSCOPES; i++)
		if ((r->scope & (1u << i)) &&
		    slot_add(&e->slot[i], idx, nglobs > 0) == -1)
			return ACL_NOMEM;
	return ACL_OK;
}

int
acl_rule(const struct acl *acl, size_t i, struct acl_rule_view *v)
{
	const struct acl_rule	*r;

	if (i >= acl->nrules)
		return -1;
	r = &acl->rules[i];
	v->allow = r->allow;
	v->prefix = r->prefix;
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
	const struct entry	*hit[129];
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
		e = entry_find(acl, a->family, acl->lens[k][i], masked.addr);
		if (e == NULL)
			continue;
		if (e->slot[si].first_plain < plain)
			plain = e->slot[si].first_plain;
		if (e->slot[si].nglobbed > 0)
			hit[nhit++] = e;
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
		const struct slot *sl = &hit[i]->slot[si];

		for (j = 0; j < sl->nglobbed; j++) {
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
