/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.c: one pipeline for operational messages and audit records.
 *
 * syslog(3) and sd_journal_send(3) write on blocking sockets: a stalled
 * syslog daemon or journald would stall epmd_secure with it. So the
 * daemon keeps its own non-blocking datagram socket and speaks the two
 * wire formats itself (RFC 3164 lines to /dev/log, the journal's native
 * KEY=value protocol to its socket), with a bounded queue in between.
 */
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "util.h"
#include "wire.h"

#define RECORD_MAX	8192
#define LOG_NODE_MAX	1024	/* escaped node name bytes in a record */
#define RETRY_SECONDS	1

struct record {
	char	*buf;
	size_t	 len;
};

static struct {
	struct log_config	 cfg;
	char			 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int			 fd;
	time_t			 last_try;
	struct record		 q[LOG_QUEUE_RECORDS];
	size_t			 qhead, qlen, qbytes;
	unsigned long long	 dropped;
	unsigned long long	 dropped_total;
	unsigned long long	 count[AUDIT_NREQ][AUDIT_NVERDICT];
	struct event_base	*base;
	struct event		*ev_write;
	struct event		*ev_retry;
	int			 reporting;
	pid_t			 pid;
} L = { .fd = -1, .cfg = { .target = LOG_TARGET_STDERR,
    .ident = "epmd_secure", .facility = LOG_DAEMON } };

static const char *const req_names[AUDIT_NREQ] = {
	[AUDIT_REQ_NONE] = "-",
	[AUDIT_REQ_ALIVE2] = "ALIVE2",
	[AUDIT_REQ_ALIVE2_END] = "ALIVE2_END",
	[AUDIT_REQ_PORT2] = "PORT_PLEASE2",
	[AUDIT_REQ_NAMES] = "NAMES",
	[AUDIT_REQ_DUMP] = "DUMP",
	[AUDIT_REQ_KILL] = "KILL",
	[AUDIT_REQ_STOP] = "STOP",
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
};

static const struct {
	const char	*name;
	int		 code;
} facilities[] = {
	{ "auth", LOG_AUTH }, { "authpriv", LOG_AUTHPRIV },
	{ "daemon", LOG_DAEMON }, { "local0", LOG_LOCAL0 },
	{ "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
	{ "local7", LOG_LOCAL7 }, { "user", LOG_USER },
};

#define BATCH_RECORDS	64
#define BATCH_BYTES	(64 * 1024)

/*
 * Records made in one pass of the event loop go out together in one
 * sendmmsg(2) at its end: one system call for a burst, not one each.
 */
static struct {
	char		 buf[BATCH_BYTES];
	size_t		 used;
	struct iovec	 iov[BATCH_RECORDS];
	struct mmsghdr	 msgs[BATCH_RECORDS];
	size_t		 n;
	struct event	*ev;
	int		 scheduled;
} B;

static void	flush_queue(void);
static void	batch_flush(void);
static void	write_cb(evutil_socket_t, short, void *);

const char *
log_req_name(enum audit_req r)
{
	return (unsigned)r < AUDIT_NREQ ? req_names[r] : "?";
}

const char *
log_verdict_name(enum audit_verdict v)
{
	return (unsigned)v < AUDIT_NVERDICT ? verdict_names[v] : "?";
}

int
log_facility_code(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcmp(facilities[i].name, name) == 0)
			return facilities[i].code;
	return -1;
}

int
log_debug_level(void)
{
	return L.cfg.debug;
}

void
log_init(const struct log_config *cfg)
{
	const char	*path;

	L.cfg = *cfg;
	L.pid = getpid();
	path = cfg->socket_path;
	if (path == NULL)
		path = cfg->target == LOG_TARGET_JOURNALD ?
		    LOG_DEFAULT_JOURNAL_SOCKET : LOG_DEFAULT_SYSLOG_SOCKET;
	snprintf(L.path, sizeof(L.path), "%s", path);
	if (L.fd != -1) {
		close(L.fd);
		L.fd = -1;
	}
	L.last_try = 0;
	tzset();
}

