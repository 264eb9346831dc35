/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.h: operational logging (OpenBSD style) and the per-query audit
 * trail, both through one bounded, non-blocking pipeline.
 *
 * Destinations: syslog (a datagram socket, /dev/log by default), journald
 * (its native protocol, with structured EPMD_* fields), or stderr. Records
 * that cannot be sent at once wait in a bounded queue; when it is full they
 * are dropped and counted, and the count is logged (dropped=N) as soon as
 * records flow again. Logging to syslog or journald never blocks the
 * daemon; the stderr target writes directly and is meant for a terminal
 * (-d in the foreground).
 *
 * Never pass peer-supplied text as a format. Audit records take the node
 * name raw and escape it themselves.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>

#include "audit.h"

enum log_target {
	LOG_TARGET_SYSLOG = 0,
	LOG_TARGET_JOURNALD,
	LOG_TARGET_STDERR,
	LOG_TARGET_NONE,	/* discard (counters still count) */
};

#define LOG_DEFAULT_SYSLOG_SOCKET	"/dev/log"
#define LOG_DEFAULT_JOURNAL_SOCKET	"/run/systemd/journal/socket"
#define LOG_QUEUE_RECORDS		4096
#define LOG_QUEUE_BYTES			(1024 * 1024)
/* The audit record format (epmd_secure(8), AUDIT LOG, Stability). */
#define LOG_FORMAT_VERSION		1

struct log_config {
	enum log_target	 target;
	const char	*socket_path;	/* NULL: the target's default */
	int		 facility;	/* LOG_DAEMON etc. */
	const char	*ident;
	int		 debug;
};

struct event_base;

/* Start logging synchronously (before the event loop). */
void log_init(const struct log_config *);

/* Hand the pipeline to the event loop: queue flushing, reconnects. */
int log_start(struct event_base *);

/* Flush what can be flushed and release everything. */
void log_shutdown(void);

/* Current debug level. */
int log_debug_level(void);

/* Map a facility name ("daemon", "local0"...) to its code; -1 if none. */
int log_facility_code(const char *);

/* Write one audit record. */
void log_audit(const struct audit *);

/* Count a query in the counters without writing a record (summarised). */
void log_count(enum audit_req, enum audit_verdict);

/* Write one record of free-form lifecycle fields (logfmt key=value ...). */
void log_event(int priority, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Escape s for use inside a quoted logfmt value (util_escape: '"', '\\'
 * and non-printable bytes become \xNN). Returns buf.
 */
const char *log_quote(char *buf, size_t len, const char *s);

/* Count one episode of accept running out of file descriptors. */
void log_note_fd_episode(void);

/*
 * Write the counters to path in the Prometheus text format, atomically
 * (path.tmp, then rename). 0 on success, -1 with errno.
 */
int log_metrics_write(const char *path, size_t conns, size_t nodes);

/* Write the counters record (SIGUSR1 and the periodic interval). */
void log_counters(size_t conns, size_t nodes, const char *extra);

void log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
