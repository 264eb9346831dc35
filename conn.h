/*
 * conn.h: one client connection: its input frame, its reply, its deadline,
 * and, for ALIVE2, the registration it holds for as long as it is open.
 */
#ifndef CONN_H
#define CONN_H

#include <sys/socket.h>

struct server;
struct conn;

/*
 * Take over the accepted, non-blocking socket fd. The packet timeout
 * starts now. local is the connection's local address if the caller knows
 * it (a listener bound to a specific address), else NULL. The request is
 * read at once if it has already arrived, so the connection may be served
 * and gone when this returns; on allocation failure fd is closed.
 */
void conn_new(struct server *, int fd, const struct sockaddr *peer,
    socklen_t peerlen, const struct sockaddr *local);

/* Close the connection, dropping any registration it holds. */
void conn_free(struct conn *);

#endif
