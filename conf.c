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
#include <glob.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "util.h"

#define MAX_TOKENS	(ACL_MAX_GLOBS + 8)
#define MAX_SAME_WARNINGS 10	/* of one kind, then a count */
#define MAX_LINE	4096

/* Record one finding; warnings keep at most half of the slots. */
static void __attribute__((format(printf, 5, 0)))
record(struct conf_errors *e, int warning, const char *file, unsigned line,
    const char *fmt, va_list ap)
{
	char		 msg[512], *p;
	const char	*sev = warning ? "warning" : "error";

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* Offending tokens are quoted raw: keep control bytes out. */
	for (p = msg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (warning)
		e->warnings++;
	else
		e->total++;
	if (e->n >= CONF_MAX_ERRORS || (warning && e->n >= CONF_MAX_ERRORS / 2))
		return;
	if (line > 0)
		snprintf(e->msg[e->n], sizeof(e->msg[0]), "%s:%u: %s: %s",
		    file, line, sev, msg);
	else
		snprintf(e->msg[e->n], sizeof(e->msg[0]), "%s: %s: %s", file,
		    sev, msg);
	e->n++;
}

void
conf_error(struct conf_errors *e, const char *file, unsigned line,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	record(e, 0, file, line, fmt, ap);
	va_end(ap);
}

void
conf_warning(struct conf_errors *e, const char *file, unsigned line,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	record(e, 1, file, line, fmt, ap);
	va_end(ap);
}

/* Note a file read, for -t's list. */
static void
note_read(struct conf_errors *e, const char *path, const char *what)
{
	int	 n;

	if (e->nread == CONF_MAX_READ)
		return;
	n = snprintf(e->read[e->nread], sizeof(e->read[0]), "%s: %s", path,
	    what);
	if (n > 0)
		e->nread++;
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

/* ---- the configuration file: one keyword table ---------------------- */

enum key_type {
	K_PORT,		/* uint16_t, 1..65535 */
	K_LISTEN,	/* repeatable list of addresses */
	K_UINT,		/* unsigned, min..max */
	K_SIZE,		/* size_t, min..max */
	K_BOOL,		/* int, yes|no */
	K_ENUM,		/* int, the index of the word in words */
	K_WORD,		/* string, one of words */
	K_PATH,		/* string, an absolute path */
	K_SOCKET,	/* string, an absolute path that fits sun_path */
	K_IDENT,	/* string, letters, digits, '_', '-', '.' */
	K_USER,		/* string, a portable user name */
};

struct key {
	const char		*name;
	enum key_type		 type;
	size_t			 off, size;	/* the field in struct conf */
	unsigned long		 min, max;	/* K_UINT, K_SIZE */
	const char *const	*words;		/* K_ENUM, K_WORD */
	const char		*def;		/* default; NULL: zero, "" */
	unsigned		 set;		/* CONF_SET_* bit */
	int			 reload;	/* takes effect on SIGHUP */
};

#define FIELD(m)	offsetof(struct conf, m), sizeof(((struct conf *)0)->m)

static const char *const w_names_refusal[] = { "close", "empty", NULL };
static const char *const w_port_refusal[] = { "not_found", "close", NULL };
static const char *const w_log_target[] = { "syslog", "journald", "stderr",
    "none", NULL };
/* Facility names accepted by log_facility (log.c maps them to codes). */
static const char *const w_facility[] = { "auth", "authpriv", "daemon",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6",
    "local7", "user", NULL };
static const char *const w_register_default[] = { "any", "deny", "sticky",
    NULL };
static const char *const w_dist_exposure[] = { "warn", "refuse", "ignore",
    NULL };

/*
 * Every key, in the order of the shipped file and of epmd_secure.conf(5).
 * The install test reads the names from this table: keep one row per
 * line start, `{ "name",`.
 */
static const struct key keys[] = {
	{ "port", K_PORT, FIELD(port), 0, 0, NULL, "4369", CONF_SET_PORT,
	    0 },
	{ "listen", K_LISTEN, FIELD(listen), 0, 0, NULL, NULL,
	    CONF_SET_LISTEN, 0 },
	{ "packet_timeout", K_UINT, FIELD(packet_timeout), 1, 86400, NULL,
	    "10", CONF_SET_TIMEOUT, 0 },
	{ "acl_file", K_PATH, FIELD(acl_file), 0, 0, NULL, CONF_DEFAULT_ACL,
	    CONF_SET_ACL, 1 },
	{ "names_refusal", K_ENUM, FIELD(names_refusal), 0, 0,
	    w_names_refusal, "close", 0, 1 },
	{ "port_refusal", K_ENUM, FIELD(port_refusal), 0, 0, w_port_refusal,
	    "not_found", 0, 1 },
	{ "relaxed_command_check", K_BOOL, FIELD(relaxed), 0, 0, NULL, "no",
	    CONF_SET_RELAXED, 0 },
	{ "max_nodes", K_SIZE, FIELD(max_nodes), 1, 65536, NULL, "4096", 0,
	    0 },
	{ "user", K_USER, FIELD(user), 0, 0, NULL, NULL, 0, 0 },
	{ "ratelimit_rate", K_UINT, FIELD(lim.rate), 0, 1000000, NULL, "20",
	    0, 0 },
	{ "ratelimit_burst", K_UINT, FIELD(lim.burst), 1, 1000000, NULL,
	    "40", 0, 0 },
	{ "ratelimit_ipv4_prefix", K_UINT, FIELD(lim.v4len), 1, 32, NULL,
	    "32", 0, 0 },
	{ "ratelimit_ipv6_prefix", K_UINT, FIELD(lim.v6len), 1, 128, NULL,
	    "64", 0, 0 },
	{ "ratelimit_loopback", K_BOOL, FIELD(lim.limit_loopback), 0, 0,
	    NULL, "no", 0, 0 },
	{ "max_connections", K_SIZE, FIELD(lim.max_connections), 16, 1000000,
	    NULL, "8192", 0, 0 },
	{ "loopback_reserved", K_SIZE, FIELD(lim.loopback_reserved), 0,
	    1000000, NULL, "256", 0, 0 },
	{ "max_connections_per_source", K_SIZE, FIELD(lim.max_per_source), 1,
	    1000000, NULL, "64", 0, 0 },
	{ "max_connections_per_uid", K_SIZE, FIELD(lim.max_per_uid), 1,
	    1000000, NULL, "1024", 0, 0 },
	{ "max_sources", K_SIZE, FIELD(lim.max_sources), 16, 4000000, NULL,
	    "16384", 0, 0 },
	{ "first_byte_timeout", K_UINT, FIELD(lim.first_byte_timeout), 1,
	    86400, NULL, "2", 0, 0 },
	{ "summary_interval", K_UINT, FIELD(lim.summary_interval), 1, 3600,
	    NULL, "10", 0, 0 },
	{ "register_default", K_ENUM, FIELD(register_default), 0, 0,
	    w_register_default, "any", 0, 0 },
	{ "state_file", K_PATH, FIELD(state_file), 0, 0, NULL,
	    CONF_DEFAULT_STATE, 0, 0 },
	{ "check_port_owner", K_BOOL, FIELD(check_port_owner), 0, 0, NULL,
	    "yes", 0, 0 },
	{ "root_any_port", K_BOOL, FIELD(root_any_port), 0, 0, NULL, "no", 0,
	    0 },
	{ "dist_exposure", K_ENUM, FIELD(dist_exposure), 0, 0,
	    w_dist_exposure, "warn", 0, 0 },
	{ "log_target", K_ENUM, FIELD(log_target), 0, 0, w_log_target,
	    "syslog", CONF_SET_LOG_TARGET, 0 },
	{ "log_socket", K_SOCKET, FIELD(log_socket), 0, 0, NULL, NULL,
	    CONF_SET_LOG_SOCKET, 0 },
	{ "log_facility", K_WORD, FIELD(log_facility), 0, 0, w_facility,
	    "daemon", 0, 0 },
	{ "log_ident", K_IDENT, FIELD(log_ident), 0, 0, NULL, "epmd_secure", 0,
	    0 },
	{ "counters_interval", K_UINT, FIELD(counters_interval), 0, 86400,
	    NULL, "0", 0, 0 },
	{ "metrics_file", K_PATH, FIELD(metrics_file), 0, 0, NULL, NULL, 0,
	    0 },
	{ "metrics_interval", K_UINT, FIELD(metrics_interval), 1, 3600, NULL,
	    "15", 0, 0 },
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

_Static_assert(NKEYS <= CONF_MAX_KEYS, "CONF_MAX_KEYS too small");
_Static_assert(sizeof(enum conf_log_target) == sizeof(int) &&
    sizeof(enum conf_names_refusal) == sizeof(int) &&
    sizeof(enum conf_port_refusal) == sizeof(int) &&
    sizeof(enum conf_register_default) == sizeof(int) &&
    sizeof(enum conf_dist_exposure) == sizeof(int), "enums are ints");
_Static_assert(sizeof(((struct conf_register *)0)->glob) ==
    ACL_MAX_GLOB_LEN + 1, "register glob size");

static const struct key *
key_find(const char *name, size_t *idx)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0) {
			if (idx != NULL)
				*idx = i;
			return &keys[i];
		}
	return NULL;
}

int
conf_key(size_t i, struct conf_key_info *info)
{
	if (i >= NKEYS)
		return -1;
	info->name = keys[i].name;
	info->reloadable = keys[i].reload;
	info->def = keys[i].def;
	return 0;
}

/* "a, b or c" from a NULL-terminated word list. */
static void
words_list(const char *const *w, char *buf, size_t len)
{
	size_t	 n, i, off = 0;

	for (n = 0; w[n] != NULL; n++)
		;
	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i == 0 ? "" : i + 1 == n ? " or " : ", ", w[i]);
}

