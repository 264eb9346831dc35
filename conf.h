/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf.h: the configuration file and the ACL file.
 *
 * The parsers are pure: they take the file's bytes and name and report
 * every error as "file:line: message". conf_read_file() is the one edge:
 * it reads a file after refusing one that group or others may write.
 */
#ifndef CONF_H
#define CONF_H

#include <stddef.h>
#include <stdint.h>

#include "acl.h"

#define CONF_DEFAULT_FILE	"/etc/epmd_secure/epmd_secure.conf"
#define CONF_DEFAULT_ACL	"/etc/epmd_secure/acl"
#define CONF_MAX_LISTEN		32
#define CONF_MAX_ERRORS		32	/* kept; the rest are counted */
#define CONF_MAX_FILE		(16 * 1024 * 1024)
#define CONF_ADDR_LEN		64
#define CONF_PATH_LEN		1024

/* Bits of conf.set: which keys the file gave. */
#define CONF_SET_PORT		0x01
#define CONF_SET_LISTEN		0x02
#define CONF_SET_TIMEOUT	0x04
#define CONF_SET_ACL		0x08
#define CONF_SET_RELAXED	0x10
#define CONF_SET_LOG_SOCKET	0x20
#define CONF_SET_LOG_TARGET	0x40

enum conf_log_target {
	CONF_LOG_SYSLOG = 0,
	CONF_LOG_JOURNALD,
	CONF_LOG_STDERR,
	CONF_LOG_NONE,
};

enum conf_names_refusal {
	CONF_NAMES_CLOSE = 0,	/* close without reply (default) */
	CONF_NAMES_EMPTY,	/* reply with the port and no names */
};

enum conf_port_refusal {
	CONF_PORT_NOT_FOUND = 0, /* `w` 1, as for an unknown name (default) */
	CONF_PORT_CLOSE,	/* close without reply */
};

/* Abuse-resistance limits, as read and as the server applies them. */
struct conf_limits {
	uint32_t	 rate;			/* lookups/s per source */
	uint32_t	 burst;
	unsigned	 v4len, v6len;		/* source prefix lengths */
	int		 limit_loopback;
	size_t		 max_connections;
	size_t		 max_per_source;
	size_t		 loopback_reserved;
	size_t		 max_sources;
	unsigned	 first_byte_timeout;	/* seconds */
	unsigned	 summary_interval;	/* seconds */
};

struct conf {
	unsigned		 set;
	uint16_t		 port;
	char			 listen[CONF_MAX_LISTEN][CONF_ADDR_LEN];
	size_t			 nlisten;
	unsigned		 packet_timeout;
	char			 acl_file[CONF_PATH_LEN];
	enum conf_names_refusal	 names_refusal;
	enum conf_port_refusal	 port_refusal;
	int			 relaxed;
	size_t			 max_nodes;
	enum conf_log_target	 log_target;
	char			 log_socket[CONF_PATH_LEN];	/* "" default */
	char			 log_facility[16];
	char			 log_ident[64];
	unsigned		 counters_interval;	/* seconds, 0 off */
	char			 user[33];	/* run as, once bound; "" stay */
	struct conf_limits	 lim;
};

struct conf_errors {
	char	 msg[CONF_MAX_ERRORS][CONF_PATH_LEN + 160];
	size_t	 n;		/* kept in msg */
	size_t	 total;		/* including those not kept */
};

/* Fill in the built-in defaults. */
void conf_defaults(struct conf *);

/* Parse a configuration file's text into *c. Returns the error count. */
size_t conf_parse(const char *text, size_t len, const char *file,
    struct conf *c, struct conf_errors *);

/*
 * Parse an ACL file's text. Returns the policy, or NULL if there was any
 * error (all reported in errs) or no memory.
 */
struct acl *conf_parse_acl(const char *text, size_t len, const char *file,
    struct conf_errors *);

/* The policy used when the default ACL file does not exist: loopback. */
struct acl *conf_builtin_acl(void);

enum conf_read_status {
	CONF_READ_OK = 0,
	CONF_READ_MISSING,	/* ENOENT; no error recorded */
	CONF_READ_ERROR,	/* recorded in errs */
};

/*
 * Read a whole file (NUL-terminated, caller frees *text). Refuses a file
 * that is not regular, is writable by group or others, or is too large.
 */
enum conf_read_status conf_read_file(const char *path, char **text,
    size_t *len, struct conf_errors *);

/* Record an error as "file:line: message" (line 0: "file: message"). */
void conf_error(struct conf_errors *, const char *file, unsigned line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Load the configuration file (a missing one is fine unless explicit) and,
 * if acl is non-NULL, the ACL: acl_path if non-NULL (from -acl), else the
 * file's acl_file. A missing ACL at the default path gives the built-in
 * loopback-only policy and sets *builtin. Returns 0, or -1 with every
 * problem in errs (nothing allocated).
 */
int conf_load(const char *config_path, int config_explicit,
    const char *acl_path, struct conf *c, struct acl **acl, int *builtin,
    struct conf_errors *errs);

#endif
