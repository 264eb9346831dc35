/*
 * log.h: daemon logging, OpenBSD style. Messages go to stderr in the
 * foreground and to syslog once detached. Never pass peer-supplied text as
 * the format: escape it with util_escape() and print it with "%s".
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

/* Start logging: debug level (0 = off), to stderr if foreground. */
void log_init(int debug, int foreground, const char *ident);

/* Switch from stderr to syslog (after detaching). */
void log_to_syslog(void);

/* Current debug level. */
int log_debug_level(void);

void log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
