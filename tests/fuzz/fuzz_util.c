/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_util.c: libFuzzer target for util.c's parsers and escaper.
 *
 * The first byte picks the function; the rest is its input. Each result
 * is compared with a simple reference written here, and util_escape() is
 * run into exact-size heap buffers so that ASan sees any overrun.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
		    __LINE__, #x);					\
		abort();						\
	}								\
} while (0)

static int
printable(uint8_t c)
{
	return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
}

static void
fuzz_escape(const uint8_t *d, size_t n)
{
	const char	*in;
	char		*full, *out;
	size_t		 outlen, inlen, flen, r, i, pos;

	if (n < 1)
		return;
	outlen = d[0];
	in = (const char *)(d + 1);
	inlen = n - 1;

	full = malloc(inlen * 4 + 1);
	CHECK(full != NULL);
	flen = util_escape(full, inlen * 4 + 1, in, inlen);
	/* With room for everything, every byte is kept or escaped. */
	for (i = 0, pos = 0; i < inlen; i++) {
		if (printable((uint8_t)in[i])) {
			CHECK(full[pos] == in[i]);
			pos++;
		} else {
			char hex[5];

			snprintf(hex, sizeof(hex), "\\x%02x", (uint8_t)in[i]);
			CHECK(memcmp(full + pos, hex, 4) == 0);
			pos += 4;
		}
	}
	CHECK(flen == pos && full[flen] == '\0');

	/* Truncated: the longest run of whole escapes that fits. */
	out = malloc(outlen);
	CHECK(outlen == 0 || out != NULL);
	r = util_escape(out, outlen, in, inlen);
	if (outlen == 0)
		CHECK(r == 0);
	else {
		for (i = 0, pos = 0; i < inlen; i++) {
			size_t w = printable((uint8_t)in[i]) ? 1 : 4;

			if (pos + w + 1 > outlen)
				break;
			pos += w;
		}
		CHECK(r == pos && r < outlen && out[r] == '\0');
		CHECK(memcmp(out, full, r) == 0);
	}
	free(out);
	free(full);
}

/* Reference: a non-empty run of ASCII digits in [min, max]. */
static int
ref_uint(const char *s, unsigned long min, unsigned long max,
    unsigned long *v)
{
	unsigned long	 n = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (__builtin_mul_overflow(n, 10UL, &n) ||
		    __builtin_add_overflow(n, (unsigned long)(*s - '0'), &n))
			return -1;
	}
	if (n < min || n > max)
		return -1;
	*v = n;
	return 0;
}

static unsigned long
get_ulong(const uint8_t *d, size_t k)
{
	unsigned long	 v = 0;
	size_t		 i;

	for (i = 0; i < k; i++)
		v = v << 8 | d[i];
	return v;
}

static void
fuzz_uint(const uint8_t *d, size_t n, const char *s)
{
	unsigned long	 min, max, v = 0, rv = 0;
	const char	*errstr = NULL;
	int		 r;

	if (n < 8)
		return;
	min = get_ulong(d, 4);
	max = get_ulong(d + 4, 4);
	r = util_parse_uint(s + 8, min, max, &v, &errstr);
	CHECK(r == ref_uint(s + 8, min, max, &rv));
	if (r == 0)
		CHECK(v == rv && v >= min && v <= max);
	else
		CHECK(errstr != NULL);
}

static void
fuzz_port(const char *s)
{
	unsigned long	 rv = 0;
	uint16_t	 port = 0;
	const char	*errstr = NULL;
	int		 r;

	r = util_parse_port(s, &port, &errstr);
	CHECK(r == ref_uint(s, 1, 65535, &rv));
	if (r == 0)
		CHECK(port == rv);
	else
		CHECK(errstr != NULL);
}

static void
fuzz_address(const uint8_t *d, size_t n, const char *s)
{
	struct sockaddr_storage	 ss, again;
	struct in6_addr		 a6;
	socklen_t		 sslen = 0, againlen = 0;
	const char		*errstr = NULL, *p;
	char			 str[ADDR_STRLEN], host[ADDR_STRLEN];
	uint16_t		 port;
	size_t			 hl;
	int			 r, is4, is6;

	if (n < 2)
		return;
	port = (uint16_t)get_ulong(d, 2);
	s += 2;
	r = util_parse_address(s, port, &ss, &sslen, &errstr);
	is4 = inet_pton(AF_INET, s, &a6) == 1;
	is6 = inet_pton(AF_INET6, s, &a6) == 1;
	if (r == -1) {
		CHECK(!is4 && !is6 && errstr != NULL);
		return;
	}
	CHECK(r == 0 && (is4 || is6));
	CHECK(ss.ss_family == (is4 ? AF_INET : AF_INET6));
	CHECK(sslen == (is4 ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6)));

	/* Format, then parse the address part back: the same sockaddr. */
	addr_sockaddr_str((const struct sockaddr *)&ss, str, sizeof(str));
	CHECK(strlen(str) < sizeof(str) - 1);
	p = strrchr(str, ':');
	CHECK(p != NULL && (unsigned long)atol(p + 1) == port);
	if (is4) {
		hl = (size_t)(p - str);
		memcpy(host, str, hl);
	} else {
		CHECK(str[0] == '[' && p[-1] == ']');
		hl = (size_t)(p - str) - 2;
		memcpy(host, str + 1, hl);
	}
	host[hl] = '\0';
	CHECK(util_parse_address(host, port, &again, &againlen, &errstr) == 0);
	CHECK(againlen == sslen && memcmp(&again, &ss, sslen) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;

	if (size < 1)
		return 0;
	/* The parsers take C strings: a NUL-terminated copy of the rest. */
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 4) {
	case 0:
		fuzz_escape(data + 1, size - 1);
		break;
	case 1:
		fuzz_uint(data + 1, size - 1, s);
		break;
	case 2:
		fuzz_port(s);
		break;
	case 3:
		fuzz_address(data + 1, size - 1, s);
		break;
	}
	free(s);
	return 0;
}
