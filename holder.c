/* SPDX-License-Identifier: Apache-2.0 */
/*
 * holder.c: find the listening sockets on a TCP port and the processes
 * that hold them, from /proc/net/tcp{,6} and the /proc/PID/fd links. Run
 * only at start-up, when a bind fails: it reads the local kernel's view,
 * never the network.
 */
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "holder.h"
#include "util.h"

#define TCP_LISTEN	0x0a	/* the "st" column of /proc/net/tcp */

/* Parse n hex words of 32 bits into out, as the kernel printed them. */
static int
hex_words(const char *p, size_t n, uint8_t *out)
{
	char		 w[9];
	uint32_t	 v;
	char		*end;
	size_t		 i;

	for (i = 0; i < n; i++) {
		memcpy(w, p + 8 * i, 8);
		w[8] = '\0';
		errno = 0;
		v = (uint32_t)strtoul(w, &end, 16);
		if (errno != 0 || *end != '\0')
			return -1;
		/* The kernel prints each __be32 word as a host integer. */
		memcpy(out + 4 * i, &v, 4);
	}
	return 0;
}

/* Read one /proc/net/tcp{,6} file; family gives the address length. */
static void
scan_table(const char *path, int family, uint16_t port, struct holder *h)
{
	FILE		*f;
	char		 line[512], local[64], st[8];
	unsigned	 uid;
	unsigned long	 inode, lport;
	size_t		 words = family == AF_INET ? 1 : 4;
	char		*colon;

	if ((f = fopen(path, "re")) == NULL)
		return;
	if (fgets(line, sizeof(line), f) == NULL) {	/* the header */
		fclose(f);
		return;
	}
	while (h->n < HOLDER_MAX && fgets(line, sizeof(line), f) != NULL) {
		struct holder_sock	*hs = &h->s[h->n];

		/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
		if (sscanf(line, " %*s %63s %*s %7s %*s %*s %*s %u %*s %lu",
		    local, st, &uid, &inode) != 4)
			continue;
		if (strtoul(st, NULL, 16) != TCP_LISTEN)
			continue;
		if ((colon = strchr(local, ':')) == NULL ||
		    (size_t)(colon - local) != 8 * words)
			continue;
		lport = strtoul(colon + 1, NULL, 16);
		if (lport != port)
			continue;
		memset(hs, 0, sizeof(*hs));
		if (family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)
			    (void *)&hs->addr;

			if (hex_words(local, 1, (uint8_t *)&sin->sin_addr) ==
			    -1)
				continue;
			sin->sin_family = AF_INET;
			sin->sin_port = htons(port);
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)
			    (void *)&hs->addr;

			if (hex_words(local, 4, sin6->sin6_addr.s6_addr) ==
			    -1)
				continue;
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons(port);
		}
		hs->uid = uid;
		hs->inode = inode;
		h->n++;
	}
	fclose(f);
}

/* The process name of pid into buf (its /proc/PID/comm), "" if unknown. */
static void
comm_of(int pid, char *buf, size_t len)
{
	char	 path[64];
	FILE	*f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if ((f = fopen(path, "re")) == NULL)
		return;
	if (fgets(buf, (int)len, f) == NULL)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* A numeric /proc entry's pid, or 0. */
static int
pid_of(const char *name)
{
	unsigned long	 v;
	char		*end;

	if (!isdigit((unsigned char)name[0]))
		return 0;
	v = strtoul(name, &end, 10);
	return *end == '\0' && v > 0 && v <= INT_MAX ? (int)v : 0;
}

/* Note pid as a holder of every socket in h whose inode it has open. */
static void
scan_fds(int pid, struct holder *h)
{
	char		 path[64], link[64], comm[17];
	DIR		*d;
	struct dirent	*de;
	unsigned long	 inode;
	ssize_t		 n;
	size_t		 i;
	int		 named = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%.16s", pid,
		    de->d_name);
		if ((n = readlink(path, link, sizeof(link) - 1)) <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%lu]", &inode) != 1)
			continue;
		for (i = 0; i < h->n; i++) {
			struct holder_sock	*hs = &h->s[i];

			if (hs->inode != inode || inode == 0)
				continue;
			if (!named) {
				comm_of(pid, comm, sizeof(comm));
				named = 1;
			}
			/* An epmd_secure wins over systemd sharing it. */
			if (hs->pid == 0 || (strcmp(comm, "epmd_secure") == 0 &&
			    strcmp(hs->comm, "epmd_secure") != 0)) {
				hs->pid = pid;
				snprintf(hs->comm, sizeof(hs->comm), "%s",
				    comm);
			}
		}
	}
	closedir(d);
}

