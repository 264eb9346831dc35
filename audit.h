/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit.h: the audit vocabulary (requests, verdicts, one record's fixed
 * fields) and its rendering as logfmt text and as journald fields. Pure:
 * no sockets, no logging, no clock; log.c sends what this renders.
 *
 * A record is built with designated initialisers; the optional numbers
 * (port, creation, names) are -1 when they do not apply, node NULL.
 */
#ifndef AUDIT_H
#define AUDIT_H

#include <stddef.h>
#include <sys/socket.h>

#include "ratelimit.h"

enum audit_req {
	AUDIT_REQ_NONE = 0,	/* no complete request */
	AUDIT_REQ_ALIVE2,
	AUDIT_REQ_ALIVE2_END,	/* a registration ended */
	AUDIT_REQ_PORT2,
	AUDIT_REQ_NAMES,
	AUDIT_REQ_DUMP,
	AUDIT_REQ_KILL,
	AUDIT_REQ_STOP,
	AUDIT_NREQ
};

enum audit_verdict {
	AUDIT_OK = 0,
	AUDIT_NOT_FOUND,
	AUDIT_DENIED,		/* the ACL refused it */
	AUDIT_RATE_LIMITED,
	AUDIT_MALFORMED,
	AUDIT_NOT_LOCAL,	/* local-only request from a remote peer */
	AUDIT_DUPLICATE,	/* name already registered */
	AUDIT_TIMEOUT,
	AUDIT_REFUSED,		/* KILL with live nodes, STOP not relaxed */
	AUDIT_INVALID,		/* a registration with a refused name */
	AUDIT_FULL,		/* a table or cap is full */
	AUDIT_NO_REQUEST,	/* closed before sending anything */
	AUDIT_CONN_LIMIT,	/* over a connection cap: closed at once */
	AUDIT_NVERDICT
};

/* One query's record: fixed fields, -1 (or NULL) for "not applicable". */
struct audit {
	const struct sockaddr	*src;
	const struct sockaddr	*dst;
	enum audit_req		 req;
	enum audit_verdict	 verdict;
	const char		*node;		/* raw bytes, escaped here */
	size_t			 nodelen;
	long			 port;		/* port returned or registered */
	long long		 creation;
	long			 names;		/* names listed */
	unsigned		 rule;		/* deciding ACL line, 0 none */
	const char		*reason;	/* a constant string */
};

/* Longest rendering of either form, terminating NUL included. */
#define AUDIT_TEXT_MAX	4096

/* The stable names of requests and verdicts, as logged; "?" if unknown. */
const char *audit_req_name(enum audit_req);
const char *audit_verdict_name(enum audit_verdict);

/* The syslog priority (LOG_INFO ...) a record with verdict v gets. */
int audit_priority(enum audit_verdict v);

/*
 * The one decision "full record or count only": 1 if a record with
 * verdict v is summarised per source, with *kind the summary that counts
 * it; the record is then written in full only if the rate-limit table
 * says it is the first after a quiet spell (rl_note_refusal()), else only
 * counted. 0: always written in full. local: the peer is a local one
 * (its noise is always logged: it is the operator's own).
 */
int audit_summarised(enum audit_verdict v, int local, enum rl_kind *kind);

/*
 * Render a as one logfmt line ("event=query src=... verdict=..."), NUL
 * terminated, cut to len. Returns the length written.
 */
size_t audit_format_logfmt(const struct audit *a, char *buf, size_t len);

/*
 * Render a's journald fields ("EPMD_EVENT=query\nEPMD_SRC_ADDR=...\n"),
 * NUL terminated, cut to len. Returns the length written.
 */
size_t audit_format_journal(const struct audit *a, char *buf, size_t len);

#endif