/* Connect the datagram socket; 0 on success. At most once a second. */
static int
sock_connect(void)
{
	struct sockaddr_un	 sun;
	time_t			 now = time(NULL);

	if (L.fd != -1)
		return 0;
	if (L.last_try == now)
		return -1;
	L.last_try = now;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, L.path, strlen(L.path));
	L.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (L.fd == -1)
		return -1;
	if (connect(L.fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(L.fd);
		L.fd = -1;
		return -1;
	}
	if (L.base != NULL)
		L.ev_write = event_new(L.base, L.fd, EV_WRITE, write_cb, NULL);
	return 0;
}

static void
sock_lost(void)
{
	struct timeval	 tv = { RETRY_SECONDS, 0 };

	if (L.ev_write != NULL) {
		event_free(L.ev_write);
		L.ev_write = NULL;
	}
	if (L.fd != -1) {
		close(L.fd);
		L.fd = -1;
	}
	if (L.ev_retry != NULL && !evtimer_pending(L.ev_retry, NULL))
		evtimer_add(L.ev_retry, &tv);
}

/* 1 sent, 0 try later (keep it), -1 cannot ever be sent (drop it). */
static int
sock_send(const char *buf, size_t len)
{
	if (sock_connect() == -1) {
		sock_lost();
		return 0;
	}
	if (send(L.fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) != -1)
		return 1;
	switch (errno) {
	case EAGAIN:
	case ENOBUFS:
	case EINTR:
		return 0;
	case EMSGSIZE:
		return -1;
	default:
		/* The receiver went away: reconnect later. */
		sock_lost();
		return 0;
	}
}

static void
drop(void)
{
	L.dropped++;
	L.dropped_total++;
}

static void
enqueue(const char *buf, size_t len)
{
	struct record	*r;
	char		*copy;

	if (L.qlen == LOG_QUEUE_RECORDS || L.qbytes + len > LOG_QUEUE_BYTES ||
	    (copy = malloc(len)) == NULL) {
		drop();
		return;
	}
	memcpy(copy, buf, len);
	r = &L.q[(L.qhead + L.qlen) % LOG_QUEUE_RECORDS];
	r->buf = copy;
	r->len = len;
	L.qlen++;
	L.qbytes += len;
}

static void
write_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	flush_queue();
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	L.last_try = 0;
	flush_queue();
}

static void	report_dropped(void);

static void
flush_queue(void)
{
	int	 r;

	while (L.qlen > 0) {
		struct record *rec = &L.q[L.qhead];

		r = sock_send(rec->buf, rec->len);
		if (r == 0) {
			/* Wait for room, or for the reconnect timer. */
			if (L.fd != -1 && L.ev_write != NULL)
				event_add(L.ev_write, NULL);
			else if (L.fd == -1)
				sock_lost();
			return;
		}
		if (r < 0)
			drop();
		free(rec->buf);
		L.qbytes -= rec->len;
		L.qhead = (L.qhead + 1) % LOG_QUEUE_RECORDS;
		L.qlen--;
	}
	report_dropped();
}

/* Send or queue what the batch holds. */
static void
batch_flush(void)
{
	size_t	 i, k = 0;
	int	 r;

	B.scheduled = 0;
	if (B.n == 0)
		return;
	/* Older records wait in the queue: these go behind them. */
	if (L.qlen > 0)
		k = 0;
	else if (sock_connect() == 0) {
		for (i = 0; i < B.n; i++) {
			memset(&B.msgs[i], 0, sizeof(B.msgs[i]));
			B.msgs[i].msg_hdr.msg_iov = &B.iov[i];
			B.msgs[i].msg_hdr.msg_iovlen = 1;
		}
		r = sendmmsg(L.fd, B.msgs, (unsigned)B.n,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r >= 0)
			k = (size_t)r;
		else if (errno != EAGAIN && errno != ENOBUFS && errno != EINTR)
			sock_lost();
	} else
		sock_lost();
	/* What did not go out waits in the queue, in order. */
	for (i = k; i < B.n; i++)
		enqueue(B.iov[i].iov_base, B.iov[i].iov_len);
	B.n = 0;
	B.used = 0;
	if (L.qlen > 0)
		flush_queue();
	else if (k > 0)
		report_dropped();
}

