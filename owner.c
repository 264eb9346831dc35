/* SPDX-License-Identifier: Apache-2.0 */
/*
 * owner.c: registration integrity decisions, the sticky table and its
 * state-file format. Pure: every fact is a parameter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "owner.h"
#include "wire.h"

struct sticky_entry {
	char		*name;
	uint32_t	 uid;
	uint64_t	 used;		/* larger: used more recently */
};

/* Sorted by name; `clock` orders uses. */
struct owner_sticky {
	struct sticky_entry	*e;
	size_t			 n, cap;
	uint64_t		 clock;
};

/* Decide whether the name may be registered by the uid. */
static void
decide_name(const struct owner_request *r, struct owner_decision *d)
{
	uint32_t	 holder;

	switch (r->rule) {
	case OWNER_RULE_ALLOWS:
		/* A rule naming the uid needs the uid to be known. */
		d->verdict = r->uid_known ? OWNER_OK : OWNER_UNVERIFIED;
		return;
	case OWNER_RULE_DENIES:
		d->verdict = r->uid_known ? OWNER_NOT_OWNER : OWNER_UNVERIFIED;
		return;
	case OWNER_RULE_NONE:
		break;
	}
	switch (r->def) {
	case OWNER_DEFAULT_ANY:
		d->verdict = OWNER_OK;
		return;
	case OWNER_DEFAULT_DENY:
		d->verdict = OWNER_NOT_OWNER;
		return;
	case OWNER_DEFAULT_STICKY:
		break;
	}
	if (!r->uid_known) {
		d->verdict = OWNER_UNVERIFIED;
		return;
	}
	if (r->sticky != NULL &&
	    owner_sticky_lookup(r->sticky, r->name, &holder) == 0) {
		if (holder == r->uid) {
			d->verdict = OWNER_OK;
			d->claim = 1;	/* a use: most recent now */
		} else {
			d->verdict = OWNER_NOT_OWNER;
			d->holder = holder;
		}
		return;
	}
	d->verdict = OWNER_OK;
	d->claim = 1;
}

/*
 * Decide whether the announced port is the uid's: every socket listening
 * on it must be the uid's (root's own registrations may name any uid's
 * port if root_any_port). Every one, not just one: with two listeners on
 * different addresses, peers may reach either.
 */
static void
decide_port(const struct owner_request *r, struct owner_decision *d)
{
	const struct sockdiag_result	*l = r->listeners;
	size_t				 i;

	if (!r->check_port_owner)
		return;
	if (l == NULL || !r->uid_known) {
		d->verdict = OWNER_UNVERIFIED;
		return;
	}
	if (l->nsocks == 0 || l->more != 0) {
		d->verdict = OWNER_PORT_NOT_OWNED;
		return;
	}
	if (r->uid == 0 && r->root_any_port)
		return;
	for (i = 0; i < l->nsocks; i++)
		if (l->socks[i].uid != r->uid) {
			d->verdict = OWNER_PORT_NOT_OWNED;
			return;
		}
}

/* Find a listener reachable from off the host, if any. */
static void
decide_exposure(const struct owner_request *r, struct owner_decision *d)
{
	const struct sockdiag_result	*l = r->listeners;
	size_t				 i;

	if (r->exposure == OWNER_EXPOSURE_IGNORE || l == NULL)
		return;
	for (i = 0; i < l->nsocks; i++) {
		if (!sockdiag_addr_is_loopback(&l->socks[i].local)) {
			d->exposed = 1;
			d->bind = l->socks[i].local;
			break;
		}
	}
	if (d->exposed && r->exposure == OWNER_EXPOSURE_REFUSE &&
	    d->verdict == OWNER_OK)
		d->verdict = OWNER_DIST_EXPOSED;
}

/* Decide an ALIVE2. */
void
owner_decide(const struct owner_request *r, struct owner_decision *d)
{
	memset(d, 0, sizeof(*d));
	decide_name(r, d);
	if (d->verdict == OWNER_OK)
		decide_port(r, d);
	decide_exposure(r, d);
	if (d->verdict != OWNER_OK)
		d->claim = 0;
}

/* Return the verdict's audit word. */
const char *
owner_verdict_str(enum owner_verdict v)
{
	switch (v) {
	case OWNER_OK:
		return "ok";
	case OWNER_NOT_OWNER:
		return "not_owner";
	case OWNER_STICKY_FULL:
		return "sticky_full";
	case OWNER_UNVERIFIED:
		return "unverified";
	case OWNER_PORT_NOT_OWNED:
		return "port_not_owned";
	case OWNER_DIST_EXPOSED:
		return "dist_exposed";
	}
	return "?";
}

