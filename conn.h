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

/* Storage for what the facts hook learns, for one decision. */
struct conn_facts {
	struct sockdiag_result	 listeners;
	char			 user[64];
};

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
	/*
	 * Before a local peer's request is decided: fill peer->facts from
	 * the kernel (the listeners of an ALIVE2's port, the uid's name),
	 * pointing into *buf, which lives until the decision is made.
	 * NULL: no facts beyond those of conn_new's peer.
	 */
	void			(*facts)(void *arg, struct proto_peer *peer,
				    const uint8_t *body, size_t len,
				    struct conn_facts *buf);
	void			*facts_arg;
	/* A decision changed the sticky owners' table: save it. */
	void			(*sticky_changed)(void *arg);
	void			*sticky_arg;
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
 * Attribute every open local connection not yet counted against its uid's
 * cap: lookup fills peer->facts.uid (0) or fails (-1); the engine then
 * counts it (proto_count_uid). Run when the local connections reach the
 * per-uid cap: below it, no uid can be over the cap, so the sock_diag
 * round trip per connection is saved.
 */
void conn_attribute_all(struct conn_ctx *,
    int (*lookup)(void *arg, struct proto_peer *), void *arg);

/*
 * Close every open connection, ending their registrations (each logs
 * its ALIVE2_END record): at shutdown.
 */
void conn_close_all(struct conn_ctx *);

#endif
