/* SPDX-License-Identifier: Apache-2.0 */
/*
 * logfmt.c: escaping of peer-supplied text for logfmt records, and the
 * record timestamp.
 *
 * The escapes are the JSON string escapes (RFC 8259), which is what
 * go-logfmt's decoder implements (its unquote is encoding/json's): a
 * parser that knows logfmt knows these. \xNN, which the records used
 * before, is not among them: go-logfmt rejects the whole record.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "logfmt.h"

/*
 * Decode one UTF-8 character at s[0..n): its code point in *cp and its
 * length, or 0 if the bytes there are not valid UTF-8 (overlong forms,
 * surrogates and code points past U+10FFFF are not).
 */
static size_t
utf8_decode(const unsigned char *s, size_t n, unsigned long *cp)
{
	unsigned long	 c;
	size_t		 len, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Characters written as \uXXXX: controls and the Unicode line breaks. */
static int
needs_u_escape(unsigned long cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 ||
	    cp == 0x2029;
}

/* Escape a name for a quoted value, whole characters only. */
size_t
logfmt_escape(char *out, size_t outlen, const char *in, size_t inlen,
    int *invalid, int *truncated)
{
	const unsigned char	*s = (const unsigned char *)in;
	char			 tmp[8];
	const char		*w;
	size_t			 i = 0, o = 0, wlen, clen;
	unsigned long		 cp;

	*invalid = 0;
	*truncated = inlen > 0 && outlen == 0;
	while (outlen > 0 && i < inlen) {
		clen = utf8_decode(s + i, inlen - i, &cp);
		if (clen == 0) {
			/* Not UTF-8: U+FFFD, as every decoder would show it. */
			*invalid = 1;
			clen = 1;
			w = "\xef\xbf\xbd";
			wlen = 3;
		} else if (cp == '"' || cp == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)cp;
			w = tmp;
			wlen = 2;
		} else if (cp == '\n' || cp == '\r' || cp == '\t') {
			tmp[0] = '\\';
			tmp[1] = cp == '\n' ? 'n' : cp == '\r' ? 'r' : 't';
			w = tmp;
			wlen = 2;
		} else if (needs_u_escape(cp)) {
			snprintf(tmp, sizeof(tmp), "\\u%04lx", cp);
			w = tmp;
			wlen = 6;
		} else {
			w = (const char *)s + i;
			wlen = clen;
		}
		if (wlen >= outlen - o) {
			*truncated = 1;
			break;
		}
		memcpy(out + o, w, wlen);
		o += wlen;
		i += clen;
	}
	/* The rest still says whether the name was valid UTF-8. */
	while (i < inlen && !*invalid) {
		clen = utf8_decode(s + i, inlen - i, &cp);
		if (clen == 0)
			*invalid = 1;
		i += clen == 0 ? 1 : clen;
	}
	if (outlen > 0)
		out[o] = '\0';
	return o;
}

/* Say whether a value can go unquoted. */
int
logfmt_bare(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c >= 0x7f || c == '"' || c == '=' ||
		    c == '\\')
			return 0;
	}
	return 1;
}

/* Write bytes as lower-case hex. */
size_t
logfmt_hex(char *out, size_t outlen, const char *in, size_t inlen)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i, o = 0;

	for (i = 0; i < inlen && o + 2 < outlen; i++) {
		out[o++] = digits[(unsigned char)in[i] >> 4];
		out[o++] = digits[(unsigned char)in[i] & 0x0f];
	}
	if (outlen > 0)
		out[o] = '\0';
	return o;
}

/* Format a UTC time as RFC 3339 with microseconds. */
int
logfmt_ts(char *out, size_t outlen, long long sec, long usec)
{
	struct tm	 tm;
	time_t		 t = (time_t)sec;
	int		 n;

	if (outlen < LOGFMT_TS_LEN || usec < 0 || usec > 999999 ||
	    (long long)t != sec || gmtime_r(&t, &tm) == NULL ||
	    tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return -1;
	n = snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, usec);
	return n == LOGFMT_TS_LEN - 1 ? 0 : -1;
}