/* An empty sticky table. */
struct owner_sticky *
owner_sticky_new(void)
{
	return calloc(1, sizeof(struct owner_sticky));
}

/* Free the table. */
void
owner_sticky_free(struct owner_sticky *t)
{
	size_t	 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->e[i].name);
	free(t->e);
	free(t);
}

/* Number of names in the table. */
size_t
owner_sticky_count(const struct owner_sticky *t)
{
	return t->n;
}

/* Index of name, or where it would go (*found 0). */
static size_t
find(const struct owner_sticky *t, const char *name, int *found)
{
	size_t	 lo = 0, hi = t->n, mid;
	int	 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(t->e[mid].name, name);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

/* Owner of name. */
int
owner_sticky_lookup(const struct owner_sticky *t, const char *name,
    uint32_t *uid)
{
	size_t	 i;
	int	 found;

	i = find(t, name, &found);
	if (!found)
		return -1;
	*uid = t->e[i].uid;
	return 0;
}

/* Remove entry i. */
static void
remove_at(struct owner_sticky *t, size_t i)
{
	free(t->e[i].name);
	memmove(&t->e[i], &t->e[i + 1], (t->n - i - 1) * sizeof(t->e[0]));
	t->n--;
}

/* Forget name. */
int
owner_sticky_forget(struct owner_sticky *t, const char *name)
{
	size_t	 i;
	int	 found;

	i = find(t, name, &found);
	if (!found)
		return -1;
	remove_at(t, i);
	return 0;
}

/*
 * Make room for one more name of uid: if it has its quota, forget its
 * least recently used name that is not registered now. -1 if it has its
 * quota and every one is registered.
 */
static int
make_room(struct owner_sticky *t, uint32_t uid,
    int (*in_use)(const char *, void *), void *arg, int *evicted)
{
	size_t	 i, count = 0, victim = SIZE_MAX;

	for (i = 0; i < t->n; i++) {
		if (t->e[i].uid != uid)
			continue;
		count++;
		if (in_use != NULL && in_use(t->e[i].name, arg))
			continue;
		if (victim == SIZE_MAX || t->e[i].used < t->e[victim].used)
			victim = i;
	}
	if (count < OWNER_STICKY_PER_UID)
		return 0;
	if (victim == SIZE_MAX)
		return -1;
	remove_at(t, victim);
	if (evicted != NULL)
		*evicted = 1;
	return 0;
}

/* Insert (name, uid) at index i, most recently used. */
static enum owner_status
insert_at(struct owner_sticky *t, size_t i, const char *name, uint32_t uid)
{
	struct sticky_entry	*ne;
	char			*copy;
	size_t			 ncap;

	if (t->n == t->cap) {
		ncap = t->cap ? t->cap * 2 : 16;
		if ((ne = reallocarray(t->e, ncap, sizeof(*ne))) == NULL)
			return OWNER_ST_NOMEM;
		t->e = ne;
		t->cap = ncap;
	}
	if ((copy = strdup(name)) == NULL)
		return OWNER_ST_NOMEM;
	memmove(&t->e[i + 1], &t->e[i], (t->n - i) * sizeof(t->e[0]));
	t->e[i].name = copy;
	t->e[i].uid = uid;
	t->e[i].used = ++t->clock;
	t->n++;
	return OWNER_ST_OK;
}

/* Record that uid registered name. */
enum owner_status
owner_sticky_claim(struct owner_sticky *t, const char *name, uint32_t uid,
    int (*in_use)(const char *, void *), void *arg, int *evicted)
{
	size_t	 i;
	int	 found;

	if (evicted != NULL)
		*evicted = 0;
	if (wire_check_name(name, strlen(name), NULL) != WIRE_OK)
		return OWNER_ST_BAD;
	i = find(t, name, &found);
	if (found) {
		if (t->e[i].uid != uid)
			return OWNER_ST_BAD;
		t->e[i].used = ++t->clock;
		return OWNER_ST_OK;
	}
	if (make_room(t, uid, in_use, arg, evicted) == -1)
		return OWNER_ST_FULL;
	if (t->n >= OWNER_STICKY_MAX)
		return OWNER_ST_FULL;
	i = find(t, name, &found);	/* make_room may have moved it */
	return insert_at(t, i, name, uid);
}

/* Parse "uid" strictly: decimal, no sign or leading zero, below 2^32-1. */
static int
parse_uid(const char *s, size_t len, uint32_t *uid)
{
	uint64_t	 v = 0;
	size_t		 i;

	if (len == 0 || len > 10 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v >= UINT32_MAX)	/* (uid_t)-1 is "no uid" */
		return -1;
	*uid = (uint32_t)v;
	return 0;
}

/* Count uid's names. */
static size_t
count_uid(const struct owner_sticky *t, uint32_t uid)
{
	size_t	 i, n = 0;

	for (i = 0; i < t->n; i++)
		n += t->e[i].uid == uid;
	return n;
}

/* Parse one "uid name" line into the table. */
static const char *
parse_line(struct owner_sticky *t, const char *s, size_t len)
{
	char		 name[WIRE_MAX_NAME_BYTES + 1];
	const char	*sp;
	uint32_t	 uid;
	size_t		 i, nlen;
	int		 found;

	if ((sp = memchr(s, ' ', len)) == NULL)
		return "expected \"uid name\"";
	if (parse_uid(s, (size_t)(sp - s), &uid) == -1)
		return "bad uid";
	nlen = len - (size_t)(sp - s) - 1;
	if (nlen > WIRE_MAX_NAME_BYTES)
		return "name too long";
	memcpy(name, sp + 1, nlen);
	name[nlen] = '\0';
	if (memchr(name, '\0', nlen) != NULL ||
	    wire_check_name(name, nlen, NULL) != WIRE_OK)
		return "bad node name";
	i = find(t, name, &found);
	if (found)
		return "name listed twice";
	if (t->n >= OWNER_STICKY_MAX)
		return "too many names";
	if (count_uid(t, uid) >= OWNER_STICKY_PER_UID)
		return "too many names for one uid";
	if (insert_at(t, i, name, uid) != OWNER_ST_OK)
		return "out of memory";
	return NULL;
}

/* Empty the table. */
static void
clear(struct owner_sticky *t)
{
	size_t	 i;

	for (i = 0; i < t->n; i++)
		free(t->e[i].name);
	t->n = 0;
	t->clock = 0;
}

/* Parse the state file's text. */
int
owner_state_parse(struct owner_sticky *t, const char *text, size_t len,
    unsigned *errline, const char **errstr)
{
	const char	*p = text, *end = text + len, *nl, *err;
	size_t		 hlen = strlen(OWNER_STATE_HEADER);
	unsigned	 line = 1;

	*errline = 0;
	*errstr = NULL;
	clear(t);
	if (len == 0)
		return 0;	/* never written: nothing remembered yet */
	if (len < hlen + 1 || memcmp(p, OWNER_STATE_HEADER, hlen) != 0 ||
	    p[hlen] != '\n') {
		*errline = 1;
		*errstr = "not an epmd_secure sticky owners v1 file";
		return -1;
	}
	p += hlen + 1;
	while (p < end) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			err = "last line unterminated (truncated file?)";
			goto fail;
		}
		if ((err = parse_line(t, p, (size_t)(nl - p))) != NULL)
			goto fail;
		p = nl + 1;
	}
	return 0;
