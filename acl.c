/*
 * acl.c: address classification for the access policy.
 */
#include <netinet/in.h>
#include <string.h>

#include "acl.h"

/* Return the IPv4 address of peer in host order via *v4, if it has one. */
static int
as_ipv4(const struct sockaddr *sa, uint32_t *v4)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;
	const uint8_t			*b;

	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)(const void *)sa;
		*v4 = ntohl(sin->sin_addr.s_addr);
		return 1;
	}
	if (sa->sa_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (!IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			return 0;
		b = sin6->sin6_addr.s6_addr;
		*v4 = ((uint32_t)b[12] << 24) | ((uint32_t)b[13] << 16) |
		    ((uint32_t)b[14] << 8) | b[15];
		return 1;
	}
	return 0;
}

static int
same_address(const struct sockaddr *a, const struct sockaddr *b)
{
	const struct sockaddr_in6	*a6, *b6;
	uint32_t			 v4a, v4b;

	if (as_ipv4(a, &v4a) && as_ipv4(b, &v4b))
		return v4a == v4b;
	if (a->sa_family == AF_INET6 && b->sa_family == AF_INET6) {
		a6 = (const struct sockaddr_in6 *)(const void *)a;
		b6 = (const struct sockaddr_in6 *)(const void *)b;
		return memcmp(&a6->sin6_addr, &b6->sin6_addr,
		    sizeof(a6->sin6_addr)) == 0;
	}
	return 0;
}

int
acl_is_local_peer(const struct sockaddr *peer, const struct sockaddr *local)
{
	const struct sockaddr_in6	*sin6;
	uint32_t			 v4;

	if (as_ipv4(peer, &v4)) {
		if ((v4 & 0xff000000U) == 0x7f000000U)
			return 1;
	} else if (peer->sa_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)(const void *)peer;
		if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
			return 1;
	} else
		return 0;
	return local != NULL && same_address(peer, local);
}
