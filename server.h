/* SPDX-License-Identifier: Apache-2.0 */
/*
 * server.h: the event loop's owner: listening sockets, accept and its
 * back-off, signals, the registry, and the set of open connections.
 */
#ifndef SERVER_H
#define SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "acl.h"
#include "conf.h"
#include "ratelimit.h"

#define SERVER_MAX_ADDRESSES	32

struct event_base;
struct registry;
struct conn;

struct server_config {
	uint16_t	 port;
	/* Extra listen addresses; loopback is always added. */
	const char	*addresses[SERVER_MAX_ADDRESSES];
	size_t		 naddresses;
	unsigned	 packet_timeout;	/* seconds from accept */
	unsigned	 delay_accept;		/* seconds, test aid */
	unsigned	 delay_write;		/* seconds, test aid */
	int		 relaxed;		/* -relaxed_command_check */
	int		 systemd;		/* sockets from systemd */
	size_t		 max_nodes;
	size_t		 max_freed;
	/* Where the policy comes from, for SIGHUP. */
	const char	*config_file;
	int		 config_explicit;	/* -config given */
	const char	*acl_path;		/* -acl, or NULL */
	unsigned	 counters_interval;	/* seconds, 0 off */
	const char	*metrics_file;		/* NULL: none */
	unsigned	 metrics_interval;	/* seconds */
	struct conf_limits lim;		/* see epmd_secure.conf(5) */
};

/* The part of the configuration a reload may change. */
struct server_policy {
	struct acl		*acl;
	int			 builtin;	/* no ACL file: loopback only */
	char			 file[CONF_PATH_LEN];	/* the ACL's path */
	enum conf_names_refusal	 names_refusal;
	enum conf_port_refusal	 port_refusal;
};

/* What server_bind() reports. */
enum server_bind_status {
	SERVER_BIND_OK = 0,
	SERVER_BIND_IN_USE,	/* another epmd has the port: exit 0 */
	SERVER_BIND_FAILED,	/* message logged: exit 1 */
};

struct server;

/* Allocate a server for cfg (copied); it takes ownership of pol->acl. */
struct server *server_new(const struct server_config *cfg,
    const struct server_policy *pol);

/*
 * Open the listening sockets (before any fork: no event base yet).
 * Failures to bind the implicit loopback addresses are not fatal as long
 * as one socket listens.
 */
enum server_bind_status server_bind(struct server *);

/* Create the event base and start serving; -1 on failure (logged). */
int server_start(struct server *);

/* Run the event loop until stopped. Returns the exit status. */
int server_run(struct server *);

/* Close everything and free the server. */
void server_free(struct server *);

/* Describe the listening sockets ("addr:port ..."); returns their count. */
size_t server_listeners(struct server *, char *buf, size_t len);

/* Accessors for conn.c. */
struct event_base *server_base(struct server *);
struct registry *server_registry(struct server *);
const struct server_config *server_config(struct server *);
const struct server_policy *server_policy(struct server *);

/*
 * Re-read the configuration and ACL files and swap the new policy in only
 * if both are valid; otherwise keep the old one and log why. Registrations
 * and open connections are not touched. Returns 0 if swapped.
 */
int server_reload(struct server *);

/*
 * Conn bookkeeping, called by conn_free(): local says which share the
 * connection counted against; rlkey is its source key if it was counted
 * per source, else NULL.
 */
void server_conn_closed(struct server *, int local,
    const struct acl_addr *rlkey);

/* All unsent reply bytes held at once, across connections. */
#define SERVER_REPLY_BUDGET	(64 * 1024 * 1024)

/* Reserve bytes of reply memory; -1 if over the budget. */
int server_reply_reserve(struct server *, size_t bytes);

/* Return bytes reserved with server_reply_reserve(). */
void server_reply_release(struct server *, size_t bytes);

/*
 * Note one refusal of a summarised kind (audit_summarised()) from peer:
 * 1 if it should be logged in full, 0 if only counted.
 */
int server_note_refusal(struct server *, const struct acl_addr *peer,
    enum rl_kind kind);

/* May this peer make one more lookup (NAMES, PORT_PLEASE2) now? 1 if so. */
int server_lookup_allowed(struct server *, const struct acl_addr *peer,
    int local);

/* Stop the loop after the current callbacks; the daemon exits status. */
void server_stop(struct server *, int status);

#endif
