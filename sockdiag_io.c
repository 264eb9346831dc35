/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sockdiag_io.c: one NETLINK_SOCK_DIAG socket, one bounded round trip per
 * question. Message building and parsing are in sockdiag.c.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/netlink.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>

#include "sockdiag_io.h"

/* A dump of listeners on one port is small; 32 KB takes a full batch. */
#define RECV_WORDS	8192

struct sockdiag_io {
	struct mnl_socket	*nl;
	uint32_t		 seq;
	uint32_t		 buf[RECV_WORDS];	/* 4-byte aligned */
};

/* Open the netlink socket. */
struct sockdiag_io *
sockdiag_io_open(const char **errstr)
{
	struct sockdiag_io	*io;
	struct sockaddr_nl	 kernel;
	int			 saved;

	if ((io = calloc(1, sizeof(*io))) == NULL) {
		*errstr = "out of memory";
		return NULL;
	}
	io->nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC |
	    SOCK_NONBLOCK);
	if (io->nl == NULL) {
		*errstr = "socket(AF_NETLINK, NETLINK_SOCK_DIAG)";
		goto fail;
	}
	if (mnl_socket_bind(io->nl, 0, MNL_SOCKET_AUTOPID) == -1) {
		*errstr = "bind(AF_NETLINK)";
		goto fail;
	}
	/*
	 * Accept datagrams from the kernel only. Another process may send
	 * unicast netlink messages to our port id; once connected to port 0
	 * the kernel drops them (and mnl_socket_recvfrom checks the sender
	 * anyway). A forged reply would name the wrong owner.
	 */
	memset(&kernel, 0, sizeof(kernel));
	kernel.nl_family = AF_NETLINK;
	if (connect(mnl_socket_get_fd(io->nl), (struct sockaddr *)&kernel,
	    sizeof(kernel)) == -1) {
		*errstr = "connect(AF_NETLINK)";
		goto fail;
	}
	io->seq = (uint32_t)time(NULL) | 1;
	return io;
fail:
	saved = errno;
	sockdiag_io_close(io);
	errno = saved;
	return NULL;
}

/* Close the socket and free the handle. */
void
sockdiag_io_close(struct sockdiag_io *io)
{
	if (io == NULL)
		return;
	if (io->nl != NULL)
		mnl_socket_close(io->nl);
	free(io);
}

/* Milliseconds on the monotonic clock. */
static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Send one request and read its reply into *res, within the timeout. */
static int
round_trip(struct sockdiag_io *io, const uint8_t *req, size_t reqlen,
    uint32_t seq, struct sockdiag_result *res, const char **errstr)
{
	struct pollfd		 pfd;
	enum sockdiag_status	 st;
	long long		 deadline, left;
	ssize_t			 n;

	if (mnl_socket_sendto(io->nl, req, reqlen) != (ssize_t)reqlen) {
		*errstr = "netlink send failed";
		return -1;
	}
	deadline = now_ms() + SOCKDIAG_IO_TIMEOUT_MS;
	pfd.fd = mnl_socket_get_fd(io->nl);
	pfd.events = POLLIN;
	for (;;) {
		n = mnl_socket_recvfrom(io->nl, io->buf, sizeof(io->buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if ((left = deadline - now_ms()) <= 0) {
				*errstr = "no netlink reply in time";
				return -1;
			}
			if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR) {
				*errstr = "poll on netlink failed";
				return -1;
			}
			continue;
		}
		if (n == -1) {
			/* ENOBUFS (we lost messages) or a bad sender. */
			*errstr = "netlink receive failed";
			return -1;
		}
		st = sockdiag_parse((const uint8_t *)io->buf, (size_t)n, seq,
		    res, errstr);
		if (st == SOCKDIAG_BAD)
			return -1;
		if (st == SOCKDIAG_OK)
			return 0;
	}
}

/* Next sequence number; never 0, which matches any reply in libmnl. */
static uint32_t
next_seq(struct sockdiag_io *io)
{
	if (++io->seq == 0)
		io->seq = 1;
	return io->seq;
}

/* Fill an endpoint from a sockaddr, folding v4-mapped IPv6 to IPv4. */
static int
from_sockaddr(const struct sockaddr *sa, struct sockdiag_addr *a)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)(const void *)sa;
		a->family = AF_INET;
		memcpy(a->addr, &sin->sin_addr, 4);
		a->port = ntohs(sin->sin_port);
		return 0;
	}
	if (sa->sa_family != AF_INET6)
		return -1;
	sin6 = (const struct sockaddr_in6 *)(const void *)sa;
	a->port = ntohs(sin6->sin6_port);
	if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		a->family = AF_INET;
		memcpy(a->addr, &sin6->sin6_addr.s6_addr[12], 4);
	} else {
		a->family = AF_INET6;
		memcpy(a->addr, &sin6->sin6_addr, 16);
	}
	return 0;
}

/* Who holds the other end of a TCP connection. */
int
sockdiag_io_peer(struct sockdiag_io *io, const struct sockaddr *peer,
    const struct sockaddr *self, struct sockdiag_sock *out,
    const char **errstr)
{
	struct sockdiag_result	 res;
	struct sockdiag_addr	 p, s;
	uint32_t		 req[SOCKDIAG_REQ_MAX / 4], seq;
	size_t			 len;

	if (from_sockaddr(peer, &p) == -1 || from_sockaddr(self, &s) == -1 ||
	    p.family != s.family) {
		*errstr = "not a TCP/IP connection";
		return -1;
	}
	seq = next_seq(io);
	len = sockdiag_build_peer_req((uint8_t *)req, sizeof(req), seq, &p, &s);
	if (len == 0) {
		*errstr = "cannot build request";
		return -1;
	}
	sockdiag_result_init(&res, 0, 0);
	if (round_trip(io, (const uint8_t *)req, len, seq, &res, errstr) == -1)
		return -1;
	if (res.error != 0 || res.nsocks == 0) {
		*errstr = res.error == ENOENT ? "peer socket not found" :
		    "kernel refused the lookup";
		return -1;
	}
	*out = res.socks[0];
	return 0;
}

/* Every TCP socket listening on port, IPv4 and IPv6. */
int
sockdiag_io_listeners(struct sockdiag_io *io, uint16_t port,
    struct sockdiag_result *res, const char **errstr)
{
	static const int	 families[] = { AF_INET, AF_INET6 };
	struct sockdiag_result	 one;
	uint32_t		 req[SOCKDIAG_REQ_MAX / 4], seq;
	size_t			 len, i, j;

	sockdiag_result_init(res, 1, port);
	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		seq = next_seq(io);
		len = sockdiag_build_listen_req((uint8_t *)req, sizeof(req),
		    seq, families[i], port);
		sockdiag_result_init(&one, 1, port);
		if (len == 0 || round_trip(io, (const uint8_t *)req, len, seq,
		    &one, errstr) == -1)
			return -1;
		/* No IPv6 in this kernel is no IPv6 listener, not an error. */
		if (one.error != 0 && !(families[i] == AF_INET6 &&
		    (one.error == ENOENT || one.error == EAFNOSUPPORT))) {
			*errstr = "kernel refused the listener dump";
			return -1;
		}
		for (j = 0; j < one.nsocks; j++) {
			if (res->nsocks < SOCKDIAG_MAX_LISTENERS)
				res->socks[res->nsocks++] = one.socks[j];
			else
				res->more++;
		}
		res->more += one.more;
	}
	res->done = 1;
	return 0;
}
