/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics.h: the daemon's counters in the Prometheus text exposition
 * format (pure: libc only). log.c writes the text to metrics_file for
 * node_exporter's textfile collector; no port is opened.
 *
 * Names and labels use the audit vocabulary: req and verdict carry the
 * same values as the req= and verdict= fields of the records.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>

#include "audit.h"

struct metrics {
	unsigned long long	 queries[AUDIT_NREQ][AUDIT_NVERDICT];
	unsigned long long	 log_dropped;	/* records lost, in total */
	unsigned long long	 fd_episodes;	/* times accept ran out of fds */
	size_t			 conns;		/* connections open now */
	size_t			 nodes;		/* nodes registered now */
};

/*
 * Render m to buf (NUL terminated). Returns the length, or 0 if buf is
 * too small (nothing usable is left in it then).
 */
size_t	metrics_render(const struct metrics *m, char *buf, size_t len);

/* A buffer size that always holds metrics_render()'s output. */
#define METRICS_TEXT_MAX	16384

#endif
