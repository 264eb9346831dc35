/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf.c: line-oriented parsers for the configuration and ACL files.
 * Both are "keyword arguments..." per line, '#' to the end of the line is
 * a comment, blank lines are ignored. Every error is reported, not just
 * the first, so that -t shows everything to fix in one go.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "util.h"

#define MAX_TOKENS	(ACL_MAX_GLOBS + 8)
#define MAX_LINE	4096

void
conf_error(struct conf_errors *e, const char *file, unsigned line,
    const char *fmt, ...)
{
	char	 msg[512], *p;
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Offending tokens are quoted raw: keep control bytes out. */
	for (p = msg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (e->n < CONF_MAX_ERRORS) {
		if (line > 0)
			snprintf(e->msg[e->n], sizeof(e->msg[0]), "%s:%u: %s",
			    file, line, msg);
		else
			snprintf(e->msg[e->n], sizeof(e->msg[0]), "%s: %s",
			    file, msg);
		e->n++;
	}
	e->total++;
}

void
conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->port = 4369;
	c->packet_timeout = 10;
	snprintf(c->acl_file, sizeof(c->acl_file), "%s", CONF_DEFAULT_ACL);
	c->names_refusal = CONF_NAMES_CLOSE;
	c->port_refusal = CONF_PORT_NOT_FOUND;
	c->max_nodes = 4096;
	c->log_target = CONF_LOG_SYSLOG;
	snprintf(c->log_facility, sizeof(c->log_facility), "daemon");
	snprintf(c->log_ident, sizeof(c->log_ident), "epmd_secure");
	c->lim.rate = 20;
	c->lim.burst = 40;
	c->lim.v4len = 32;
	c->lim.v6len = 64;
	c->lim.limit_loopback = 0;
	c->lim.max_connections = 8192;
	c->lim.max_per_source = 64;
	c->lim.loopback_reserved = 256;
	c->lim.max_sources = 16384;
	c->lim.first_byte_timeout = 2;
	c->lim.summary_interval = 10;
}

/* Numeric keys: name, where, bounds. */
struct num_key {
	const char	*name;
	size_t		 off;
	int		 is_size;	/* size_t, else unsigned (32-bit) */
	unsigned long	 min, max;
};

static const struct num_key num_keys[] = {
	{ "ratelimit_rate", offsetof(struct conf, lim.rate), 0, 0, 1000000 },
	{ "ratelimit_burst", offsetof(struct conf, lim.burst), 0, 1, 1000000 },
	{ "ratelimit_ipv4_prefix", offsetof(struct conf, lim.v4len), 0, 1, 32 },
	{ "ratelimit_ipv6_prefix", offsetof(struct conf, lim.v6len), 0, 1, 128 },
	{ "max_connections", offsetof(struct conf, lim.max_connections), 1, 16,
	    1000000 },
	{ "max_connections_per_source", offsetof(struct conf, lim.max_per_source),
	    1, 1, 1000000 },
	{ "loopback_reserved", offsetof(struct conf, lim.loopback_reserved), 1, 0,
	    1000000 },
	{ "max_sources", offsetof(struct conf, lim.max_sources), 1, 16, 4000000 },
	{ "first_byte_timeout", offsetof(struct conf, lim.first_byte_timeout), 0,
	    1, 86400 },
	{ "summary_interval", offsetof(struct conf, lim.summary_interval), 0, 1,
	    3600 },
};

/* Parse a numeric key; 1 if key is one, 0 if not. */
static int
num_line(struct conf *c, const char *key, const char *val, const char *file,
    unsigned line, struct conf_errors *errs)
{
	const char	*errstr;
	unsigned long	 v;
	size_t		 i;

	for (i = 0; i < sizeof(num_keys) / sizeof(num_keys[0]); i++) {
		const struct num_key *k = &num_keys[i];

		if (strcmp(k->name, key) != 0)
			continue;
		if (util_parse_uint(val, k->min, k->max, &v, &errstr) == -1)
			conf_error(errs, file, line, "%s: \"%s\" %s (%lu..%lu)",
			    key, val, errstr, k->min, k->max);
		else if (k->is_size)
			*(size_t *)(void *)((char *)c + k->off) = (size_t)v;
		else
			*(uint32_t *)(void *)((char *)c + k->off) =
			    (uint32_t)v;
		return 1;
	}
	return 0;
}

/* Facility names accepted by log_facility (log.c maps them to codes). */
static int
facility_known(const char *f)
{
	static const char *const known[] = { "auth", "authpriv", "daemon",
	    "local0", "local1", "local2", "local3", "local4", "local5",
	    "local6", "local7", "user" };
	size_t	 i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(known[i], f) == 0)
			return 1;
	return 0;
}