static void
batch_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	batch_flush();
}

/* Send, batch, or queue behind the waiting records. */
static void
dispatch(const char *buf, size_t len)
{
	int	 r;

	if (L.base == NULL || B.ev == NULL) {
		/* Before the event loop: send at once, or lose it, counted. */
		r = L.qlen == 0 ? sock_send(buf, len) : 0;
		if (r == 1)
			report_dropped();
		else
			drop();
		return;
	}
	if (L.qlen > 0) {
		enqueue(buf, len);
		flush_queue();
		return;
	}
	if (B.n == BATCH_RECORDS || BATCH_BYTES - B.used < len) {
		batch_flush();
		if (L.qlen > 0) {
			/* Part of it is queued now: keep the order. */
			enqueue(buf, len);
			flush_queue();
			return;
		}
	}
	if (len > BATCH_BYTES) {
		drop();
		return;
	}
	memcpy(B.buf + B.used, buf, len);
	B.iov[B.n].iov_base = B.buf + B.used;
	B.iov[B.n].iov_len = len;
	B.used += len;
	B.n++;
	if (!B.scheduled) {
		B.scheduled = 1;
		event_active(B.ev, EV_TIMEOUT, 0);
	}
}

/* Append printf output to buf at *off, never past len. */
static void
append(char *buf, size_t len, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
append(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*off += (size_t)n < len - *off ? (size_t)n : len - *off - 1;
}

/*
 * Emit one record: msg is the logfmt text; jfields is extra journal
 * fields, "KEY=value\n" lines without newlines inside values.
 */
static void
emit(int pri, const char *msg, const char *jfields)
{
	static char	 stamp[32];
	static time_t	 stamp_t = -1;
	char		 buf[RECORD_MAX];
	size_t		 off = 0;
	time_t		 now;
	struct tm	 tm;

	switch (L.cfg.target) {
	case LOG_TARGET_NONE:
		return;
	case LOG_TARGET_STDERR:
		fprintf(stderr, "%s: %s\n", L.cfg.ident, msg);
		fflush(stderr);
		return;
	case LOG_TARGET_SYSLOG:
		now = time(NULL);
		if (now != stamp_t) {
			localtime_r(&now, &tm);
			strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
			stamp_t = now;
		}
		append(buf, sizeof(buf), &off, "<%d>%s %s[%d]: %s",
		    L.cfg.facility | pri, stamp, L.cfg.ident, (int)L.pid, msg);
		break;
	case LOG_TARGET_JOURNALD:
		append(buf, sizeof(buf), &off, "MESSAGE=%s\nPRIORITY=%d\n"
		    "SYSLOG_FACILITY=%d\nSYSLOG_IDENTIFIER=%s\n"
		    "SYSLOG_PID=%d\n%s", msg, pri, L.cfg.facility >> 3,
		    L.cfg.ident, (int)L.pid, jfields != NULL ? jfields : "");
		break;
	}
	dispatch(buf, off);
}

static void
report_dropped(void)
{
	char		 msg[128];
	unsigned long long n = L.dropped;

	if (n == 0 || L.reporting)
		return;
	L.reporting = 1;
	L.dropped = 0;
	snprintf(msg, sizeof(msg), "event=log_dropped dropped=%llu", n);
	emit(LOG_WARNING, msg, "EPMD_EVENT=log_dropped\n");
	L.reporting = 0;
}

int
log_start(struct event_base *base)
{
	L.base = base;
	if (L.cfg.target == LOG_TARGET_STDERR ||
	    L.cfg.target == LOG_TARGET_NONE)
		return 0;
	if ((L.ev_retry = evtimer_new(base, retry_cb, NULL)) == NULL ||
	    (B.ev = event_new(base, -1, 0, batch_cb, NULL)) == NULL)
		return -1;
	if (L.fd == -1)
		sock_lost();
	else if ((L.ev_write = event_new(base, L.fd, EV_WRITE, write_cb,
	    NULL)) == NULL)
		return -1;
	return 0;
}

void
log_shutdown(void)
{
	if (L.base != NULL) {
		batch_flush();
		flush_queue();
	}
	if (B.ev != NULL)
		event_free(B.ev);
	B.ev = NULL;
	while (L.qlen > 0) {
		free(L.q[L.qhead].buf);
		L.qhead = (L.qhead + 1) % LOG_QUEUE_RECORDS;
		L.qlen--;
	}
	L.qbytes = 0;
	if (L.ev_write != NULL)
		event_free(L.ev_write);
	if (L.ev_retry != NULL)
		event_free(L.ev_retry);
	L.ev_write = L.ev_retry = NULL;
	L.base = NULL;
	if (L.fd != -1)
		close(L.fd);
	L.fd = -1;
}

/* Bytes util_escape() would write for in[0..len), without a limit. */
static size_t
escaped_len(const char *in, size_t len)
{
	size_t	 i, n = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		n += c >= 0x20 && c <= 0x7e && c != '"' && c != '\\' ? 1 : 4;
	}
	return n;
}

