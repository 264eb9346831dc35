/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conn.h: one client connection's I/O: its input frame, its reply, its
 * deadlines and its teardown. What a request gets is decided by proto.c;
 * a connection is handed everything it needs in a struct conn_ctx, shared
 * by all connections of one server, and never calls back into the server
 * except through the ctx's stop hook.
 */
#ifndef CONN_H
#define CONN_H

#include <sys/socket.h>

#include <stddef.h>

#include "proto.h"

struct event_base;
struct conn;

/* What every connection of a server shares. */
struct conn_ctx {
	struct event_base	*base;
	struct proto		*proto;
	unsigned		 packet_timeout;	/* seconds from accept */
	unsigned		 first_byte_timeout;	/* seconds, 0: packet */
	unsigned		 delay_accept;		/* seconds, test aid */
	unsigned		 delay_write;		/* seconds, test aid */
	/* Unsent reply bytes held at once, across connections. */
	size_t			 reply_budget;
	size_t			 reply_bytes;
	/* Open connections (all, and of those the remote ones). */
	size_t			 nconns;
	size_t			 nremote;
	/* KILL was answered: stop the daemon with status. */
	void			(*stop)(void *arg, int status);
	void			*stop_arg;
	/* Every open connection, for shutdown. */
	struct conn		*head;
};

/*
 * Take over the accepted, non-blocking socket fd, already admitted by
 * proto_admit() for peer (copied, with the addresses it points to). The
 * deadlines start now. The request is read at once if it has already
 * arrived, so the connection may be served and gone when this returns;
 * on allocation failure it is closed (and uncounted).
 */
void conn_new(struct conn_ctx *, int fd, const struct proto_peer *peer,
    const struct sockaddr *src, socklen_t srclen,
    const struct sockaddr *dst);

/*
 * Close every open connection, ending their registrations (each logs
 * its ALIVE2_END record): at shutdown.
 */
void conn_close_all(struct conn_ctx *);

#endif
