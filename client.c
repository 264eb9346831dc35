/* SPDX-License-Identifier: Apache-2.0 */
/*
 * client.c: talk to the local daemon with blocking sockets, as stock's
 * client does: IPv6 loopback first, then IPv4 loopback.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "wire.h"

#define CLIENT_BUFSIZE	8192

/* Connect to the daemon on loopback; -1 if nothing answers there. */
static int
client_connect(uint16_t port, int silent)
{
	struct sockaddr_in6	 sin6;
	struct sockaddr_in	 sin;
	int			 fd;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(port);
	sin6.sin6_addr = in6addr_loopback;
	if ((fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1) {
		if (connect(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0)
			return fd;
		close(fd);
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1) {
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			return fd;
		close(fd);
	}
	if (!silent)
		fprintf(stderr, "epmd: Cannot connect to local epmd\n");
	return -1;
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read up to len bytes, stopping early only at EOF. -1 on error. */
static ssize_t
read_fill(int fd, uint8_t *p, size_t len)
{
	size_t	 got = 0;
	ssize_t	 n;

	while (got < len) {
		n = read(fd, p + got, len - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Connect and send one request; -1 (message printed) on failure. */
static int
client_request(uint16_t port, enum wire_op op, const char *payload,
    int silent)
{
	uint8_t	 buf[3 + WIRE_MAX_BODY];
	size_t	 len;
	int	 fd;

	len = wire_encode_request(buf, sizeof(buf), op, payload,
	    payload == NULL ? 0 : strlen(payload));
	if ((fd = client_connect(port, silent)) == -1)
		return -1;
	if (len == 0 || write_all(fd, buf, len) == -1) {
		printf("epmd: Can't write to epmd\n");
		close(fd);
		return -1;
	}
	return fd;
}

/* NAMES and DUMP: the port line, then the reply copied as it comes. */
static int
client_listing(uint16_t port, enum wire_op op, int silent)
{
	uint8_t	 buf[CLIENT_BUFSIZE];
	ssize_t	 n;
	int	 fd;

	fflush(stdout);
	if ((fd = client_request(port, op, NULL, silent)) == -1)
		return 1;
	if (read_fill(fd, buf, 4) != 4) {
		if (!silent)
			printf("epmd: no response from local epmd\n");
		close(fd);
		return 1;
	}
	if (!silent) {
		printf("epmd: up and running on port %u with data:\n",
		    (unsigned)(((uint32_t)buf[0] << 24) |
		    ((uint32_t)buf[1] << 16) | ((uint32_t)buf[2] << 8) |
		    buf[3]));
	}
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		/*
		 * Through stdio, as stock: to a pipe, the header and the
		 * listing leave in one write (up to the buffer's size), so
		 * a reader taking the first chunk sees the names too. DUMP
		 * lines carry their NUL bytes through.
		 */
		if (!silent && fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			break;
	}
	close(fd);
	return 0;
}

int
client_names(uint16_t port, int silent)
{
	return client_listing(port, WIRE_OP_NAMES, silent);
}

int
client_dump(uint16_t port)
{
	return client_listing(port, WIRE_OP_DUMP, 0);
}

/* Print a short reply that was not the expected one, as stock. */
static int
responded(const uint8_t *buf, ssize_t n)
{
	if (n < 0) {
		printf("epmd: failed to read answer from local epmd\n");
		return 1;
	}
	printf("epmd: local epmd responded with <%.*s>\n", (int)n,
	    (const char *)buf);
	return 1;
}

/* -forget NAME: ask the daemon to forget NAME's sticky owner (root). */
int
client_forget(uint16_t port, const char *name)
{
	uint8_t	 buf[9];
	ssize_t	 n;
	int	 fd;

	if (strlen(name) > 1000) {
		printf("epmd: Name too long!");
		return 1;
	}
	if ((fd = client_request(port, WIRE_OP_FORGET, name, 0)) == -1)
		return 1;
	n = read_fill(fd, buf, sizeof(buf));
	close(fd);
	if (n == 9 && memcmp(buf, "FORGOTTEN", 9) == 0) {
		printf("FORGOTTEN\n");
		return 0;
	}
	if (n == 7 && memcmp(buf, "NOEXIST", 7) == 0) {
		printf("NOEXIST\n");
		return 1;
	}
	if (n == 0) {
		printf("epmd: forget refused: root only, and the daemon must "
		    "see who asks (sock_diag)\n");
		return 1;
	}
	return responded(buf, n);
}

int
client_kill(uint16_t port)
{
	uint8_t	 buf[2];
	ssize_t	 n;
	int	 fd;

	if ((fd = client_request(port, WIRE_OP_KILL, NULL, 0)) == -1)
		return 1;
	n = read_fill(fd, buf, 2);
	close(fd);
	if (n != 2)
		return responded(buf, n);
	if (buf[0] == 'O' && buf[1] == 'K') {
		printf("Killed\n");
		return 0;
	}
	printf("Killing not allowed - living nodes in database.\n");
	return 1;
}

int
client_stop(uint16_t port, const char *name)
{
	uint8_t	 buf[7];
	ssize_t	 n;
	int	 fd;

	if (strlen(name) > 1000) {
		printf("epmd: Name too long!");
		return 1;
	}
	if ((fd = client_request(port, WIRE_OP_STOP, name, 0)) == -1)
		return 1;
	n = read_fill(fd, buf, 7);
	close(fd);
	if (n != 7)
		return responded(buf, n);
	printf("%.7s\n", (const char *)buf);
	return 0;
}