/* Is v safe as a bare logfmt value? */
static int
bare(const char *v)
{
	if (*v == '\0')
		return 0;
	for (; *v != '\0'; v++)
		if (*v <= ' ' || *v == '"' || *v == '=' || *v == '\\' ||
		    *v >= 0x7f)
			return 0;
	return 1;
}

/* The address (IPv4-mapped shown as IPv4) and port of sa, for records. */
static void
split_addr(const struct sockaddr *sa, char *addr, size_t alen, long *port)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	*port = -1;
	switch (sa->sa_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)(const void *)sa;
		inet_ntop(AF_INET, &sin->sin_addr, addr, (socklen_t)alen);
		*port = ntohs(sin->sin_port);
		return;
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		/* A dual-stack socket's ::ffff:a.b.c.d is logged as a.b.c.d. */
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], addr,
			    (socklen_t)alen);
		else
			inet_ntop(AF_INET6, &sin6->sin6_addr, addr,
			    (socklen_t)alen);
		*port = ntohs(sin6->sin6_port);
		return;
	default:
		snprintf(addr, alen, "-");
		return;
	}
}

static int
verdict_priority(enum audit_verdict v)
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

void
log_count(enum audit_req r, enum audit_verdict v)
{
	if ((unsigned)r < AUDIT_NREQ && (unsigned)v < AUDIT_NVERDICT)
		L.count[r][v]++;
}

void
log_audit(const struct audit *a)
{
	char	 msg[RECORD_MAX / 2], jf[RECORD_MAX / 2];
	char	 node[WIRE_ESCAPED_MAX], src[UTIL_ADDRSTRLEN], dst[UTIL_ADDRSTRLEN];
	size_t	 m = 0, j = 0, jl;
	long	 sport = -1, dport = -1;

	if ((unsigned)a->req < AUDIT_NREQ &&
	    (unsigned)a->verdict < AUDIT_NVERDICT)
		L.count[a->req][a->verdict]++;
	if (L.cfg.target == LOG_TARGET_NONE)
		return;
	jl = L.cfg.target == LOG_TARGET_JOURNALD ? sizeof(jf) : 0;
	jf[0] = '\0';
	if (a->src != NULL)
		split_addr(a->src, src, sizeof(src), &sport);
	else
		snprintf(src, sizeof(src), "-");
	if (a->dst != NULL)
		split_addr(a->dst, dst, sizeof(dst), &dport);
	else
		snprintf(dst, sizeof(dst), "-");

	append(msg, sizeof(msg), &m, "event=query src=%s src_port=%ld "
	    "dst=%s dst_port=%ld req=%s", src, sport, dst, dport,
	    log_req_name(a->req));
	append(jf, jl, &j, "EPMD_EVENT=query\nEPMD_SRC_ADDR=%s\n"
	    "EPMD_SRC_PORT=%ld\nEPMD_DST_ADDR=%s\nEPMD_DST_PORT=%ld\n"
	    "EPMD_REQUEST=%s\nEPMD_VERDICT=%s\n", src, sport, dst, dport,
	    log_req_name(a->req), log_verdict_name(a->verdict));
	if (a->node != NULL) {
		/*
		 * A 255-character name can escape to 4 KB: keep a record
		 * within what syslog daemons accept (rsyslog: 8 KB), and say
		 * when the name was cut.
		 */
		size_t	 shown = util_escape(node, LOG_NODE_MAX + 1, a->node,
		    a->nodelen);

		append(msg, sizeof(msg), &m, bare(node) ? " node=%s" :
		    " node=\"%s\"", node);
		append(jf, jl, &j, "EPMD_NODE=%s\n", node);
		if (escaped_len(a->node, a->nodelen) > shown)
			append(msg, sizeof(msg), &m, " node_truncated=yes");
	}
	append(msg, sizeof(msg), &m, " verdict=%s",
	    log_verdict_name(a->verdict));
	if (a->port >= 0) {
		append(msg, sizeof(msg), &m, " port=%ld", a->port);
		append(jf, jl, &j, "EPMD_PORT=%ld\n", a->port);
	}
	if (a->creation >= 0) {
		append(msg, sizeof(msg), &m, " creation=%lld", a->creation);
		append(jf, jl, &j, "EPMD_CREATION=%lld\n",
		    a->creation);
	}
	if (a->names >= 0) {
		append(msg, sizeof(msg), &m, " names=%ld", a->names);
		append(jf, jl, &j, "EPMD_NAMES=%ld\n", a->names);
	}
	if (a->rule > 0) {
		append(msg, sizeof(msg), &m, " rule=%u", a->rule);
		append(jf, jl, &j, "EPMD_RULE=%u\n", a->rule);
	}
	if (a->reason != NULL) {
		append(msg, sizeof(msg), &m, " reason=\"%s\"", a->reason);
		append(jf, jl, &j, "EPMD_REASON=%s\n", a->reason);
	}
	emit(verdict_priority(a->verdict), msg, jl > 0 ? jf : NULL);
}

