/*
 * acl.h: who may ask what. Pure: no sockets opened, no logging.
 *
 * acl_is_local_peer() is stock epmd's rule for the requests that change
 * or reveal daemon state (ALIVE2, DUMP, KILL, STOP).
 */
#ifndef ACL_H
#define ACL_H

#include <sys/socket.h>

/*
 * Return 1 if peer counts as local: IPv4 127.0.0.0/8, ::1, an
 * IPv4-mapped loopback (::ffff:127.0.0.0/104, from a dual-stack socket),
 * or a peer address equal to the connection's local address (a process
 * on this host dialling one of its own addresses). local may be NULL.
 */
int acl_is_local_peer(const struct sockaddr *peer,
    const struct sockaddr *local);

#endif