static int
word_index(const char *const *w, const char *v)
{
	int	 i;

	for (i = 0; w[i] != NULL; i++)
		if (strcmp(w[i], v) == 0)
			return i;
	return -1;
}

static int
chars_ok(const char *s, int user)
{
	const char	*p;

	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' ||
		    (*p == '-' && (!user || p != s))))
			return 0;
	return 1;
}

/* Return 1 if s is a POSIX portable user name (existence is not checked). */
static int
user_name_ok(const char *s)
{
	return *s != '\0' && strlen(s) < 33 && chars_ok(s, 1);
}

/*
 * Store one value of key k into c. Returns 0, or -1 with the reason
 * (starting with the key's name) in why.
 */
static int
key_set(const struct key *k, struct conf *c, const char *v, char *why,
    size_t whylen)
{
	char		*field = (char *)c + k->off;
	const char	*errstr;
	unsigned long	 n;
	uint16_t	 port;
	char		 list[128];
	int		 i;

	switch (k->type) {
	case K_PORT:
		if (util_parse_port(v, &port, &errstr) == -1)
			goto bad_errstr;
		memcpy(field, &port, sizeof(port));
		return 0;
	case K_UINT:
	case K_SIZE:
		if (util_parse_uint(v, k->min, k->max, &n, &errstr) == -1) {
			snprintf(why, whylen, "%s: \"%s\" %s (%lu..%lu)",
			    k->name, v, errstr, k->min, k->max);
			return -1;
		}
		if (k->type == K_SIZE) {
			size_t	 z = (size_t)n;

			memcpy(field, &z, sizeof(z));
		} else {
			unsigned u = (unsigned)n;

			memcpy(field, &u, sizeof(u));
		}
		return 0;
	case K_BOOL:
		if (strcmp(v, "yes") == 0)
			i = 1;
		else if (strcmp(v, "no") == 0)
			i = 0;
		else {
			snprintf(why, whylen, "%s: \"%s\" is not yes or no",
			    k->name, v);
			return -1;
		}
		memcpy(field, &i, sizeof(i));
		return 0;
	case K_ENUM:
	case K_WORD:
		if ((i = word_index(k->words, v)) == -1) {
			if (k->type == K_WORD) {
				snprintf(why, whylen, "%s: \"%s\" is not a "
				    "known facility", k->name, v);
				return -1;
			}
			words_list(k->words, list, sizeof(list));
			snprintf(why, whylen, "%s: \"%s\" is not %s", k->name,
			    v, list);
			return -1;
		}
		if (k->type == K_ENUM)
			memcpy(field, &i, sizeof(i));
		else
			snprintf(field, k->size, "%s", v);
		return 0;
	case K_PATH:
		if (v[0] != '/' || strlen(v) >= k->size) {
			snprintf(why, whylen, "%s: an absolute path is "
			    "expected", k->name);
			return -1;
		}
		snprintf(field, k->size, "%s", v);
		return 0;
	case K_SOCKET:
		if (v[0] != '/' || strlen(v) >= CONF_SUN_PATH_LEN) {
			snprintf(why, whylen, "%s: an absolute path under %zu "
			    "bytes is expected", k->name, CONF_SUN_PATH_LEN);
			return -1;
		}
		snprintf(field, k->size, "%s", v);
		return 0;
	case K_IDENT:
		if (!chars_ok(v, 0) || strlen(v) >= k->size) {
			snprintf(why, whylen, "%s: letters, digits, '_', '-' "
			    "and '.' only, under %zu bytes", k->name, k->size);
			return -1;
		}
		snprintf(field, k->size, "%s", v);
		return 0;
	case K_USER:
		/* Whether it exists is checked by conf_load(), not here. */
		if (!user_name_ok(v) || strlen(v) >= k->size) {
			snprintf(why, whylen, "%s: \"%s\" is not a valid user "
			    "name", k->name, v);
			return -1;
		}
		snprintf(field, k->size, "%s", v);
		return 0;
	case K_LISTEN:
		break;
	}
	snprintf(why, whylen, "%s: internal error", k->name);
	return -1;
bad_errstr:
	snprintf(why, whylen, "%s: \"%s\" %s", k->name, v, errstr);
	return -1;
}

