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

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "logfmt.h"
#include "metrics.h"
#include "util.h"

#define RECORD_MAX	8192
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
	unsigned long long	 fd_episodes;
	unsigned long long	 count[AUDIT_NREQ][AUDIT_NVERDICT];
	struct event_base	*base;
	struct event		*ev_write;
	struct event		*ev_retry;
	int			 reporting;
	pid_t			 pid;
} L = { .fd = -1, .cfg = { .target = LOG_TARGET_STDERR,
    .ident = "epmd_secure", .facility = LOG_DAEMON } };

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

/* Map a facility name to its code. */
int
log_facility_code(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcmp(facilities[i].name, name) == 0)
			return facilities[i].code;
	return -1;
}

/* The debug level. */
int
log_debug_level(void)
{
	return L.cfg.debug;
}

/* Start logging synchronously, before the event loop. */
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

/* Drop the socket and retry connecting later. */
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

/* Count one record dropped. */
static void
drop(void)
{
	L.dropped++;
	L.dropped_total++;
}

/* Queue a copy of a record, or drop it if the queue is full. */
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

/* The socket has room: flush the queue. */
static void
write_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	flush_queue();
}

/* Time to reconnect: flush the queue. */
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

/* Send queued records until the socket is full. */
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

/* End of a loop pass: send the batch. */
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

/*
 * The record's ts= value: now, UTC, to the microsecond. Taken when the
 * record is made, which is when the query is decided; a record that then
 * waits in the queue (syslog daemon down) keeps it, unlike the syslog
 * header's time, which rsyslog's imuxsock replaces on receipt.
 */
static void
stamp_now(char out[LOGFMT_TS_LEN])
{
	static char		 cached[LOGFMT_TS_LEN];
	static long long	 cached_sec = -1;
	struct timespec		 ts;
	long			 us;
	int			 i;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1) {
		ts.tv_sec = time(NULL);
		ts.tv_nsec = 0;
	}
	if ((long long)ts.tv_sec != cached_sec) {
		if (logfmt_ts(cached, sizeof(cached), (long long)ts.tv_sec,
		    0) == -1)
			logfmt_ts(cached, sizeof(cached), 0, 0);
		cached_sec = (long long)ts.tv_sec;
	}
	memcpy(out, cached, LOGFMT_TS_LEN);
	/* "...:SS.uuuuuuZ": only the microseconds change within a second. */
	us = ts.tv_nsec / 1000;
	for (i = LOGFMT_TS_LEN - 3; i >= LOGFMT_TS_LEN - 8; i--) {
		out[i] = (char)('0' + us % 10);
		us /= 10;
	}
}

/*
 * Emit one record: msg is the logfmt text after "ts=... "; jfields is
 * extra journal fields, "KEY=value\n" lines without newlines inside
 * values.
 */
static void
emit(int pri, const char *msg, const char *jfields)
{
	static char	 stamp[32];
	static time_t	 stamp_t = -1;
	char		 buf[RECORD_MAX], ts[LOGFMT_TS_LEN];
	size_t		 off = 0;
	time_t		 now;
	struct tm	 tm;

	if (L.cfg.target == LOG_TARGET_NONE)
		return;
	stamp_now(ts);
	switch (L.cfg.target) {
	case LOG_TARGET_NONE:
		return;
	case LOG_TARGET_STDERR:
		fprintf(stderr, "%s: ts=%s %s\n", L.cfg.ident, ts, msg);
		fflush(stderr);
		return;
	case LOG_TARGET_SYSLOG:
		now = time(NULL);
		if (now != stamp_t) {
			localtime_r(&now, &tm);
			strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
			stamp_t = now;
		}
		util_append(buf, sizeof(buf), &off, "<%d>%s %s[%d]: ts=%s %s",
		    L.cfg.facility | pri, stamp, L.cfg.ident, (int)L.pid, ts,
		    msg);
		break;
	case LOG_TARGET_JOURNALD:
		util_append(buf, sizeof(buf), &off, "MESSAGE=ts=%s %s\n"
		    "PRIORITY=%d\nSYSLOG_FACILITY=%d\nSYSLOG_IDENTIFIER=%s\n"
		    "SYSLOG_PID=%d\nEPMD_TS=%s\n%s", ts, msg, pri,
		    L.cfg.facility >> 3, L.cfg.ident, (int)L.pid, ts,
		    jfields != NULL ? jfields : "");
		break;
	}
	dispatch(buf, off);
}

/* Log how many records were dropped since the last report. */
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

/* Hand the pipeline to the event loop. */
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

/* Flush what can be flushed and release everything. */
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

/* Count a query without writing a record. */
void
log_count(enum audit_req r, enum audit_verdict v)
{
	if ((unsigned)r < AUDIT_NREQ && (unsigned)v < AUDIT_NVERDICT)
		L.count[r][v]++;
}

