/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loadgen: standalone load generator for EPMD-speaking daemons.
 *
 * Libc only (epoll, non-blocking sockets); no project headers, so it can
 * drive stock epmd and epmd_secure alike.  Connects only to loopback
 * (127.0.0.0/8, ::1), or -- when the environment has BENCH_NETNS=1, set by a
 * bench scenario that created a private network namespace -- to an address
 * given with -a that is on-link (a connected route, no gateway) inside a
 * bench namespace (/run/netns/epmdbench-*, not PID 1's), where no default
 * route exists.
 * Every loop is bounded in count and in time.  Prints figures, one
 * machine-readable "key=value" line per result; never judges them.
 *
 *   loadgen lookup   [-a ADDR] [-b SRC] -p PORT [-n NAME] [-c CLIENTS]
 *                    [-t SECS] [-m MAXCOUNT] [-T TIMEOUT_MS] [-R PER_SEC]
 *   loadgen idle     [-a ADDR] [-b SRC] -p PORT [-N CONNS] [-t HOLD_SECS]
 *                    [-k INFLIGHT] [-T CONNECT_TIMEOUT_MS] [-w CONNECT_SECS]
 *                    [-r RECONNECTS_PER_SEC]
 *   loadgen register [-a ADDR] [-b SRC] -p PORT [-n NAME] [-P NODEPORT]
 *                    [-t HOLD_SECS]
 *   loadgen freeport
 *
 * -b SRC binds the source address before every connect.  -r (idle) reopens
 * connections the server closes during the hold, at most that many a second.
 * -R (lookup) paces the clients: at most PER_SEC lookups started a second
 * (a legit host with a steady need), instead of a closed loop.
 *
 * Build: cc -O2 -Wall -Wextra -o bench/loadgen bench/loadgen.c
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS	4096
#define MAX_IDLE	60000
#define MAX_SECS	600
#define MAX_COUNT	20000000L
#define NAME_MAX_LEN	1020
#define REPLY_BUF	4096

static volatile sig_atomic_t stop_flag;

struct opts {
	int		 family;
	const char	*addr;
	const char	*src;		/* -b: source address, or NULL */
	int		 reconnect;	/* -r: reopens per second, 0 off */
	double		 pace;		/* -R: lookups started per second, 0 off */
	int		 port;
	const char	*name;
	int		 clients;
	double		 secs;
	long		 maxcount;
	int		 timeout_ms;
	int		 nconns;
	int		 inflight;
	double		 connect_secs;
	int		 nodeport;
};

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void
die(const char *msg)
{
	fprintf(stderr, "loadgen: %s\n", msg);
	exit(2);
}

static void
die_errno(const char *msg)
{
	fprintf(stderr, "loadgen: %s: %s\n", msg, strerror(errno));
	exit(2);
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static long
parse_long(const char *s, long lo, long hi, const char *what)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "loadgen: bad %s '%s' (want %ld..%ld)\n",
		    what, s, lo, hi);
		exit(2);
	}
	return v;
}

static double
parse_secs(const char *s)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v > 0) ||
	    v > MAX_SECS) {
		fprintf(stderr, "loadgen: bad seconds '%s' (want 0..%d]\n",
		    s, MAX_SECS);
		exit(2);
	}
	return v;
}

/* Raise the soft fd limit to the hard limit; return the new soft limit. */
static long
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		die_errno("getrlimit");
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			die_errno("setrlimit");
	}
	return rl.rlim_cur == RLIM_INFINITY ? MAX_IDLE * 2L :
	    (long)rl.rlim_cur;
}

/* 1 if the address is loopback: 127.0.0.0/8 or ::1. */
static int
is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr)
		    >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(
	    &((const struct sockaddr_in6 *)ss)->sin6_addr);
}

/*
 * 1 if this process is in a bench test namespace: one that `ip netns add`
 * bound at /run/netns/epmdbench-* (the prefix bench/scenarios use), and,
 * where PID 1's namespace can be read, not that one.
 */
#define NETNS_DIR	"/run/netns"
#define NETNS_PREFIX	"epmdbench-"

static int
in_private_netns(void)
{
	struct stat	 self, st;
	char		 path[512], a[64], b[64];
	DIR		*d;
	struct dirent	*e;
	ssize_t		 na, nb;
	int		 found = 0;

	if (stat("/proc/self/ns/net", &self) == -1)
		return 0;
	na = readlink("/proc/self/ns/net", a, sizeof(a) - 1);
	nb = readlink("/proc/1/ns/net", b, sizeof(b) - 1);
	if (na > 0 && nb > 0) {
		a[na] = '\0';
		b[nb] = '\0';
		if (strcmp(a, b) == 0)
			return 0;
	}
	if ((d = opendir(NETNS_DIR)) == NULL)
		return 0;
	while (!found && (e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, NETNS_PREFIX, strlen(NETNS_PREFIX)) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", NETNS_DIR, e->d_name);
		if (stat(path, &st) == 0 && st.st_dev == self.st_dev &&
		    st.st_ino == self.st_ino)
			found = 1;
	}
	closedir(d);
	return found;
}