/*
 * Split one line into whitespace-separated tokens, in place, stopping at
 * '#'. Returns the token count, or -1 if there are too many.
 */
static int
tokenize(char *line, char **tok, int max)
{
	int	 n = 0;
	char	*p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (*p == '\0' || *p == '#')
			return n;
		if (n == max)
			return -1;
		tok[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r' &&
		    *p != '#')
			p++;
		if (*p == '#') {
			*p = '\0';
			return n;
		}
		if (*p != '\0')
			*p++ = '\0';
	}
}

/*
 * Walk text line by line, calling fn with the tokens of each non-empty
 * line. Lines with a NUL byte or longer than MAX_LINE are errors.
 */
static void
each_line(const char *text, size_t len, const char *file,
    struct conf_errors *errs,
    void (*fn)(char **tok, int ntok, unsigned line, void *arg), void *arg)
{
	char		 buf[MAX_LINE + 1];
	char		*tok[MAX_TOKENS];
	size_t		 pos = 0, end, n;
	unsigned	 line = 0;
	int		 ntok;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);

		end = nl == NULL ? len : (size_t)(nl - text);
		n = end - pos;
		line++;
		if (n > MAX_LINE)
			conf_error(errs, file, line, "line longer than %d bytes",
			    MAX_LINE);
		else if (memchr(text + pos, '\0', n) != NULL)
			conf_error(errs, file, line, "NUL byte in line");
		else {
			memcpy(buf, text + pos, n);
			buf[n] = '\0';
			ntok = tokenize(buf, tok, MAX_TOKENS);
			if (ntok < 0)
				conf_error(errs, file, line,
				    "too many words (at most %d)", MAX_TOKENS);
			else if (ntok > 0)
				fn(tok, ntok, line, arg);
		}
		pos = end + 1;
	}
}

struct conf_ctx {
	struct conf		*c;
	const char		*file;
	struct conf_errors	*errs;
};

static int
yesno(const char *v, int *out)
{
	if (strcmp(v, "yes") == 0)
		*out = 1;
	else if (strcmp(v, "no") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

static int
key_known(const char *key)
{
	static const char *const keys[] = { "listen", "port",
	    "packet_timeout", "acl_file", "names_refusal", "port_refusal",
	    "relaxed_command_check", "max_nodes", "log_target", "log_socket",
	    "user",
	    "log_facility", "log_ident", "counters_interval",
	    "ratelimit_loopback" };
	size_t	 i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i], key) == 0)
			return 1;
	for (i = 0; i < sizeof(num_keys) / sizeof(num_keys[0]); i++)
		if (strcmp(num_keys[i].name, key) == 0)
			return 1;
	return 0;
}

