/* SPDX-License-Identifier: Apache-2.0 */
/*
 * addr.c: parse, mask, fold and format addresses.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>

#include "addr.h"

/* Width of a family's addresses in bits. */
unsigned
addr_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

/* Parse a numeric address. */
int
addr_parse(const char *s, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->addr) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, s, a->addr) == 1)
		a->family = AF_INET6;
	else {
		memset(a, 0, sizeof(*a));
		return -1;
	}
	return 0;
}

/* Parse an address with an optional prefix length. */
enum addr_status
addr_parse_prefix(const char *s, struct addr *net, unsigned *plen,
    const char **errstr)
{
	char		 buf[INET6_ADDRSTRLEN + 8];
	const char	*slash, *q;
	size_t		 alen;
	unsigned long	 len = 0;
	struct addr	 masked;
	int		 has_len = 0;

	memset(net, 0, sizeof(*net));
	*plen = 0;
	if ((slash = strchr(s, '/')) != NULL) {
		alen = (size_t)(slash - s);
		has_len = 1;
		q = slash + 1;
		if (*q == '\0' || strlen(q) > 3) {
			*errstr = "bad prefix length";
			return ADDR_BAD_PREFIX;
		}
		for (; *q != '\0'; q++) {
			if (*q < '0' || *q > '9') {
				*errstr = "bad prefix length";
				return ADDR_BAD_PREFIX;
			}
			len = len * 10 + (unsigned long)(*q - '0');
		}
	} else
		alen = strlen(s);
	if (alen == 0 || alen >= sizeof(buf)) {
		*errstr = "bad address";
		return ADDR_BAD_ADDRESS;
	}
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (addr_parse(buf, net) == -1) {
		*errstr = "bad address (numeric IPv4 or IPv6 expected)";
		return ADDR_BAD_ADDRESS;
	}
	if (!has_len)
		len = addr_bits(net->family);
	if (len > addr_bits(net->family)) {
		*errstr = net->family == AF_INET ?
		    "prefix length out of range (0..32)" :
		    "prefix length out of range (0..128)";
		memset(net, 0, sizeof(*net));
		return ADDR_BAD_PREFIX;
	}
	addr_mask(&masked, net, (unsigned)len);
	if (memcmp(masked.addr, net->addr, 16) != 0) {
		*errstr = "host bits set beyond the prefix length";
		return ADDR_HOST_BITS;
	}
	/* ::ffff:a.b.c.d/96+n is the IPv4 prefix a.b.c.d/n. */
	if (net->family == AF_INET6 && len >= 96) {
		struct addr	 folded = *net;

		addr_fold(&folded);
		if (folded.family == AF_INET) {
			*net = folded;
			len -= 96;
		}
	}
	*plen = (unsigned)len;
	return ADDR_OK;
}

/* Keep the first len bits of an address. */
void
addr_mask(struct addr *dst, const struct addr *src, unsigned len)
{
	unsigned	 i, nbytes = addr_bits(src->family) / 8;
	struct addr	 out;

	memset(&out, 0, sizeof(out));
	out.family = src->family;
	for (i = 0; i < nbytes; i++) {
		if (len >= (i + 1) * 8)
			out.addr[i] = src->addr[i];
		else if (len > i * 8)
			out.addr[i] = (uint8_t)(src->addr[i] &
			    (0xff << (8 - (len - i * 8))));
	}
	*dst = out;
}

/* Fold ::ffff:a.b.c.d to a.b.c.d. */
void
addr_fold(struct addr *a)
{
	static const uint8_t mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	if (a->family == AF_INET6 && memcmp(a->addr, mapped, 12) == 0) {
		a->family = AF_INET;
		memmove(a->addr, a->addr + 12, 4);
		memset(a->addr + 4, 0, 12);
	}
}

/* Compare two addresses. */
int
addr_equal(const struct addr *a, const struct addr *b)
{
	return a->family == b->family && memcmp(a->addr, b->addr, 16) == 0;
}

/* Convert a socket address, folding IPv4-mapped ones. */
int
addr_from_sockaddr(const struct sockaddr *sa, struct addr *a)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)(const void *)sa;
		a->family = AF_INET;
		memcpy(a->addr, &sin->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		a->family = AF_INET6;
		memcpy(a->addr, &sin6->sin6_addr, 16);
		addr_fold(a);
		return 0;
	}
	a->family = AF_UNSPEC;
	return -1;
}

/* The port of a socket address. */
long
addr_sockaddr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)sa)->
		    sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_port);
	return -1;
}

/* Format an address without its port. */
const char *
addr_format(const struct addr *a, char *buf, size_t len)
{
	if ((a->family != AF_INET && a->family != AF_INET6) ||
	    inet_ntop(a->family, a->addr, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "-");
	return buf;
}

/* Format a socket address with its port. */
const char *
addr_sockaddr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;
	char				 a[INET6_ADDRSTRLEN];

	switch (sa->sa_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)(const void *)sa;
		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, (unsigned)ntohs(sin->sin_port));
		break;
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a,
		    (unsigned)ntohs(sin6->sin6_port));
		break;
	default:
		snprintf(buf, len, "?");
		break;
	}
	return buf;
}