/* Decode n bytes of hex (as /proc/net/ipv6_route prints them). */
static int
hexbytes(const char *s, unsigned char *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

/* 1 if the first plen bits of a and b agree. */
static int
prefix_match(const unsigned char *a, const unsigned char *b, unsigned plen)
{
	unsigned	full = plen / 8, rest = plen % 8;

	if (memcmp(a, b, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a[full] ^ b[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

/*
 * Check the routing table of this namespace: the longest route matching
 * dst must be on-link (no gateway), and there must be no default route.
 * Returns NULL if fine, else why not.
 */
static const char *
route_check(const struct sockaddr_storage *ss)
{
	char		 line[512];
	FILE		*f;
	int		 best = -1, best_gw = 1, have_default = 0;
	unsigned char	 dst[16];

	if (ss->ss_family == AF_INET) {
		memcpy(dst, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		if ((f = fopen("/proc/net/route", "r")) == NULL)
			return "cannot read /proc/net/route";
		if (fgets(line, sizeof(line), f) == NULL) {	/* header */
			fclose(f);
			return "empty /proc/net/route";
		}
		while (fgets(line, sizeof(line), f) != NULL) {
			char		 ifn[64];
			unsigned	 d, g, flags, m;
			unsigned char	 rd[4], rm[4];
			int		 plen = 0, k;

			if (sscanf(line, "%63s %x %x %x %*s %*s %*s %x", ifn,
			    &d, &g, &flags, &m) != 5)
				continue;
			if (!(flags & 0x1))		/* RTF_UP */
				continue;
			/* The kernel prints the raw (network order) words. */
			memcpy(rd, &d, 4);
			memcpy(rm, &m, 4);
			for (k = 0; k < 4; k++)
				plen += __builtin_popcount(rm[k]);
			if (plen == 0)
				have_default = 1;
			if (prefix_match(rd, dst, (unsigned)plen) &&
			    plen > best) {
				best = plen;
				best_gw = (flags & 0x2) != 0 || g != 0;
			}
		}
		fclose(f);
	} else {
		memcpy(dst, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
		if ((f = fopen("/proc/net/ipv6_route", "r")) == NULL)
			return "cannot read /proc/net/ipv6_route";
		while (fgets(line, sizeof(line), f) != NULL) {
			char		 d[40], gw[40], ifn[64];
			unsigned	 plen, flags;
			unsigned char	 rd[16], rg[16];
			static const unsigned char zero[16];

			if (sscanf(line, "%32s %x %*s %*s %32s %*s %*s %*s %x "
			    "%63s", d, &plen, gw, &flags, ifn) != 5 ||
			    hexbytes(d, rd, 16) == -1 ||
			    hexbytes(gw, rg, 16) == -1 || plen > 128)
				continue;
			if (!(flags & 0x1) || strcmp(ifn, "lo") == 0)
				continue;
			if (plen == 0)
				have_default = 1;
			if (prefix_match(rd, dst, plen) && (int)plen > best) {
				best = (int)plen;
				best_gw = (flags & 0x2) != 0 ||
				    memcmp(rg, zero, 16) != 0;
			}
		}
		fclose(f);
	}
	if (have_default)
		return "this namespace has a default route";
	if (best < 0)
		return "no route to it in this namespace";
	if (best_gw)
		return "its route goes through a gateway";
	return NULL;
}

/* Parse a numeric address and port into ss; returns its length or 0. */
static socklen_t
parse_sockaddr(const char *addr, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		return sizeof(*sin);
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		return sizeof(*sin6);
	}
	return 0;
}

/*
 * Build the target address.  Loopback is always accepted.  Anything else
 * only with BENCH_NETNS=1 in the environment, from inside a private network
 * namespace, on-link there and with no default route: this tool is for
 * local benchmarks and must never be pointed elsewhere.
 */
static socklen_t
target_addr(const struct opts *o, struct sockaddr_storage *ss)
{
	socklen_t	 len;
	const char	*env, *why;

	if ((len = parse_sockaddr(o->addr, o->port, ss)) == 0)
		die("-a: not a numeric IPv4 or IPv6 address");
	if (is_loopback(ss))
		return len;
	env = getenv("BENCH_NETNS");
	if (env == NULL || strcmp(env, "1") != 0)
		die("address must be loopback (127.0.0.0/8 or ::1); others "
		    "only with BENCH_NETNS=1 inside a test network namespace");
	if (!in_private_netns())
		die("BENCH_NETNS=1 but this is not a bench network namespace "
		    "(" NETNS_DIR "/" NETNS_PREFIX "*): refusing a non-loopback "
		    "address");
	if ((why = route_check(ss)) != NULL) {
		fprintf(stderr, "loadgen: refusing %s: %s\n", o->addr, why);
		exit(2);
	}
	return len;
}

/* The -b source address, for the target's family; 0 if none. */
static socklen_t
source_addr(const struct opts *o, const struct sockaddr_storage *dst,
    struct sockaddr_storage *src)
{
	socklen_t len;

	if (o->src == NULL)
		return 0;
	if ((len = parse_sockaddr(o->src, 0, src)) == 0)
		die("-b: not a numeric IPv4 or IPv6 address");
	if (src->ss_family != dst->ss_family)
		die("-b: the source and the target must be the same family");
	{
		/* Fail now, clearly, rather than on every connect. */
		int fd = socket(src->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd == -1)
			die_errno("socket");
		if (bind(fd, (const struct sockaddr *)src, len) == -1)
			die_errno("-b: bind");
		close(fd);
	}
	return len;
}

/* Set by main from -b: every connect binds this source first. */
static struct sockaddr_storage	bind_ss;
static socklen_t		bind_len;

/*
 * Start a non-blocking connect.  Returns the fd (>= 0), with *done set when
 * the connect completed at once; -1 with errno on failure.
 */
static int
start_connect(const struct sockaddr_storage *ss, socklen_t slen, int *done)
{
	int fd;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return -1;
	*done = 0;
	if (bind_len > 0) {
		int one = 1;

#ifdef IP_BIND_ADDRESS_NO_PORT
		/* Pick the port at connect: share it across destinations. */
		(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
		    sizeof(one));
#endif
		if (bind(fd, (const struct sockaddr *)&bind_ss, bind_len) ==
		    -1) {
			int saved = errno;

			close(fd);
			errno = saved;
			return -1;
		}
	}
	if (connect(fd, (const struct sockaddr *)ss, slen) == 0) {
		*done = 1;
		return fd;
	}
	if (errno == EINPROGRESS)
		return fd;
	{
		int saved = errno;

		close(fd);
		errno = saved;
	}
	return -1;
}

static int
sock_error(int fd)
{
	int		err = 0;
	socklen_t	len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		return errno;
	return err;
}

static size_t
put_u16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)(v & 0xff);
	return 2;
}

/* Frame a PORT_PLEASE2_REQ; return its total length. */
static size_t
build_port_please(unsigned char *buf, const char *name)
{
	size_t nlen = strlen(name);

	put_u16(buf, (unsigned)(1 + nlen));
	buf[2] = 'z';
	memcpy(buf + 3, name, nlen);
	return 3 + nlen;
}

/* Frame an ALIVE2_REQ (HighestVersion 6); return its total length. */
static size_t
build_alive2(unsigned char *buf, const char *name, int nodeport)
{
	size_t	nlen = strlen(name);
	size_t	p = 2;

	buf[p++] = 'x';
	p += put_u16(buf + p, (unsigned)nodeport);
	buf[p++] = 77;			/* normal node */
	buf[p++] = 0;			/* TCP/IPv4 */
	p += put_u16(buf + p, 6);	/* highest version */
	p += put_u16(buf + p, 5);	/* lowest version */
	p += put_u16(buf + p, (unsigned)nlen);
	memcpy(buf + p, name, nlen);
	p += nlen;
	p += put_u16(buf + p, 0);	/* no extra */
	put_u16(buf, (unsigned)(p - 2));
	return p;
}

static void
check_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > NAME_MAX_LEN)
		die("node name must be 1..1020 bytes");
}

/* ------------------------------------------------------------------ */
/* lookup: closed-loop PORT_PLEASE2 clients                            */
/* ------------------------------------------------------------------ */

enum cstate { C_IDLE, C_CONNECTING, C_READING };

struct client {
	int		fd;
	enum cstate	state;
	uint64_t	start;
	size_t		got;
	unsigned char	head[2];
};

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint32_t
percentile(const uint32_t *v, long n, double q)
{
	long i;

	if (n <= 0)
		return 0;
	i = (long)(q * (double)(n - 1) + 0.5);
	if (i >= n)
		i = n - 1;
	return v[i];
}

static int
mode_lookup(const struct opts *o)
{
	struct sockaddr_storage	 ss;
	socklen_t		 slen;
	unsigned char		 req[3 + NAME_MAX_LEN];
	size_t			 reqlen;
	struct client		*cl;
	struct epoll_event	 evs[256];
	uint32_t		*lat;
	long			 started = 0, nlat = 0;
	long			 ok = 0, notfound = 0, errors = 0;
	long			 e_connect = 0, e_reset = 0, e_timeout = 0;
	long			 e_short = 0, e_bad = 0, resets_after = 0;
	long			 active = 0;
	uint64_t		 t0, deadline, end, tmo, last_tick;
	double			 tokens = 1.0;
	int			 ep, i;
	char			 rbuf[REPLY_BUF];

	check_name(o->name);
	slen = target_addr(o, &ss);
	bind_len = source_addr(o, &ss, &bind_ss);
	reqlen = build_port_please(req, o->name);
	raise_nofile();

	cl = calloc((size_t)o->clients, sizeof(*cl));
	lat = malloc((size_t)o->maxcount * sizeof(*lat));
	if (cl == NULL || lat == NULL)
		die("out of memory");
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep == -1)
		die_errno("epoll_create1");

	tmo = (uint64_t)o->timeout_ms * 1000u;
	t0 = now_us();
	deadline = t0 + (uint64_t)(o->secs * 1e6);
	last_tick = t0;

	for (i = 0; i < o->clients; i++)
		cl[i].fd = -1;

	for (;;) {
		uint64_t	now = now_us();
		int		n, k;

		/*
		 * -R: a token per request, refilled at the pace; at most 20 ms
		 * worth kept, so a client that falls behind does not catch up
		 * with a burst: what it could not start is lost.
		 */
		if (o->pace > 0) {
			double cap = o->pace * 0.02 < 2.0 ? 2.0 : o->pace * 0.02;

			tokens += (double)(now - last_tick) / 1e6 * o->pace;
			if (tokens > cap)
				tokens = cap;
			last_tick = now;
		}

		/* Start a request on every idle client while allowed. */
		for (i = 0; i < o->clients; i++) {
			struct client		*c = &cl[i];
			struct epoll_event	 ev;
			int			 done;

			if (c->state != C_IDLE)
				continue;
			if (stop_flag || now >= deadline ||
			    started >= o->maxcount)
				break;
			if (o->pace > 0) {
				if (tokens < 1.0)
					break;
				tokens -= 1.0;
			}
			started++;
			c->start = now_us();
			c->got = 0;
			c->fd = start_connect(&ss, slen, &done);
			if (c->fd == -1) {
				errors++;
				e_connect++;
				continue;
			}
			c->state = C_CONNECTING;
			ev.events = EPOLLOUT;
			ev.data.u32 = (uint32_t)i;
			if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) == -1)
				die_errno("epoll_ctl add");
			active++;
		}
		if (active == 0 && (o->pace <= 0 || stop_flag ||
		    now_us() >= deadline || started >= o->maxcount))
			break;

		/* Paced: wake up in time for the next token. */
		n = epoll_wait(ep, evs, (int)(sizeof(evs) / sizeof(evs[0])),
		    o->pace > 0 ? 1 : 10);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			die_errno("epoll_wait");
		}
		for (k = 0; k < n; k++) {
			struct client	*c = &cl[evs[k].data.u32];
			int		 fail = 0, fin = 0;
			ssize_t		 r;

			if (c->state == C_CONNECTING) {
				struct epoll_event ev;
				int err = sock_error(c->fd);

				if (err != 0) {
					e_connect++;
					fail = 1;
				} else if (write(c->fd, req, reqlen) !=
				    (ssize_t)reqlen) {
					e_reset++;
					fail = 1;
				} else {
					c->state = C_READING;
					ev.events = EPOLLIN;
					ev.data.u32 = evs[k].data.u32;
					if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd,
					    &ev) == -1)
						die_errno("epoll_ctl mod");
				}
			} else if (c->state == C_READING) {
				for (;;) {
					r = read(c->fd, rbuf, sizeof(rbuf));
					if (r > 0) {
						size_t j;

						for (j = 0; j < (size_t)r &&
						    c->got + j < 2; j++)
							c->head[c->got + j] =
							    (unsigned char)
							    rbuf[j];
						c->got += (size_t)r;
						continue;
					}
					if (r == 0) {
						fin = 1;
					} else if (errno == EAGAIN ||
					    errno == EWOULDBLOCK) {
						break;
					} else if (errno == EINTR) {
						continue;
					} else if (errno == ECONNRESET &&
					    c->got >= 2) {
						/* Reply complete, then RST. */
						resets_after++;
						fin = 1;
					} else {
						e_reset++;
						fail = 1;
					}
					break;
				}
			}
			if (fin) {
				if (c->got < 2) {
					e_short++;
					fail = 1;
				} else if (c->head[0] == 'w' &&
				    c->head[1] == 0) {
					ok++;
					if (nlat < o->maxcount)
						lat[nlat++] = (uint32_t)
						    (now_us() - c->start);
				} else if (c->head[0] == 'w' &&
				    c->head[1] == 1) {
					notfound++;
				} else {
					e_bad++;
					fail = 1;
				}
			}
			if (fail)
				errors++;
			if (fin || fail) {
				close(c->fd);
				c->fd = -1;
				c->state = C_IDLE;
				active--;
			}
		}

		/* Per-request timeout; abandon in-flight work at the end. */
		now = now_us();
		for (i = 0; i < o->clients; i++) {
			struct client *c = &cl[i];
			int abandon;

			if (c->state == C_IDLE)
				continue;
			abandon = stop_flag || now >= deadline + tmo;
			if (!abandon && now - c->start < tmo)
				continue;
			if (!abandon) {
				e_timeout++;
				errors++;
			}
			close(c->fd);
			c->fd = -1;
			c->state = C_IDLE;
			active--;
		}
	}
	end = now_us();
	{
		double secs = (double)(end - t0) / 1e6;
		uint32_t p50, p99, pmax;

		qsort(lat, (size_t)nlat, sizeof(*lat), cmp_u32);
		p50 = percentile(lat, nlat, 0.50);
		p99 = percentile(lat, nlat, 0.99);
		pmax = nlat > 0 ? lat[nlat - 1] : 0;
		printf("lookups=%ld secs=%.3f rate=%.0f p50_us=%u p99_us=%u "
		    "max_us=%u ok=%ld notfound=%ld errors=%ld "
		    "e_connect=%ld e_reset=%ld e_timeout=%ld e_short=%ld "
		    "e_bad=%ld reset_after_reply=%ld clients=%d\n",
		    ok + notfound, secs, secs > 0 ? (double)ok / secs : 0.0,
		    p50, p99, pmax, ok, notfound, errors, e_connect, e_reset,
		    e_timeout, e_short, e_bad, resets_after, o->clients);
	}
	fflush(stdout);
	free(lat);
	free(cl);
	close(ep);
	return 0;
}