static void
conf_line(char **tok, int ntok, unsigned line, void *arg)
{
	struct conf_ctx	*x = arg;
	struct conf	*c = x->c;
	const char	*key = tok[0], *errstr;
	size_t		 errs_before = x->errs->total;
	unsigned long	 v;
	int		 i, b;

	if (!key_known(key)) {
		conf_error(x->errs, x->file, line, "unknown keyword \"%s\"",
		    key);
		return;
	}
	if (strcmp(key, "listen") == 0) {
		size_t	 before = c->nlisten;

		if (ntok < 2) {
			conf_error(x->errs, x->file, line,
			    "listen needs at least one address");
			return;
		}
		for (i = 1; i < ntok; i++) {
			struct sockaddr_storage	 ss;
			socklen_t		 sl;
			char			*a, *save = NULL;

			for (a = strtok_r(tok[i], ",", &save); a != NULL;
			    a = strtok_r(NULL, ",", &save)) {
				if (util_parse_address(a, 0, &ss, &sl,
				    &errstr) == -1) {
					conf_error(x->errs, x->file, line,
					    "listen: \"%s\" %s", a, errstr);
					continue;
				}
				if (c->nlisten == CONF_MAX_LISTEN) {
					conf_error(x->errs, x->file, line,
					    "listen: more than %d addresses",
					    CONF_MAX_LISTEN);
					return;
				}
				snprintf(c->listen[c->nlisten++],
				    CONF_ADDR_LEN, "%s", a);
			}
		}
		if (c->nlisten == before && x->errs->total == errs_before)
			conf_error(x->errs, x->file, line,
			    "listen needs at least one address");
		c->set |= CONF_SET_LISTEN;
		return;
	}
	if (ntok != 2) {
		conf_error(x->errs, x->file, line, "%s: expected one value",
		    key);
		return;
	}
	if (strcmp(key, "port") == 0) {
		uint16_t	 p;

		if (util_parse_port(tok[1], &p, &errstr) == -1)
			conf_error(x->errs, x->file, line, "port: \"%s\" %s",
			    tok[1], errstr);
		else {
			c->port = p;
			c->set |= CONF_SET_PORT;
		}
	} else if (strcmp(key, "packet_timeout") == 0) {
		if (util_parse_uint(tok[1], 1, 86400, &v, &errstr) == -1)
			conf_error(x->errs, x->file, line,
			    "packet_timeout: \"%s\" %s (1..86400 seconds)",
			    tok[1], errstr);
		else {
			c->packet_timeout = (unsigned)v;
			c->set |= CONF_SET_TIMEOUT;
		}
	} else if (strcmp(key, "acl_file") == 0) {
		if (tok[1][0] != '/' || strlen(tok[1]) >= CONF_PATH_LEN)
			conf_error(x->errs, x->file, line,
			    "acl_file: an absolute path is expected");
		else {
			snprintf(c->acl_file, sizeof(c->acl_file), "%s",
			    tok[1]);
			c->set |= CONF_SET_ACL;
		}
	} else if (strcmp(key, "names_refusal") == 0) {
		if (strcmp(tok[1], "close") == 0)
			c->names_refusal = CONF_NAMES_CLOSE;
		else if (strcmp(tok[1], "empty") == 0)
			c->names_refusal = CONF_NAMES_EMPTY;
		else
			conf_error(x->errs, x->file, line,
			    "names_refusal: \"%s\" is not close or empty",
			    tok[1]);
	} else if (strcmp(key, "port_refusal") == 0) {
		if (strcmp(tok[1], "not_found") == 0)
			c->port_refusal = CONF_PORT_NOT_FOUND;
		else if (strcmp(tok[1], "close") == 0)
			c->port_refusal = CONF_PORT_CLOSE;
		else
			conf_error(x->errs, x->file, line,
			    "port_refusal: \"%s\" is not not_found or close",
			    tok[1]);
	} else if (strcmp(key, "relaxed_command_check") == 0) {
		if (yesno(tok[1], &b) == -1)
			conf_error(x->errs, x->file, line,
			    "relaxed_command_check: \"%s\" is not yes or no",
			    tok[1]);
		else {
			c->relaxed = b;
			c->set |= CONF_SET_RELAXED;
		}
	} else if (strcmp(key, "max_nodes") == 0) {
		if (util_parse_uint(tok[1], 1, 65536, &v, &errstr) == -1)
			conf_error(x->errs, x->file, line,
			    "max_nodes: \"%s\" %s (1..65536)", tok[1], errstr);
		else
			c->max_nodes = (size_t)v;
	} else if (strcmp(key, "log_target") == 0) {
		if (strcmp(tok[1], "syslog") == 0)
			c->log_target = CONF_LOG_SYSLOG;
		else if (strcmp(tok[1], "journald") == 0)
			c->log_target = CONF_LOG_JOURNALD;
		else if (strcmp(tok[1], "stderr") == 0)
			c->log_target = CONF_LOG_STDERR;
		else if (strcmp(tok[1], "none") == 0)
			c->log_target = CONF_LOG_NONE;
		else {
			conf_error(x->errs, x->file, line, "log_target: \"%s\" "
			    "is not syslog, journald, stderr or none", tok[1]);
			return;
		}
		c->set |= CONF_SET_LOG_TARGET;
	} else if (strcmp(key, "log_socket") == 0) {
		if (tok[1][0] != '/' || strlen(tok[1]) >= 108)
			conf_error(x->errs, x->file, line, "log_socket: an "
			    "absolute path under 108 bytes is expected");
		else {
			snprintf(c->log_socket, sizeof(c->log_socket), "%s",
			    tok[1]);
			c->set |= CONF_SET_LOG_SOCKET;
		}
	} else if (strcmp(key, "log_facility") == 0) {
		if (!facility_known(tok[1]))
			conf_error(x->errs, x->file, line, "log_facility: "
			    "\"%s\" is not a known facility", tok[1]);
		else
			snprintf(c->log_facility, sizeof(c->log_facility),
			    "%s", tok[1]);
	} else if (strcmp(key, "log_ident") == 0) {
		const char *p;

		for (p = tok[1]; *p != '\0'; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' &&
			    *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			    *p == '_' || *p == '-' || *p == '.'))
				break;
		if (*p != '\0' || strlen(tok[1]) >= sizeof(c->log_ident))
			conf_error(x->errs, x->file, line, "log_ident: letters, "
			    "digits, '_', '-' and '.' only, under 64 bytes");
		else
			snprintf(c->log_ident, sizeof(c->log_ident), "%s",
			    tok[1]);
	} else if (strcmp(key, "user") == 0) {
		const char *p;

		/* A POSIX portable user name; whether it exists is checked at
		 * start, not here. */
		for (p = tok[1]; *p != '\0'; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' &&
			    *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			    *p == '_' || *p == '.' || (*p == '-' && p != tok[1])))
				break;
		if (*p != '\0' || strlen(tok[1]) >= sizeof(c->user))
			conf_error(x->errs, x->file, line, "user: \"%s\" is not "
			    "a valid user name", tok[1]);
		else
			snprintf(c->user, sizeof(c->user), "%s", tok[1]);
	} else if (strcmp(key, "ratelimit_loopback") == 0) {
		if (yesno(tok[1], &b) == -1)
			conf_error(x->errs, x->file, line,
			    "ratelimit_loopback: \"%s\" is not yes or no",
			    tok[1]);
		else
			c->lim.limit_loopback = b;
	} else if (num_line(c, key, tok[1], x->file, line, x->errs)) {
		/* done */
	} else if (strcmp(key, "counters_interval") == 0) {
		if (util_parse_uint(tok[1], 0, 86400, &v, &errstr) == -1)
			conf_error(x->errs, x->file, line,
			    "counters_interval: \"%s\" %s (0..86400 seconds)",
			    tok[1], errstr);
		else
			c->counters_interval = (unsigned)v;
	} else
		conf_error(x->errs, x->file, line, "unknown keyword \"%s\"",
		    key);
}