size_t
holder_find(uint16_t port, struct holder *h)
{
	DIR		*d;
	struct dirent	*de;
	int		 pid, self = (int)getpid();

	memset(h, 0, sizeof(*h));
	scan_table("/proc/net/tcp", AF_INET, port, h);
	scan_table("/proc/net/tcp6", AF_INET6, port, h);
	if (h->n == 0 || (d = opendir("/proc")) == NULL)
		return h->n;
	while ((de = readdir(d)) != NULL)
		if ((pid = pid_of(de->d_name)) != 0 && pid != self)
			scan_fds(pid, h);
	closedir(d);
	return h->n;
}

int
holder_is_wildcard(const struct holder_sock *hs)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	if (hs->addr.ss_family == AF_INET) {
		sin = (const struct sockaddr_in *)(const void *)&hs->addr;
		return sin->sin_addr.s_addr == htonl(INADDR_ANY);
	}
	sin6 = (const struct sockaddr_in6 *)(const void *)&hs->addr;
	return IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);
}

/* 1 if pid runs with uid as its real, effective or saved user id. */
static int
runs_as(int pid, unsigned uid)
{
	char		 path[64], line[256];
	unsigned	 r, e, sv;
	FILE		*f;
	int		 found = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Uid: %u %u %u", &r, &e, &sv) == 3) {
			found = r == uid || e == uid || sv == uid;
			break;
		}
	fclose(f);
	return found;
}

/*
 * 1 if a process named epmd_secure other than us runs as uid (the owner
 * of a socket whose holder /proc does not show us).
 */
static int
other_epmd_secure_runs(unsigned uid)
{
	DIR		*d;
	struct dirent	*de;
	char		 comm[17];
	int		 pid, self = (int)getpid(), found = 0;

	if ((d = opendir("/proc")) == NULL)
		return 0;
	while (!found && (de = readdir(d)) != NULL) {
		if ((pid = pid_of(de->d_name)) == 0 || pid == self)
			continue;
		comm_of(pid, comm, sizeof(comm));
		found = strcmp(comm, "epmd_secure") == 0 && runs_as(pid, uid);
	}
	closedir(d);
	return found;
}

/*
 * 1 if PID 1 is systemd (/proc/1/comm is readable by everyone, unlike its
 * descriptors): an unprivileged caller then cannot see which unit holds
 * a root-owned socket before the service has been activated.
 */
static int
systemd_is_init(void)
{
	char	 comm[17];

	comm_of(1, comm, sizeof(comm));
	return strcmp(comm, "systemd") == 0;
}

int
holder_all_epmd_secure(const struct holder *h)
{
	size_t	 i;

	if (h->n == 0)
		return 0;
	for (i = 0; i < h->n; i++) {
		const struct holder_sock	*hs = &h->s[i];

		if (hs->pid == 0) {
			if (!other_epmd_secure_runs(hs->uid) &&
			    !(hs->uid == 0 && systemd_is_init()))
				return 0;
		} else if (strcmp(hs->comm, "epmd_secure") != 0 &&
		    !(hs->pid == 1 && strcmp(hs->comm, "systemd") == 0))
			return 0;
	}
	return 1;
}

void
holder_describe(const struct holder *h, char *buf, size_t len)
{
	char	 a[ADDR_STRLEN], who[96], esc[80];
	size_t	 i, o = 0;
	int	 n;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (h->n == 0) {
		snprintf(buf, len, "no listening socket visible in "
		    "/proc/net/tcp{,6}");
		return;
	}
	for (i = 0; i < h->n && o < len; i++) {
		const struct holder_sock	*hs = &h->s[i];

		addr_sockaddr_str((const struct sockaddr *)&hs->addr, a,
		    sizeof(a));
		if (hs->pid != 0) {
			util_escape(esc, sizeof(esc), hs->comm,
			    strlen(hs->comm));
			snprintf(who, sizeof(who), "pid %d (%s)", hs->pid, esc);
		} else
			snprintf(who, sizeof(who), "uid %u (process not "
			    "visible)", hs->uid);
		n = snprintf(buf + o, len - o, "%s%s on %s%s", i ? "; " : "",
		    who, a, !holder_is_wildcard(hs) ? "" :
		    hs->addr.ss_family == AF_INET ?
		    " (every IPv4 interface)" : " (every interface)");
		if (n < 0)
			break;
		o += (size_t)n;
	}
}