/* ------------------------------------------------------------------ */
/* idle: hold N connections open without sending anything              */
/* ------------------------------------------------------------------ */

static int
mode_idle(const struct opts *o)
{
	struct sockaddr_storage	 ss;
	socklen_t		 slen;
	int			*fds;
	uint64_t		*cstart;
	unsigned char		*st;	/* 0 unused, 1 connecting, 2 up, 3 dead */
	struct epoll_event	 evs[512];
	long			 limit, next = 0, pending = 0;
	long			 connected = 0, failed = 0, refused = 0;
	long			 timedout = 0, closed_peer = 0, alive = 0;
	long			 closed_hold = 0;
	uint64_t		 t0, cdeadline, tmo, hold_end;
	int			 ep, i;

	slen = target_addr(o, &ss);
	bind_len = source_addr(o, &ss, &bind_ss);
	limit = raise_nofile();
	if ((long)o->nconns + 64 > limit) {
		fprintf(stderr, "loadgen: fd limit %ld too low for %d "
		    "connections\n", limit, o->nconns);
		return 2;
	}
	fds = malloc((size_t)o->nconns * sizeof(*fds));
	cstart = malloc((size_t)o->nconns * sizeof(*cstart));
	st = calloc((size_t)o->nconns, 1);
	if (fds == NULL || cstart == NULL || st == NULL)
		die("out of memory");
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep == -1)
		die_errno("epoll_create1");

	tmo = (uint64_t)o->timeout_ms * 1000u;
	t0 = now_us();
	cdeadline = t0 + (uint64_t)(o->connect_secs * 1e6);

	/* Connect phase: a bounded window of in-flight connects. */
	while (!stop_flag && (next < o->nconns || pending > 0)) {
		uint64_t	now = now_us();
		int		n, k;

		if (now >= cdeadline)
			break;
		while (next < o->nconns && pending < o->inflight) {
			struct epoll_event ev;
			int done;

			fds[next] = start_connect(&ss, slen, &done);
			if (fds[next] == -1) {
				if (errno == EMFILE || errno == ENFILE)
					die_errno("socket");
				failed++;
				if (errno == ECONNREFUSED)
					refused++;
				st[next++] = 3;
				continue;
			}
			cstart[next] = now;
			if (done) {
				st[next] = 2;
				connected++;
				next++;
				continue;
			}
			st[next] = 1;
			ev.events = EPOLLOUT;
			ev.data.u32 = (uint32_t)next;
			if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[next], &ev) == -1)
				die_errno("epoll_ctl add");
			pending++;
			next++;
		}
		n = epoll_wait(ep, evs, (int)(sizeof(evs) / sizeof(evs[0])),
		    10);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			die_errno("epoll_wait");
		}
		for (k = 0; k < n; k++) {
			uint32_t	 id = evs[k].data.u32;
			int		 err;

			if (st[id] != 1)
				continue;
			epoll_ctl(ep, EPOLL_CTL_DEL, fds[id], NULL);
			pending--;
			err = sock_error(fds[id]);
			if (err == 0) {
				st[id] = 2;
				connected++;
			} else {
				if (err == ECONNREFUSED)
					refused++;
				failed++;
				close(fds[id]);
				st[id] = 3;
			}
		}
		now = now_us();
		for (i = 0; i < next; i++) {
			if (st[i] != 1 || now - cstart[i] < tmo)
				continue;
			epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], NULL);
			close(fds[i]);
			st[i] = 3;
			pending--;
			failed++;
			timedout++;
		}
	}
	/* Whatever did not finish in the connect window counts as failed. */
	for (i = 0; i < o->nconns; i++) {
		if (i >= next) {
			failed++;
			timedout++;
		} else if (st[i] == 1) {
			epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], NULL);
			close(fds[i]);
			st[i] = 3;
			failed++;
			timedout++;
		}
	}

	/*
	 * Let the server react (accept, or accept-and-close as stock epmd does
	 * past FD_SETSIZE) until the number of live connections settles:
	 * unchanged over two checks 250 ms apart, 8 s at most.
	 */
	{
		long	prev = -1, same = 0;
		int	rounds;

		for (rounds = 0; rounds < 32 && !stop_flag; rounds++) {
			usleep(250000);
			alive = 0;
			for (i = 0; i < o->nconns; i++) {
				char	c;
				ssize_t	r;

				if (st[i] != 2)
					continue;
				r = recv(fds[i], &c, 1, MSG_PEEK |
				    MSG_DONTWAIT);
				if (r == 0 || (r == -1 && errno != EAGAIN &&
				    errno != EWOULDBLOCK)) {
					closed_peer++;
					close(fds[i]);
					st[i] = 3;
					continue;
				}
				alive++;
			}
			same = alive == prev ? same + 1 : 0;
			if (same >= 2)
				break;
			prev = alive;
		}
	}
	for (i = 0; i < o->nconns; i++) {
		struct epoll_event ev;

		if (st[i] != 2)
			continue;
		ev.events = EPOLLIN | EPOLLRDHUP;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) == -1)
			die_errno("epoll_ctl add");
	}
	printf("idle_ready target=%d connected=%ld alive=%ld failed=%ld "
	    "refused=%ld timedout=%ld closed_by_peer=%ld connect_secs=%.3f\n",
	    o->nconns, connected, alive, failed, refused, timedout,
	    closed_peer, (double)(now_us() - t0) / 1e6);
	fflush(stdout);

	/*
	 * Hold phase: watch for the server closing held connections.  With
	 * -r, reopen them (at most o->reconnect a second, a 100 ms burst),
	 * as a slowloris-style attacker would.
	 */
	{
		long		*dead;
		long		 ndead = 0, reconnects = 0, re_failed = 0;
		long		 re_connecting = 0, alive_end = 0;
		double		 tokens = 0, cap;
		uint64_t	 last, last_scan;

		dead = malloc((size_t)o->nconns * sizeof(*dead));
		if (dead == NULL)
			die("out of memory");
		for (i = 0; i < o->nconns; i++)
			if (st[i] == 3)
				dead[ndead++] = i;
		cap = o->reconnect > 10 ? o->reconnect / 10.0 : 1.0;
		hold_end = now_us() + (uint64_t)(o->secs * 1e6);
		last = last_scan = now_us();
		while (!stop_flag && now_us() < hold_end) {
			uint64_t	now;
			int		n, k;

			if (o->reconnect > 0) {
				now = now_us();
				tokens += (double)(now - last) / 1e6 *
				    o->reconnect;
				if (tokens > cap)
					tokens = cap;
				last = now;
				while (tokens >= 1.0 && ndead > 0) {
					struct epoll_event ev;
					long id = dead[--ndead];
					int done;

					tokens -= 1.0;
					fds[id] = start_connect(&ss, slen,
					    &done);
					if (fds[id] == -1) {
						if (errno == EMFILE ||
						    errno == ENFILE)
							die_errno("socket");
						re_failed++;
						dead[ndead++] = id;
						break;
					}
					cstart[id] = now;
					st[id] = done ? 2 : 1;
					ev.events = done ? EPOLLIN |
					    EPOLLRDHUP : EPOLLOUT;
					ev.data.u32 = (uint32_t)id;
					if (epoll_ctl(ep, EPOLL_CTL_ADD,
					    fds[id], &ev) == -1)
						die_errno("epoll_ctl add");
					if (done)
						reconnects++;
					else
						re_connecting++;
				}
			}
			n = epoll_wait(ep, evs, (int)(sizeof(evs) /
			    sizeof(evs[0])), o->reconnect > 0 ? 10 : 100);
			if (n == -1) {
				if (errno == EINTR)
					continue;
				die_errno("epoll_wait");
			}
			for (k = 0; k < n; k++) {
				uint32_t id = evs[k].data.u32;

				if (st[id] == 1) {
					struct epoll_event ev;

					re_connecting--;
					if (sock_error(fds[id]) == 0) {
						st[id] = 2;
						reconnects++;
						ev.events = EPOLLIN |
						    EPOLLRDHUP;
						ev.data.u32 = id;
						if (epoll_ctl(ep,
						    EPOLL_CTL_MOD, fds[id],
						    &ev) == -1)
							die_errno("epoll_ctl");
						continue;
					}
					re_failed++;
				} else if (st[id] == 2)
					closed_hold++;
				else
					continue;
				epoll_ctl(ep, EPOLL_CTL_DEL, fds[id], NULL);
				close(fds[id]);
				st[id] = 3;
				if (o->reconnect > 0)
					dead[ndead++] = id;
			}
			/* Reopens that hang: give up on them after -T. */
			now = now_us();
			if (re_connecting > 0 && now - last_scan >= 100000) {
				last_scan = now;
				for (i = 0; i < o->nconns; i++) {
					if (st[i] != 1 || now - cstart[i] < tmo)
						continue;
					epoll_ctl(ep, EPOLL_CTL_DEL, fds[i],
					    NULL);
					close(fds[i]);
					st[i] = 3;
					re_connecting--;
					re_failed++;
					dead[ndead++] = i;
				}
			}
		}
		for (i = 0; i < o->nconns; i++)
			if (st[i] == 2)
				alive_end++;
		printf("idle_done target=%d alive_end=%ld "
		    "closed_during_hold=%ld reconnects=%ld "
		    "reconnect_failed=%ld secs=%.3f\n", o->nconns, alive_end,
		    closed_hold, reconnects, re_failed,
		    (double)(now_us() - t0) / 1e6);
		fflush(stdout);
		free(dead);
	}
	for (i = 0; i < o->nconns; i++)
		if (st[i] == 1 || st[i] == 2)
			close(fds[i]);
	free(fds);
	free(cstart);
	free(st);
	close(ep);
	return 0;
}

