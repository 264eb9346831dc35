/* SPDX-License-Identifier: Apache-2.0 */
/*
 * server.h: the event loop's owner: listening sockets, accept and its
 * back-off, the connection caps, timers, the engine (proto) and the
 * connections' shared context.
 */
#ifndef SERVER_H
#define SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "acl.h"
#include "conf.h"

#define SERVER_MAX_ADDRESSES	CONF_MAX_LISTEN

struct event_base;

/*
 * What the server needs that is not a configuration key: command-line
 * test aids, systemd socket activation, and where the files come from
 * for SIGHUP. The strings are borrowed (argv): they outlive the server.
 */
struct server_run {
	int		 systemd;		/* -systemd: sockets from systemd */
	unsigned	 delay_accept;		/* seconds, test aid */
	unsigned	 delay_write;		/* seconds, test aid */
	size_t		 max_freed;		/* freed names kept (-d: fewer) */
	const char	*config_file;
	int		 config_explicit;	/* -config given */
	const char	*acl_path;		/* -acl, or NULL */
};

/* The part of the configuration a reload may change. */
struct server_policy {
	struct acl		*acl;
	int			 builtin;	/* no ACL file: loopback only */
	char			 file[CONF_PATH_LEN];	/* the ACL's path */
	enum conf_names_refusal	 names_refusal;
	enum conf_port_refusal	 port_refusal;
	/* Registration integrity; reg is owned (freed with the policy). */
	struct conf_registers	*reg;
	enum conf_register_default register_default;
	int			 check_port_owner;
	int			 root_any_port;
	enum conf_dist_exposure	 dist_exposure;
};

/* What server_bind() reports. */
enum server_bind_status {
	SERVER_BIND_OK = 0,
	SERVER_BIND_SERVED,	/* an epmd_secure serves the same addresses */
	SERVER_BIND_IN_USE,	/* something else holds the port */
	SERVER_BIND_FAILED,	/* an address cannot be served */
};

struct server;

/*
 * Allocate a server for the configuration as loaded and overridden by the
 * command line and environment. The server keeps its own copy of conf and
 * run (conf may go away after this), and builds its policy from conf; it
 * takes ownership of acl (builtin: the built-in policy), freed on failure.
 */
struct server *server_new(const struct conf *conf,
    const struct server_run *run, struct acl *acl, int builtin);

/*
 * Open the listening sockets (before any fork: no event base yet): every
 * configured address, and 127.0.0.1 and ::1 unless the kernel lacks
 * them. Anything but SERVER_BIND_OK leaves a one-line reason in why (the
 * holder of a taken port, when /proc shows it); nothing is logged.
 */
enum server_bind_status server_bind(struct server *, char *why,
    size_t whylen);

/* Create the event base and start serving; -1 on failure (logged). */
int server_start(struct server *);

/* Run the event loop until stopped. Returns the exit status. */
int server_run(struct server *);

/* Close everything and free the server. */
void server_free(struct server *);

/* Describe the listening sockets ("addr:port ..."); returns their count. */
size_t server_listeners(struct server *, char *buf, size_t len);

/* The event base (for the signal events main sets up). */
struct event_base *server_base(struct server *);

/* The configuration in use (its port is systemd's socket's, if any). */
const struct conf *server_conf(struct server *);

/* The policy in use. */
const struct server_policy *server_policy(struct server *);

/* Write the counters record (SIGUSR1, the periodic interval). */
void server_counters(struct server *);

/*
 * Re-read the configuration and ACL files and swap the new policy in only
 * if both are valid; otherwise keep the old one and log why. Registrations
 * and open connections are not touched. The files are read and compiled
 * in a thread, off the event loop; the outcome is applied and logged on
 * the loop when it is done (a SIGHUP meanwhile queues one more reload).
 * Returns 0 if the reload started, -1 (logged) if it could not.
 */
int server_reload(struct server *);

/* All unsent reply bytes held at once, across connections. */
#define SERVER_REPLY_BUDGET	(64 * 1024 * 1024)

/* Stop the loop after the current callbacks; the daemon exits status. */
void server_stop(struct server *, int status);

#endif
