/* SPDX-License-Identifier: Apache-2.0 */
/*
 * registry.h: the node table. Pure: no sockets, no clock (time is a
 * parameter), no logging.
 *
 * A registration is owned by the connection that made it: the registry
 * copies the record in and keeps an opaque owner pointer and the fd number
 * that DUMP reports. Names that were freed are remembered, oldest first, so
 * that a node coming back gets its previous creation + 1. As in stock, the
 * oldest is forgotten when a new name registers while more than max_freed
 * are remembered (so the memory settles at max_freed + 1); a burst of
 * frees is bounded by max_freed + max_nodes.
 */
#ifndef REGISTRY_H
#define REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define REGISTRY_MAX_FREED		1000	/* as stock */
#define REGISTRY_MAX_FREED_DEBUG	5	/* as stock under -d */

struct registry;

enum registry_status {
	REGISTRY_OK = 0,
	REGISTRY_DUPLICATE,	/* name already registered */
	REGISTRY_FULL,		/* max_nodes reached */
	REGISTRY_NOMEM,
	REGISTRY_NOT_FOUND,
};

/* Create an empty table; NULL on allocation failure. */
struct registry *registry_new(size_t max_nodes, size_t max_freed);

/* Free the table and every record in it. */
void registry_free(struct registry *);

/*
 * Register a node: copy *node in, owned by owner (never NULL), reported
 * with fd in DUMP. now is seconds since the epoch. On REGISTRY_OK,
 * *creation holds the node's creation: a name never seen gets now + 1
 * (at least 4); a remembered name gets its previous creation + 1.
 */
enum registry_status registry_add(struct registry *,
    const struct wire_node *node, void *owner, int fd, uint32_t now,
    uint32_t *creation);

/* Unregister the node owned by owner, remembering its name. */
enum registry_status registry_remove_owner(struct registry *, void *owner);

/* Unregister the node called name; *owner gets its owner. */
enum registry_status registry_remove_name(struct registry *,
    const char *name, void **owner);

/* Look a name up; NULL if not registered. Valid until the next change. */
const struct wire_node *registry_find(const struct registry *,
    const char *name);

/* Number of registered nodes and of remembered names. */
size_t registry_count(const struct registry *);
size_t registry_count_freed(const struct registry *);

/* Call fn for each registered node, newest first. */
void registry_walk(const struct registry *,
    void (*fn)(const struct wire_node *, uint32_t creation, int fd,
    void *arg), void *arg);

/* Call fn for each remembered name, oldest first. */
void registry_walk_freed(const struct registry *,
    void (*fn)(const char *name, uint16_t port, int fd, void *arg),
    void *arg);

/* The creation a version-5 node is told: 1..3, as stock. */
uint16_t registry_creation_v5(uint32_t creation);

#endif