/* ------------------------------------------------------------------ */
/* register: ALIVE2_REQ, then keep the registration connection open    */
/* ------------------------------------------------------------------ */

static int
mode_register(const struct opts *o)
{
	struct sockaddr_storage	 ss;
	socklen_t		 slen;
	unsigned char		 req[16 + NAME_MAX_LEN];
	unsigned char		 rep[16];
	size_t			 reqlen, got = 0;
	uint64_t		 end;
	int			 fd, done;
	struct epoll_event	 ev, out;
	int			 ep;
	unsigned long		 creation;

	check_name(o->name);
	slen = target_addr(o, &ss);
	bind_len = source_addr(o, &ss, &bind_ss);
	reqlen = build_alive2(req, o->name, o->nodeport);
	end = now_us() + (uint64_t)o->timeout_ms * 1000u;

	fd = start_connect(&ss, slen, &done);
	if (fd == -1)
		die_errno("connect");
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep == -1)
		die_errno("epoll_create1");
	ev.events = EPOLLOUT;
	ev.data.u32 = 0;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
		die_errno("epoll_ctl");
	if (epoll_wait(ep, &out, 1, o->timeout_ms) != 1)
		die("register: connect timed out");
	if ((errno = sock_error(fd)) != 0)
		die_errno("register: connect");
	if (write(fd, req, reqlen) != (ssize_t)reqlen)
		die_errno("register: write");
	ev.events = EPOLLIN | EPOLLRDHUP;
	if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) == -1)
		die_errno("epoll_ctl");
	while (got < 6) {
		uint64_t	now = now_us();
		ssize_t		r;

		if (now >= end)
			die("register: reply timed out");
		if (epoll_wait(ep, &out, 1, (int)((end - now) / 1000) + 1) < 1)
			continue;
		r = read(fd, rep + got, sizeof(rep) - got);
		if (r == 0)
			die("register: server closed before reply");
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			die_errno("register: read");
		}
		got += (size_t)r;
	}
	creation = ((unsigned long)rep[2] << 24) | ((unsigned long)rep[3] << 16) |
	    ((unsigned long)rep[4] << 8) | rep[5];
	if (rep[0] != 'v' || rep[1] != 0) {
		printf("register_failed name=%s reply=%u result=%u\n", o->name,
		    rep[0], rep[1]);
		fflush(stdout);
		return 1;
	}
	printf("registered name=%s nodeport=%d creation=%lu\n", o->name,
	    o->nodeport, creation);
	fflush(stdout);

	/* Hold: the registration lives as long as this connection. */
	end = now_us() + (uint64_t)(o->secs * 1e6);
	while (!stop_flag && now_us() < end) {
		int n = epoll_wait(ep, &out, 1, 200);

		if (n == 1) {
			printf("register_lost name=%s\n", o->name);
			fflush(stdout);
			return 1;
		}
	}
	close(fd);
	close(ep);
	return 0;
}

