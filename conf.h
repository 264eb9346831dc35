/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf.h: the configuration file and the ACL file.
 *
 * The parsers are pure: they take the file's bytes and name and report
 * every finding as "file:line: error: message" or "file:line: warning:
 * message". The edge is conf_read_file() (reads a file after refusing one
 * that group or others may write) and conf_load() (reads the files, follows
 * ACL includes, resolves user names, checks the files the configuration
 * names), the only functions here that touch the system.
 *
 * Every configuration key is one row of the keyword table in conf.c (name,
 * type, field, bounds, default, reloadable): parsing, conf_defaults(),
 * -t and the tests all go through it.
 */
#ifndef CONF_H
#define CONF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

#include "acl.h"

/* The Makefile passes SYSCONFDIR (make SYSCONFDIR=/usr/local/etc). */
#ifndef SYSCONFDIR
#define SYSCONFDIR		"/etc"
#endif
#define CONF_DEFAULT_FILE	SYSCONFDIR "/epmd_secure/epmd_secure.conf"
#define CONF_DEFAULT_ACL	SYSCONFDIR "/epmd_secure/acl"
#define CONF_DEFAULT_STATE	"/var/lib/epmd_secure/owners"
#define CONF_MAX_LISTEN		32
#define CONF_MAX_ERRORS		32	/* kept; the rest are counted */
#define CONF_MAX_READ		64	/* files listed by -t */
#define CONF_MAX_KEYS		64	/* rows of the keyword table */
#define CONF_MAX_REGISTER	128	/* register lines in the ACL */
#define CONF_MAX_REGISTER_UIDS	16	/* users on one register line */
#define CONF_MAX_INCLUDE_DEPTH	8	/* include nesting */
#define CONF_MAX_INCLUDED	1024	/* ACL fragments in all */
/* Longest socket path + 1: log_socket and -log_socket must fit. */
#define CONF_SUN_PATH_LEN	sizeof(((struct sockaddr_un *)0)->sun_path)
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

/* register_default: names that match no register line. */
enum conf_register_default {
	CONF_REGISTER_ANY = 0,	/* any local user (stock; default) */
	CONF_REGISTER_DENY,	/* nobody */
	CONF_REGISTER_STICKY,	/* the first uid to register it, for good */
};

/* dist_exposure: a node whose listener is reachable from the network. */
enum conf_dist_exposure {
	CONF_DIST_WARN = 0,	/* log event=dist_exposed (default) */
	CONF_DIST_REFUSE,	/* result 1, verdict=dist_exposed */
	CONF_DIST_IGNORE,
};

/*
 * One ACL line "register GLOB USER[,USER...]": the local users who may
 * register node names matching glob. Users are resolved to uids when the
 * file is loaded (an unknown user is an error then).
 *
 * For the registration checks: conf_load() fills conf.reg from the ACL
 * (the same load as the policy, so a reload swaps both or neither). For a
 * name being registered by uid:
 *	r = conf_register_match(&c->reg, name);
 *	r != NULL: allowed iff conf_register_allows(r, uid);
 *	r == NULL: c->register_default decides (any, deny, sticky).
 * The remaining keys (state_file, check_port_owner, root_any_port,
 * dist_exposure, lim.max_per_uid) are plain values in struct conf.
 */
struct conf_register {
	char		 glob[256];		/* ACL_MAX_GLOB_LEN + 1 */
	uint32_t	 uid[CONF_MAX_REGISTER_UIDS];
	size_t		 nuid;
	unsigned	 line;			/* in its own file */
};

/* The register lines, in file order (includes expanded in place). */
struct conf_registers {
	struct conf_register	 rule[CONF_MAX_REGISTER];
	size_t			 n;
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
	size_t		 max_per_uid;		/* connections per local uid */
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
	/* Registration integrity (issue 11; parsed and checked here). */
	enum conf_register_default register_default;
	char			 state_file[CONF_PATH_LEN];
	int			 check_port_owner;
	int			 root_any_port;
	enum conf_dist_exposure	 dist_exposure;
	/* Prometheus textfile ("" none) and how often it is rewritten. */
	char			 metrics_file[CONF_PATH_LEN];
	unsigned		 metrics_interval;	/* seconds */
	/* Filled from the ACL file by conf_load() and conf_parse_acl_io(). */
	struct conf_registers	 reg;
	/* Line of each key of the keyword table in the file, 0 if unset. */
	unsigned		 line[CONF_MAX_KEYS];
};

/*
 * What loading found: errors and warnings as "file:line: error: message"
 * or "file:line: warning: message" (line 0: "file: error: message"), in
 * the order found, and the files read. total counts errors only: any
 * error rejects the load; warnings never do. Warnings take at most half
 * of msg, so that errors are never crowded out.
 */