void
conf_defaults(struct conf *c)
{
	char	 why[256];
	size_t	 i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < NKEYS; i++)
		if (keys[i].def != NULL)
			(void)key_set(&keys[i], c, keys[i].def, why,
			    sizeof(why));
}

struct conf_ctx {
	struct conf		*c;
	const char		*file;
	struct conf_errors	*errs;
};

/*
 * One listen word: an address, or an IPv6 address in brackets as the
 * socket unit writes it. A port is not part of it: say where it goes.
 */
static void
listen_word(struct conf_ctx *x, unsigned line, char *a)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	struct conf		*c = x->c;
	const char		*errstr;
	char			*close_br, *colon;
	size_t			 n = strlen(a);

	if (a[0] == '[') {
		close_br = strchr(a, ']');
		if (close_br != NULL && close_br[1] != '\0') {
			*close_br = '\0';
			conf_error(x->errs, x->file, line, "listen: \"%s]%s\": "
			    "no port here, the port key sets it: write "
			    "\"listen %s\"", a, close_br + 1, a + 1);
			return;
		}
		if (close_br == NULL || n < 3) {
			conf_error(x->errs, x->file, line, "listen: \"%s\": "
			    "unbalanced '['", a);
			return;
		}
		*close_br = '\0';
		a++;
		if (strchr(a, ':') == NULL) {
			conf_error(x->errs, x->file, line, "listen: \"[%s]\": "
			    "brackets are for IPv6 addresses: write "
			    "\"listen %s\"", a, a);
			return;
		}
	} else if ((colon = strchr(a, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		/* One colon: IPv4 with a port (IPv6 has at least two). */
		*colon = '\0';
		conf_error(x->errs, x->file, line, "listen: \"%s:%s\": no port "
		    "here, the port key sets it: write \"listen %s\"", a,
		    colon + 1, a);
		return;
	}
	if (util_parse_address(a, 0, &ss, &sl, &errstr) == -1) {
		conf_error(x->errs, x->file, line, "listen: \"%s\" %s", a,
		    errstr);
		return;
	}
	if (c->nlisten == CONF_MAX_LISTEN) {
		conf_error(x->errs, x->file, line,
		    "listen: more than %d addresses", CONF_MAX_LISTEN);
		return;
	}
	snprintf(c->listen[c->nlisten++], CONF_ADDR_LEN, "%s", a);
}

static void
conf_line(char **tok, int ntok, unsigned line, void *arg)
{
	struct conf_ctx		*x = arg;
	struct conf		*c = x->c;
	const struct key	*k;
	size_t			 idx, errs_before = x->errs->total;
	size_t			 before = c->nlisten;
	char			 why[512], *a, *save;
	int			 i;

	if ((k = key_find(tok[0], &idx)) == NULL) {
		conf_error(x->errs, x->file, line, "unknown keyword \"%s\"",
		    tok[0]);
		return;
	}
	if (k->type == K_LISTEN) {
		/* The one key that may be repeated: its lists add up. */
		for (i = 1; i < ntok; i++) {
			save = NULL;
			for (a = strtok_r(tok[i], ",", &save); a != NULL;
			    a = strtok_r(NULL, ",", &save))
				listen_word(x, line, a);
		}
		if (c->nlisten == before && x->errs->total == errs_before)
			conf_error(x->errs, x->file, line,
			    "listen needs at least one address");
		c->line[idx] = line;
		c->set |= k->set;
		return;
	}
	if (ntok != 2) {
		conf_error(x->errs, x->file, line, "%s: expected one value",
		    tok[0]);
		return;
	}
	if (c->line[idx] != 0) {
		conf_error(x->errs, x->file, line, "%s given twice (first on "
		    "line %u)", k->name, c->line[idx]);
		return;
	}
	c->line[idx] = line;
	if (key_set(k, c, tok[1], why, sizeof(why)) == -1) {
		conf_error(x->errs, x->file, line, "%s", why);
		return;
	}
	c->set |= k->set;
}

/* The line of a key in the file, 0 if the file did not give it. */
static unsigned
key_line(const struct conf *c, const char *name)
{
	size_t	 idx;

	return key_find(name, &idx) != NULL ? c->line[idx] : 0;
}

/* The later of two keys' lines: a cross-check is reported there. */
static unsigned
later_line(const struct conf *c, const char *a, const char *b)
{
	unsigned	 la = key_line(c, a), lb = key_line(c, b);

	return la > lb ? la : lb;
}

size_t
conf_parse(const char *text, size_t len, const char *file, struct conf *c,
    struct conf_errors *errs)
{
	struct conf_ctx	 x = { c, file, errs };
	size_t		 before = errs->total;

	each_line(text, len, file, errs, conf_line, &x);
	/* Left unset, the per-uid cap follows max_connections. */
	if (key_line(c, "max_connections_per_uid") == 0 &&
	    key_line(c, "max_connections") != 0)
		c->lim.max_per_uid = c->lim.max_connections / 8;
	/* Every connection's source must fit in the source table. */
	if (c->lim.max_sources < c->lim.max_connections)
		conf_error(errs, file, later_line(c, "max_sources",
		    "max_connections"), "max_sources (%zu) must be at least "
		    "max_connections (%zu)", c->lim.max_sources,
		    c->lim.max_connections);
	if (c->lim.loopback_reserved >= c->lim.max_connections)
		conf_error(errs, file, later_line(c, "loopback_reserved",
		    "max_connections"), "loopback_reserved (%zu) must be "
		    "below max_connections (%zu)", c->lim.loopback_reserved,
		    c->lim.max_connections);
	if (c->lim.max_per_uid >= c->lim.max_connections)
		conf_error(errs, file, later_line(c, "max_connections_per_uid",
		    "max_connections"), "max_connections_per_uid (%zu) must be "
		    "below max_connections (%zu), or one local user can take "
		    "them all", c->lim.max_per_uid, c->lim.max_connections);
	return errs->total - before;
}

/* ---- the ACL file ---------------------------------------------------- */

struct rule_seg {
	size_t		 first;		/* index of its first rule */
	size_t		 file;		/* index into files */
};

struct conf_acl_parse {
	struct acl		*acl;
	struct conf_registers	*reg;
	size_t			 reg_file[CONF_MAX_REGISTER];
	const struct conf_acl_io *io;
	struct conf_errors	*errs;
	const char		*file;		/* being parsed */
	size_t			 cur;		/* its index in files */
	unsigned		 depth;
	size_t			 nincluded;
	size_t			 nold;		/* old-syntax lines */
	char			**files;	/* every file fed, by index */
	size_t			 nfiles;
	struct rule_seg		*segs;		/* rules -> file */
	size_t			 nsegs, capsegs;
	int			 nomem;
};

static const char *const scope_words[] = { "names", "port", "names,port",
    "port,names", NULL };

/* Parse a scope word; -1 if it is not one. */
static int
parse_scope(const char *s, unsigned *scope)
{
	switch (word_index(scope_words, s)) {
	case 0:
		*scope = ACL_SCOPE_NAMES;
		return 0;
	case 1:
		*scope = ACL_SCOPE_PORT;
		return 0;
	case 2:
	case 3:
		*scope = ACL_SCOPE_ALL;
		return 0;
	}
	return -1;
}

static int
has_wildcard(const char *g)
{
	return strpbrk(g, "*?") != NULL;
}

/*
 * Check a node glob: what acl_glob_check() accepts, and never '@': an
 * EPMD name is the part of a node name before the '@'.
 */
static int
glob_ok(struct conf_acl_parse *p, unsigned line, const char *g)
{
	const char	*errstr, *at;

	if ((at = strchr(g, '@')) != NULL) {
		conf_error(p->errs, p->file, line, "\"%s\": EPMD names have "
		    "no host part: use `%.*s`, not `%s`", g, (int)(at - g), g,
		    g);
		return 0;
	}
	if (acl_glob_check(g, &errstr) != ACL_OK) {
		conf_error(p->errs, p->file, line, "\"%s\": %s", g, errstr);
		return 0;
	}
	return 1;
}

/*
 * Return 1 if every name glob b matches is matched by glob a. Sound, not
 * complete: equal globs, a literal b that a matches, and a = P* (P
 * literal) with b's literal start beginning with P.
 */
static int
glob_covers(const char *a, const char *b)
{
	size_t	 pa, pb;

	if (strcmp(a, b) == 0)
		return 1;
	if (!has_wildcard(b))
		return acl_glob_match(a, b);
	pa = strcspn(a, "*?");
	if (a[pa + strspn(a + pa, "*")] != '\0' || a[pa] != '*')
		return 0;
	pb = strcspn(b, "*?");
	return pb >= pa && memcmp(a, b, pa) == 0;
}

static const char *
file_of_rule(const struct conf_acl_parse *p, size_t i)
{
	size_t	 s;

	for (s = p->nsegs; s > 0; s--)
		if (p->segs[s - 1].first <= i)
			return p->files[p->segs[s - 1].file];
	return p->files[0];
}

/* "line N" in the same file, "FILE:N" in another. */
static void
where(char *buf, size_t len, const char *here, const char *file,
    unsigned line)
{
	if (strcmp(here, file) == 0)
		snprintf(buf, len, "line %u", line);
	else
		snprintf(buf, len, "%s:%u", file, line);
}

/* Note that the rule just added came from the current file. */
static void
note_rule_file(struct conf_acl_parse *p)
{
	size_t		 i = acl_count(p->acl) - 1;
	struct rule_seg	*n;

	if (p->nsegs > 0 && p->segs[p->nsegs - 1].file == p->cur)
		return;
	if (p->nsegs == p->capsegs) {
		size_t cap = p->capsegs == 0 ? 8 : p->capsegs * 2;

		if ((n = realloc(p->segs, cap * sizeof(*n))) == NULL) {
			p->nomem = 1;
			return;
		}
		p->segs = n;
		p->capsegs = cap;
	}
	p->segs[p->nsegs].first = i;
	p->segs[p->nsegs].file = p->cur;
	p->nsegs++;
}

/* "register GLOB USER[,USER...]": who may register matching names. */
static void
register_line(struct conf_acl_parse *p, char **tok, int ntok, unsigned line)
{
	struct conf_register	 r;
	const char		*errstr;
	char			*u, *save = NULL, loc[CONF_PATH_LEN + 32];
	unsigned long		 v;
	uint32_t		 uid;
	size_t			 k;
	int			 bad = 0;

	if (ntok != 3) {
		conf_error(p->errs, p->file, line, "register: expected "
		    "\"register GLOB USER[,USER...]\"");
		return;
	}
	memset(&r, 0, sizeof(r));
	r.line = line;
	if (!glob_ok(p, line, tok[1]))
		bad = 1;
	else
		snprintf(r.glob, sizeof(r.glob), "%s", tok[1]);
	if (tok[2][0] == ',' || tok[2][strlen(tok[2]) - 1] == ',' ||
	    strstr(tok[2], ",,") != NULL) {
		conf_error(p->errs, p->file, line, "register: empty user name "
		    "in \"%s\"", tok[2]);
		return;
	}
	for (u = strtok_r(tok[2], ",", &save); u != NULL;
	    u = strtok_r(NULL, ",", &save)) {
		if (u[0] >= '0' && u[0] <= '9') {
			if (util_parse_uint(u, 0, 4294967294UL, &v,
			    &errstr) == -1) {
				conf_error(p->errs, p->file, line, "register: "
				    "uid \"%s\" %s (0..4294967294)", u,
				    errstr);
				bad = 1;
				continue;
			}
			uid = (uint32_t)v;
		} else if (!user_name_ok(u)) {
			conf_error(p->errs, p->file, line, "register: \"%s\" "
			    "is not a valid user name", u);
			bad = 1;
			continue;
		} else if (p->io == NULL || p->io->uid_of == NULL ||
		    p->io->uid_of(p->io->arg, u, &uid) == -1) {
			conf_error(p->errs, p->file, line, "register: no such "
			    "user \"%s\"", u);
			bad = 1;
			continue;
		}
		for (k = 0; k < r.nuid && r.uid[k] != uid; k++)
			;
		if (k < r.nuid)
			continue;
		if (r.nuid == CONF_MAX_REGISTER_UIDS) {
			conf_error(p->errs, p->file, line, "register: more "
			    "than %d users", CONF_MAX_REGISTER_UIDS);
			return;
		}
		r.uid[r.nuid++] = uid;
	}
	if (bad || p->reg == NULL)
		return;
	if (p->reg->n == CONF_MAX_REGISTER) {
		conf_error(p->errs, p->file, line, "more than %d register "
		    "lines", CONF_MAX_REGISTER);
		return;
	}
	for (k = 0; k < p->reg->n; k++) {
		const struct conf_register *e = &p->reg->rule[k];

		if (!glob_covers(e->glob, r.glob))
			continue;
		where(loc, sizeof(loc), p->file, p->files[p->reg_file[k]],
		    e->line);
		conf_warning(p->errs, p->file, line, "register \"%s\" never "
		    "applies: %s (register %s) comes first and covers every "
		    "name it matches", r.glob, loc, e->glob);
		break;
	}
	p->reg_file[p->reg->n] = p->cur;
	p->reg->rule[p->reg->n++] = r;
}

static void
include_line(struct conf_acl_parse *p, char **tok, int ntok, unsigned line)
{
	if (ntok != 2) {
		conf_error(p->errs, p->file, line, "include: expected one "
		    "file name or pattern");
		return;
	}
	if (p->io == NULL || p->io->include == NULL) {
		conf_error(p->errs, p->file, line, "include: not available "
		    "here (only in files read by epmd_secure)");
		return;
	}
	if (p->depth >= CONF_MAX_INCLUDE_DEPTH) {
		conf_error(p->errs, p->file, line, "include: nested more "
		    "than %d deep", CONF_MAX_INCLUDE_DEPTH);
		return;
	}
	p->depth++;
	p->io->include(p->io->arg, p, tok[1], p->file, line);
	p->depth--;
}

/*
 * "allow|deny ADDRESS [SCOPE] [node GLOB...]". The old form, globs with
 * no "node" word, is read where it cannot hide a typo: after a scope
 * word, or when the first glob has a wildcard (no scope has one); it
 * gets a warning that shows the new form. A plain word where the scope
 * goes is an error: "deny 10.0.0.3 nmaes" must not become a rule for a
 * node called nmaes that never matches.
 */
static void
rule_line(struct conf_acl_parse *p, char **tok, int ntok, unsigned line)
{
	struct acl_prefix	 pfx;
	const char		*errstr;
	char			 fix[600];
	size_t			 off;
	unsigned		 scope = ACL_SCOPE_ALL;
	int			 allow, i = 2, g, bad = 0, old = 0;

	allow = strcmp(tok[0], "allow") == 0;
	if (ntok < 2) {
		conf_error(p->errs, p->file, line, "%s needs an address",
		    tok[0]);
		return;
	}
	if (acl_parse_prefix(tok[1], &pfx, &errstr) != ACL_OK) {
		conf_error(p->errs, p->file, line, "\"%s\": %s", tok[1],
		    errstr);
		bad = 1;
	}
	if (ntok > 2 && strcmp(tok[2], "node") != 0) {
		if (parse_scope(tok[2], &scope) == 0)
			i = 3;
		else if (strchr(tok[2], ',') != NULL) {
			conf_error(p->errs, p->file, line,
			    "unknown scope \"%s\" (names, port or names,port)",
			    tok[2]);
			bad = 1;
			i = 3;
		} else if (bad)
			return;		/* "10.0.0.0/ 8": one error */
		else if (!has_wildcard(tok[2])) {
			conf_error(p->errs, p->file, line, "unknown scope "
			    "\"%s\" (names, port or names,port); node names "
			    "follow the word node: \"%s %s node %s\"", tok[2],
			    tok[0], tok[1], tok[2]);
			return;
		}
	}
	if (i < ntok && strcmp(tok[i], "node") == 0) {
		if (++i == ntok) {
			conf_error(p->errs, p->file, line, "node needs at "
			    "least one node name or glob");
			return;
		}
	} else if (i < ntok) {
		old = 1;
		for (g = i; g < ntok; g++)
			if (word_index(scope_words, tok[g]) != -1 ||
			    strcmp(tok[g], "node") == 0) {
				conf_error(p->errs, p->file, line, "\"%s\" "
				    "after the scope is ambiguous: write "
				    "\"names,port\" for both scopes, or "
				    "\"node %s\" for a node of that name",
				    tok[g], tok[g]);
				return;
			}
	}
	if (ntok - i > ACL_MAX_GLOBS) {
		conf_error(p->errs, p->file, line,
		    "more than %d node globs", ACL_MAX_GLOBS);
		return;
	}
	for (g = i; g < ntok; g++)
		if (!glob_ok(p, line, tok[g]))
			bad = 1;
	if (bad)
		return;
	if (old) {
		off = (size_t)snprintf(fix, sizeof(fix), "%s %s%s%s node",
		    tok[0], tok[1], i == 3 ? " " : "", i == 3 ? tok[2] : "");
		for (g = i; g < ntok && off < sizeof(fix); g++)
			off += (size_t)snprintf(fix + off, sizeof(fix) - off,
			    " %s", tok[g]);
		if (++p->nold <= MAX_SAME_WARNINGS)
			conf_warning(p->errs, p->file, line, "old syntax: node "
			    "names now follow the word node: write \"%s\"",
			    fix);
	}
	if (p->acl == NULL)
		return;
	switch (acl_add(p->acl, allow, &pfx, scope,
	    (const char *const *)(tok + i), (size_t)(ntok - i), line)) {
	case ACL_OK:
		note_rule_file(p);
		break;
	case ACL_TOO_MANY:
		conf_error(p->errs, p->file, line, "more than %d rules",
		    ACL_MAX_RULES);
		break;
	default:
		conf_error(p->errs, p->file, line, "out of memory");
		break;
	}
}

static void
acl_line(char **tok, int ntok, unsigned line, void *arg)
{
	struct conf_acl_parse	*p = arg;

	if (strcmp(tok[0], "allow") == 0 || strcmp(tok[0], "deny") == 0)
		rule_line(p, tok, ntok, line);
	else if (strcmp(tok[0], "register") == 0)
		register_line(p, tok, ntok, line);
	else if (strcmp(tok[0], "include") == 0)
		include_line(p, tok, ntok, line);
	else
		conf_error(p->errs, p->file, line, "unknown keyword \"%s\" "
		    "(allow, deny, register or include expected)", tok[0]);
}

void
conf_acl_feed(struct conf_acl_parse *p, const char *text, size_t len,
    const char *file)
{
	const char	*was_file = p->file;
	size_t		 was_cur = p->cur;
	char		**n;

	if (p->depth > 0 && ++p->nincluded > CONF_MAX_INCLUDED) {
		if (p->nincluded == CONF_MAX_INCLUDED + 1)
			conf_error(p->errs, file, 0, "more than %d included "
			    "files", CONF_MAX_INCLUDED);
		return;
	}
	if ((n = realloc(p->files, (p->nfiles + 1) * sizeof(*n))) == NULL ||
	    (n[p->nfiles] = strdup(file)) == NULL) {
		if (n != NULL)
			p->files = n;
		p->nomem = 1;
		return;
	}
	p->files = n;
	p->cur = p->nfiles++;
	p->file = p->files[p->cur];
	each_line(text, len, p->file, p->errs, acl_line, p);
	p->file = was_file;
	p->cur = was_cur;
}

struct conf_errors *
conf_acl_errors(struct conf_acl_parse *p)
{
	return p->errs;
}

unsigned
conf_acl_depth(const struct conf_acl_parse *p)
{
	return p->depth;
}

/*
 * Warn if neither 127.0.0.1 nor ::1 may look up any port: local nodes
 * then cannot find each other, and nothing else would say why.
 */
static void
check_loopback(struct conf_acl_parse *p)
{
	static const char *const lo[] = { "127.0.0.1", "::1" };
	struct acl_rule_view	 r;
	struct acl_prefix	 pfx;
	const char		*errstr;
	size_t			 i, k, n = acl_count(p->acl);
	unsigned		 block_line = 0;
	const char		*block_file = NULL;

	for (k = 0; k < 2; k++) {
		if (acl_parse_prefix(lo[k], &pfx, &errstr) != ACL_OK)
			return;
		for (i = 0; i < n && acl_rule(p->acl, i, &r) == 0; i++) {
			if (!(r.scope & ACL_SCOPE_PORT) ||
			    !acl_prefix_contains(&r.prefix, &pfx.net))
				continue;
			if (r.allow)
				return;
			if (r.nglobs == 0) {
				if (block_file == NULL) {
					block_line = r.line;
					block_file = file_of_rule(p, i);
				}
				break;
			}
		}
	}
	if (block_file != NULL)
		conf_warning(p->errs, block_file, block_line, "this rule "
		    "denies loopback lookups and no earlier rule allows "
		    "them: local nodes cannot find each other (add \"allow "
		    "127.0.0.0/8\" and \"allow ::1\" above it)");
	else
		conf_warning(p->errs, p->files[0], 0, "no rule allows "
		    "loopback (127.0.0.1, ::1): local nodes cannot find each "
		    "other (add \"allow 127.0.0.0/8\" and \"allow ::1\")");
}

/* Return 1 if rule a, coming first, leaves rule b nothing to decide. */
static int
rule_shadows(const struct acl_rule_view *a, const struct acl_rule_view *b)
{
	size_t	 i, j;

	if (a->prefix.net.family != b->prefix.net.family ||
	    a->prefix.len > b->prefix.len ||
	    !acl_prefix_contains(&a->prefix, &b->prefix.net) ||
	    (b->scope & ~a->scope) != 0)
		return 0;
	if (a->nglobs == 0)
		return 1;
	/*
	 * A globbed rule decides only its nodes; and a globbed allow also
	 * opens NAMES, so a later one of the other kind still counts.
	 */
	if (b->nglobs == 0 || a->allow != b->allow)
		return 0;
	for (j = 0; j < b->nglobs; j++) {
		for (i = 0; i < a->nglobs; i++)
			if (glob_covers(a->globs[i], b->globs[j]))
				break;
		if (i == a->nglobs)
			return 0;
	}
	return 1;
}

/*
 * Warn about rules that can never decide anything. Pairwise, within a
 * budget: a 100000-rule ACL is checked as far as the budget goes, so that
 * a reload stays quick.
 */
#define SHADOW_BUDGET	(4UL * 1000 * 1000)

static void
check_shadowed(struct conf_acl_parse *p)
{
	struct acl_rule_view	 a, b;
	size_t			 i, j, n = acl_count(p->acl);
	unsigned long		 budget = SHADOW_BUDGET;
	char			 loc[CONF_PATH_LEN + 32];
	const char		*fb;
	size_t			 nshadowed = 0;

	for (j = 1; j < n && budget > 0; j++) {
		if (acl_rule(p->acl, j, &b) != 0)
			return;
		for (i = 0; i < j && budget > 0; i++, budget--) {
			if (acl_rule(p->acl, i, &a) != 0 ||
			    !rule_shadows(&a, &b))
				continue;
			if (++nshadowed > MAX_SAME_WARNINGS)
				break;
			fb = file_of_rule(p, j);
			where(loc, sizeof(loc), fb, file_of_rule(p, i),
			    a.line);
			if (a.allow != b.allow)
				conf_warning(p->errs, fb, b.line, "this %s "
				    "never applies: %s %ss everything it "
				    "covers first", b.allow ? "allow" : "deny",
				    loc, a.allow ? "allow" : "denie");
			else
				conf_warning(p->errs, fb, b.line, "this rule "
				    "never applies: %s covers everything it "
				    "does", loc);
			break;
		}
	}
	if (nshadowed > MAX_SAME_WARNINGS)
		conf_warning(p->errs, p->files[0], 0, "%zu more rules never "
		    "apply (shadowed by earlier ones)",
		    nshadowed - MAX_SAME_WARNINGS);
}

/* The checks over the whole policy, once every line is read. */
static void
acl_analyse(struct conf_acl_parse *p)
{
	if (acl_count(p->acl) == 0) {
		conf_error(p->errs, p->files[0], 0, "no allow or deny rules: "
		    "every lookup would be denied, loopback's too (to mean "
		    "that, write \"deny 0.0.0.0/0\" and \"deny ::/0\")");
		return;
	}
	check_loopback(p);
	check_shadowed(p);
}

struct acl *
conf_parse_acl_io(const char *text, size_t len, const char *file,
    const struct conf_acl_io *io, struct conf_registers *reg,
    struct conf_errors *errs)
{
	struct conf_acl_parse	*p;
	struct conf_registers	*scratch = NULL;
	struct acl		*acl;
	size_t			 before = errs->total, i;

	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->acl = acl_new()) == NULL ||
	    (reg == NULL && (scratch = calloc(1, sizeof(*scratch))) == NULL)) {
		if (p != NULL)
			acl_free(p->acl);
		free(p);
		conf_error(errs, file, 0, "out of memory");
		return NULL;
	}
	p->reg = reg != NULL ? reg : scratch;
	p->reg->n = 0;
	p->io = io;
	p->errs = errs;
	p->file = file;
	conf_acl_feed(p, text, len, file);
	if (p->nomem)
		conf_error(errs, file, 0, "out of memory");
	if (p->nold > MAX_SAME_WARNINGS)
		conf_warning(errs, file, 0, "%zu more lines use the old syntax "
		    "(node names without the word node)",
		    p->nold - MAX_SAME_WARNINGS);
	if (errs->total == before)
		acl_analyse(p);
	acl = p->acl;
	if (errs->total != before) {
		acl_free(acl);
		acl = NULL;
		if (reg != NULL)
			reg->n = 0;
	}
	for (i = 0; i < p->nfiles; i++)
		free(p->files[i]);
	free(p->files);
	free(p->segs);
	free(scratch);
	free(p);
	return acl;
}