/* ------------------------------------------------------------------ */
/* freeport: print a TCP port free on 127.0.0.1, 0.0.0.0 and [::]      */
/* ------------------------------------------------------------------ */

static int
mode_freeport(void)
{
	int tries;

	for (tries = 0; tries < 50; tries++) {
		struct sockaddr_in	sin;
		struct sockaddr_in6	sin6;
		socklen_t		len = sizeof(sin);
		int			fd4, fd6, one = 1, port;

		fd4 = socket(AF_INET, SOCK_STREAM, 0);
		if (fd4 == -1)
			die_errno("socket");
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_ANY);
		if (bind(fd4, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
		    getsockname(fd4, (struct sockaddr *)&sin, &len) == -1)
			die_errno("bind");
		port = ntohs(sin.sin_port);

		/* Also free on IPv6, where the daemons may listen too. */
		fd6 = socket(AF_INET6, SOCK_STREAM, 0);
		if (fd6 != -1) {
			setsockopt(fd6, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			    sizeof(one));
			memset(&sin6, 0, sizeof(sin6));
			sin6.sin6_family = AF_INET6;
			sin6.sin6_port = htons((uint16_t)port);
			sin6.sin6_addr = in6addr_any;
			if (bind(fd6, (struct sockaddr *)&sin6,
			    sizeof(sin6)) == -1 && errno != EADDRNOTAVAIL &&
			    errno != EAFNOSUPPORT) {
				close(fd6);
				close(fd4);
				continue;
			}
			close(fd6);
		}
		close(fd4);
		printf("%d\n", port);
		return 0;
	}
	die("no free port found");
	return 2;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: loadgen lookup   [-a ADDR] [-b SRC] -p PORT [-n NAME] "
	    "[-c CLIENTS] [-t SECS] [-m MAXCOUNT] [-T TIMEOUT_MS] [-R PER_SEC]\n"
	    "       loadgen idle     [-a ADDR] [-b SRC] -p PORT [-N CONNS] "
	    "[-t HOLD_SECS] [-k INFLIGHT] [-T CONNECT_TIMEOUT_MS] "
	    "[-w CONNECT_SECS] [-r RECONNECTS_PER_SEC]\n"
	    "       loadgen register [-a ADDR] [-b SRC] -p PORT [-n NAME] "
	    "[-P NODEPORT] [-t HOLD_SECS] [-T TIMEOUT_MS]\n"
	    "       loadgen freeport\n"
	    "ADDR is loopback (default 127.0.0.1; or ::1); another address only\n"
	    "with BENCH_NETNS=1, inside /run/netns/epmdbench-*, on-link.\n"
	    "SRC is a local address to bind before each connect.\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct opts		 o;
	struct sigaction	 sa;
	const char		*mode;
	int			 ch;

	if (argc < 2)
		usage();
	mode = argv[1];
	if (strcmp(mode, "freeport") == 0)
		return mode_freeport();

	memset(&o, 0, sizeof(o));
	o.addr = "127.0.0.1";
	o.port = -1;
	o.name = "bench";
	o.clients = 1;
	o.secs = 3;
	o.maxcount = 1000000;
	o.timeout_ms = 2000;
	o.nconns = 10000;
	o.inflight = 256;
	o.connect_secs = 15;
	o.nodeport = 45678;
	if (strcmp(mode, "idle") == 0)
		o.secs = 10;
	if (strcmp(mode, "register") == 0)
		o.secs = 300;

	optind = 2;
	while ((ch = getopt(argc, argv, "a:b:p:n:c:t:m:T:N:k:w:P:r:R:")) != -1) {
		switch (ch) {
		case 'a': o.addr = optarg; break;
		case 'b': o.src = optarg; break;
		case 'r': o.reconnect = (int)parse_long(optarg, 0, 100000,
		    "reconnects per second"); break;
		case 'R': o.pace = (double)parse_long(optarg, 1, 1000000,
		    "lookups per second"); break;
		case 'p': o.port = (int)parse_long(optarg, 1, 65535, "port");
			break;
		case 'n': o.name = optarg; break;
		case 'c': o.clients = (int)parse_long(optarg, 1, MAX_CLIENTS,
		    "clients"); break;
		case 't': o.secs = parse_secs(optarg); break;
		case 'm': o.maxcount = parse_long(optarg, 1, MAX_COUNT,
		    "max count"); break;
		case 'T': o.timeout_ms = (int)parse_long(optarg, 1, 60000,
		    "timeout ms"); break;
		case 'N': o.nconns = (int)parse_long(optarg, 1, MAX_IDLE,
		    "connections"); break;
		case 'k': o.inflight = (int)parse_long(optarg, 1, 4096,
		    "in-flight"); break;
		case 'w': o.connect_secs = parse_secs(optarg); break;
		case 'P': o.nodeport = (int)parse_long(optarg, 1, 65535,
		    "node port"); break;
		default: usage();
		}
	}
	if (optind != argc || o.port < 0)
		usage();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (strcmp(mode, "lookup") == 0)
		return mode_lookup(&o);
	if (strcmp(mode, "idle") == 0)
		return mode_idle(&o);
	if (strcmp(mode, "register") == 0)
		return mode_register(&o);
	usage();
	return 2;
}
