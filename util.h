/* SPDX-License-Identifier: Apache-2.0 */
/*
 * util.h: small pure helpers shared by the daemon and the client:
 * strict number and address parsing, and escaping for log output.
 */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Parse a decimal TCP port 1..65535; -1 with *errstr on anything else. */
int util_parse_port(const char *s, uint16_t *port, const char **errstr);

/* Parse a decimal number in [min, max]; -1 with *errstr otherwise. */
int util_parse_uint(const char *s, unsigned long min, unsigned long max,
    unsigned long *v, const char **errstr);

/*
 * Parse a numeric IPv4 or IPv6 address (no names, no port) into *ss with
 * the given port. -1 with *errstr if it is not one.
 */
int util_parse_address(const char *s, uint16_t port,
    struct sockaddr_storage *ss, socklen_t *sslen, const char **errstr);

/*
 * Copy in[0..inlen) to out as printable ASCII: bytes outside 0x20..0x7e,
 * '"' and '\\' become \xNN. Always NUL-terminates (if outlen > 0);
 * truncates at a whole escape. Returns the length written.
 */
size_t util_escape(char *out, size_t outlen, const char *in, size_t inlen);

/*
 * Append printf output to buf at *off, never past len (output is cut and
 * stays NUL-terminated); *off advances by what was written.
 */
void util_append(char *buf, size_t len, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