struct acl *
conf_parse_acl(const char *text, size_t len, const char *file,
    struct conf_errors *errs)
{
	return conf_parse_acl_io(text, len, file, NULL, NULL, errs);
}

struct acl *
conf_builtin_acl(void)
{
	static const char builtin[] =
	    "allow 127.0.0.0/8\n"
	    "allow ::1\n";
	struct conf_errors	*errs;
	struct acl		*acl;

	if ((errs = calloc(1, sizeof(*errs))) == NULL)
		return NULL;
	acl = conf_parse_acl(builtin, sizeof(builtin) - 1, "(built-in)",
	    errs);
	free(errs);
	return acl;
}

const struct conf_register *
conf_register_match(const struct conf_registers *reg, const char *name)
{
	size_t	 i;

	for (i = 0; i < reg->n; i++)
		if (acl_glob_match(reg->rule[i].glob, name))
			return &reg->rule[i];
	return NULL;
}

int
conf_register_allows(const struct conf_register *r, uint32_t uid)
{
	size_t	 i;

	for (i = 0; i < r->nuid; i++)
		if (r->uid[i] == uid)
			return 1;
	return 0;
}

/* Read a whole configuration or ACL file, or record why not. */
enum conf_read_status
conf_read_file(const char *path, char **text, size_t *len,
    struct conf_errors *errs)
{
	struct stat	 st;
	char		*buf;
	size_t		 got = 0;
	ssize_t		 n = 0;
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
	/*
	 * Read to the end, one byte past the size fstat gave: a file that
	 * an editor is rewriting while a reload reads it must not pass as a
	 * shorter policy ("allow 10.0.0.0/24" cut to "allow 10.0.0.0/2").
	 */
	while (got <= (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size + 1 - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			conf_error(errs, path, 0, "read: %s", strerror(errno));
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (n != -1 && got > (size_t)st.st_size)
		conf_error(errs, path, 0, "changed while being read (more "
		    "than %lld bytes): not used; try again",
		    (long long)st.st_size);
	else if (n != -1 && got < (size_t)st.st_size)
		conf_error(errs, path, 0, "changed while being read (%zu "
		    "bytes, not %lld): not used; try again", got,
		    (long long)st.st_size);
	if (n == -1 || got != (size_t)st.st_size) {
		free(buf);
		return CONF_READ_ERROR;
	}
	buf[got] = '\0';
	*text = buf;
	*len = got;
	return CONF_READ_OK;
}


/* ---- the edge: files, includes, users -------------------------------- */

struct sys_io {
	dev_t	 dev[CONF_MAX_INCLUDE_DEPTH + 1];	/* the include chain */
	ino_t	 ino[CONF_MAX_INCLUDE_DEPTH + 1];
};

static int
sys_uid_of(void *arg, const char *user, uint32_t *uid)
{
	struct passwd	*pw;

	(void)arg;
	if ((pw = getpwnam(user)) == NULL)
		return -1;
	*uid = (uint32_t)pw->pw_uid;
	return 0;
}

/*
 * Read the files matching pattern (relative to the including file's
 * directory), in sorted order. A pattern with no wildcard must name a file;
 * one with a wildcard may match nothing (an empty acl.d is normal). A file
 * that is already in the include chain is a loop.
 */
static void
sys_include(void *arg, struct conf_acl_parse *p, const char *pattern,
    const char *file, unsigned line)
{
	struct sys_io		*io = arg;
	struct conf_errors	*errs = conf_acl_errors(p);
	struct stat		 st;
	glob_t			 g;
	char			 path[CONF_PATH_LEN], *text;
	const char		*slash;
	unsigned		 depth = conf_acl_depth(p), d;
	size_t			 i, len;
	int			 rc;

	if (pattern[0] == '/')
		rc = snprintf(path, sizeof(path), "%s", pattern);
	else if ((slash = strrchr(file, '/')) != NULL)
		rc = snprintf(path, sizeof(path), "%.*s/%s",
		    (int)(slash - file), file, pattern);
	else
		rc = snprintf(path, sizeof(path), "%s", pattern);
	if (rc < 0 || (size_t)rc >= sizeof(path)) {
		conf_error(errs, file, line, "include: path too long");
		return;
	}
	memset(&g, 0, sizeof(g));
	rc = glob(path, GLOB_ERR, NULL, &g);
	if (rc == GLOB_NOMATCH) {
		if (strpbrk(pattern, "*?[") == NULL)
			conf_error(errs, file, line, "include: %s: no such "
			    "file", path);
		globfree(&g);
		return;
	}
	if (rc != 0) {
		conf_error(errs, file, line, "include: %s: cannot be read",
		    path);
		globfree(&g);
		return;
	}
	for (i = 0; i < g.gl_pathc; i++) {
		const char *f = g.gl_pathv[i];

		if (stat(f, &st) == -1) {
			conf_error(errs, file, line, "include: %s: %s", f,
			    strerror(errno));
			continue;
		}
		for (d = 0; d < depth; d++)
			if (io->dev[d] == st.st_dev && io->ino[d] == st.st_ino)
				break;
		if (d < depth) {
			conf_error(errs, file, line, "include: %s: include "
			    "loop (it is already being read)", f);
			continue;
		}
		switch (conf_read_file(f, &text, &len, errs)) {
		case CONF_READ_OK:
			io->dev[depth] = st.st_dev;
			io->ino[depth] = st.st_ino;
			note_read(errs, f, "ACL fragment read");
			conf_acl_feed(p, text, len, f);
			free(text);
			break;
		case CONF_READ_MISSING:
			conf_error(errs, file, line, "include: %s: no such "
			    "file", f);
			break;
		default:
			break;
		}
	}
	globfree(&g);
}

/*
 * A file the configuration names: it must be a regular, safe file. soft:
 * the daemon copes with a bad one (the sticky owners' file is reported
 * and treated as empty, never a reason not to start): warnings only.
 */
static void
check_named_file(struct conf_errors *errs, const char *file, unsigned line,
    const char *key, const char *path, int need_dir, int soft)
{
	struct stat	 st;
	char		 dir[CONF_PATH_LEN];
	const char	*slash = strrchr(path, '/');
	const char	*then = soft ? ": it will be ignored (as empty)" : "";

	char		 why[2 * CONF_PATH_LEN + 64];

	if (stat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			snprintf(why, sizeof(why), "%s is not a regular file",
			    path);
		else if (st.st_mode & (S_IWGRP | S_IWOTH))
			snprintf(why, sizeof(why), "%s is writable by group or "
			    "others (chmod go-w %s)", path, path);
		else
			return;
		if (soft)
			conf_warning(errs, file, line, "%s: %s%s", key, why,
			    then);
		else
			conf_error(errs, file, line, "%s: %s", key, why);
		return;
	}
	if (!need_dir || slash == NULL)
		return;
	snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 :
	    (int)(slash - path), path);
	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode))
		conf_warning(errs, file, line, "%s: directory %s does not "
		    "exist (yet)", key, dir);
}

