/* SPDX-License-Identifier: Apache-2.0 */
/*
 * registry.c: registered nodes in a list, newest first (the order NAMES
 * and DUMP report), and freed names in a FIFO capped at max_freed.
 * Node counts are small (one per Erlang VM on the host), so lookups scan.
 */
#include <stdlib.h>
#include <string.h>

#include "registry.h"

struct reg_node {
	struct reg_node	*next;
	void		*owner;
	int		 fd;
	uint32_t	 creation;
	struct wire_node node;
};

struct reg_freed {
	struct reg_freed *next;
	uint32_t	 creation;
	uint16_t	 port;
	int		 fd;
	char		 name[];	/* NUL-terminated copy */
};

struct registry {
	struct reg_node	*nodes;		/* newest first */
	size_t		 nnodes;
	size_t		 max_nodes;
	struct reg_freed *freed;	/* oldest first */
	struct reg_freed *freed_tail;
	size_t		 nfreed;
	size_t		 max_freed;
};

struct registry *
registry_new(size_t max_nodes, size_t max_freed)
{
	struct registry	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->max_nodes = max_nodes;
	r->max_freed = max_freed;
	return r;
}

void
registry_free(struct registry *r)
{
	struct reg_node		*n, *nn;
	struct reg_freed	*f, *fn;

	if (r == NULL)
		return;
	for (n = r->nodes; n != NULL; n = nn) {
		nn = n->next;
		free(n);
	}
	for (f = r->freed; f != NULL; f = fn) {
		fn = f->next;
		free(f);
	}
	free(r);
}

/* Take the remembered entry for name out of the FIFO, if there is one. */
static struct reg_freed *
freed_take(struct registry *r, const char *name)
{
	struct reg_freed	*f, *prev = NULL;

	for (f = r->freed; f != NULL; prev = f, f = f->next) {
		if (strcmp(f->name, name) != 0)
			continue;
		if (prev == NULL)
			r->freed = f->next;
		else
			prev->next = f->next;
		if (r->freed_tail == f)
			r->freed_tail = prev;
		r->nfreed--;
		f->next = NULL;
		return f;
	}
	return NULL;
}

/* Drop the oldest remembered name. */
static void
freed_drop_oldest(struct registry *r)
{
	struct reg_freed	*old = r->freed;

	if (old == NULL)
		return;
	r->freed = old->next;
	if (r->freed == NULL)
		r->freed_tail = NULL;
	r->nfreed--;
	free(old);
}

/*
 * Remember a freed registration. As in stock, the memory is trimmed when
 * a new name registers (see registry_add), so it settles at max_freed + 1;
 * the hard cap here only bounds a burst of frees with no registration.
 */
static void
freed_push(struct registry *r, const struct reg_node *n)
{
	struct reg_freed	*f;
	size_t			 len = n->node.namelen;

	if (r->max_freed == 0)
		return;
	while (r->nfreed >= r->max_freed + r->max_nodes)
		freed_drop_oldest(r);
	/* Out of memory only costs the next creation its +1 continuity. */
	if ((f = malloc(sizeof(*f) + len + 1)) == NULL)
		return;
	f->next = NULL;
	f->creation = n->creation;
	f->port = n->node.port;
	f->fd = n->fd;
	memcpy(f->name, n->node.name, len);
	f->name[len] = '\0';
	if (r->freed_tail == NULL)
		r->freed = f;
	else
		r->freed_tail->next = f;
	r->freed_tail = f;
	r->nfreed++;
}

static struct reg_node *
find(const struct registry *r, const char *name)
{
	struct reg_node	*n;

	for (n = r->nodes; n != NULL; n = n->next)
		if (strcmp(n->node.name, name) == 0)
			return n;
	return NULL;
}

enum registry_status
registry_add(struct registry *r, const struct wire_node *node, void *owner,
    int fd, uint32_t now, uint32_t *creation)
{
	struct reg_node		*n;
	struct reg_freed	*f;
	uint32_t		 c;

	if (find(r, node->name) != NULL)
		return REGISTRY_DUPLICATE;
	if (r->nnodes >= r->max_nodes)
		return REGISTRY_FULL;
	if ((n = malloc(sizeof(*n))) == NULL)
		return REGISTRY_NOMEM;
	if ((f = freed_take(r, node->name)) != NULL) {
		c = f->creation + 1;
		free(f);
	} else {
		c = now + 1;
		/* Stock recycles the oldest entry once over its limit. */
		if (r->nfreed > r->max_freed)
			freed_drop_oldest(r);
	}
	/* 0 is invalid and 1..3 are the old two-bit creations. */
	if (c < 4)
		c = 4;
	n->node = *node;
	n->owner = owner;
	n->fd = fd;
	n->creation = c;
	n->next = r->nodes;
	r->nodes = n;
	r->nnodes++;
	*creation = c;
	return REGISTRY_OK;
}

/* Unlink the node at *pp and remember its name. */
static void
unlink_node(struct registry *r, struct reg_node **pp)
{
	struct reg_node	*n = *pp;

	*pp = n->next;
	r->nnodes--;
	freed_push(r, n);
	free(n);
}

enum registry_status
registry_remove_owner(struct registry *r, void *owner)
{
	struct reg_node	**pp;

	for (pp = &r->nodes; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->owner == owner) {
			unlink_node(r, pp);
			return REGISTRY_OK;
		}
	}
	return REGISTRY_NOT_FOUND;
}

enum registry_status
registry_remove_name(struct registry *r, const char *name, void **owner)
{
	struct reg_node	**pp;

	for (pp = &r->nodes; *pp != NULL; pp = &(*pp)->next) {
		if (strcmp((*pp)->node.name, name) == 0) {
			*owner = (*pp)->owner;
			unlink_node(r, pp);
			return REGISTRY_OK;
		}
	}
	return REGISTRY_NOT_FOUND;
}

const struct wire_node *
registry_find(const struct registry *r, const char *name)
{
	struct reg_node	*n = find(r, name);

	return n == NULL ? NULL : &n->node;
}

size_t
registry_count(const struct registry *r)
{
	return r->nnodes;
}

size_t
registry_count_freed(const struct registry *r)
{
	return r->nfreed;
}

void
registry_walk(const struct registry *r,
    void (*fn)(const struct wire_node *, uint32_t, int, void *), void *arg)
{
	const struct reg_node	*n;

	for (n = r->nodes; n != NULL; n = n->next)
		fn(&n->node, n->creation, n->fd, arg);
}

void
registry_walk_freed(const struct registry *r,
    void (*fn)(const char *, uint16_t, int, void *), void *arg)
{
	const struct reg_freed	*f;

	for (f = r->freed; f != NULL; f = f->next)
		fn(f->name, f->port, f->fd, arg);
}

uint16_t
registry_creation_v5(uint32_t creation)
{
	return (uint16_t)(creation % 3 + 1);
}