size_t
conf_parse(const char *text, size_t len, const char *file, struct conf *c,
    struct conf_errors *errs)
{
	struct conf_ctx	 x = { c, file, errs };
	size_t		 before = errs->total;

	each_line(text, len, file, errs, conf_line, &x);
	/* Every connection's source must fit in the source table. */
	if (c->lim.max_sources < c->lim.max_connections)
		conf_error(errs, file, 0, "max_sources (%zu) must be at least "
		    "max_connections (%zu)", c->lim.max_sources,
		    c->lim.max_connections);
	if (c->lim.loopback_reserved >= c->lim.max_connections)
		conf_error(errs, file, 0, "loopback_reserved (%zu) must be "
		    "below max_connections (%zu)", c->lim.loopback_reserved,
		    c->lim.max_connections);
	return errs->total - before;
}

struct acl_ctx {
	struct acl		*acl;
	const char		*file;
	struct conf_errors	*errs;
};

/* Parse a scope word; -1 if it is not one. */
static int
parse_scope(const char *s, unsigned *scope)
{
	if (strcmp(s, "names") == 0)
		*scope = ACL_SCOPE_NAMES;
	else if (strcmp(s, "port") == 0)
		*scope = ACL_SCOPE_PORT;
	else if (strcmp(s, "names,port") == 0 || strcmp(s, "port,names") == 0)
		*scope = ACL_SCOPE_ALL;
	else
		return -1;
	return 0;
}

static void
acl_line(char **tok, int ntok, unsigned line, void *arg)
{
	struct acl_ctx		*x = arg;
	struct acl_prefix	 p;
	const char		*errstr;
	unsigned		 scope = ACL_SCOPE_ALL;
	int			 allow, i = 2, bad = 0;

	if (strcmp(tok[0], "allow") == 0)
		allow = 1;
	else if (strcmp(tok[0], "deny") == 0)
		allow = 0;
	else {
		conf_error(x->errs, x->file, line, "unknown keyword \"%s\" "
		    "(allow or deny expected)", tok[0]);
		return;
	}
	if (ntok < 2) {
		conf_error(x->errs, x->file, line, "%s needs an address",
		    tok[0]);
		return;
	}
	if (acl_parse_prefix(tok[1], &p, &errstr) != ACL_OK) {
		conf_error(x->errs, x->file, line, "\"%s\": %s", tok[1],
		    errstr);
		bad = 1;
	}
	/* A word with a comma can only be a scope: catch its typos. */
	if (ntok > 2) {
		if (parse_scope(tok[2], &scope) == 0)
			i = 3;
		else if (strchr(tok[2], ',') != NULL) {
			conf_error(x->errs, x->file, line,
			    "unknown scope \"%s\" (names, port or names,port)",
			    tok[2]);
			bad = 1;
			i = 3;
		}
	}
	if (ntok - i > ACL_MAX_GLOBS) {
		conf_error(x->errs, x->file, line,
		    "more than %d node globs", ACL_MAX_GLOBS);
		return;
	}
	for (int g = i; g < ntok; g++) {
		if (acl_glob_check(tok[g], &errstr) != ACL_OK) {
			conf_error(x->errs, x->file, line, "\"%s\": %s",
			    tok[g], errstr);
			bad = 1;
		}
	}
	if (bad || x->acl == NULL)
		return;
	switch (acl_add(x->acl, allow, &p, scope,
	    (const char *const *)(tok + i), (size_t)(ntok - i), line)) {
	case ACL_OK:
		break;
	case ACL_TOO_MANY:
		conf_error(x->errs, x->file, line, "more than %d rules",
		    ACL_MAX_RULES);
		break;
	default:
		conf_error(x->errs, x->file, line, "out of memory");
		break;
	}
}