fail:
	clear(t);
	*errline = line;
	*errstr = err;
	return -1;
}

/* Compare entries by use. */
static int
by_use(const void *a, const void *b)
{
	const struct sticky_entry	*x = *(const struct sticky_entry *const *)a;
	const struct sticky_entry	*y = *(const struct sticky_entry *const *)b;

	return x->used < y->used ? -1 : x->used > y->used;
}

/* Serialize the table, least recently used first. */
int
owner_state_serialize(const struct owner_sticky *t, char **text,
    size_t *len)
{
	const struct sticky_entry	**order;
	size_t				 i, size, off;
	char				*buf;
	int				 r;

	size = strlen(OWNER_STATE_HEADER) + 2;
	for (i = 0; i < t->n; i++)
		size += 12 + strlen(t->e[i].name);
	if ((order = calloc(t->n ? t->n : 1, sizeof(*order))) == NULL)
		return -1;
	if ((buf = malloc(size)) == NULL) {
		free(order);
		return -1;
	}
	for (i = 0; i < t->n; i++)
		order[i] = &t->e[i];
	qsort(order, t->n, sizeof(*order), by_use);
	off = (size_t)snprintf(buf, size, "%s\n", OWNER_STATE_HEADER);
	for (i = 0; i < t->n; i++) {
		r = snprintf(buf + off, size - off, "%u %s\n",
		    (unsigned)order[i]->uid, order[i]->name);
		if (r < 0 || (size_t)r >= size - off) {
			free(order);
			free(buf);
			return -1;
		}
		off += (size_t)r;
	}
	free(order);
	*text = buf;
	*len = off;
	return 0;
}
