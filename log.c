/*
 * log.c: stderr or syslog(3). The audit trail of queries is separate.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static int		 log_debugging;
static int		 log_stderr = 1;
static const char	*log_ident = "epmd_secure";

void
log_init(int debug, int foreground, const char *ident)
{
	log_debugging = debug;
	log_stderr = foreground;
	log_ident = ident;
	if (!foreground)
		log_to_syslog();
	tzset();
}

void
log_to_syslog(void)
{
	log_stderr = 0;
	openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int
log_debug_level(void)
{
	return log_debugging;
}

static void
vlog(int pri, const char *fmt, va_list ap)
{
	if (log_stderr) {
		fprintf(stderr, "%s: ", log_ident);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		fflush(stderr);
	} else
		vsyslog(pri, fmt, ap);
}

/* Log fmt followed by ": strerror(saved errno)". */
static void
vlog_errno(int pri, int saved, const char *fmt, va_list ap)
{
	char	 msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_stderr) {
		fprintf(stderr, "%s: %s: %s\n", log_ident, msg,
		    strerror(saved));
		fflush(stderr);
	} else
		syslog(pri, "%s: %s", msg, strerror(saved));
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

	if (log_debugging == 0)
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
