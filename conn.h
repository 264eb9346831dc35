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
 * starts now. Returns NULL (fd closed) on allocation failure.
 */
struct conn *conn_new(struct server *, int fd, const struct sockaddr *peer,
    socklen_t peerlen);

/* Close the connection, dropping any registration it holds. */
void conn_free(struct conn *);

#endif
