/* SPDX-License-Identifier: Apache-2.0 */
/*
 * util.c: strict parsing and escaping.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int
util_parse_uint(const char *s, unsigned long min, unsigned long max,
    unsigned long *v, const char **errstr)
{
	const char	*p;
	unsigned long	 n = 0;

	if (s == NULL || *s == '\0') {
		*errstr = "is empty";
		return -1;
	}
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9') {
			*errstr = "is not a decimal number";
			return -1;
		}
		if ((unsigned long)(*p - '0') > max ||
		    n > (max - (unsigned long)(*p - '0')) / 10) {
			*errstr = "is too large";
			return -1;
		}
		n = n * 10 + (unsigned long)(*p - '0');
	}
	if (n < min) {
		*errstr = "is too small";
		return -1;
	}
	*v = n;
	return 0;
}

int
util_parse_port(const char *s, uint16_t *port, const char **errstr)
{
	unsigned long	 v;

	if (util_parse_uint(s, 1, 65535, &v, errstr) == -1) {
		*errstr = "is not a port number (1..65535)";
		return -1;
	}
	*port = (uint16_t)v;
	return 0;
}

int
util_parse_address(const char *s, uint16_t port, struct sockaddr_storage *ss,
    socklen_t *sslen, const char **errstr)
{
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;

	memset(ss, 0, sizeof(*ss));
	sin = (struct sockaddr_in *)(void *)ss;
	sin6 = (struct sockaddr_in6 *)(void *)ss;
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*sslen = sizeof(*sin);
		return 0;
	}
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*sslen = sizeof(*sin6);
		return 0;
	}
	*errstr = "is not a numeric IPv4 or IPv6 address";
	return -1;
}

size_t
util_escape(char *out, size_t outlen, const char *in, size_t inlen)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i, o = 0;

	if (outlen == 0)
		return 0;
	for (i = 0; i < inlen; i++) {
		unsigned char	 c = (unsigned char)in[i];

		if (c >= 0x20 && c <= 0x7e && c != '"' && c != '\\') {
			if (outlen - o < 2)
				break;
			out[o++] = (char)c;
		} else {
			if (outlen - o < 5)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0xf];
		}
	}
	out[o] = '\0';
	return o;
}

/* Append formatted text to a bounded buffer. */
void
util_append(char *buf, size_t len, size_t *off, const char *fmt, ...)
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
