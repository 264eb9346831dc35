/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sockdiag_io.h: the netlink edge of sockdiag.c. One NETLINK_SOCK_DIAG
 * socket for the daemon's life; one round trip per question, each bounded
 * in time (the kernel answers sock_diag while the request is sent, so a
 * reply is normally there at once; a late one is discarded by sequence).
 */
#ifndef SOCKDIAG_IO_H
#define SOCKDIAG_IO_H

#include <sys/socket.h>

#include "sockdiag.h"

/* How long one question may wait for the kernel, in milliseconds. */
#define SOCKDIAG_IO_TIMEOUT_MS	200

struct sockdiag_io;

/*
 * Open the netlink socket. NULL with *errstr (and errno) if the kernel or
 * the sandbox refuses it: the caller then behaves as stock and says so.
 */
struct sockdiag_io *sockdiag_io_open(const char **errstr);

/* Close the socket and free the handle (NULL is fine). */
void sockdiag_io_close(struct sockdiag_io *);

/*
 * Who holds the other end of a TCP connection: `peer` is the address
 * accept() returned, `self` the connection's local address (getsockname).
 * A v4-mapped IPv6 pair is asked for as IPv4, as the peer's socket is.
 * 0 with *out filled; -1 with *errstr if not found, refused or late.
 */
int sockdiag_io_peer(struct sockdiag_io *, const struct sockaddr *peer,
    const struct sockaddr *self, struct sockdiag_sock *out,
    const char **errstr);

/*
 * Every TCP socket listening on `port`, IPv4 and IPv6, in *res.
 * 0 on success (res->nsocks may be 0), -1 with *errstr otherwise.
 */
int sockdiag_io_listeners(struct sockdiag_io *, uint16_t port,
    struct sockdiag_result *res, const char **errstr);

#endif
