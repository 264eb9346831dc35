/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ratelimit.h: per-source state for abuse resistance. Pure: no sockets,
 * no clock (time is a parameter, in milliseconds), no logging.
 *
 * Sources are grouped by prefix (the caller masks addresses, e.g. /32 for
 * IPv4 and /64 for IPv6, so that rotating addresses inside one subnet
 * buys nothing). Each source has a token bucket for lookups, a count of
 * open connections, and a count of refusals not yet summarised in the log.
 *
 * The table has a fixed maximum number of sources. When it is full, the
 * least recently seen source without open connections is forgotten
 * (its bucket starts full again if it comes back, and refusals it had
 * not yet had summarised are lost from the summaries). Sources with open
 * connections are never evicted; if every entry has some, a new source is
 * refused (RL_FULL). The hash is seeded by the caller so that an attacker
 * cannot choose addresses that collide.
 */
#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* Kinds of refusal counted separately for the summaries. */
enum rl_kind {
	RL_KIND_RATE = 0,	/* lookup over the rate */
	RL_KIND_CONN,		/* connection over a cap */
	/* Noise from remote peers, one count per verdict. */
	RL_KIND_MALFORMED,
	RL_KIND_NOT_LOCAL,
	RL_KIND_NO_REQUEST,
	RL_KIND_TIMEOUT,
	RL_NKINDS
};

enum rl_status {
	RL_OK = 0,
	RL_LIMITED,	/* over the rate, or over the connection cap */
	RL_FULL,	/* no room for a new source */
};

struct rl_table;

/* A table for at most max_sources sources; NULL on allocation failure. */
struct rl_table *rl_new(size_t max_sources, uint64_t seed);

/* Free the table. */
void rl_free(struct rl_table *);

/* Mask addr to its source prefix: v4len bits for IPv4, v6len for IPv6. */
void rl_key(const struct addr *addr, unsigned v4len, unsigned v6len,
    struct addr *key);

/*
 * Take one token from key's bucket: rate tokens per second refill it up
 * to burst. RL_LIMITED if empty. A new source starts with a full bucket,
 * so with rate 0 it gets burst lookups and then none (until it is
 * forgotten).
 */
enum rl_status rl_take(struct rl_table *, const struct addr *key,
    uint64_t now_ms, uint32_t rate, uint32_t burst);

/* Count a new connection from key, unless it already has max open. */
enum rl_status rl_conn_open(struct rl_table *, const struct addr *key,
    uint64_t now_ms, uint32_t max);

/* Count a connection from key as closed. */
void rl_conn_close(struct rl_table *, const struct addr *key);

/*
 * Note one refusal of a kind for key. Returns 1 for the first refusal
 * after a quiet spell, to be logged in full; 0 if it is only counted for
 * the next summary.
 */
int rl_note_refusal(struct rl_table *, const struct addr *key,
    enum rl_kind kind, uint64_t now_ms);

/*
 * For every source refusing for at least interval_ms since its last
 * summary: call fn with the refusals counted since (counts[RL_NKINDS])
 * and when that period began, and reset the counts.
 * A source with nothing counted in a whole interval is quiet again (its
 * next refusal is logged in full). Call it every interval. Returns how
 * many summaries were made.
 */
size_t rl_summarise(struct rl_table *, uint64_t now_ms, uint64_t interval_ms,
    void (*fn)(const struct addr *key, const uint64_t *counts,
    uint64_t since_ms, void *arg), void *arg);

/* Sources currently tracked, and open connections of key. */
size_t rl_count(const struct rl_table *);
uint32_t rl_conns(const struct rl_table *, const struct addr *key);

#endif
