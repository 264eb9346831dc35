/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics.c: Prometheus text format (version 0.0.4) of the counters.
 *
 * Every req x verdict series is written, zeros included: a series that
 * appears only after its first event breaks rate() and alerts on absent
 * series.
 */
#include <stdarg.h>
#include <stdio.h>

#include "audit.h"
#include "metrics.h"

struct out {
	char	*buf;
	size_t	 len, off;
	int	 full;
};

/* Append printf output; remember when it did not fit. */
static void
put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct out *o, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->off, o->len - o->off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->off)
		o->full = 1;
	else
		o->off += (size_t)n;
}

/* A verdict that turns a source away: what refusals_total counts. */
static int
refusing(enum audit_verdict v)
{
	return v == AUDIT_DENIED || v == AUDIT_NOT_LOCAL ||
	    v == AUDIT_RATE_LIMITED || v == AUDIT_CONN_LIMIT;
}

/* Render the counters as Prometheus text. */
size_t
metrics_render(const struct metrics *m, char *buf, size_t len)
{
	struct out		 o = { buf, len, 0, 0 };
	unsigned long long	 sum;
	int			 r, v;

	if (len == 0)
		return 0;
	put(&o, "# HELP epmd_secure_queries_total Queries and connections "
	    "by request and verdict (the req and verdict of the audit "
	    "records).\n# TYPE epmd_secure_queries_total counter\n");
	for (r = 0; r < AUDIT_NREQ; r++)
		for (v = 0; v < AUDIT_NVERDICT; v++)
			put(&o, "epmd_secure_queries_total{req=\"%s\","
			    "verdict=\"%s\"} %llu\n", audit_req_name(r),
			    audit_verdict_name(v), m->queries[r][v]);
	put(&o, "# HELP epmd_secure_registrations_total Nodes registered "
	    "(ALIVE2 with verdict ok).\n"
	    "# TYPE epmd_secure_registrations_total counter\n"
	    "epmd_secure_registrations_total %llu\n",
	    m->queries[AUDIT_REQ_ALIVE2][AUDIT_OK]);
	put(&o, "# HELP epmd_secure_refusals_total Queries and connections "
	    "refused to their source, by verdict.\n"
	    "# TYPE epmd_secure_refusals_total counter\n");
	for (v = 0; v < AUDIT_NVERDICT; v++) {
		if (!refusing(v))
			continue;
		for (sum = 0, r = 0; r < AUDIT_NREQ; r++)
			sum += m->queries[r][v];
		put(&o, "epmd_secure_refusals_total{verdict=\"%s\"} %llu\n",
		    audit_verdict_name(v), sum);
	}
	put(&o, "# HELP epmd_secure_log_dropped_total Audit records lost "
	    "because the log queue was full.\n"
	    "# TYPE epmd_secure_log_dropped_total counter\n"
	    "epmd_secure_log_dropped_total %llu\n", m->log_dropped);
	put(&o, "# HELP epmd_secure_fd_exhausted_total Episodes of accept "
	    "running out of file descriptors.\n"
	    "# TYPE epmd_secure_fd_exhausted_total counter\n"
	    "epmd_secure_fd_exhausted_total %llu\n", m->fd_episodes);
	put(&o, "# HELP epmd_secure_connections Client connections open.\n"
	    "# TYPE epmd_secure_connections gauge\n"
	    "epmd_secure_connections %zu\n", m->conns);
	put(&o, "# HELP epmd_secure_nodes Nodes registered.\n"
	    "# TYPE epmd_secure_nodes gauge\n"
	    "epmd_secure_nodes %zu\n", m->nodes);
	if (o.full) {
		buf[0] = '\0';
		return 0;
	}
	return o.off;
}