void
log_event(int priority, const char *fmt, ...)
{
	char	 msg[RECORD_MAX / 2], jf[64];
	char	 ev[32] = "";
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* "event=NAME ..." becomes EPMD_EVENT=NAME under journald. */
	if (sscanf(msg, "event=%31[a-z_]", ev) == 1)
		snprintf(jf, sizeof(jf), "EPMD_EVENT=%s\n", ev);
	else
		jf[0] = '\0';
	emit(priority, msg, jf);
}

const char *
log_quote(char *buf, size_t len, const char *s)
{
	util_escape(buf, len, s, strlen(s));
	return buf;
}

void
log_counters(size_t conns, size_t nodes)
{
	char	 msg[RECORD_MAX / 2];
	size_t	 m = 0;
	int	 r, v;

	append(msg, sizeof(msg), &m, "event=counters conns=%zu nodes=%zu "
	    "log_dropped=%llu", conns, nodes, L.dropped_total);
	for (r = 0; r < AUDIT_NREQ; r++)
		for (v = 0; v < AUDIT_NVERDICT; v++)
			if (L.count[r][v] > 0)
				append(msg, sizeof(msg), &m, " %s.%s=%llu",
				    r == AUDIT_REQ_NONE ? "NONE" : req_names[r],
				    verdict_names[v],
				    L.count[r][v]);
	emit(LOG_INFO, msg, "EPMD_EVENT=counters\n");
}

/*
 * Until the event loop runs, warnings also go to stderr: whoever started
 * the daemon must see why it did not start, syslog or not.
 */
static void
early_stderr(int pri, const char *msg)
{
	if (L.base == NULL && pri <= LOG_WARNING &&
	    L.cfg.target != LOG_TARGET_STDERR) {
		fprintf(stderr, "%s: %s\n", L.cfg.ident, msg);
		fflush(stderr);
	}
}

static void
vlog(int pri, const char *fmt, va_list ap)
{
	char	 msg[RECORD_MAX / 2];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	early_stderr(pri, msg);
	emit(pri, msg, NULL);
}

/* Log fmt followed by ": strerror(saved errno)". */
static void
vlog_errno(int pri, int saved, const char *fmt, va_list ap)
{
	char	 msg[RECORD_MAX / 2];
	size_t	 n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	early_stderr(pri, msg);
	emit(pri, msg, NULL);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vlog_errno(LOG_WARNING, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (L.cfg.debug == 0)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vlog_errno(LOG_CRIT, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}
