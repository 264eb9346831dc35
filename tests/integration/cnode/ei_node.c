/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ei_node.c: a C node built with Debian's erl_interface (erlang-dev), as
 * real C nodes register: listen on a TCP port, ei_publish() it to the
 * port mapper named by ERL_EPMD_PORT, then accept distribution
 * connections (ei_accept does the handshake) until killed or timed out.
 *
 * Build: cc -pthread -o ei_node ei_node.c -lei
 * Usage: ei_node NAME COOKIE BIND_ADDR SECONDS
 * Prints "PUBLISHED port=N" or "PUBLISH_FAILED erl_errno=N errno=N", and
 * "ACCEPTED node=..." for every peer that completes the handshake.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ei.h>

int
main(int argc, char **argv)
{
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof(sin);
	ErlConnect		 conp;
	ei_cnode		 ec;
	int			 lfd, pfd, fd, one = 1;

	if (argc != 5) {
		fprintf(stderr, "usage: ei_node NAME COOKIE BIND_ADDR SECONDS\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm((unsigned)atoi(argv[4]));		/* never outlive the test */
	ei_init();
	if (ei_connect_init(&ec, argv[1], argv[2], 0) < 0) {
		printf("INIT_FAILED erl_errno=%d\n", erl_errno);
		return 1;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[3], &sin.sin_addr) != 1)
		return 2;
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, 5) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &slen) == -1) {
		printf("LISTEN_FAILED errno=%d\n", errno);
		return 1;
	}
	if ((pfd = ei_publish(&ec, ntohs(sin.sin_port))) < 0) {
		printf("PUBLISH_FAILED erl_errno=%d errno=%d\n", erl_errno,
		    errno);
		return 1;
	}
	printf("PUBLISHED port=%u\n", (unsigned)ntohs(sin.sin_port));
	for (;;) {
		if ((fd = ei_accept(&ec, lfd, &conp)) < 0)
			continue;
		printf("ACCEPTED node=%s\n", conp.nodename);
		close(fd);
	}
}
