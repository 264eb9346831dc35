/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conn.h: one client connection: its input frame, its reply, its deadline,
 * and, for ALIVE2, the registration it holds for as long as it is open.
 */
#ifndef CONN_H
#define CONN_H

#include <sys/socket.h>

struct server;
struct conn;

#include "acl.h"

/*
 * Take over the accepted, non-blocking socket fd, already admitted by the
 * connection caps. peer and local are its addresses; is_local whether it
 * counts as a local peer; rlkey its source key if it was counted per
 * source (NULL otherwise). The deadlines start now. The request is read
 * at once if it has already arrived, so the connection may be served and
 * gone when this returns; on allocation failure it is closed (and
 * uncounted).
 */
void conn_new(struct server *, int fd, const struct sockaddr *peer,
    socklen_t peerlen, const struct sockaddr *local, int is_local,
    const struct addr *rlkey);

/* Close the connection, dropping any registration it holds. */
void conn_free(struct conn *);

#endif
