/* SPDX-License-Identifier: Apache-2.0 */
/*
 * acl.h: who may ask what. Pure: no sockets opened, no logging, no clock.
 *
 * A policy is an ordered list of rules, "allow|deny PREFIX [SCOPE]
 * [GLOB...]", evaluated first match wins; no match denies. The compiled
 * form answers in time independent of the number of rules: rules are
 * indexed by (family, prefix length, masked address) in a hash table, so a
 * lookup probes once per distinct prefix length in use (at most 33 for
 * IPv4, 129 for IPv6) and keeps, per prefix and scope, only the first rule
 * without node globs and the glob rules before it (any later rule there
 * can never be the first match).
 *
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are IPv4 everywhere: in
 * rules and in peers.
 *
 * acl_is_local_peer() is stock epmd's rule for the requests that change
 * or reveal daemon state (ALIVE2, DUMP, KILL, STOP); it is not configurable.
 */
#ifndef ACL_H
#define ACL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "addr.h"

#define ACL_SCOPE_NAMES		0x1
#define ACL_SCOPE_PORT		0x2
#define ACL_SCOPE_ALL		(ACL_SCOPE_NAMES | ACL_SCOPE_PORT)
#define ACL_MAX_GLOBS		32	/* node globs on one rule */
#define ACL_MAX_GLOB_LEN	255
#define ACL_MAX_RULES		100000

enum acl_status {
	ACL_OK = 0,
	ACL_BAD_ADDRESS,
	ACL_BAD_PREFIX,		/* prefix length out of range */
	ACL_HOST_BITS,		/* bits set beyond the prefix */
	ACL_BAD_GLOB,
	ACL_TOO_MANY,
	ACL_NOMEM,
};

struct acl_prefix {
	struct addr	 net;
	unsigned	 len;		/* 0..32 or 0..128 */
};

/* The rule that decided, for logs: line 0 means "no rule matched". */
struct acl_verdict {
	int		 allow;
	unsigned	 line;
};

struct acl;

/*
 * Return 1 if peer counts as local: IPv4 127.0.0.0/8, ::1, an
 * IPv4-mapped loopback (::ffff:127.0.0.0/104, from a dual-stack socket),
 * or a peer address equal to the connection's local address (a process
 * on this host dialling one of its own addresses). local may be NULL.
 */
int acl_is_local_peer(const struct sockaddr *peer,
    const struct sockaddr *local);

/*
 * Parse "ADDRESS" or "ADDRESS/LEN" (numeric IPv4 or IPv6). A bare address
 * is a host (/32, /128). Host bits beyond LEN are an error, not silently
 * masked: "10.0.0.1/8" is refused. See addr_parse_prefix().
 */
enum acl_status acl_parse_prefix(const char *s, struct acl_prefix *,
    const char **errstr);

/* Return 1 if prefix contains addr. */
int acl_prefix_contains(const struct acl_prefix *, const struct addr *);

/*
 * Check a node glob: 1..255 printable ASCII characters other than space;
 * '*' matches any run, '?' one byte; '[' and ']' are reserved.
 */
enum acl_status acl_glob_check(const char *glob, const char **errstr);

/* Return 1 if name matches glob. */
int acl_glob_match(const char *glob, const char *name);

/* A new, empty policy (denies everything). NULL on allocation failure. */
struct acl *acl_new(void);

/* Free a policy. */
void acl_free(struct acl *);

/*
 * Append a rule. scope is a mask of ACL_SCOPE_*; globs (copied) restrict
 * the node names it covers, none meaning all. line is kept for logs.
 */
enum acl_status acl_add(struct acl *, int allow, const struct acl_prefix *,
    unsigned scope, const char *const *globs, size_t nglobs, unsigned line);

/* Number of rules added. */
size_t acl_count(const struct acl *);

/* The i-th rule, for tests and listings; NULL past the end. */
struct acl_rule_view {
	int			 allow;
	struct acl_prefix	 prefix;
	unsigned		 scope;
	const char *const	*globs;
	size_t			 nglobs;
	unsigned		 line;
};
int acl_rule(const struct acl *, size_t i, struct acl_rule_view *);

/*
 * First match for a request of scope (one ACL_SCOPE_* bit) about node
 * (may be NULL: only rules without globs can then match).
 */
struct acl_verdict acl_check(const struct acl *, const struct addr *,
    unsigned scope, const char *node);

/*
 * May addr send NAMES_REQ at all? Yes if an allow rule for the names scope
 * matching addr comes before the first glob-free deny matching it; the
 * nodes listed are then those acl_check() allows one by one.
 */
struct acl_verdict acl_names_allowed(const struct acl *,
    const struct addr *);

#endif
