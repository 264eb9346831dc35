/* SPDX-License-Identifier: Apache-2.0 */
/*
 * regbench: ALIVE2 registrations per second against a port mapper on
 * 127.0.0.1, with node ports that this process really listens on (so that
 * epmd_secure's check_port_owner passes, as for a real node).
 *
 *   regbench -p EPMD_PORT [-t SECS] [-m MAXCOUNT] [-k LISTENERS]
 *
 * One closed loop: connect, ALIVE2 (name rb<N>, the port of one of our K
 * listeners), read the 6-byte reply, close (which ends the registration).
 * Bounded in time and count. Prints "registrations=N ok=N failed=N
 * seconds=S per_sec=R".
 *
 * Build: cc -O2 -Wall -Wextra -o bench/regbench bench/regbench.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_LISTENERS	256
#define MAX_SECS	120
#define MAX_COUNT	10000000L

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
listener(uint16_t *port)
{
	struct sockaddr_in	 sin = { .sin_family = AF_INET };
	socklen_t		 len = sizeof(sin);
	int			 fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 1) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		return -1;
	*port = ntohs(sin.sin_port);
	return fd;
}

static int
one(uint16_t epmd, const char *name, uint16_t port)
{
	struct sockaddr_in	 sin = { .sin_family = AF_INET };
	uint8_t			 req[64], rep[8];
	size_t			 nlen = strlen(name), len = 0, got = 0;
	ssize_t			 n;
	int			 fd, ok = 0;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(epmd);
	req[len++] = 0;
	req[len++] = (uint8_t)(13 + nlen);
	req[len++] = 'x';
	req[len++] = (uint8_t)(port >> 8);
	req[len++] = (uint8_t)port;
	req[len++] = 77;
	req[len++] = 0;
	req[len++] = 0; req[len++] = 6;
	req[len++] = 0; req[len++] = 5;
	req[len++] = 0; req[len++] = (uint8_t)nlen;
	memcpy(req + len, name, nlen);
	len += nlen;
	req[len++] = 0; req[len++] = 0;
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return 0;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    write(fd, req, len) == (ssize_t)len) {
		while (got < 6 && (n = read(fd, rep + got, 6 - got)) > 0)
			got += (size_t)n;
		ok = got == 6 && rep[0] == 'v' && rep[1] == 0;
	}
	close(fd);
	return ok;
}

int
main(int argc, char **argv)
{
	uint16_t	 ports[MAX_LISTENERS], epmd = 0;
	int		 fds[MAX_LISTENERS], k = 64, c, i;
	double		 secs = 2, t0, t;
	long		 max = MAX_COUNT, n = 0, ok = 0;
	char		 name[32];

	while ((c = getopt(argc, argv, "p:t:m:k:")) != -1) {
		switch (c) {
		case 'p': epmd = (uint16_t)atoi(optarg); break;
		case 't': secs = atof(optarg); break;
		case 'm': max = atol(optarg); break;
		case 'k': k = atoi(optarg); break;
		default: return 2;
		}
	}
	if (epmd == 0 || secs <= 0 || secs > MAX_SECS || max <= 0 ||
	    max > MAX_COUNT || k < 1 || k > MAX_LISTENERS) {
		fprintf(stderr, "usage: regbench -p PORT [-t SECS<=%d] "
		    "[-m COUNT] [-k LISTENERS<=%d]\n", MAX_SECS, MAX_LISTENERS);
		return 2;
	}
	for (i = 0; i < k; i++)
		if ((fds[i] = listener(&ports[i])) == -1) {
			perror("listener");
			return 1;
		}
	t0 = now();
	do {
		snprintf(name, sizeof(name), "rb%ld", n % 1000);
		ok += one(epmd, name, ports[n % k]);
		n++;
	} while (n < max && (t = now() - t0) < secs);
	t = now() - t0;
	printf("registrations=%ld ok=%ld failed=%ld seconds=%.3f per_sec=%.0f\n",
	    n, ok, n - ok, t, n / t);
	for (i = 0; i < k; i++)
		close(fds[i]);
	return 0;
}
