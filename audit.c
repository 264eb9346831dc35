/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit.c: the audit vocabulary and its two renderings. The logfmt line
 * is what syslog and stderr carry (and journald's MESSAGE=); the journal
 * fields carry the same facts as EPMD_* keys for structured queries.
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "addr.h"
#include "audit.h"
#include "logfmt.h"
#include "util.h"
#include "wire.h"

#define AUDIT_NODE_MAX	1024	/* escaped node name bytes in a record */

static const char *const req_names[AUDIT_NREQ] = {
	[AUDIT_REQ_NONE] = "-",
	[AUDIT_REQ_ALIVE2] = "ALIVE2",
	[AUDIT_REQ_ALIVE2_END] = "ALIVE2_END",
	[AUDIT_REQ_PORT2] = "PORT_PLEASE2",
	[AUDIT_REQ_NAMES] = "NAMES",
	[AUDIT_REQ_DUMP] = "DUMP",
	[AUDIT_REQ_KILL] = "KILL",
	[AUDIT_REQ_STOP] = "STOP",
	[AUDIT_REQ_FORGET] = "FORGET",
};

static const char *const verdict_names[AUDIT_NVERDICT] = {
	[AUDIT_OK] = "ok",
	[AUDIT_NOT_FOUND] = "not_found",
	[AUDIT_DENIED] = "denied",
	[AUDIT_RATE_LIMITED] = "rate_limited",
	[AUDIT_MALFORMED] = "malformed",
	[AUDIT_NOT_LOCAL] = "not_local",
	[AUDIT_DUPLICATE] = "duplicate",
	[AUDIT_TIMEOUT] = "timeout",
	[AUDIT_REFUSED] = "refused",
	[AUDIT_INVALID] = "invalid",
	[AUDIT_FULL] = "full",
	[AUDIT_NO_REQUEST] = "no_request",
	[AUDIT_CONN_LIMIT] = "conn_limit",
	[AUDIT_NOT_OWNER] = "not_owner",
	[AUDIT_PORT_NOT_OWNED] = "port_not_owned",
	[AUDIT_DIST_EXPOSED] = "dist_exposed",
	[AUDIT_UNVERIFIED] = "unverified",
	[AUDIT_STICKY_FULL] = "sticky_full",
};

/* Name a request kind. */
const char *
audit_req_name(enum audit_req r)
{
	return (unsigned)r < AUDIT_NREQ ? req_names[r] : "?";
}

/* Name a verdict. */
const char *
audit_verdict_name(enum audit_verdict v)
{
	return (unsigned)v < AUDIT_NVERDICT ? verdict_names[v] : "?";
}

/* Map a verdict to its syslog priority. */
int
audit_priority(enum audit_verdict v)
{
	switch (v) {
	case AUDIT_OK:
	case AUDIT_NOT_FOUND:
		return LOG_INFO;
	case AUDIT_MALFORMED:
	case AUDIT_FULL:
		return LOG_WARNING;
	default:
		return LOG_NOTICE;
	}
}

/* Decide whether a verdict is summarised per source, and in which count. */
int
audit_summarised(enum audit_verdict v, int local, enum rl_kind *kind)
{
	/*
	 * Noise from remote peers (garbage, silence, local-only requests),
	 * lookups over the rate and connections over a per-source cap are
	 * summarised per source: the first after a quiet spell is logged in
	 * full, the rest are counted, so one peer cannot flood the log.
	 * Served queries are always logged.
	 */
	switch (v) {
	case AUDIT_MALFORMED:
		*kind = RL_KIND_MALFORMED;
		return !local;
	case AUDIT_NOT_LOCAL:
		*kind = RL_KIND_NOT_LOCAL;
		return !local;
	case AUDIT_NO_REQUEST:
		*kind = RL_KIND_NO_REQUEST;
		return !local;
	case AUDIT_TIMEOUT:
		*kind = RL_KIND_TIMEOUT;
		return !local;
	case AUDIT_RATE_LIMITED:
		*kind = RL_KIND_RATE;
		return 1;
	case AUDIT_CONN_LIMIT:
		*kind = RL_KIND_CONN;
		return 1;
	default:
		return 0;
	}
}

/* The address (IPv4-mapped shown as IPv4) and port of sa, for records. */
static void
split_addr(const struct sockaddr *sa, char *buf, size_t len, long *port)
{
	struct addr	 a = { .family = AF_UNSPEC };

	*port = -1;
	if (sa != NULL && addr_from_sockaddr(sa, &a) == 0)
		*port = addr_sockaddr_port(sa);
	addr_format(&a, buf, len);
}

/*
 * The node name, escaped (logfmt.c), cut to AUDIT_NODE_MAX bytes: a name of
 * 1020 control bytes would escape to 6 KB, and syslog daemons take 8 KB
 * (rsyslog). If the name is not valid UTF-8 its exact bytes go to
 * node_hex, in full.
 */
struct node_text {
	char	 text[AUDIT_NODE_MAX + 1];
	char	 hex[2 * WIRE_MAX_NAME_BYTES + 1];
	int	 bare, invalid, truncated;
};

/* Escape a's node name into n. */
static void
node_render(const struct audit *a, struct node_text *n)
{
	size_t	 len;

	len = logfmt_escape(n->text, sizeof(n->text), a->node, a->nodelen,
	    &n->invalid, &n->truncated);
	n->bare = logfmt_bare(n->text, len);
	n->hex[0] = '\0';
	if (n->invalid)
		logfmt_hex(n->hex, sizeof(n->hex), a->node,
		    a->nodelen < WIRE_MAX_NAME_BYTES ? a->nodelen :
		    WIRE_MAX_NAME_BYTES);
}

/*
 * Render the logfmt line. The order is fixed and documented (epmd_secure(8),
 * AUDIT LOG): the daemon's own fields first, then the fields a peer
 * controls (node, node_hex) last, so that a rule anchored on the prefix
 * ("event=query src=... verdict=denied") cannot be fooled by a node name.
 */
size_t
audit_format_logfmt(const struct audit *a, char *buf, size_t len)
{
	struct node_text	 n;
	char			 src[ADDR_STRLEN], dst[ADDR_STRLEN];
	size_t			 m = 0;
	long			 sport, dport;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	split_addr(a->src, src, sizeof(src), &sport);
	split_addr(a->dst, dst, sizeof(dst), &dport);
	util_append(buf, len, &m, "event=query src=%s src_port=%ld "
	    "dst=%s dst_port=%ld req=%s verdict=%s", src, sport, dst, dport,
	    audit_req_name(a->req), audit_verdict_name(a->verdict));
	if (a->port >= 0)
		util_append(buf, len, &m, " port=%ld", a->port);
	if (a->creation >= 0)
		util_append(buf, len, &m, " creation=%lld", a->creation);
	if (a->names >= 0)
		util_append(buf, len, &m, " names=%ld", a->names);
	if (a->rule > 0)
		util_append(buf, len, &m, " rule=%u", a->rule);
	if (a->reason != NULL)
		util_append(buf, len, &m, " reason=\"%s\"", a->reason);
	if (a->has_uid)
		util_append(buf, len, &m, " uid=%lu", a->uid);
	if (a->has_uid && a->user != NULL &&
	    logfmt_bare(a->user, strlen(a->user)))
		util_append(buf, len, &m, " user=%s", a->user);
	if (a->node != NULL) {
		node_render(a, &n);
		if (n.truncated)
			util_append(buf, len, &m, " node_truncated=yes");
		util_append(buf, len, &m, n.bare ? " node=%s" :
		    " node=\"%s\"", n.text);
		if (n.invalid)
			util_append(buf, len, &m, " node_hex=%s", n.hex);
	}
	return m;
}

/* Render the journald fields. */
size_t
audit_format_journal(const struct audit *a, char *buf, size_t len)
{
	struct node_text	 n;
	char			 src[ADDR_STRLEN], dst[ADDR_STRLEN];
	size_t			 j = 0;
	long			 sport, dport;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	split_addr(a->src, src, sizeof(src), &sport);
	split_addr(a->dst, dst, sizeof(dst), &dport);
	util_append(buf, len, &j, "EPMD_EVENT=query\nEPMD_SRC_ADDR=%s\n"
	    "EPMD_SRC_PORT=%ld\nEPMD_DST_ADDR=%s\nEPMD_DST_PORT=%ld\n"
	    "EPMD_REQUEST=%s\nEPMD_VERDICT=%s\n", src, sport, dst, dport,
	    audit_req_name(a->req), audit_verdict_name(a->verdict));
	if (a->node != NULL) {
		node_render(a, &n);
		util_append(buf, len, &j, "EPMD_NODE=%s\n", n.text);
		if (n.truncated)
			util_append(buf, len, &j, "EPMD_NODE_TRUNCATED=yes\n");
		if (n.invalid)
			util_append(buf, len, &j, "EPMD_NODE_HEX=%s\n", n.hex);
	}
	if (a->port >= 0)
		util_append(buf, len, &j, "EPMD_PORT=%ld\n", a->port);
	if (a->creation >= 0)
		util_append(buf, len, &j, "EPMD_CREATION=%lld\n", a->creation);
	if (a->names >= 0)
		util_append(buf, len, &j, "EPMD_NAMES=%ld\n", a->names);
	if (a->rule > 0)
		util_append(buf, len, &j, "EPMD_RULE=%u\n", a->rule);
	if (a->reason != NULL)
		util_append(buf, len, &j, "EPMD_REASON=%s\n", a->reason);
	if (a->has_uid)
		util_append(buf, len, &j, "EPMD_UID=%lu\n", a->uid);
	if (a->has_uid && a->user != NULL &&
	    logfmt_bare(a->user, strlen(a->user)))
		util_append(buf, len, &j, "EPMD_USER=%s\n", a->user);
	return j;
}