/* What start-up checks beyond the syntax: users and files. */
static void
check_start(const struct conf *c, const char *file, struct conf_errors *errs)
{
	struct stat	 st;

	if (c->user[0] != '\0' && getpwnam(c->user) == NULL)
		conf_error(errs, file, key_line(c, "user"), "user: no such "
		    "user \"%s\"", c->user);
	if ((c->set & CONF_SET_LOG_SOCKET) && (c->log_target ==
	    CONF_LOG_SYSLOG || c->log_target == CONF_LOG_JOURNALD)) {
		if (stat(c->log_socket, &st) == -1)
			conf_warning(errs, file, key_line(c, "log_socket"),
			    "log_socket: %s does not exist (yet): records "
			    "are dropped until it does", c->log_socket);
		else if (!S_ISSOCK(st.st_mode))
			conf_error(errs, file, key_line(c, "log_socket"),
			    "log_socket: %s is not a socket", c->log_socket);
	}
	if (c->register_default == CONF_REGISTER_STICKY ||
	    key_line(c, "state_file") != 0)
		check_named_file(errs, file, key_line(c, "state_file"),
		    "state_file", c->state_file,
		    c->register_default == CONF_REGISTER_STICKY, 1);
	if (c->metrics_file[0] != '\0')
		check_named_file(errs, file, key_line(c, "metrics_file"),
		    "metrics_file", c->metrics_file, 1, 0);
}

