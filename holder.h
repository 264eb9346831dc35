/* SPDX-License-Identifier: Apache-2.0 */
/*
 * holder.h: who holds a TCP port. Used at start-up only, to say which
 * program took the port when a bind fails, and whether it is an
 * epmd_secure already serving the same addresses (an `erl`-started
 * `-daemon` then leaves quietly, as stock epmd does).
 */
#ifndef HOLDER_H
#define HOLDER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define HOLDER_MAX	16	/* listening sockets looked at per port */

struct holder_sock {
	struct sockaddr_storage	 addr;		/* bound address and port */
	unsigned long		 inode;
	unsigned		 uid;		/* the socket's owner */
	int			 pid;		/* 0 when not visible to us */
	char			 comm[17];	/* the holder's name, or "" */
};

struct holder {
	struct holder_sock	 s[HOLDER_MAX];
	size_t			 n;
};

/*
 * Fill h with the TCP sockets of this network namespace listening on
 * port (/proc/net/tcp and tcp6) and, where /proc/PID/fd is readable by
 * us, the process holding each: an epmd_secure in preference to any
 * other holder of the same socket (systemd's socket units share theirs).
 * Returns h->n; 0 when nothing listens or /proc cannot be read.
 */
size_t holder_find(uint16_t port, struct holder *h);

/* 1 if the socket's address is a wildcard (every interface). */
int holder_is_wildcard(const struct holder_sock *);

/*
 * 1 if every socket in h is held by an epmd_secure (or by systemd, PID 1,
 * for a socket unit). A holder we cannot see counts as one only when a
 * process named epmd_secure other than us runs as the socket's owner, or
 * the socket is root's and systemd is PID 1 (a socket unit not activated
 * yet). Callers also compare the addresses: stock's epmd.socket listens
 * on [::], never on exactly 127.0.0.1 and ::1.
 */
int holder_all_epmd_secure(const struct holder *h);

/* Describe h in one line: "pid 12 (epmd) on 0.0.0.0:4369 (every ...)". */
void holder_describe(const struct holder *h, char *buf, size_t len);

#endif
