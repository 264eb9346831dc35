/* SPDX-License-Identifier: Apache-2.0 */
/*
 * logfmt.h: the logfmt encoding of audit values (pure: libc only).
 *
 * A quoted value uses the escapes that go-logfmt (Loki, Grafana Agent),
 * Python's json-style unquoting and Vector all decode back to the same
 * text: \" \\ \n \r \t and \u00XX. Valid UTF-8 passes through as UTF-8,
 * except C0/C1 controls, DEL and U+2028/U+2029, which are escaped. A byte
 * that is not part of valid UTF-8 cannot be written so that every parser
 * gives it back: it becomes U+FFFD, and the caller adds the exact bytes in
 * hex (see logfmt_escape's *invalid).
 */
#ifndef LOGFMT_H
#define LOGFMT_H

#include <stddef.h>

/* Worst case of logfmt_escape() per input byte ("\u00XX"). */
#define LOGFMT_ESCAPE_MAX	6
/* "2026-12-02T05:00:00.123456Z" and its NUL. */
#define LOGFMT_TS_LEN		28

/*
 * Write the inside of a quoted value for in[0..inlen) to out (NUL
 * terminated, never more than outlen bytes). Stops before a character that
 * does not fit, setting *truncated. *invalid is set when in is not valid
 * UTF-8. Returns the bytes written, without the NUL.
 */
size_t	logfmt_escape(char *out, size_t outlen, const char *in, size_t inlen,
	    int *invalid, int *truncated);

/* Is s[0..len) safe as a bare (unquoted) value? */
int	logfmt_bare(const char *s, size_t len);

/* Write in[0..inlen) as lower-case hex; returns bytes written (no NUL). */
size_t	logfmt_hex(char *out, size_t outlen, const char *in, size_t inlen);

/*
 * Write sec.usec (UTC, seconds since the epoch) as RFC 3339 with
 * microseconds, "YYYY-MM-DDTHH:MM:SS.uuuuuuZ". out holds LOGFMT_TS_LEN.
 * Returns 0, or -1 if the time cannot be represented.
 */
int	logfmt_ts(char *out, size_t outlen, long long sec, long usec);

#endif