/* Count one record and send it in the configured form. */
void
log_audit(const struct audit *a)
{
	char	 msg[AUDIT_TEXT_MAX], jf[AUDIT_TEXT_MAX];

	log_count(a->req, a->verdict);
	if (L.cfg.target == LOG_TARGET_NONE)
		return;
	audit_format_logfmt(a, msg, sizeof(msg));
	if (L.cfg.target == LOG_TARGET_JOURNALD) {
		audit_format_journal(a, jf, sizeof(jf));
		emit(audit_priority(a->verdict), msg, jf);
	} else
		emit(audit_priority(a->verdict), msg, NULL);
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

/* Write one lifecycle record of logfmt fields. */
void
log_event(int priority, const char *fmt, ...)
{
	char	 msg[RECORD_MAX / 2], jf[64];
	char	 ev[32] = "";
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	early_stderr(priority, msg);
	/* "event=NAME ..." becomes EPMD_EVENT=NAME under journald. */
	if (sscanf(msg, "event=%31[a-z_]", ev) == 1)
		snprintf(jf, sizeof(jf), "EPMD_EVENT=%s\n", ev);
	else
		jf[0] = '\0';
	emit(priority, msg, jf);
}

/* Escape a string for a quoted logfmt value. */
const char *
log_quote(char *buf, size_t len, const char *s)
{
	int	 invalid, truncated;

	logfmt_escape(buf, len, s, strlen(s), &invalid, &truncated);
	return buf;
}

/* Count one fd-exhaustion episode for the metrics. */
void
log_note_fd_episode(void)
{
	L.fd_episodes++;
}

/* Write the metrics file atomically. */
int
log_metrics_write(const char *path, size_t conns, size_t nodes)
{
	static struct metrics	 m;
	static char		 text[METRICS_TEXT_MAX];
	char			 tmp[PATH_MAX];
	size_t			 len, off = 0;
	ssize_t			 n;
	int			 fd, saved;

	memcpy(m.queries, L.count, sizeof(m.queries));
	m.log_dropped = L.dropped_total;
	m.fd_episodes = L.fd_episodes;
	m.conns = conns;
	m.nodes = nodes;
	if ((len = metrics_render(&m, text, sizeof(text))) == 0) {
		errno = ENOBUFS;
		return -1;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* A reader sees the old file or the new one, never half of one. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0644);
	if (fd == -1)
		return -1;
	while (off < len) {
		n = write(fd, text + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, path) == -1) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

/* Write the counters record. */
void
log_counters(size_t conns, size_t nodes, const char *extra)
{
	char	 msg[RECORD_MAX / 2];
	size_t	 m = 0;
	int	 r, v;

	util_append(msg, sizeof(msg), &m, "event=counters conns=%zu nodes=%zu "
	    "log_dropped=%llu", conns, nodes, L.dropped_total);
	if (extra != NULL && extra[0] != '\0')
		util_append(msg, sizeof(msg), &m, " %s", extra);
	for (r = 0; r < AUDIT_NREQ; r++)
		for (v = 0; v < AUDIT_NVERDICT; v++)
			if (L.count[r][v] > 0)
				util_append(msg, sizeof(msg), &m, " %s.%s=%llu",
				    audit_req_name((enum audit_req)r),
				    audit_verdict_name((enum audit_verdict)v),
				    L.count[r][v]);
	emit(LOG_INFO, msg, "EPMD_EVENT=counters\n");
}

/*
 * Operational messages are records too: event=error|warning|notice|info|
 * debug with the text in msg=, escaped like a node name (the text may
 * hold a path or a strerror()). Messages with their own vocabulary go
 * through log_event() instead.
 */
static void
emit_text(int pri, const char *text)
{
	char		 msg[RECORD_MAX / 2], q[RECORD_MAX / 2 - 64];
	const char	*ev;

	early_stderr(pri, text);
	ev = pri <= LOG_ERR ? "error" : pri == LOG_WARNING ? "warning" :
	    pri == LOG_NOTICE ? "notice" : pri == LOG_INFO ? "info" : "debug";
	snprintf(msg, sizeof(msg), "event=%s msg=\"%s\"", ev,
	    log_quote(q, sizeof(q), text));
	emit(pri, msg, pri <= LOG_ERR ? "EPMD_EVENT=error\n" :
	    pri == LOG_WARNING ? "EPMD_EVENT=warning\n" :
	    pri == LOG_NOTICE ? "EPMD_EVENT=notice\n" : pri == LOG_INFO ?
	    "EPMD_EVENT=info\n" : "EPMD_EVENT=debug\n");
}

/* Log a formatted message. */
static void
vlog(int pri, const char *fmt, va_list ap)
{
	char	 msg[RECORD_MAX / 2];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	emit_text(pri, msg);
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
	emit_text(pri, msg);
}

/* Log a warning with strerror(errno). */
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

/* Log a warning. */
void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}

/* Log an informational message. */
void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

/* Log a debug message if debugging. */
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

/* Log a critical error with strerror(errno) and exit 1. */
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

/* Log a critical error and exit 1. */
void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}
