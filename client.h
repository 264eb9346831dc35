/* SPDX-License-Identifier: Apache-2.0 */
/*
 * client.h: the command-line client (-names, -dump, -kill, -stop,
 * -started), with output and exit status identical to stock epmd's.
 * Each returns the process exit status.
 */
#ifndef CLIENT_H
#define CLIENT_H

#include <stdint.h>

/* -names, or -started when silent: list what the daemon has. */
int client_names(uint16_t port, int silent);

/* -dump: active and remembered names with their fds. */
int client_dump(uint16_t port);

/* -kill: ask the daemon to exit. */
int client_kill(uint16_t port);

/* -stop NAME: force a node's unregistration (relaxed daemons only). */
int client_stop(uint16_t port, const char *name);

/*
 * -forget NAME: release NAME's sticky owner (root, local). Prints
 * FORGOTTEN (exit 0) or NOEXIST (exit 1).
 */
int client_forget(uint16_t port, const char *name);

#endif
