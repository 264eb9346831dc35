/* SPDX-License-Identifier: Apache-2.0 */
/*
 * addr.h: the one address type of the daemon's policy and limits, and its
 * helpers: parse, mask to a prefix, fold IPv4-mapped IPv6 to IPv4,
 * format, and convert from a socket address. Pure: no sockets, no I/O.
 *
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a dual-stack socket
 * reports for an IPv4 peer) is IPv4 everywhere a struct addr is made from
 * a socket address, so that one peer has one identity for the ACL, the
 * rate limits and the logs.
 */
#ifndef ADDR_H
#define ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Longest "[address%scope]:port" addr_sockaddr_str() produces. */
#define ADDR_STRLEN	80

/* An IPv4 or IPv6 address, network order; AF_UNSPEC for none. */
struct addr {
	int		 family;
	uint8_t		 addr[16];	/* IPv4 uses the first 4 bytes */
};

enum addr_status {
	ADDR_OK = 0,
	ADDR_BAD_ADDRESS,
	ADDR_BAD_PREFIX,	/* prefix length out of range */
	ADDR_HOST_BITS,		/* bits set beyond the prefix */
};

/* Bits in an address of family: 32 for AF_INET, 128 otherwise. */
unsigned addr_bits(int family);

/*
 * Parse a numeric IPv4 or IPv6 address (no port, no name, not folded).
 * -1 if it is not one.
 */
int addr_parse(const char *s, struct addr *);

/*
 * Parse "ADDRESS" or "ADDRESS/LEN". A bare address is a host (/32,
 * /128). Host bits beyond LEN are an error, not silently masked.
 * ::ffff:a.b.c.d/96+n is the IPv4 prefix a.b.c.d/n.
 */
enum addr_status addr_parse_prefix(const char *s, struct addr *net,
    unsigned *len, const char **errstr);

/*
 * dst = src with every bit past the first len cleared (len is capped at
 * the family's width); the unused bytes of an IPv4 address are zero.
 */
void addr_mask(struct addr *dst, const struct addr *src, unsigned len);

/* Fold an IPv4-mapped IPv6 address to IPv4 in place. */
void addr_fold(struct addr *);

/* Return 1 if a and b are the same family and address. */
int addr_equal(const struct addr *a, const struct addr *b);

/*
 * The folded address of an AF_INET or AF_INET6 socket address; -1 (and
 * *a zeroed, AF_UNSPEC) for any other family.
 */
int addr_from_sockaddr(const struct sockaddr *, struct addr *a);

/* The port of an AF_INET or AF_INET6 socket address; -1 otherwise. */
long addr_sockaddr_port(const struct sockaddr *);

/* Format a's address alone ("192.0.2.1", "2001:db8::1"); "-" if none. */
const char *addr_format(const struct addr *a, char *buf, size_t len);

/*
 * Format a socket address as bound, unfolded: "a.b.c.d:port" or
 * "[v6]:port"; "?" for other families.
 */
const char *addr_sockaddr_str(const struct sockaddr *, char *buf,
    size_t len);

#endif
