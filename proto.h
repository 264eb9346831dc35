/* SPDX-License-Identifier: Apache-2.0 */
/*
 * proto.h: the EPMD engine. Pure: no sockets, no libevent, no logging,
 * no clock (time is a parameter).
 *
 * Given one complete request frame, the peer it came from (local or
 * remote, its address), the node registry, the compiled policy, the
 * rate-limit state and the time, the engine decides everything a request
 * gets: the reply bytes, the registry change, the audit record (and
 * whether it is logged in full or only counted), and what the connection
 * does next. conn.c does the I/O around it; nothing here can block.
 *
 * Connection-level events go through the engine too, so that every
 * decision about what a peer learns or what is logged is made here:
 * admission against the connection caps (proto_admit), framing errors,
 * silence and timeouts (proto_refuse), and the end of a registration
 * (proto_end).
 *
 * Registration checks (issue 11). An ALIVE2 that is well formed and whose
 * name is free is offered to the check set with proto_set_register_check()
 * before it is added: the check sees the node and the peer (including
 * struct proto_facts, which the edge fills in, e.g. the peer's uid) and
 * returns AUDIT_OK to accept, or any other verdict (with a constant
 * reason string) to refuse it. A refusal is answered exactly like a
 * duplicate name: result 1, creation 99, the connection closed after the
 * reply, the verdict and reason in the audit record. Order of decisions:
 * local-only, name syntax, duplicate, the check, the table cap.
 */
#ifndef PROTO_H
#define PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "acl.h"
#include "addr.h"
#include "audit.h"
#include "conf.h"
#include "wire.h"

struct proto;
struct registry;

/* What the engine needs to know at start. */
struct proto_config {
	uint16_t		 port;		/* reported by NAMES and DUMP */
	int			 relaxed;	/* -relaxed_command_check */
	size_t			 max_nodes;
	size_t			 max_freed;
	uint64_t		 seed;		/* for the rate-limit hash */
	struct conf_limits	 lim;
};

/* The part a reload may change. The ACL stays the caller's. */
struct proto_policy {
	const struct acl	*acl;
	enum conf_names_refusal	 names_refusal;
	enum conf_port_refusal	 port_refusal;
};

/* Facts about a peer that the edge learns from the kernel. */
struct proto_facts {
	long			 uid;		/* -1 unknown */
};

/* One connection as the engine sees it. */
struct proto_peer {
	const struct sockaddr	*src;		/* for records; may be NULL */
	const struct sockaddr	*dst;
	struct addr		 addr;		/* folded; AF_UNSPEC if none */
	int			 local;		/* stock's local peer */
	void			*owner;		/* registry owner token */
	int			 fd;		/* reported by DUMP */
	struct proto_facts	 facts;
	/* Set by proto_admit(): counted against its source's cap. */
	int			 rl_counted;
	struct addr		 rlkey;
};

/* Time, as a parameter. */
struct proto_now {
	uint64_t		 ms;		/* monotonic milliseconds */
	uint32_t		 epoch;		/* seconds since the epoch */
};

/* What the connection does once the engine has decided. */
enum proto_next {
	PROTO_CLOSE = 0,	/* close at once, no reply */
	PROTO_REPLY_CLOSE,	/* write the reply, then close */
	PROTO_REPLY_KEEP,	/* write the reply, then hold the registration */
	PROTO_REPLY_KILL,	/* write the reply, then stop the daemon */
};

/* How the audit record is written. */
enum proto_log {
	PROTO_LOG_NONE = 0,	/* no record */
	PROTO_LOG_FULL,		/* log_audit() */
	PROTO_LOG_COUNT,	/* summarised: log_count() only */
};

/*
 * One decision. reply points into the struct or to memory it owns: call
 * proto_out_free() when done. audit.node points into req.
 */
struct proto_out {
	enum proto_next		 next;
	const uint8_t		*reply;
	size_t			 replylen;
	struct audit		 audit;
	enum proto_log		 log;
	/* ALIVE2 accepted: a copy of the name (the caller's to free). */
	char			*regname;
	uint16_t		 regport;
	/* STOP: the owner whose node was removed; the caller closes it. */
	void			*stopped;
	/* An operator warning (no peer bytes in it), or NULL. */
	const char		*warn;
	struct wire_request	 req;
	uint8_t			 small[WIRE_MAX_PORT2_RESP];
	uint8_t			*big;
};

/*
 * A registration check: AUDIT_OK to accept node from peer, or another
 * verdict (and *reason, a constant string) to refuse it with result 1.
 */
typedef enum audit_verdict (*proto_register_check)(const struct wire_node *,
    const struct proto_peer *, void *arg, const char **reason);

/* A new engine with an empty registry; NULL on allocation failure. */
struct proto *proto_new(const struct proto_config *);

/* Free the engine, its registry and its rate-limit state. */
void proto_free(struct proto *);

/* Use this policy from now on (the ACL is not copied). */
void proto_set_policy(struct proto *, const struct proto_policy *);

/* Set (or clear, fn NULL) the registration check. */
void proto_set_register_check(struct proto *, proto_register_check fn,
    void *arg);

/* The registry, read-only, for counters. */
const struct registry *proto_registry(const struct proto *);

/* The audit request kind of an opcode (AUDIT_REQ_NONE if unknown). */
enum audit_req proto_req_of(uint8_t op);

/*
 * Admit a new connection against the caps, given how many are open
 * (nconns in all, nremote of them remote). 1: admitted (peer->rl_counted
 * and rlkey say whether it counts against its source; pass the peer to
 * proto_close() when it ends). 0: refused, close it at once; out holds
 * the record.
 */
int proto_admit(struct proto *, struct proto_peer *, size_t nconns,
    size_t nremote, const struct proto_now *, struct proto_out *);

/* A connection admitted by proto_admit() has closed. */
void proto_close(struct proto *, const struct proto_peer *);

/*
 * Decide one request: body is the complete frame after the 2-byte length
 * (1..WIRE_MAX_BODY bytes, framing already checked).
 */
void proto_request(struct proto *, const struct proto_peer *,
    const uint8_t *body, size_t len, const struct proto_now *,
    struct proto_out *);

/*
 * A connection failed before a request could be decided (framing error,
 * end of stream, silence, timeout): the record for it. req is what the
 * frame's opcode says so far.
 */
void proto_refuse(struct proto *, const struct proto_peer *,
    enum audit_req req, enum audit_verdict v, const char *reason,
    const struct proto_now *, struct proto_out *);

/*
 * The registration held by peer (name, port) ends: remove it if it is
 * still registered. Returns 1 with an ALIVE2_END record in out if it was,
 * or if reason is given (the caller knows it was removed, e.g. by STOP);
 * 0 and no record otherwise.
 */
int proto_end(struct proto *, const struct proto_peer *, const char *name,
    uint16_t port, const char *reason, struct proto_out *);

/* Release what an out holds (and its regname if not taken: set NULL). */
void proto_out_free(struct proto_out *);

/*
 * Summarise refusals per source (every interval): fn gets one logfmt
 * line "event=refusal_summary ..." per source.
 */
size_t proto_summarise(struct proto *, uint64_t now_ms,
    void (*fn)(const char *line, void *arg), void *arg);

#endif
