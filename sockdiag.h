/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sockdiag.h: NETLINK_SOCK_DIAG (inet_diag) requests and replies, pure.
 *
 * Two questions are asked of the kernel, one netlink round trip each:
 * - who owns the other end of a local TCP connection (uid and inode of
 *   the socket whose local end is the peer's address and whose remote end
 *   is ours: an exact lookup, no dump);
 * - which TCP sockets listen on a port, bound to which address, owned by
 *   which uid (a dump of one family, filtered in the kernel by port).
 * Building and parsing work on byte arrays; sockdiag_io.c does the I/O.
 */
#ifndef SOCKDIAG_H
#define SOCKDIAG_H

#include <stddef.h>
#include <stdint.h>

/* Big enough for either request (header, inet_diag_req_v2, bytecode). */
#define SOCKDIAG_REQ_MAX	128
/* Listeners kept per query; more are counted in .more. */
#define SOCKDIAG_MAX_LISTENERS	16

/* An IPv4 or IPv6 TCP endpoint. A v4-mapped IPv6 address is not folded
 * here: the caller asks for the family the peer's socket really has. */
struct sockdiag_addr {
	int		 family;	/* AF_INET or AF_INET6 */
	uint8_t		 addr[16];	/* 4 bytes used for AF_INET */
	uint16_t	 port;		/* host order */
};

/* One socket as the kernel reports it. */
struct sockdiag_sock {
	struct sockdiag_addr	 local;
	uint32_t		 uid;
	uint32_t		 inode;
	uint8_t			 state;	/* TCP_ESTABLISHED, TCP_LISTEN ... */
};

/* What a reply said, accumulated over one or more datagrams. */
struct sockdiag_result {
	int			 dump;	/* set by sockdiag_result_init */
	uint16_t		 port;	/* ditto; 0 keeps every socket */
	int			 done;	/* NLMSG_DONE or the one answer seen */
	int			 error;	/* errno from NLMSG_ERROR, 0 none */
	struct sockdiag_sock	 socks[SOCKDIAG_MAX_LISTENERS];
	size_t			 nsocks;
	size_t			 more;	/* matching sockets not kept */
	size_t			 foreign; /* messages of another seq, skipped */
};

enum sockdiag_status {
	SOCKDIAG_OK = 0,	/* reply complete: see result */
	SOCKDIAG_NEED_MORE,	/* a dump goes on in the next datagram */
	SOCKDIAG_BAD,		/* malformed; the reply cannot be trusted */
};

/*
 * Build the exact lookup of the TCP socket whose local end is `peer` and
 * whose remote end is `self` (the daemon's side of the connection) into
 * out. Both must have the same family. Returns the length, 0 if outlen is
 * too small or the families differ.
 */
size_t sockdiag_build_peer_req(uint8_t *out, size_t outlen, uint32_t seq,
    const struct sockdiag_addr *peer, const struct sockdiag_addr *self);

/*
 * Build a dump of the listening TCP sockets of `family` on `port`.
 * Returns the length, 0 if outlen is too small or family is unknown.
 */
size_t sockdiag_build_listen_req(uint8_t *out, size_t outlen, uint32_t seq,
    int family, uint16_t port);

/*
 * Clear a result before the first datagram of a reply. `dump` says which
 * request it answers: a dump ends with NLMSG_DONE, an exact lookup with
 * its one answer. `port`, if non-zero, keeps only sockets whose local
 * port is port (the kernel filters too; this does not trust it).
 */
void sockdiag_result_init(struct sockdiag_result *, int dump, uint16_t port);

/*
 * Parse one datagram of the reply to request `seq` into *res. buf must be
 * 4-byte aligned (as a recv buffer is); len is what recv returned.
 * Messages carrying another
 * sequence number (a late answer to an earlier, abandoned request) are
 * skipped and counted. Returns SOCKDIAG_OK once the reply is complete
 * (res->error says whether the kernel refused), SOCKDIAG_NEED_MORE if a
 * dump continues, SOCKDIAG_BAD with *errstr on anything malformed.
 */
enum sockdiag_status sockdiag_parse(const uint8_t *buf, size_t len,
    uint32_t seq, struct sockdiag_result *res,
    const char **errstr);

/* 1 if the address is loopback: 127/8, ::1, ::ffff:127.0.0.0/104. */
int sockdiag_addr_is_loopback(const struct sockdiag_addr *);

/* 1 if the address is the wildcard: 0.0.0.0 or ::. */
int sockdiag_addr_is_any(const struct sockdiag_addr *);

/* Format the address (without port) into buf; "?" if unknown family. */
const char *sockdiag_addr_str(const struct sockdiag_addr *, char *buf,
    size_t len);

#endif
