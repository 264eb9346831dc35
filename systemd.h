/* SPDX-License-Identifier: Apache-2.0 */
/*
 * systemd.h: socket activation and readiness notification (libsystemd).
 */
#ifndef SYSTEMD_H
#define SYSTEMD_H

#include <stddef.h>

/*
 * Take the sockets passed by socket activation: each must be a listening
 * TCP stream socket. Fills fds (up to max), sets *n. -1 (logged) if there
 * are none, too many, or one is not a listening TCP socket.
 */
int systemd_listen_fds(int *fds, size_t max, size_t *n);

/* Tell the service manager we are serving; status is a human line. */
void systemd_notify_ready(const char *status);

/* Tell the service manager a reload has begun. */
void systemd_notify_reloading(void);

/*
 * The interval at which to send watchdog pings (half of WATCHDOG_USEC), in
 * microseconds; 0 if the service manager does not expect them.
 */
unsigned long long systemd_watchdog_interval(void);

/* Send one watchdog ping. */
void systemd_notify_watchdog(void);

/* Tell the service manager we are stopping. */
void systemd_notify_stopping(void);

#endif
