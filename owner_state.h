/* SPDX-License-Identifier: Apache-2.0 */
/*
 * owner_state.h: the sticky owners' state file on disk (the edge of
 * owner.c's text format). A missing file is an empty table; a corrupt,
 * unsafe or unreadable one is reported and treated as empty, never a
 * reason not to start. Writes are atomic: a temporary file in the same
 * directory, fsync, rename, fsync of the directory.
 */
#ifndef OWNER_STATE_H
#define OWNER_STATE_H

#include <stddef.h>

#include "owner.h"

/* Largest state file read: every name at its longest. */
#define OWNER_STATE_MAX_FILE	(OWNER_STICKY_MAX * (size_t)1040)

enum owner_load {
	OWNER_LOAD_OK = 0,	/* read (or missing: empty) */
	OWNER_LOAD_MISSING,	/* no file yet: empty table */
	OWNER_LOAD_IGNORED,	/* corrupt/unsafe/unreadable: empty; see err */
};

/*
 * Load path into the (empty) table. On OWNER_LOAD_IGNORED, err holds
 * "path[:line]: reason" for the log, and the table is empty.
 */
enum owner_load owner_state_load(const char *path, struct owner_sticky *,
    char *err, size_t errlen);

/* Write the table to path atomically. 0, or -1 with err set. */
int owner_state_save(const char *path, const struct owner_sticky *,
    char *err, size_t errlen);

#endif