struct acl *
conf_parse_acl(const char *text, size_t len, const char *file,
    struct conf_errors *errs)
{
	struct acl_ctx	 x;
	size_t		 before = errs->total;

	x.acl = acl_new();
	x.file = file;
	x.errs = errs;
	if (x.acl == NULL) {
		conf_error(errs, file, 0, "out of memory");
		return NULL;
	}
	each_line(text, len, file, errs, acl_line, &x);
	if (errs->total != before) {
		acl_free(x.acl);
		return NULL;
	}
	return x.acl;
}

struct acl *
conf_builtin_acl(void)
{
	static const char builtin[] =
	    "allow 127.0.0.0/8\n"
	    "allow ::1\n";
	struct conf_errors	 errs;

	memset(&errs, 0, sizeof(errs));
	return conf_parse_acl(builtin, sizeof(builtin) - 1, "(built-in)",
	    &errs);
}

enum conf_read_status
conf_read_file(const char *path, char **text, size_t *len,
    struct conf_errors *errs)
{
	struct stat	 st;
	char		*buf;
	size_t		 got = 0;
	ssize_t		 n;
	int		 fd;

	/* O_NONBLOCK: a FIFO named by mistake must not hang a reload. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) ==
	    -1) {
		if (errno == ENOENT)
			return CONF_READ_MISSING;
		conf_error(errs, path, 0, "%s", strerror(errno));
		return CONF_READ_ERROR;
	}
	if (fstat(fd, &st) == -1) {
		conf_error(errs, path, 0, "%s", strerror(errno));
		close(fd);
		return CONF_READ_ERROR;
	}
	if (!S_ISREG(st.st_mode)) {
		conf_error(errs, path, 0, "not a regular file");
		close(fd);
		return CONF_READ_ERROR;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		conf_error(errs, path, 0, "writable by group or others "
		    "(mode %03o); refusing it: chmod go-w %s",
		    (unsigned)(st.st_mode & 0777), path);
		close(fd);
		return CONF_READ_ERROR;
	}
	if (st.st_size > CONF_MAX_FILE) {
		conf_error(errs, path, 0, "larger than %d bytes",
		    CONF_MAX_FILE);
		close(fd);
		return CONF_READ_ERROR;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		conf_error(errs, path, 0, "out of memory");
		close(fd);
		return CONF_READ_ERROR;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*text = buf;
	*len = got;
	return CONF_READ_OK;
}

int
conf_load(const char *config_path, int config_explicit, const char *acl_path,
    struct conf *c, struct acl **acl, int *builtin, struct conf_errors *errs)
{
	char			*text = NULL;
	size_t			 len = 0, before = errs->total;
	const char		*path;
	int			 acl_explicit;

	conf_defaults(c);
	switch (conf_read_file(config_path, &text, &len, errs)) {
	case CONF_READ_OK:
		conf_parse(text, len, config_path, c, errs);
		free(text);
		break;
	case CONF_READ_MISSING:
		if (config_explicit)
			conf_error(errs, config_path, 0, "no such file");
		break;
	default:
		break;
	}
	if (acl == NULL)
		return errs->total == before ? 0 : -1;
	*acl = NULL;
	*builtin = 0;
	acl_explicit = acl_path != NULL || (c->set & CONF_SET_ACL);
	path = acl_path != NULL ? acl_path : c->acl_file;
	switch (conf_read_file(path, &text, &len, errs)) {
	case CONF_READ_OK:
		*acl = conf_parse_acl(text, len, path, errs);
		free(text);
		break;
	case CONF_READ_MISSING:
		if (acl_explicit)
			conf_error(errs, path, 0, "no such file");
		else if ((*acl = conf_builtin_acl()) != NULL)
			*builtin = 1;
		break;
	default:
		break;
	}
	if (errs->total != before) {
		acl_free(*acl);
		*acl = NULL;
		return -1;
	}
	if (*acl == NULL) {
		conf_error(errs, path, 0, "out of memory");
		return -1;
	}
	return 0;
}