int
conf_load(const char *config_path, int config_explicit, const char *acl_path,
    struct conf *c, struct acl **acl, int *builtin, struct conf_errors *errs)
{
	struct conf_acl_io	 io;
	struct sys_io		 sio;
	struct stat		 st;
	char			*text = NULL;
	size_t			 len = 0, before = errs->total;
	const char		*path;
	int			 acl_explicit;

	conf_defaults(c);
	switch (conf_read_file(config_path, &text, &len, errs)) {
	case CONF_READ_OK:
		note_read(errs, config_path, "configuration read");
		conf_parse(text, len, config_path, c, errs);
		free(text);
		break;
	case CONF_READ_MISSING:
		if (config_explicit)
			conf_error(errs, config_path, 0, "no such file");
		else
			note_read(errs, config_path, "does not exist: "
			    "built-in defaults");
		break;
	default:
		break;
	}
	if (acl == NULL)
		return errs->total == before ? 0 : -1;
	check_start(c, config_path, errs);
	*acl = NULL;
	*builtin = 0;
	acl_explicit = acl_path != NULL || (c->set & CONF_SET_ACL);
	path = acl_path != NULL ? acl_path : c->acl_file;
	switch (conf_read_file(path, &text, &len, errs)) {
	case CONF_READ_OK:
		memset(&sio, 0, sizeof(sio));
		if (stat(path, &st) == 0) {
			sio.dev[0] = st.st_dev;
			sio.ino[0] = st.st_ino;
		}
		io.uid_of = sys_uid_of;
		io.include = sys_include;
		io.arg = &sio;
		note_read(errs, path, "ACL read");
		*acl = conf_parse_acl_io(text, len, path, &io, &c->reg, errs);
		free(text);
		break;
	case CONF_READ_MISSING:
		if (acl_explicit)
			conf_error(errs, path, 0, "no such file");
		else if ((*acl = conf_builtin_acl()) != NULL) {
			*builtin = 1;
			note_read(errs, path, "does not exist: built-in "
			    "loopback-only ACL");
		}
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
