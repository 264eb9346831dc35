/*
 * systemd.c: the daemon's side of socket activation and sd_notify.
 */
#include <sys/socket.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>

#include <systemd/sd-daemon.h>

#include "log.h"
#include "systemd.h"

int
systemd_listen_fds(int *fds, size_t max, size_t *n)
{
	int	 i, count, flags;

	count = sd_listen_fds(1);
	if (count < 0) {
		log_warnx("-systemd: sd_listen_fds failed");
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

		if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0 ||
		    (sd_is_socket(fd, AF_INET, SOCK_STREAM, 1) <= 0 &&
		    sd_is_socket(fd, AF_INET6, SOCK_STREAM, 1) <= 0)) {
			log_warnx("-systemd: fd %d is not a listening TCP "
			    "socket", fd);
			return -1;
		}
		if ((flags = fcntl(fd, F_GETFL)) == -1 ||
		    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1) {
			log_warn("-systemd: fd %d", fd);
			return -1;
		}
		fds[i] = fd;
	}
	*n = (size_t)count;
	return 0;
}

void
systemd_notify_ready(const char *status)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

unsigned long long
systemd_watchdog_interval(void)
{
	uint64_t	 usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return 0;
	return (unsigned long long)usec / 2;
}

void
systemd_notify_watchdog(void)
{
	sd_notify(0, "WATCHDOG=1");
}

void
systemd_notify_reloading(void)
{
	sd_notify(0, "RELOADING=1");
}

void
systemd_notify_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}
