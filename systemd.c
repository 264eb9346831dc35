/* SPDX-License-Identifier: Apache-2.0 */
/*
 * systemd.c: the daemon's side of socket activation and sd_notify.
 *
 * libsystemd is loaded with dlopen(3) only when the service manager is
 * involved (-systemd, or NOTIFY_SOCKET, LISTEN_FDS or WATCHDOG_USEC in the
 * environment). Linked in, it and the libraries it pulls in (libgcrypt,
 * liblz4, libzstd, liblzma, libcap) add about 0.9 MB to the resident size
 * of every epmd_secure started by erl or by hand, for nothing; systemd
 * itself loads its optional libraries the same way.
 */
#include <sys/socket.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "log.h"
#include "systemd.h"

#define LIBSYSTEMD	"libsystemd.so.0"

static struct {
	int	 tried;
	void	*handle;
	int	(*listen_fds)(int);
	int	(*is_socket)(int, int, int, int);
	int	(*notify)(int, const char *);
	int	(*watchdog_enabled)(int, uint64_t *);
} sd;

/* Load libsystemd once; 0 if its functions are available. */
static int
sd_load(void)
{
	if (sd.tried)
		return sd.handle != NULL ? 0 : -1;
	sd.tried = 1;
	if ((sd.handle = dlopen(LIBSYSTEMD, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		log_warnx("cannot load %s: %s", LIBSYSTEMD, dlerror());
		return -1;
	}
	*(void **)&sd.listen_fds = dlsym(sd.handle, "sd_listen_fds");
	*(void **)&sd.is_socket = dlsym(sd.handle, "sd_is_socket");
	*(void **)&sd.notify = dlsym(sd.handle, "sd_notify");
	*(void **)&sd.watchdog_enabled = dlsym(sd.handle,
	    "sd_watchdog_enabled");
	if (sd.listen_fds == NULL || sd.is_socket == NULL ||
	    sd.notify == NULL || sd.watchdog_enabled == NULL) {
		log_warnx("%s lacks the sd-daemon functions", LIBSYSTEMD);
		dlclose(sd.handle);
		sd.handle = NULL;
		return -1;
	}
	return 0;
}

/* Is the service manager talking to us at all? */
static int
sd_wanted(void)
{
	return getenv("NOTIFY_SOCKET") != NULL ||
	    getenv("WATCHDOG_USEC") != NULL;
}

int
systemd_listen_fds(int *fds, size_t max, size_t *n)
{
	int	 i, count, flags;

	if (sd_load() == -1) {
		log_warnx("-systemd: socket activation needs %s", LIBSYSTEMD);
		return -1;
	}
	count = sd.listen_fds(1);
	if (count < 0) {
		log_warnx("-systemd: sd_listen_fds: %s", strerror(-count));
		return -1;
	}
	if (count == 0) {
		log_warnx("-systemd: no sockets were passed "
		    "(not started by socket activation?)");
		return -1;
	}
	if ((size_t)count > max) {
		log_warnx("-systemd: %d sockets passed, at most %zu served",
		    count, max);
		return -1;
	}
	for (i = 0; i < count; i++) {
		int fd = SD_LISTEN_FDS_START + i;

		if (sd.is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0 ||
		    (sd.is_socket(fd, AF_INET, SOCK_STREAM, 1) <= 0 &&
		    sd.is_socket(fd, AF_INET6, SOCK_STREAM, 1) <= 0)) {
			log_warnx("-systemd: fd %d is not a listening TCP "
			    "socket", fd);
			return -1;
		}
		if ((flags = fcntl(fd, F_GETFL)) == -1 ||
		    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1 ||
		    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
			log_warn("-systemd: fd %d", fd);
			return -1;
		}
		fds[i] = fd;
	}
	*n = (size_t)count;
	return 0;
}

static void
notify(const char *state)
{
	if (!sd_wanted() || sd_load() == -1)
		return;
	sd.notify(0, state);
}

void
systemd_notify_ready(const char *status)
{
	char	 buf[256];

	snprintf(buf, sizeof(buf), "READY=1\nSTATUS=%s", status);
	notify(buf);
}

unsigned long long
systemd_watchdog_interval(void)
{
	uint64_t	 usec = 0;

	if (!sd_wanted() || sd_load() == -1)
		return 0;
	if (sd.watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return 0;
	return (unsigned long long)usec / 2;
}

void
systemd_notify_watchdog(void)
{
	notify("WATCHDOG=1");
}

void
systemd_notify_reloading(void)
{
	notify("RELOADING=1");
}

void
systemd_notify_stopping(void)
{
	notify("STOPPING=1");
}