struct conf_errors {
	char	 msg[CONF_MAX_ERRORS][CONF_PATH_LEN + 160];
	size_t	 n;		/* kept in msg, errors and warnings */
	size_t	 total;		/* errors, including those not kept */
	size_t	 warnings;	/* warnings, including those not kept */
	char	 read[CONF_MAX_READ][CONF_PATH_LEN + 32];
	size_t	 nread;		/* kept in read */
};

/* Fill in the built-in defaults. */
void conf_defaults(struct conf *);

/* Parse a configuration file's text into *c. Returns the error count. */
size_t conf_parse(const char *text, size_t len, const char *file,
    struct conf *c, struct conf_errors *);

/*
 * Parse an ACL file's text. Returns the policy, or NULL if there was any
 * error (all reported in errs) or no memory. Register lines are checked
 * and dropped; user names in them are errors (no resolver), and include
 * lines are errors (no file access): see conf_parse_acl_io().
 */
struct acl *conf_parse_acl(const char *text, size_t len, const char *file,
    struct conf_errors *);

struct conf_acl_parse;		/* one parse in progress, for includes */

/* The system access an ACL parse may use; any member may be NULL. */
struct conf_acl_io {
	/* Resolve a user name: 0 and *uid, or -1 if there is no such user. */
	int	(*uid_of)(void *arg, const char *user, uint32_t *uid);
	/*
	 * Expand "include pattern" found at file:line, feeding each file
	 * to conf_acl_feed() in turn and reporting its own errors with
	 * conf_acl_error(). NULL: include lines are errors.
	 */
	void	(*include)(void *arg, struct conf_acl_parse *,
		    const char *pattern, const char *file, unsigned line);
	void	*arg;
};

/*
 * Parse an ACL as conf_parse_acl(), with io for user names and includes,
 * keeping the register lines in *reg if reg is non-NULL. After the last
 * line, the whole policy is analysed: no rules at all is an error; no rule
 * letting loopback look up ports, and a rule that an earlier one shadows
 * entirely, are warnings (see epmd_secure.acl(5)).
 */
struct acl *conf_parse_acl_io(const char *text, size_t len, const char *file,
    const struct conf_acl_io *io, struct conf_registers *reg,
    struct conf_errors *);

/* Parse one more file's text into p (from an include callback). */
void conf_acl_feed(struct conf_acl_parse *p, const char *text, size_t len,
    const char *file);

/* The errors of the parse p, to report through conf_error(). */
struct conf_errors *conf_acl_errors(struct conf_acl_parse *p);

/* Include nesting of the file being parsed (0: the ACL file itself). */
unsigned conf_acl_depth(const struct conf_acl_parse *p);

/*
 * The first register line whose glob matches name, or NULL: the name then
 * follows register_default.
 */
const struct conf_register *conf_register_match(const struct conf_registers *,
    const char *name);

/* Return 1 if uid is one of the rule's users. */
int conf_register_allows(const struct conf_register *, uint32_t uid);

/* One row of the keyword table, for -t and the tests. */
struct conf_key_info {
	const char	*name;
	int		 reloadable;	/* takes effect on SIGHUP */
	const char	*def;		/* default as written in the file */
};

/* The i-th key of the table; -1 past the end. */
int conf_key(size_t i, struct conf_key_info *);

/* The policy used when the default ACL file does not exist: loopback. */
struct acl *conf_builtin_acl(void);

enum conf_read_status {
	CONF_READ_OK = 0,
	CONF_READ_MISSING,	/* ENOENT; no error recorded */
	CONF_READ_ERROR,	/* recorded in errs */
};

/*
 * Read a whole file (NUL-terminated, caller frees *text). Refuses a file
 * that is not regular, is writable by group or others, is too large, or
 * cannot be read to its end at the size it had when opened.
 */
enum conf_read_status conf_read_file(const char *path, char **text,
    size_t *len, struct conf_errors *);

/* Record an error as "file:line: error: message" (line 0: "file: ..."). */
void conf_error(struct conf_errors *, const char *file, unsigned line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Record a warning as "file:line: warning: message". */
void conf_warning(struct conf_errors *, const char *file, unsigned line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Load the configuration file (a missing one is fine unless explicit) and,
 * if acl is non-NULL, the ACL: acl_path if non-NULL (from -acl), else the
 * file's acl_file, with its includes and register lines (into c->reg). A
 * missing ACL at the default path gives the built-in loopback-only policy
 * and sets *builtin. Then checks what start-up needs: the user exists,
 * the files the configuration names are safe. Returns 0 (warnings may be
 * in errs), or -1 with every problem in errs (nothing allocated). The
 * files read are listed in errs->read.
 */
int conf_load(const char *config_path, int config_explicit,
    const char *acl_path, struct conf *c, struct acl **acl, int *builtin,
    struct conf_errors *errs);

#endif
