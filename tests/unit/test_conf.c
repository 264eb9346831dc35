/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_conf.c: the configuration and ACL parsers, conf_read_file() and
 * conf_load() on temporary files, and random rules written as text read
 * back as made. What a compiled policy answers is tested in test_acl.c.
 *
 * Every parser input is an exact-size heap copy with no terminating NUL,
 * so a read past the given length is an ASan error in the sanitizer build.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "acl.h"
#include "conf.h"
#include "util.h"

#include "acl_gen.h"
#include "fault.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define TXT(s)		s, sizeof(s) - 1
#define FILE_ACL	"t.acl"
#define FILE_CONF	"t.conf"

/* ---- helpers ---------------------------------------------------------- */

static struct conf_errors *
errs_new(void)
{
	struct conf_errors	*e;

	e = calloc(1, sizeof(*e));
	assert_non_null(e);
	return e;
}

/* A copy of n bytes on the heap, sized exactly (not NUL-terminated). */
static char *
dup_exact(const char *p, size_t n)
{
	char	*d;

	d = malloc(n == 0 ? 1 : n);
	assert_non_null(d);
	if (n > 0)
		memcpy(d, p, n);
	return d;
}

static struct acl *
parse_acl_len(const char *text, size_t len, struct conf_errors *e)
{
	char		*copy = dup_exact(text, len);
	struct acl	*acl;

	acl = conf_parse_acl(copy, len, FILE_ACL, e);
	free(copy);
	return acl;
}

static struct acl *
parse_acl(const char *text, struct conf_errors *e)
{
	return parse_acl_len(text, strlen(text), e);
}

/* Parse text that must be a valid ACL. */
static struct acl *
parse_acl_ok(const char *text)
{
	struct conf_errors	*e = errs_new();
	struct acl		*acl;
	size_t			 i;

	acl = parse_acl(text, e);
	for (i = 0; i < e->n && e->total > 0; i++)
		print_error("unexpected: %s\n", e->msg[i]);
	assert_int_equal(e->total, 0);
	assert_non_null(acl);
	free(e);
	return acl;
}

static size_t
parse_conf_len(const char *text, size_t len, struct conf *c,
    struct conf_errors *e)
{
	char	*copy = dup_exact(text, len);
	size_t	 n;

	n = conf_parse(copy, len, FILE_CONF, c, e);
	free(copy);
	return n;
}

static size_t
parse_conf(const char *text, struct conf *c, struct conf_errors *e)
{
	return parse_conf_len(text, strlen(text), c, e);
}

/* Check the recorded errors are exactly want[0..n). */
static void
assert_errors(const struct conf_errors *e, const char *const *want,
    size_t n)
{
	size_t	 i;

	if (e->n != n || e->total != n) {
		for (i = 0; i < e->n; i++)
			print_error("got: %s\n", e->msg[i]);
		for (i = 0; i < n; i++)
			print_error("want: %s\n", want[i]);
	}
	assert_int_equal(e->n, n);
	assert_int_equal(e->total, n);
	for (i = 0; i < n; i++)
		assert_string_equal(e->msg[i], want[i]);
}

/* A peer address as the daemon would see it, through a sockaddr. */
static struct addr
peer(const char *s)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	struct addr		 a;
	const char		*errstr = NULL;

	if (util_parse_address(s, 4369, &ss, &sl, &errstr) == -1)
		fail_msg("test vector: bad address %s", s);
	assert_int_equal(addr_from_sockaddr(
	    (const struct sockaddr *)(const void *)&ss, &a), 0);
	return a;
}

static void
get_rule(const struct acl *acl, size_t i, struct acl_rule_view *v)
{
	memset(v, 0, sizeof(*v));
	assert_int_equal(acl_rule(acl, i, v), 0);
}

/* ---- ACL parser: accepted forms --------------------------------------- */

struct acl_form_vec {
	const char	*line;		/* one rule, no newline */
	int		 allow;
	int		 family;
	const char	*net;		/* expected network, textual */
	unsigned	 len;
	unsigned	 scope;
	const char	*globs[3];	/* NULL-terminated */
};

static const struct acl_form_vec acl_form_vecs[] = {
	{ "allow 10.1.2.3", 1, AF_INET, "10.1.2.3", 32, ACL_SCOPE_ALL,
	  { NULL } },
	{ "deny 10.0.0.0/8", 0, AF_INET, "10.0.0.0", 8, ACL_SCOPE_ALL,
	  { NULL } },
	{ "allow 0.0.0.0/0", 1, AF_INET, "0.0.0.0", 0, ACL_SCOPE_ALL,
	  { NULL } },
	{ "allow 10.1.2.3/32", 1, AF_INET, "10.1.2.3", 32, ACL_SCOPE_ALL,
	  { NULL } },
	{ "allow 2001:db8::1", 1, AF_INET6, "2001:db8::1", 128,
	  ACL_SCOPE_ALL, { NULL } },
	{ "deny 2001:db8::/32", 0, AF_INET6, "2001:db8::", 32, ACL_SCOPE_ALL,
	  { NULL } },
	{ "allow ::/0", 1, AF_INET6, "::", 0, ACL_SCOPE_ALL, { NULL } },
	{ "allow ::1/128", 1, AF_INET6, "::1", 128, ACL_SCOPE_ALL,
	  { NULL } },
	/* IPv4-mapped prefixes are IPv4 prefixes. */
	{ "allow ::ffff:10.0.0.0/104", 1, AF_INET, "10.0.0.0", 8,
	  ACL_SCOPE_ALL, { NULL } },
	{ "allow ::ffff:10.1.2.3", 1, AF_INET, "10.1.2.3", 32, ACL_SCOPE_ALL,
	  { NULL } },
	{ "allow ::ffff:0.0.0.0/96", 1, AF_INET, "0.0.0.0", 0,
	  ACL_SCOPE_ALL, { NULL } },
	{ "allow ::ffff:0a01:0200/120", 1, AF_INET, "10.1.2.0", 24,
	  ACL_SCOPE_ALL, { NULL } },
	{ "allow ::ffff:0:0/96", 1, AF_INET, "0.0.0.0", 0, ACL_SCOPE_ALL,
	  { NULL } },
	/* Below /96 it stays an IPv6 prefix. */
	{ "allow ::/80", 1, AF_INET6, "::", 80, ACL_SCOPE_ALL, { NULL } },
	/* Scopes. */
	{ "allow 10.0.0.1 names", 1, AF_INET, "10.0.0.1", 32,
	  ACL_SCOPE_NAMES, { NULL } },
	{ "allow 10.0.0.1 port", 1, AF_INET, "10.0.0.1", 32, ACL_SCOPE_PORT,
	  { NULL } },
	{ "allow 10.0.0.1 names,port", 1, AF_INET, "10.0.0.1", 32,
	  ACL_SCOPE_ALL, { NULL } },
	{ "deny 10.0.0.1 port,names", 0, AF_INET, "10.0.0.1", 32,
	  ACL_SCOPE_ALL, { NULL } },
	/* Globs after a scope, and without one. */
	{ "allow 10.0.0.1 names node rabbit* ej?bberd", 1, AF_INET, "10.0.0.1",
	  32, ACL_SCOPE_NAMES, { "rabbit*", "ej?bberd", NULL } },
	{ "allow 10.0.0.1 port,names node x", 1, AF_INET, "10.0.0.1", 32,
	  ACL_SCOPE_ALL, { "x", NULL } },
	{ "deny fd00::/8 node rabbit*", 0, AF_INET6, "fd00::", 8, ACL_SCOPE_ALL,
	  { "rabbit*", NULL } },
	{ "allow 10.0.0.1 node b.c-d_e *", 1, AF_INET, "10.0.0.1", 32,
	  ACL_SCOPE_ALL, { "b.c-d_e", "*", NULL } },
	/* A node literally called like a scope or the keyword. */
	{ "allow 10.0.0.1 port node names node", 1, AF_INET, "10.0.0.1", 32,
	  ACL_SCOPE_PORT, { "names", "node", NULL } },
	/* Whitespace and comments around the words. */
	{ "\tallow\t10.0.0.0/8\tport\t", 1, AF_INET, "10.0.0.0", 8,
	  ACL_SCOPE_PORT, { NULL } },
	{ "   deny   10.0.0.0/8   # trailing comment", 0, AF_INET,
	  "10.0.0.0", 8, ACL_SCOPE_ALL, { NULL } },
	{ "allow 10.0.0.0/8 names#comment touching", 1, AF_INET, "10.0.0.0",
	  8, ACL_SCOPE_NAMES, { NULL } },
	{ "allow 10.0.0.0/8 port\r", 1, AF_INET, "10.0.0.0", 8,
	  ACL_SCOPE_PORT, { NULL } },
};

static void
assert_rule(const struct acl_rule_view *r, const struct acl_form_vec *v,
    unsigned line)
{
	struct acl_prefix	 want;
	size_t			 n;

	memset(&want, 0, sizeof(want));
	want.net.family = v->family;
	assert_int_equal(inet_pton(v->family, v->net, want.net.addr), 1);
	want.len = v->len;
	assert_int_equal(r->allow, v->allow);
	assert_int_equal(r->prefix.net.family, want.net.family);
	assert_memory_equal(r->prefix.net.addr, want.net.addr, 16);
	assert_int_equal(r->prefix.len, want.len);
	assert_int_equal(r->scope, v->scope);
	assert_int_equal(r->line, line);
	for (n = 0; v->globs[n] != NULL; n++)
		;
	assert_int_equal(r->nglobs, n);
	for (n = 0; n < r->nglobs; n++)
		assert_string_equal(r->globs[n], v->globs[n]);
}

static void
test_conf_acl_accepts_every_form(void **state)
{
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(acl_form_vecs); i++) {
		const struct acl_form_vec	*v = &acl_form_vecs[i];
		struct acl_rule_view		 r;
		struct acl			*acl;

		print_message("vector: %s\n", v->line);
		acl = parse_acl_ok(v->line);
		assert_int_equal(acl_count(acl), 1);
		get_rule(acl, 0, &r);
		assert_rule(&r, v, 1);
		assert_int_equal(acl_rule(acl, 1, &r), -1);
		acl_free(acl);
	}
}

/* All the forms in one file, with line numbers that count every line. */
static void
test_conf_acl_whole_file_line_numbers(void **state)
{
	char		 text[8192];
	size_t		 i, len = 0;
	struct acl	*acl;
	const char	*sep[] = { "\n", "\r\n", "\n# comment\n", "\n\n",
			    "\n \t \n", "\r\n\r\n" };
	unsigned	 line = 1, lines[NELEM(acl_form_vecs)];

	(void)state;
	len += (size_t)snprintf(text + len, sizeof(text) - len,
	    "# header\n\n");
	line += 2;
	for (i = 0; i < NELEM(acl_form_vecs); i++) {
		const char	*s = sep[i % NELEM(sep)];
		const char	*p;

		lines[i] = line;
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		    "%s%s", acl_form_vecs[i].line, s);
		for (p = s; *p != '\0'; p++)
			if (*p == '\n')
				line++;
		assert_true(len < sizeof(text));
	}
	/* The last rule without a newline at the end of the file. */
	len += (size_t)snprintf(text + len, sizeof(text) - len,
	    "deny 192.0.2.0/24");
	acl = parse_acl_ok(text);
	assert_int_equal(acl_count(acl), NELEM(acl_form_vecs) + 1);
	for (i = 0; i < NELEM(acl_form_vecs); i++) {
		struct acl_rule_view	 r;

		get_rule(acl, i, &r);
		print_message("vector: %s\n", acl_form_vecs[i].line);
		assert_rule(&r, &acl_form_vecs[i], lines[i]);
	}
	{
		static const struct acl_form_vec last = { "", 0, AF_INET,
		    "192.0.2.0", 24, ACL_SCOPE_ALL, { NULL } };
		struct acl_rule_view	 r;

		get_rule(acl, NELEM(acl_form_vecs), &r);
		assert_rule(&r, &last, line);
	}
	acl_free(acl);
}

static void
test_conf_acl_empty_and_comment_only(void **state)
{
	static const char *const texts[] = {
		"", "\n", "\n\n\n", "# only a comment", "#\n#\n", " \t\r\n",
		"\r\n\r\n", "   # indented comment allow 10.0.0.1\n",
	};
	static const char *const want[] = {
		"t.acl: error: no allow or deny rules: every lookup would be "
		"denied, loopback's too (to mean that, write \"deny "
		"0.0.0.0/0\" and \"deny ::/0\")",
	};
	size_t	 i;

	(void)state;
	/* An empty ACL is an error: it would cut local nodes off silently. */
	for (i = 0; i < NELEM(texts); i++) {
		struct conf_errors	*e = errs_new();

		assert_null(parse_acl(texts[i], e));
		assert_errors(e, want, NELEM(want));
		free(e);
	}
}

/* 32 globs fit on a rule; a 255-byte glob is fine; a 4096-byte line is. */
static void
test_conf_acl_limits_accepted(void **state)
{
	char			 text[5000], glob[256];
	size_t			 len, i;
	struct acl		*acl;
	struct acl_rule_view	 r;
	struct conf_errors	*e;

	(void)state;
	len = (size_t)snprintf(text, sizeof(text), "allow 10.0.0.1 port node");
	for (i = 0; i < ACL_MAX_GLOBS; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		    " g%zu*", i);
	acl = parse_acl_ok(text);
	get_rule(acl, 0, &r);
	assert_int_equal(r.nglobs, ACL_MAX_GLOBS);
	assert_string_equal(r.globs[31], "g31*");
	acl_free(acl);

	memset(glob, 'n', sizeof(glob) - 1);
	glob[sizeof(glob) - 1] = '\0';
	snprintf(text, sizeof(text), "allow 10.0.0.1 node %s\n", glob);
	acl = parse_acl_ok(text);
	get_rule(acl, 0, &r);
	assert_int_equal(strlen(r.globs[0]), 255);
	acl_free(acl);

	/* Exactly 4096 bytes before the newline, the \r included. */
	len = (size_t)snprintf(text, sizeof(text), "allow 10.0.0.1 #");
	memset(text + len, 'c', 4096 - len - 1);
	text[4095] = '\r';
	text[4096] = '\n';
	memcpy(text + 4097, "deny ::/0\n", 10);
	e = errs_new();
	acl = parse_acl_len(text, 4107, e);
	assert_non_null(acl);
	assert_int_equal(e->total, 0);
	free(e);
	assert_int_equal(acl_count(acl), 2);
	get_rule(acl, 1, &r);
	assert_int_equal(r.line, 2);
	acl_free(acl);
}

/* ---- ACL parser: errors ----------------------------------------------- */

struct acl_err_vec {
	const char	*text;
	size_t		 len;
	const char	*want;		/* the one error expected */
};

static const struct acl_err_vec acl_err_vecs[] = {
	{ TXT("allow foo\n"),
	  "t.acl:1: error: \"foo\": bad address (numeric IPv4 or IPv6 expected)" },
	{ TXT("allow localhost\n"),
	  "t.acl:1: error: \"localhost\": bad address "
	  "(numeric IPv4 or IPv6 expected)" },
	{ TXT("allow 10.0.0.256\n"),
	  "t.acl:1: error: \"10.0.0.256\": bad address "
	  "(numeric IPv4 or IPv6 expected)" },
	{ TXT("allow 10.0.0\n"),
	  "t.acl:1: error: \"10.0.0\": bad address (numeric IPv4 or IPv6 expected)" },
	{ TXT("allow fe80::1%eth0\n"),
	  "t.acl:1: error: \"fe80::1%eth0\": bad address "
	  "(numeric IPv4 or IPv6 expected)" },
	{ TXT("allow /8\n"), "t.acl:1: error: \"/8\": bad address" },
	{ TXT("allow 10.0.0.0/33\n"),
	  "t.acl:1: error: \"10.0.0.0/33\": prefix length out of range (0..32)" },
	{ TXT("allow ::/129\n"),
	  "t.acl:1: error: \"::/129\": prefix length out of range (0..128)" },
	{ TXT("allow 10.0.0.0/-1\n"),
	  "t.acl:1: error: \"10.0.0.0/-1\": bad prefix length" },
	{ TXT("allow 10.0.0.0/abc\n"),
	  "t.acl:1: error: \"10.0.0.0/abc\": bad prefix length" },
	{ TXT("allow 10.0.0.0/\n"),
	  "t.acl:1: error: \"10.0.0.0/\": bad prefix length" },
	{ TXT("allow 10.0.0.0/+8\n"),
	  "t.acl:1: error: \"10.0.0.0/+8\": bad prefix length" },
	{ TXT("allow 10.0.0.0/ 8\n"),
	  "t.acl:1: error: \"10.0.0.0/\": bad prefix length" },
	{ TXT("allow 10.0.0.0/4294967304\n"),
	  "t.acl:1: error: \"10.0.0.0/4294967304\": bad prefix length" },
	{ TXT("allow 10.0.0.0/8/8\n"),
	  "t.acl:1: error: \"10.0.0.0/8/8\": bad prefix length" },
	{ TXT("allow 10.0.0.1/8\n"),
	  "t.acl:1: error: \"10.0.0.1/8\": host bits set beyond the prefix length" },
	{ TXT("allow 10.0.0.1/31\n"),
	  "t.acl:1: error: \"10.0.0.1/31\": host bits set beyond the prefix length" },
	{ TXT("allow 128.0.0.0/0\n"),
	  "t.acl:1: error: \"128.0.0.0/0\": host bits set beyond the prefix length" },
	{ TXT("allow 2001:db8::1/64\n"),
	  "t.acl:1: error: \"2001:db8::1/64\": host bits set beyond the prefix "
	  "length" },
	{ TXT("allow ::ffff:10.0.0.1/104\n"),
	  "t.acl:1: error: \"::ffff:10.0.0.1/104\": host bits set beyond the prefix "
	  "length" },
	{ TXT("allow ::ffff:0:0/95\n"),
	  "t.acl:1: error: \"::ffff:0:0/95\": host bits set beyond the prefix "
	  "length" },
	{ TXT("permit 10.0.0.1\n"),
	  "t.acl:1: error: unknown keyword \"permit\" (allow, deny, register or include expected)" },
	{ TXT("Allow 10.0.0.1\n"),
	  "t.acl:1: error: unknown keyword \"Allow\" (allow, deny, register or include expected)" },
	{ TXT("allow 10.0.0.1 nmaes,port\n"),
	  "t.acl:1: error: unknown scope \"nmaes,port\" (names, port or names,port)" },
	{ TXT("allow 10.0.0.1 names,\n"),
	  "t.acl:1: error: unknown scope \"names,\" (names, port or names,port)" },
	{ TXT("allow 10.0.0.1 names,port,names\n"),
	  "t.acl:1: error: unknown scope \"names,port,names\" "
	  "(names, port or names,port)" },
	{ TXT("allow 10.0.0.1 node rab[bit\n"),
	  "t.acl:1: error: \"rab[bit\": bad node glob: '[' and ']' are reserved" },
	{ TXT("allow 10.0.0.1 port node ]\n"),
	  "t.acl:1: error: \"]\": bad node glob: '[' and ']' are reserved" },
	{ TXT("allow 10.0.0.1 node a\001b\n"),
	  "t.acl:1: error: \"a?b\": bad node glob: printable ASCII only" },
	{ TXT("allow 10.0.0.1 names node a\033\n"),
	  "t.acl:1: error: \"a?\": bad node glob: printable ASCII only" },
	{ TXT("allow 10.0.0.1 node a\177\n"),
	  "t.acl:1: error: \"a?\": bad node glob: printable ASCII only" },
	{ TXT("allow 10.0.0.1 node caf\303\251\n"),
	  "t.acl:1: error: \"caf\303\251\": bad node glob: printable ASCII only" },
	{ TXT("allow\n"), "t.acl:1: error: allow needs an address" },
	{ TXT("deny   # no address\n"), "t.acl:1: error: deny needs an address" },
	{ TXT("allow 10.0.0.1\0\n"), "t.acl:1: error: NUL byte in line" },
	{ TXT("\0"), "t.acl:1: error: NUL byte in line" },
	{ TXT("# comment \0 hidden\n"), "t.acl:1: error: NUL byte in line" },
	{ TXT("allow 10.0.0.1 port a b c d e f g h i j k l m n o p q r s t "
	      "u v w x y z A B C D E F G\n"),
	  "t.acl:1: error: more than 32 node globs" },
	{ TXT("allow 10.0.0.1 a b c d e f g h i j k l m n o p q r s t u v w "
	      "x y z A B C D E F G H I J K L M N O\n"),
	  "t.acl:1: error: too many words (at most 40)" },
};

static void
test_conf_acl_error_vectors(void **state)
{
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(acl_err_vecs); i++) {
		const struct acl_err_vec	*v = &acl_err_vecs[i];
		struct conf_errors		*e = errs_new();
		struct acl			*acl;

		print_message("vector %zu: %s", i, v->want);
		print_message("\n");
		acl = parse_acl_len(v->text, v->len, e);
		assert_null(acl);
		assert_errors(e, &v->want, 1);
		free(e);
	}
}

/* Glob length: 256 bytes is too long, and the message says so. */
static void
test_conf_acl_glob_too_long(void **state)
{
	char			 glob[257], text[400], want[400];
	struct conf_errors	*e = errs_new();
	const char		*w = want;

	(void)state;
	memset(glob, 'g', sizeof(glob) - 1);
	glob[sizeof(glob) - 1] = '\0';
	snprintf(text, sizeof(text), "\nallow 10.0.0.1 port %s\n", glob);
	snprintf(want, sizeof(want),
	    "t.acl:2: error: \"%s\": bad node glob: 1..255 characters", glob);
	assert_null(parse_acl(text, e));
	assert_errors(e, &w, 1);
	free(e);
}

/* A 4097-byte line is refused; the lines around it are still read. */
static void
test_conf_acl_line_too_long(void **state)
{
	char			*text;
	size_t			 len = 0;
	struct conf_errors	*e = errs_new();
	static const char *const want[] = {
		"t.acl:2: error: line longer than 4096 bytes",
		"t.acl:3: error: \"bogus\": bad address "
		"(numeric IPv4 or IPv6 expected)",
	};

	(void)state;
	text = malloc(8192);
	assert_non_null(text);
	len += (size_t)sprintf(text, "allow 10.0.0.1\n");
	memcpy(text + len, "allow 10.0.0.2 #", 16);
	memset(text + len + 16, 'x', 4097 - 16);
	len += 4097;
	len += (size_t)sprintf(text + len, "\ndeny bogus");
	assert_null(parse_acl_len(text, len, e));
	assert_errors(e, want, NELEM(want));
	free(text);
	free(e);
}

/* Every error in a file is reported, each with its own line. */
static void
test_conf_acl_multiple_errors(void **state)
{
	static const char text[] =
	    "# policy\n"				/* 1 */
	    "allow 127.0.0.0/8\n"			/* 2 */
	    "allow 10.0.0.1/8\n"			/* 3 */
	    "\r\n"					/* 4 */
	    "allow ::1\r\n"				/* 5 */
	    "alow 10.0.0.0/8\n"				/* 6 */
	    "deny host.example names\n"			/* 7 */
	    "\tallow\t10.0.0.0/33 nmaes,port x[y]\n"	/* 8 */
	    "allow 10.0.0.0/8 names\0\n"		/* 9 */
	    "deny\n"					/* 10 */
	    "deny 0.0.0.0/0";				/* 11 */
	static const char *const want[] = {
		"t.acl:3: error: \"10.0.0.1/8\": host bits set beyond the prefix "
		"length",
		"t.acl:6: error: unknown keyword \"alow\" (allow, deny, register or include expected)",
		"t.acl:7: error: \"host.example\": bad address "
		"(numeric IPv4 or IPv6 expected)",
		"t.acl:8: error: \"10.0.0.0/33\": prefix length out of range (0..32)",
		"t.acl:8: error: unknown scope \"nmaes,port\" "
		"(names, port or names,port)",
		"t.acl:8: error: \"x[y]\": bad node glob: '[' and ']' are reserved",
		"t.acl:9: error: NUL byte in line",
		"t.acl:10: error: deny needs an address",
	};
	struct conf_errors	*e = errs_new();

	(void)state;
	assert_null(parse_acl_len(text, sizeof(text) - 1, e));
	assert_errors(e, want, NELEM(want));
	free(e);
}

/* More errors than are kept: all counted, the first ones kept in order. */
static void
test_conf_acl_error_overflow(void **state)
{
	char			 text[4096], want[64];
	size_t			 len = 0, i;
	struct conf_errors	*e = errs_new();

	(void)state;
	for (i = 0; i < CONF_MAX_ERRORS + 8; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		    "deny 10.0.0.%zu/24\n", i + 1);
	assert_null(parse_acl_len(text, len, e));
	assert_int_equal(e->n, CONF_MAX_ERRORS);
	assert_int_equal(e->total, CONF_MAX_ERRORS + 8);
	for (i = 0; i < CONF_MAX_ERRORS; i++) {
		snprintf(want, sizeof(want), "t.acl:%zu: error: \"10.0.0.%zu/24\": ",
		    i + 1, i + 1);
		assert_memory_equal(e->msg[i], want, strlen(want));
	}
	free(e);
}

/* The errors of one parse are added to those already recorded. */
static void
test_conf_acl_errors_accumulate(void **state)
{
	struct conf_errors	*e = errs_new();
	struct acl		*acl;
	static const char *const want[] = {
		"t.acl:1: error: allow needs an address",
		"t.acl:2: error: allow needs an address",
	};

	(void)state;
	assert_null(parse_acl("allow\n", e));
	/* A good file after a bad one parses: only its own errors count. */
	acl = parse_acl("allow 127.0.0.1\n", e);
	assert_non_null(acl);
	acl_free(acl);
	assert_null(parse_acl("\nallow\n", e));
	assert_errors(e, want, NELEM(want));
	free(e);
}

static void
test_conf_acl_builtin(void **state)
{
	struct acl		*acl;
	struct addr		 a;
	struct acl_verdict	 v;
	static const char *const allowed[] = {
		"127.0.0.1", "127.255.255.254", "::1", "::ffff:127.0.0.1",
	};
	static const char *const denied[] = {
		"10.0.0.1", "128.0.0.1", "::2", "::ffff:10.0.0.1", "fe80::1",
	};
	size_t			 i;

	(void)state;
	acl = conf_builtin_acl();
	assert_non_null(acl);
	assert_int_equal(acl_count(acl), 2);
	for (i = 0; i < NELEM(allowed); i++) {
		a = peer(allowed[i]);
		assert_true(acl_check(acl, &a, ACL_SCOPE_PORT, "n").allow);
		assert_true(acl_check(acl, &a, ACL_SCOPE_NAMES, NULL).allow);
		assert_true(acl_names_allowed(acl, &a).allow);
	}
	for (i = 0; i < NELEM(denied); i++) {
		a = peer(denied[i]);
		v = acl_check(acl, &a, ACL_SCOPE_PORT, "n");
		assert_int_equal(v.allow, 0);
		assert_int_equal(v.line, 0);
		assert_false(acl_names_allowed(acl, &a).allow);
	}
	acl_free(acl);
}

/* ---- configuration parser --------------------------------------------- */

static void
test_conf_defaults(void **state)
{
	struct conf	 c;

	(void)state;
	memset(&c, 0xa5, sizeof(c));
	conf_defaults(&c);
	assert_int_equal(c.set, 0);
	assert_int_equal(c.port, 4369);
	assert_int_equal(c.nlisten, 0);
	assert_int_equal(c.packet_timeout, 10);
	assert_string_equal(c.acl_file, CONF_DEFAULT_ACL);
	assert_int_equal(c.names_refusal, CONF_NAMES_CLOSE);
	assert_int_equal(c.port_refusal, CONF_PORT_NOT_FOUND);
	assert_int_equal(c.relaxed, 0);
	assert_int_equal(c.max_nodes, 4096);
}

/* An empty or comment-only file changes nothing. */
static void
test_conf_empty_keeps_defaults(void **state)
{
	struct conf		 c, d;
	struct conf_errors	*e = errs_new();

	(void)state;
	conf_defaults(&c);
	conf_defaults(&d);
	assert_int_equal(parse_conf("", &c, e), 0);
	assert_int_equal(parse_conf("# x\n\n \t\r\n", &c, e), 0);
	assert_memory_equal(&c, &d, sizeof(c));
	assert_int_equal(e->total, 0);
	free(e);
}

struct conf_key_vec {
	const char	*text;
	unsigned	 set;		/* exactly these bits */
};

/* Each key alone: its value taken, its bit (if it has one) alone set. */
static void
test_conf_each_key(void **state)
{
	static const struct conf_key_vec vecs[] = {
		{ "port 4370\n", CONF_SET_PORT },
		{ "listen 10.0.0.5\n", CONF_SET_LISTEN },
		{ "packet_timeout 30\n", CONF_SET_TIMEOUT },
		{ "acl_file /etc/other/acl\n", CONF_SET_ACL },
		{ "relaxed_command_check yes\n", CONF_SET_RELAXED },
		{ "names_refusal empty\n", 0 },
		{ "port_refusal close\n", 0 },
		{ "max_nodes 100\n", 0 },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(vecs); i++) {
		struct conf		 c, d;
		struct conf_errors	*e = errs_new();

		print_message("vector: %s", vecs[i].text);
		conf_defaults(&c);
		conf_defaults(&d);
		assert_int_equal(parse_conf(vecs[i].text, &c, e), 0);
		assert_int_equal(e->total, 0);
		assert_int_equal(c.set, vecs[i].set);
		switch (i) {
		case 0:
			assert_int_equal(c.port, 4370);
			d.port = 4370;
			break;
		case 1:
			assert_int_equal(c.nlisten, 1);
			assert_string_equal(c.listen[0], "10.0.0.5");
			d.nlisten = 1;
			memcpy(d.listen[0], c.listen[0], sizeof(d.listen[0]));
			break;
		case 2:
			assert_int_equal(c.packet_timeout, 30);
			d.packet_timeout = 30;
			break;
		case 3:
			assert_string_equal(c.acl_file, "/etc/other/acl");
			memcpy(d.acl_file, c.acl_file, sizeof(d.acl_file));
			break;
		case 4:
			assert_int_equal(c.relaxed, 1);
			d.relaxed = 1;
			break;
		case 5:
			assert_int_equal(c.names_refusal, CONF_NAMES_EMPTY);
			d.names_refusal = CONF_NAMES_EMPTY;
			break;
		case 6:
			assert_int_equal(c.port_refusal, CONF_PORT_CLOSE);
			d.port_refusal = CONF_PORT_CLOSE;
			break;
		default:
			assert_int_equal(c.max_nodes, 100);
			d.max_nodes = 100;
			break;
		}
		d.set = c.set;
		memcpy(d.line, c.line, sizeof(d.line));
		/* Nothing else moved. */
		assert_memory_equal(&c, &d, sizeof(c));
		free(e);
	}
}

/* The accepted values of every key, edges included. */
static void
test_conf_values(void **state)
{
	static const char text[] =
	    "# all keys\n"
	    "port 65535\n"
	    "packet_timeout 86400\r\n"
	    "\tacl_file\t/x\t# comment\n"
	    "names_refusal close\n"
	    "port_refusal not_found\n"
	    "relaxed_command_check no\n"
	    "max_nodes 65536";
	struct conf		 c;
	struct conf_errors	*e = errs_new();

	(void)state;
	conf_defaults(&c);
	c.names_refusal = CONF_NAMES_EMPTY;
	c.port_refusal = CONF_PORT_CLOSE;
	assert_int_equal(parse_conf(text, &c, e), 0);
	assert_int_equal(c.port, 65535);
	assert_int_equal(c.packet_timeout, 86400);
	assert_string_equal(c.acl_file, "/x");
	assert_int_equal(c.names_refusal, CONF_NAMES_CLOSE);
	assert_int_equal(c.port_refusal, CONF_PORT_NOT_FOUND);
	assert_int_equal(c.relaxed, 0);
	assert_int_equal(c.max_nodes, 65536);
	assert_int_equal(c.set, CONF_SET_PORT | CONF_SET_TIMEOUT |
	    CONF_SET_ACL | CONF_SET_RELAXED);

	conf_defaults(&c);
	assert_int_equal(parse_conf("port 1\npacket_timeout 1\nmax_nodes 1\n",
	    &c, e), 0);
	assert_int_equal(c.port, 1);
	assert_int_equal(c.packet_timeout, 1);
	assert_int_equal(c.max_nodes, 1);
	assert_int_equal(e->total, 0);
	free(e);
}

/* user: a portable user name, checked for existence only at start. */
static void
test_conf_user(void **state)
{
	static const char *const bad[] = { "-root", "ro ot", "r\x01",
	    "a/b", "r$", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
	struct conf		 c;
	struct conf_errors	*e = errs_new();
	char			 line[64];
	size_t			 i;

	(void)state;
	conf_defaults(&c);
	assert_string_equal(c.user, "");
	assert_int_equal(parse_conf("user nobody\n", &c, e), 0);
	assert_string_equal(c.user, "nobody");
	conf_defaults(&c);
	assert_int_equal(parse_conf("user epmd_secure-1.x\n", &c, e), 0);
	assert_string_equal(c.user, "epmd_secure-1.x");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		conf_defaults(&c);
		snprintf(line, sizeof(line), "user %s\n", bad[i]);
		assert_int_equal(parse_conf(line, &c, e), 1);
		assert_string_equal(c.user, "");
	}
	free(e);
}

static void
test_conf_listen_lists(void **state)
{
	static const char text[] =
	    "listen 10.0.0.5 fd00:20::5\n"
	    "listen 192.0.2.1,192.0.2.2\t::1\n"
	    "listen ::ffff:10.0.0.1,0.0.0.0,::\n";
	static const char *const want[] = {
		"10.0.0.5", "fd00:20::5", "192.0.2.1", "192.0.2.2", "::1",
		"::ffff:10.0.0.1", "0.0.0.0", "::",
	};
	struct conf		 c;
	struct conf_errors	*e = errs_new();
	size_t			 i;

	(void)state;
	conf_defaults(&c);
	assert_int_equal(parse_conf(text, &c, e), 0);
	assert_int_equal(c.nlisten, NELEM(want));
	for (i = 0; i < NELEM(want); i++)
		assert_string_equal(c.listen[i], want[i]);
	assert_int_equal(c.set, CONF_SET_LISTEN);
	free(e);
}

/* 32 listen addresses fit; the 33rd is an error. */
static void
test_conf_listen_limit(void **state)
{
	char			 text[2048];
	size_t			 len, i;
	struct conf		 c;
	struct conf_errors	*e = errs_new();
	static const char *const want[] = {
		"t.conf:2: error: listen: more than 32 addresses",
	};

	(void)state;
	len = (size_t)snprintf(text, sizeof(text), "listen");
	for (i = 0; i < CONF_MAX_LISTEN; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		    "%s10.0.0.%zu", i % 2 ? "," : " ", i + 1);
	conf_defaults(&c);
	assert_int_equal(parse_conf(text, &c, e), 0);
	assert_int_equal(c.nlisten, CONF_MAX_LISTEN);
	assert_string_equal(c.listen[31], "10.0.0.32");

	conf_defaults(&c);
	snprintf(text + len, sizeof(text) - len, "\nlisten 10.0.1.1\n");
	assert_int_equal(parse_conf(text, &c, e), 1);
	assert_errors(e, want, NELEM(want));
	assert_int_equal(c.nlisten, CONF_MAX_LISTEN);
	free(e);
}

struct conf_err_vec {
	const char	*text;
	const char	*want;
};

static void
test_conf_error_vectors(void **state)
{
	static const struct conf_err_vec vecs[] = {
		{ "bogus 1\n", "t.conf:1: error: unknown keyword \"bogus\"" },
		{ "Port 4369\n", "t.conf:1: error: unknown keyword \"Port\"" },
		{ "port\n", "t.conf:1: error: port: expected one value" },
		{ "port 1 2\n", "t.conf:1: error: port: expected one value" },
		{ "packet_timeout\n",
		  "t.conf:1: error: packet_timeout: expected one value" },
		{ "acl_file /a /b\n", "t.conf:1: error: acl_file: expected one value" },
		{ "names_refusal\n",
		  "t.conf:1: error: names_refusal: expected one value" },
		{ "max_nodes 4096 # 2\n#\nmax_nodes 1 2\n",
		  "t.conf:3: error: max_nodes: expected one value" },
		{ "port 0\n",
		  "t.conf:1: error: port: \"0\" is not a port number (1..65535)" },
		{ "port 65536\n",
		  "t.conf:1: error: port: \"65536\" is not a port number (1..65535)" },
		{ "port -1\n",
		  "t.conf:1: error: port: \"-1\" is not a port number (1..65535)" },
		{ "port epmd\n",
		  "t.conf:1: error: port: \"epmd\" is not a port number (1..65535)" },
		{ "listen\n", "t.conf:1: error: listen needs at least one address" },
		{ "listen   # nothing\n",
		  "t.conf:1: error: listen needs at least one address" },
		{ "listen localhost\n",
		  "t.conf:1: error: listen: \"localhost\" is not a numeric IPv4 or "
		  "IPv6 address" },
		{ "listen 10.0.0.1,10.0.0.300\n",
		  "t.conf:1: error: listen: \"10.0.0.300\" is not a numeric IPv4 or "
		  "IPv6 address" },
		{ "listen 10.0.0.0/8\n",
		  "t.conf:1: error: listen: \"10.0.0.0/8\" is not a numeric IPv4 or "
		  "IPv6 address" },
		{ "packet_timeout 0\n",
		  "t.conf:1: error: packet_timeout: \"0\" is too small "
		  "(1..86400)" },
		{ "packet_timeout 86401\n",
		  "t.conf:1: error: packet_timeout: \"86401\" is too large "
		  "(1..86400)" },
		{ "packet_timeout 99999999999999999999999\n",
		  "t.conf:1: error: packet_timeout: \"99999999999999999999999\" is too "
		  "large (1..86400)" },
		{ "packet_timeout 1s\n",
		  "t.conf:1: error: packet_timeout: \"1s\" is not a decimal number "
		  "(1..86400)" },
		{ "acl_file acl\n",
		  "t.conf:1: error: acl_file: an absolute path is expected" },
		{ "acl_file ./acl\n",
		  "t.conf:1: error: acl_file: an absolute path is expected" },
		{ "acl_file ~/acl\n",
		  "t.conf:1: error: acl_file: an absolute path is expected" },
		{ "names_refusal drop\n",
		  "t.conf:1: error: names_refusal: \"drop\" is not close or empty" },
		{ "names_refusal Close\n",
		  "t.conf:1: error: names_refusal: \"Close\" is not close or empty" },
		{ "port_refusal empty\n",
		  "t.conf:1: error: port_refusal: \"empty\" is not not_found or "
		  "close" },
		{ "relaxed_command_check true\n",
		  "t.conf:1: error: relaxed_command_check: \"true\" is not yes or "
		  "no" },
		{ "relaxed_command_check 1\n",
		  "t.conf:1: error: relaxed_command_check: \"1\" is not yes or no" },
		{ "max_nodes 0\n",
		  "t.conf:1: error: max_nodes: \"0\" is too small (1..65536)" },
		{ "max_nodes 65537\n",
		  "t.conf:1: error: max_nodes: \"65537\" is too large (1..65536)" },
		{ "\n\n\nport 4369\0\n", "t.conf:4: error: NUL byte in line" },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(vecs); i++) {
		struct conf		 c, d;
		struct conf_errors	*e = errs_new();
		size_t			 len = strlen(vecs[i].text);

		print_message("vector: %s\n", vecs[i].want);
		/* The NUL vector: count through the embedded NUL. */
		if (strstr(vecs[i].want, "NUL") != NULL)
			len += 2;
		conf_defaults(&c);
		conf_defaults(&d);
		assert_int_equal(parse_conf_len(vecs[i].text, len, &c, e), 1);
		assert_errors(e, &vecs[i].want, 1);
		/* A refused value leaves the defaults alone. */
		memcpy(d.line, c.line, sizeof(d.line));
		if (strncmp(vecs[i].text, "listen", 6) != 0)
			assert_memory_equal(&c, &d, sizeof(c));
		free(e);
	}
}

/* acl_file: 1023 bytes fit the buffer, 1024 do not. */
static void
test_conf_acl_file_length(void **state)
{
	char			 text[CONF_PATH_LEN + 32];
	struct conf		 c;
	struct conf_errors	*e = errs_new();
	static const char *const want[] = {
		"t.conf:1: error: acl_file: an absolute path is expected",
	};

	(void)state;
	memcpy(text, "acl_file /", 10);
	memset(text + 10, 'a', CONF_PATH_LEN - 2);
	text[10 + CONF_PATH_LEN - 2] = '\0';
	conf_defaults(&c);
	assert_int_equal(parse_conf(text, &c, e), 0);
	assert_int_equal(strlen(c.acl_file), CONF_PATH_LEN - 1);
	assert_int_equal(c.set, CONF_SET_ACL);

	strcat(text, "a");
	conf_defaults(&c);
	assert_int_equal(parse_conf(text, &c, e), 1);
	assert_errors(e, want, NELEM(want));
	assert_string_equal(c.acl_file, CONF_DEFAULT_ACL);
	free(e);
}

/* Several errors in one file, each on its line; good lines still apply. */
static void
test_conf_multiple_errors(void **state)
{
	static const char text[] =
	    "port 4400\n"			/* 1 */
	    "colour blue\n"			/* 2 */
	    "\n"				/* 3 */
	    "listen 10.0.0.1,bad 10.0.0.2\r\n"	/* 4 */
	    "packet_timeout\n"			/* 5 */
	    "# port 1\n"			/* 6 */
	    "max_nodes 70000\n"			/* 7 */
	    "max_nodes 70\n";			/* 8 */
	static const char *const want[] = {
		"t.conf:2: error: unknown keyword \"colour\"",
		"t.conf:4: error: listen: \"bad\" is not a numeric IPv4 or IPv6 "
		"address",
		"t.conf:5: error: packet_timeout: expected one value",
		"t.conf:7: error: max_nodes: \"70000\" is too large (1..65536)",
		"t.conf:8: error: max_nodes given twice (first on line 7)",
	};
	struct conf		 c;
	struct conf_errors	*e = errs_new();

	(void)state;
	conf_defaults(&c);
	assert_int_equal(parse_conf(text, &c, e), NELEM(want));
	assert_errors(e, want, NELEM(want));
	assert_int_equal(c.port, 4400);
	assert_int_equal(c.nlisten, 2);
	assert_string_equal(c.listen[0], "10.0.0.1");
	assert_string_equal(c.listen[1], "10.0.0.2");
	assert_int_equal(c.packet_timeout, 10);
	assert_int_equal(c.max_nodes, 4096);
	free(e);
}

/* ---- shipped examples ------------------------------------------------- */

/* Read a file of the source tree, or NULL if not run from its top. */
static char *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf;
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	buf = malloc(65536);
	assert_non_null(buf);
	n = fread(buf, 1, 65536, f);
	assert_true(n < 65536);
	fclose(f);
	*len = n;
	return buf;
}

static void
test_conf_shipped_files_parse(void **state)
{
	struct conf		 c;
	struct conf_errors	*e = errs_new();
	struct acl		*acl;
	struct addr		 a;
	char			*text;
	size_t			 len;

	(void)state;
	if ((text = slurp("config/epmd_secure.conf", &len)) == NULL) {
		free(e);
		skip();
	}
	conf_defaults(&c);
	assert_int_equal(parse_conf_len(text, len, &c, e), 0);
	free(text);
	assert_int_equal(c.port, 4369);
	assert_int_equal(c.nlisten, 0);
	assert_int_equal(c.packet_timeout, 10);
	assert_string_equal(c.acl_file, "/etc/epmd_secure/acl");
	assert_int_equal(c.relaxed, 0);
	assert_int_equal(c.max_nodes, 4096);

	text = slurp("config/acl", &len);
	assert_non_null(text);
	acl = parse_acl_len(text, len, e);
	free(text);
	assert_non_null(acl);
	assert_int_equal(e->total, 0);
	assert_int_equal(acl_count(acl), 2);
	a = peer("127.0.0.1");
	assert_true(acl_names_allowed(acl, &a).allow);
	a = peer("10.20.0.1");
	assert_false(acl_check(acl, &a, ACL_SCOPE_PORT, "x").allow);
	acl_free(acl);
	free(e);
}

/* ---- conf_read_file and conf_load ------------------------------------- */

struct tmpdir {
	char	 dir[64];
	char	 path[16][128];
	size_t	 npath;
};

static void
tmp_open(struct tmpdir *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/test_conf.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
}

/* Write a file with exactly this mode (whatever the umask); its path. */
static const char *
tmp_file(struct tmpdir *t, const char *name, const char *text, mode_t mode)
{
	char	*p, buf[sizeof(t->path[0])];
	int	 fd;
	size_t	 len = strlen(text);

	assert_true(t->npath < NELEM(t->path));
	p = t->path[t->npath++];
	snprintf(buf, sizeof(buf), "%s/%s", t->dir, name);
	memcpy(p, buf, sizeof(buf));
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd != -1);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
	return p;
}

static void
tmp_close(struct tmpdir *t)
{
	size_t	 i;

	for (i = 0; i < t->npath; i++)
		(void)unlink(t->path[i]);
	assert_int_equal(rmdir(t->dir), 0);
}

static void
test_conf_read_file_modes(void **state)
{
	struct tmpdir		 t;
	struct conf_errors	*e = errs_new();
	const char		*ok, *ok0, *ro, *gw, *ow;
	char			*text = NULL, want[256];
	size_t			 len = 99;
	static const mode_t	 bad[] = { 0664, 0646, 0666, 0620, 0602 };
	size_t			 i;

	(void)state;
	tmp_open(&t);
	ok = tmp_file(&t, "ok", "port 1\n", 0644);
	ok0 = tmp_file(&t, "empty", "", 0600);
	ro = tmp_file(&t, "ro", "x", 0400);
	assert_int_equal(conf_read_file(ok, &text, &len, e), CONF_READ_OK);
	assert_int_equal(len, 7);
	assert_string_equal(text, "port 1\n");
	free(text);
	assert_int_equal(conf_read_file(ok0, &text, &len, e), CONF_READ_OK);
	assert_int_equal(len, 0);
	assert_string_equal(text, "");
	free(text);
	assert_int_equal(conf_read_file(ro, &text, &len, e), CONF_READ_OK);
	assert_int_equal(len, 1);
	free(text);
	assert_int_equal(e->total, 0);

	gw = tmp_file(&t, "gw", "port 1\n", 0664);
	ow = tmp_file(&t, "ow", "port 1\n", 0646);
	text = NULL;
	assert_int_equal(conf_read_file(gw, &text, &len, e), CONF_READ_ERROR);
	assert_null(text);
	assert_int_equal(conf_read_file(ow, &text, &len, e), CONF_READ_ERROR);
	assert_null(text);
	assert_int_equal(e->n, 2);
	snprintf(want, sizeof(want), "%s: error: writable by group or others", gw);
	assert_memory_equal(e->msg[0], want, strlen(want));
	assert_non_null(strstr(e->msg[0], "(mode 664)"));
	snprintf(want, sizeof(want), "%s: error: writable by group or others", ow);
	assert_memory_equal(e->msg[1], want, strlen(want));
	for (i = 0; i < NELEM(bad); i++) {
		char	 name[16];
		const char *p;

		snprintf(name, sizeof(name), "bad%zu", i);
		p = tmp_file(&t, name, "", bad[i]);
		assert_int_equal(conf_read_file(p, &text, &len, e),
		    CONF_READ_ERROR);
		assert_non_null(strstr(e->msg[e->n - 1],
		    "writable by group or others"));
	}
	assert_int_equal(e->total, 2 + NELEM(bad));
	tmp_close(&t);
	free(e);
}

static void
test_conf_read_file_missing_and_directory(void **state)
{
	struct tmpdir		 t;
	struct conf_errors	*e = errs_new();
	char			*text = NULL, path[128], want[192];
	size_t			 len = 0;

	(void)state;
	tmp_open(&t);
	snprintf(path, sizeof(path), "%s/none", t.dir);
	assert_int_equal(conf_read_file(path, &text, &len, e),
	    CONF_READ_MISSING);
	assert_null(text);
	assert_int_equal(e->total, 0);

	assert_int_equal(chmod(t.dir, 0755), 0);
	assert_int_equal(conf_read_file(t.dir, &text, &len, e),
	    CONF_READ_ERROR);
	assert_null(text);
	snprintf(want, sizeof(want), "%s: error: not a regular file", t.dir);
	assert_int_equal(e->n, 1);
	assert_string_equal(e->msg[0], want);

	/* A path through a regular file is an error, not "missing". */
	tmp_file(&t, "f", "", 0644);
	snprintf(path, sizeof(path), "%s/f/x", t.dir);
	assert_int_equal(conf_read_file(path, &text, &len, e),
	    CONF_READ_ERROR);
	assert_int_equal(e->total, 2);
	tmp_close(&t);
	free(e);
}

static void
test_conf_load_default_acl_missing_is_builtin(void **state)
{
	struct tmpdir		 t;
	struct conf_errors	*e = errs_new();
	struct conf		 c;
	struct acl		*acl = NULL;
	struct addr		 a;
	struct acl_verdict	 v;
	char			 conf[128];
	int			 builtin = -1;

	(void)state;
	if (access(CONF_DEFAULT_ACL, F_OK) == 0) {
		free(e);
		skip();		/* this host has one: not testable here */
	}
	tmp_open(&t);
	/* No config file at all (not explicit), then one without acl_file. */
	snprintf(conf, sizeof(conf), "%s/none.conf", t.dir);
	assert_int_equal(conf_load(conf, 0, NULL, &c, &acl, &builtin, e), 0);
	assert_int_equal(builtin, 1);
	assert_non_null(acl);
	a = peer("127.0.0.1");
	assert_true(acl_check(acl, &a, ACL_SCOPE_PORT, "n").allow);
	assert_true(acl_names_allowed(acl, &a).allow);
	a = peer("::1");
	assert_true(acl_check(acl, &a, ACL_SCOPE_PORT, "n").allow);
	a = peer("10.0.0.1");
	v = acl_check(acl, &a, ACL_SCOPE_PORT, "n");
	assert_int_equal(v.allow, 0);
	assert_int_equal(v.line, 0);
	assert_false(acl_names_allowed(acl, &a).allow);
	acl_free(acl);

	acl = NULL;
	builtin = -1;
	tmp_file(&t, "epmd.conf", "port 4400\n", 0644);
	snprintf(conf, sizeof(conf), "%s/epmd.conf", t.dir);
	assert_int_equal(conf_load(conf, 1, NULL, &c, &acl, &builtin, e), 0);
	assert_int_equal(c.port, 4400);
	assert_int_equal(builtin, 1);
	assert_non_null(acl);
	acl_free(acl);
	assert_int_equal(e->total, 0);
	tmp_close(&t);
	free(e);
}

static void
test_conf_load_files(void **state)
{
	struct tmpdir		 t;
	struct conf_errors	*e = errs_new();
	struct conf		 c;
	struct acl		*acl = NULL;
	struct addr		 a;
	const char		*aclp, *other;
	char			 text[256];
	int			 builtin = -1;

	(void)state;
	tmp_open(&t);
	aclp = tmp_file(&t, "acl", "allow 10.0.0.0/8 port\n", 0600);
	other = tmp_file(&t, "acl2", "allow 192.0.2.0/24\n", 0644);
	snprintf(text, sizeof(text), "port 4400\nacl_file %s\n", aclp);
	tmp_file(&t, "c.conf", text, 0644);
	snprintf(text, sizeof(text), "%s/c.conf", t.dir);

	/* The file's acl_file. */
	assert_int_equal(conf_load(text, 1, NULL, &c, &acl, &builtin, e), 0);
	assert_int_equal(builtin, 0);
	assert_int_equal(c.port, 4400);
	assert_int_equal(c.set, CONF_SET_PORT | CONF_SET_ACL);
	assert_non_null(acl);
	a = peer("10.1.1.1");
	assert_int_equal(acl_check(acl, &a, ACL_SCOPE_PORT, "n").line, 1);
	acl_free(acl);

	/* -acl wins over acl_file. */
	acl = NULL;
	assert_int_equal(conf_load(text, 1, other, &c, &acl, &builtin, e), 0);
	assert_int_equal(builtin, 0);
	assert_non_null(acl);
	a = peer("192.0.2.9");
	assert_true(acl_check(acl, &a, ACL_SCOPE_NAMES, "n").allow);
	a = peer("10.1.1.1");
	assert_false(acl_check(acl, &a, ACL_SCOPE_PORT, "n").allow);
	acl_free(acl);

	/* Configuration only. */
	assert_int_equal(conf_load(text, 1, NULL, &c, NULL, NULL, e), 0);
	assert_int_equal(c.port, 4400);
	assert_int_equal(e->total, 0);
	tmp_close(&t);
	free(e);
}

static void
test_conf_load_errors(void **state)
{
	struct tmpdir		 t;
	struct conf_errors	*e;
	struct conf		 c;
	struct acl		*acl;
	const char		*broken, *good, *gw, *badconf;
	char			 none[128], want[256], text[256];
	int			 builtin;

	(void)state;
	tmp_open(&t);
	broken = tmp_file(&t, "broken", "allow 127.0.0.1\nallow nowhere\n",
	    0644);
	good = tmp_file(&t, "good", "allow 127.0.0.1\n", 0644);
	gw = tmp_file(&t, "gw", "allow 127.0.0.1\n", 0664);
	badconf = tmp_file(&t, "bad.conf", "port 99999\n", 0644);
	snprintf(none, sizeof(none), "%s/none", t.dir);

	/* An explicitly named ACL that does not exist. */
	e = errs_new();
	acl = (struct acl *)(void *)&t;
	builtin = -1;
	assert_int_equal(conf_load(none, 0, none, &c, &acl, &builtin, e), -1);
	assert_null(acl);
	assert_int_equal(builtin, 0);
	snprintf(want, sizeof(want), "%s: error: no such file", none);
	assert_errors(e, (const char *const []){ want }, 1);
	free(e);

	/* The same through acl_file in the configuration. */
	e = errs_new();
	snprintf(text, sizeof(text), "acl_file %s\n", none);
	tmp_file(&t, "c.conf", text, 0644);
	snprintf(text, sizeof(text), "%s/c.conf", t.dir);
	assert_int_equal(conf_load(text, 1, NULL, &c, &acl, &builtin, e), -1);
	assert_null(acl);
	assert_errors(e, (const char *const []){ want }, 1);
	free(e);

	/* A broken ACL: every error, no policy. */
	e = errs_new();
	acl = (struct acl *)(void *)&t;
	assert_int_equal(conf_load(none, 0, broken, &c, &acl, &builtin, e),
	    -1);
	assert_null(acl);
	snprintf(want, sizeof(want), "%s:2: error: \"nowhere\": bad address "
	    "(numeric IPv4 or IPv6 expected)", broken);
	assert_errors(e, (const char *const []){ want }, 1);
	free(e);

	/* A group-writable ACL. */
	e = errs_new();
	acl = (struct acl *)(void *)&t;
	assert_int_equal(conf_load(none, 0, gw, &c, &acl, &builtin, e), -1);
	assert_null(acl);
	assert_int_equal(e->total, 1);
	assert_non_null(strstr(e->msg[0], "writable by group or others"));
	free(e);

	/* A missing explicit configuration file. */
	e = errs_new();
	acl = (struct acl *)(void *)&t;
	assert_int_equal(conf_load(none, 1, good, &c, &acl, &builtin, e), -1);
	assert_null(acl);
	snprintf(want, sizeof(want), "%s: error: no such file", none);
	assert_errors(e, (const char *const []){ want }, 1);
	free(e);

	/* A broken configuration with a good ACL: still -1, no policy. */
	e = errs_new();
	acl = (struct acl *)(void *)&t;
	assert_int_equal(conf_load(badconf, 1, good, &c, &acl, &builtin, e),
	    -1);
	assert_null(acl);
	assert_int_equal(e->total, 1);
	snprintf(want, sizeof(want), "%s:1: error: port: \"99999\"", badconf);
	assert_memory_equal(e->msg[0], want, strlen(want));
	free(e);

	/* Configuration only, broken. */
	e = errs_new();
	assert_int_equal(conf_load(badconf, 1, NULL, &c, NULL, NULL, e), -1);
	free(e);
	tmp_close(&t);
}

/* ---- random rules written as text read back ------------------------- */

/* Append one rule, one line, in a random textual form. */
static void
gen_rule_text(struct gen *g, const struct gen_rule *r, char *out,
    size_t cap)
{
	static const char *const scopes[] = { "", "names", "port",
	    "names,port" };
	static const char *const eol[] = { "\n", "\r\n", " # c\n", "\t\n" };
	char		 addr[INET6_ADDRSTRLEN], a4[INET_ADDRSTRLEN];
	const char	*scope = scopes[r->scope];
	size_t		 len = 0, i;
	unsigned	 plen = r->p.len;

	if (r->p.net.family == AF_INET && rng_below(&g->rng, 6) == 0) {
		assert_non_null(inet_ntop(AF_INET, r->p.net.addr, a4,
		    sizeof(a4)));
		snprintf(addr, sizeof(addr), "::ffff:%s", a4);
		plen += 96;
	} else
		assert_non_null(inet_ntop(r->p.net.family, r->p.net.addr,
		    addr, sizeof(addr)));
	if (r->scope == ACL_SCOPE_ALL && rng_below(&g->rng, 2) == 0)
		scope = rng_below(&g->rng, 2) ? "port,names" : "";
	len += (size_t)snprintf(out + len, cap - len, "%s%s%s",
	    rng_below(&g->rng, 8) == 0 ? "\t" : "",
	    r->allow ? "allow" : "deny", rng_below(&g->rng, 4) ? " " : "\t");
	if (plen == (r->p.net.family == AF_INET ? 32u : 128u) &&
	    rng_below(&g->rng, 2))
		len += (size_t)snprintf(out + len, cap - len, "%s", addr);
	else
		len += (size_t)snprintf(out + len, cap - len, "%s/%u", addr,
		    plen);
	if (*scope != '\0')
		len += (size_t)snprintf(out + len, cap - len, " %s", scope);
	if (r->nglobs > 0)
		len += (size_t)snprintf(out + len, cap - len, " node");
	for (i = 0; i < r->nglobs; i++)
		len += (size_t)snprintf(out + len, cap - len, " %s",
		    r->globs[i]);
	len += (size_t)snprintf(out + len, cap - len, "%s",
	    eol[rng_below(&g->rng, NELEM(eol))]);
	assert_true(len < cap);
}

/*
 * Write nrules random rules as ACL text (with comments and blank lines
 * between, random spacing, scope spellings, mapped addresses and line
 * ends), parse it, and check the rules read back as made, on their lines.
 * What the compiled policy answers is test_acl.c's business.
 */
static void
gen_policy_text_reads_back(struct gen *g, size_t nrules)
{
	struct gen_rule		*rules;
	struct conf_errors	*e;
	char			*text;
	size_t			 cap = nrules * 128 + 64, len = 0, i, j;
	unsigned		 line = 1;
	struct acl		*acl;

	rules = calloc(nrules, sizeof(*rules));
	text = malloc(cap);
	assert_non_null(rules);
	assert_non_null(text);
	gen_anchors(g);
	for (i = 0; i < nrules; i++) {
		struct gen_rule	*r = &rules[i];

		switch (gen_gap(g)) {
		case 1:
			len += (size_t)snprintf(text + len, cap - len, "\n");
			line++;
			break;
		case 2:
			len += (size_t)snprintf(text + len, cap - len,
			    "# rule %zu\n", i);
			line++;
			break;
		default:
			break;
		}
		gen_rule_random(g, r, line);
		gen_rule_text(g, r, text + len, cap - len);
		line++;
		len += strlen(text + len);
	}
	e = errs_new();
	acl = parse_acl_len(text, len, e);
	free(text);
	assert_non_null(acl);
	assert_int_equal(e->total, 0);
	free(e);
	assert_int_equal(acl_count(acl), nrules);
	for (i = 0; i < nrules; i++) {
		struct acl_rule_view	 v;
		const struct gen_rule	*r = &rules[i];

		get_rule(acl, i, &v);
		assert_int_equal(v.allow, r->allow);
		assert_int_equal(v.prefix.net.family, r->p.net.family);
		assert_memory_equal(v.prefix.net.addr, r->p.net.addr, 16);
		assert_int_equal(v.prefix.len, r->p.len);
		assert_int_equal(v.scope, r->scope);
		assert_int_equal(v.nglobs, r->nglobs);
		for (j = 0; j < r->nglobs; j++)
			assert_string_equal(v.globs[j], r->globs[j]);
		assert_int_equal(v.line, r->line);
	}
	acl_free(acl);
	free(rules);
}

/* Random policies, 1..300 rules and one of 10000, parse back as written. */
static void
test_conf_random_acl_text_reads_back(void **state)
{
	struct gen	 g;
	size_t		 p, nrules;

	(void)state;
	memset(&g, 0, sizeof(g));
	g.rng.s = 0x9e3779b97f4a7c15ULL;
	for (p = 0; p < 300; p++) {
		nrules = 1 + rng_below(&g.rng, rng_below(&g.rng, 4) == 0 ?
		    300 : 40);
		gen_policy_text_reads_back(&g, nrules);
	}
	g.rng.s = 0x2545f4914f6cdd1dULL;
	gen_policy_text_reads_back(&g, 10000);
}

/* ---- the new ACL grammar, register lines, analysis, includes ------------ */

/* Return 1 if some kept message is exactly want. */
static int
has_msg(const struct conf_errors *e, const char *want)
{
	size_t	 i;

	for (i = 0; i < e->n; i++)
		if (strcmp(e->msg[i], want) == 0)
			return 1;
	return 0;
}

/* Fail, listing what was recorded, unless want was. */
static void
assert_msg(const struct conf_errors *e, const char *want)
{
	size_t	 i;

	if (has_msg(e, want))
		return;
	for (i = 0; i < e->n; i++)
		print_error("got: %s\n", e->msg[i]);
	fail_msg("missing: %s", want);
}

struct finding_vec {
	const char	*text;
	int		 loads;		/* 1: a policy, with warnings only */
	const char	*want;		/* one of the findings, exactly */
};

/* Every ACL mistake issue 10 names, as an error or a warning, on its line. */
static const struct finding_vec finding_vecs[] = {
	/* A mistyped scope is no longer a node glob that never matches. */
	{ "allow 127.0.0.0/8\ndeny 10.231.0.3 nmaes\nallow 10.0.0.0/8\n", 0,
	  "t.acl:2: error: unknown scope \"nmaes\" (names, port or "
	  "names,port); node names follow the word node: \"deny 10.231.0.3 "
	  "node nmaes\"" },
	{ "allow 127.0.0.0/8\nallow 10.0.0.1 rabbit1\n", 0,
	  "t.acl:2: error: unknown scope \"rabbit1\" (names, port or "
	  "names,port); node names follow the word node: \"allow 10.0.0.1 "
	  "node rabbit1\"" },
	{ "allow 127.0.0.0/8\nallow 10.0.0.1 port names\n", 0,
	  "t.acl:2: error: \"names\" after the scope is ambiguous: write "
	  "\"names,port\" for both scopes, or \"node names\" for a node of "
	  "that name" },
	{ "allow 127.0.0.0/8\nallow 10.0.0.1 names rabbit* node\n", 0,
	  "t.acl:2: error: \"node\" after the scope is ambiguous: write "
	  "\"names,port\" for both scopes, or \"node node\" for a node of "
	  "that name" },
	{ "allow 127.0.0.0/8\nallow 10.0.0.1 names node\n", 0,
	  "t.acl:2: error: node needs at least one node name or glob" },
	/* Node@host: never an EPMD name. */
	{ "allow 127.0.0.0/8\nallow 10.0.0.0/24 port rabbit@host1\n", 0,
	  "t.acl:2: error: \"rabbit@host1\": EPMD names have no host part: "
	  "use `rabbit`, not `rabbit@host1`" },
	{ "allow 127.0.0.0/8\nallow 10.0.0.0/24 node couch* rabbit@host1\n", 0,
	  "t.acl:2: error: \"rabbit@host1\": EPMD names have no host part: "
	  "use `rabbit`, not `rabbit@host1`" },
	{ "allow 127.0.0.0/8\nregister ej*@h ejabberd\n", 0,
	  "t.acl:2: error: \"ej*@h\": EPMD names have no host part: use "
	  "`ej*`, not `ej*@h`" },
	/* The old form, where it cannot hide a typo: a warning. */
	{ "allow 127.0.0.0/8\nallow 192.0.2.10 names rabbit*\n", 1,
	  "t.acl:2: warning: old syntax: node names now follow the word node: "
	  "write \"allow 192.0.2.10 names node rabbit*\"" },
	{ "allow 127.0.0.0/8\ndeny 10.0.0.0/8 rabbit* couch?b\n", 1,
	  "t.acl:2: warning: old syntax: node names now follow the word node: "
	  "write \"deny 10.0.0.0/8 node rabbit* couch?b\"" },
	/* Nothing at all: an error. */
	{ "# all commented out\n#allow 127.0.0.0/8\n", 0,
	  "t.acl: error: no allow or deny rules: every lookup would be "
	  "denied, loopback's too (to mean that, write \"deny 0.0.0.0/0\" and "
	  "\"deny ::/0\")" },
	{ "register rabbit* 0\n", 0,
	  "t.acl: error: no allow or deny rules: every lookup would be "
	  "denied, loopback's too (to mean that, write \"deny 0.0.0.0/0\" and "
	  "\"deny ::/0\")" },
	/* No loopback: a warning, naming the rule that shuts it out. */
	{ "allow 10.0.0.0/8\n", 1,
	  "t.acl: warning: no rule allows loopback (127.0.0.1, ::1): local "
	  "nodes cannot find each other (add \"allow 127.0.0.0/8\" and "
	  "\"allow ::1\")" },
	{ "allow 127.0.0.0/8 names\n\ndeny 0.0.0.0/0\ndeny ::/0\n", 1,
	  "t.acl:3: warning: this rule denies loopback lookups and no earlier "
	  "rule allows them: local nodes cannot find each other (add \"allow "
	  "127.0.0.0/8\" and \"allow ::1\" above it)" },
	/* Shadowed rules: warnings, sharper for a deny that never applies. */
	{ "allow 127.0.0.0/8\nallow 10.0.0.0/8\ndeny 10.1.2.0/24\n", 1,
	  "t.acl:3: warning: this deny never applies: line 2 allows "
	  "everything it covers first" },
	{ "allow 127.0.0.0/8\ndeny 10.0.0.0/8 port\nallow 10.1.0.0/16 port\n",
	  1, "t.acl:3: warning: this allow never applies: line 2 denies "
	  "everything it covers first" },
	{ "allow ::1\nallow fd00::/8 names\nallow fd00:1::/32 names node a\n",
	  1, "t.acl:3: warning: this rule never applies: line 2 covers "
	  "everything it does" },
	{ "allow ::1\nallow ::/0 node rabbit*\nallow fd00::1 node rabbit1 "
	  "rabbit2*\n", 1, "t.acl:3: warning: this rule never applies: line 2 "
	  "covers everything it does" },
	{ "allow 127.0.0.1\nallow 127.0.0.1\n", 1,
	  "t.acl:2: warning: this rule never applies: line 1 covers "
	  "everything it does" },
	{ "allow 127.0.0.0/8\nregister rabbit* 0\nregister rabbit1 5\n", 1,
	  "t.acl:3: warning: register \"rabbit1\" never applies: line 2 "
	  "(register rabbit*) comes first and covers every name it matches" },
	{ "allow 127.0.0.0/8\nregister * 0\nregister r?b* 5\n", 1,
	  "t.acl:3: warning: register \"r?b*\" never applies: line 2 "
	  "(register *) comes first and covers every name it matches" },
	/* Register syntax. */
	{ "allow 127.0.0.0/8\nregister rabbit*\n", 0,
	  "t.acl:2: error: register: expected \"register GLOB "
	  "USER[,USER...]\"" },
	{ "allow 127.0.0.0/8\nregister rabbit* a b\n", 0,
	  "t.acl:2: error: register: expected \"register GLOB "
	  "USER[,USER...]\"" },
	{ "allow 127.0.0.0/8\nregister rabbit* rabbitmq,,couchdb\n", 0,
	  "t.acl:2: error: register: empty user name in "
	  "\"rabbitmq,,couchdb\"" },
	{ "allow 127.0.0.0/8\nregister rabbit* rabbitmq,\n", 0,
	  "t.acl:2: error: register: empty user name in \"rabbitmq,\"" },
	{ "allow 127.0.0.0/8\nregister rabbit* nosuchuser\n", 0,
	  "t.acl:2: error: register: no such user \"nosuchuser\"" },
	{ "allow 127.0.0.0/8\nregister rabbit* 4294967295\n", 0,
	  "t.acl:2: error: register: uid \"4294967295\" is too large "
	  "(0..4294967294)" },
	{ "allow 127.0.0.0/8\nregister rabbit* 12ab\n", 0,
	  "t.acl:2: error: register: uid \"12ab\" is not a decimal number "
	  "(0..4294967294)" },
	{ "allow 127.0.0.0/8\nregister rabbit* -rabbit\n", 0,
	  "t.acl:2: error: register: \"-rabbit\" is not a valid user name" },
	{ "allow 127.0.0.0/8\nregister rab[bit 0\n", 0,
	  "t.acl:2: error: \"rab[bit\": bad node glob: '[' and ']' are "
	  "reserved" },
	{ "allow 127.0.0.0/8\nregister rabbit* 0,1,2,3,4,5,6,7,8,9,10,11,12,"
	  "13,14,15,16\n", 0, "t.acl:2: error: register: more than 16 users" },
	/* include without file access (the pure parser). */
	{ "allow 127.0.0.0/8\ninclude acl.d/*.acl\n", 0,
	  "t.acl:2: error: include: not available here (only in files read "
	  "by epmd_secure)" },
	{ "allow 127.0.0.0/8\ninclude\n", 0,
	  "t.acl:2: error: include: expected one file name or pattern" },
};

/* A resolver as getpwnam() would answer, for the pure parser. */
static int
fake_uid_of(void *arg, const char *user, uint32_t *uid)
{
	(void)arg;
	if (strcmp(user, "rabbitmq") == 0)
		*uid = 999;
	else if (strcmp(user, "couchdb") == 0)
		*uid = 998;
	else if (strcmp(user, "ejabberd") == 0)
		*uid = 997;
	else
		return -1;
	return 0;
}

static const struct conf_acl_io fake_io = { fake_uid_of, NULL, NULL };

static struct acl *
parse_acl_io(const char *text, struct conf_registers *reg,
    struct conf_errors *e)
{
	size_t		 len = strlen(text);
	char		*copy = dup_exact(text, len);
	struct acl	*acl;

	acl = conf_parse_acl_io(copy, len, FILE_ACL, &fake_io, reg, e);
	free(copy);
	return acl;
}

static void
test_conf_acl_findings(void **state)
{
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(finding_vecs); i++) {
		const struct finding_vec	*v = &finding_vecs[i];
		struct conf_errors		*e = errs_new();
		struct conf_registers		*reg = calloc(1, sizeof(*reg));
		struct acl			*acl;

		assert_non_null(reg);
		print_message("vector %zu: %s\n", i, v->want);
		acl = parse_acl_io(v->text, reg, e);
		assert_msg(e, v->want);
		if (v->loads) {
			assert_non_null(acl);
			assert_int_equal(e->total, 0);
			assert_true(e->warnings > 0);
		} else {
			assert_null(acl);
			assert_true(e->total > 0);
			/* A rejected file keeps no register lines either. */
			assert_int_equal(reg->n, 0);
		}
		acl_free(acl);
		free(reg);
		free(e);
	}
}

/* What is not shadowed must not be warned about. */
static void
test_conf_acl_not_shadowed(void **state)
{
	static const char *const texts[] = {
		/* Narrower first, then broader. */
		"allow 127.0.0.0/8\ndeny 10.1.2.0/24\nallow 10.0.0.0/8\n",
		/* A different scope. */
		"allow 127.0.0.0/8\nallow 10.0.0.0/8 port\ndeny 10.0.0.0/8 "
		"names\n",
		/* A globbed deny first leaves other nodes to the allow. */
		"allow 127.0.0.0/8\ndeny 10.0.0.0/8 node secret*\n"
		"allow 10.0.0.0/8\n",
		/* A globbed allow opens NAMES: a later globbed deny counts. */
		"allow 127.0.0.0/8\nallow 10.0.0.0/8 node a*\n"
		"deny 10.0.0.0/8 node a1\n",
		/* Globs that the earlier ones do not cover. */
		"allow 127.0.0.0/8\nallow 10.0.0.0/8 node rabbit1*\n"
		"allow 10.0.0.0/8 node rabbit*\n",
		/* Another family. */
		"allow 127.0.0.0/8\nallow ::/0\nallow ::ffff:10.0.0.0/104\n",
		/* The shipped policy, and loopback allowed through ::1 only. */
		"allow 127.0.0.0/8\nallow ::1\n",
		"deny 127.0.0.0/8\nallow ::1\n",
		"allow 127.0.0.1 port node rabbit*\n",
		"register rabbit1* 0\nregister rabbit* 0\nallow ::1\n",
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(texts); i++) {
		struct conf_errors	*e = errs_new();
		struct acl		*acl;
		size_t			 k;

		print_message("text %zu\n", i);
		acl = parse_acl_io(texts[i], NULL, e);
		for (k = 0; k < e->n; k++)
			print_error("unexpected: %s\n", e->msg[k]);
		assert_non_null(acl);
		assert_int_equal(e->n, 0);
		assert_int_equal(e->warnings, 0);
		acl_free(acl);
		free(e);
	}
}

/* Many findings of one kind: the first ten, then a count. */
static void
test_conf_acl_warning_counts(void **state)
{
	char			 text[4096];
	size_t			 len, i;
	struct conf_errors	*e = errs_new();
	struct acl		*acl;

	(void)state;
	len = (size_t)snprintf(text, sizeof(text), "allow 127.0.0.0/8\n"
	    "allow 10.0.0.0/8\n");
	for (i = 0; i < 13; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		    "deny 10.0.%zu.0/24 names x%zu*\n", i, i);
	acl = parse_acl_io(text, NULL, e);
	assert_non_null(acl);
	acl_free(acl);
	/* 13 old-syntax lines, 13 shadowed rules: 10 of each, 2 counts. */
	assert_int_equal(e->warnings, 22);
	assert_int_equal(e->total, 0);
	assert_msg(e, "t.acl: warning: 3 more lines use the old syntax (node "
	    "names without the word node)");
	assert_msg(e, "t.acl:3: warning: old syntax: node names now follow "
	    "the word node: write \"deny 10.0.0.0/24 names node x0*\"");
	free(e);
}

/* register lines: kept in order, users resolved, first match wins. */
static void
test_conf_acl_register(void **state)
{
	static const char text[] =
	    "allow 127.0.0.0/8\n"
	    "register rabbit* rabbitmq,0,rabbitmq\n"	/* 2 */
	    "# couchdb\n"
	    "register couchdb* couchdb\n"		/* 4 */
	    "register ejabberd ejabberd,4294967294\n";	/* 5 */
	struct conf_registers		*reg = calloc(1, sizeof(*reg));
	struct conf_errors		*e = errs_new();
	const struct conf_register	*r;
	struct acl			*acl;

	(void)state;
	assert_non_null(reg);
	acl = parse_acl_io(text, reg, e);
	assert_non_null(acl);
	assert_int_equal(e->n, 0);
	assert_int_equal(acl_count(acl), 1);
	assert_int_equal(reg->n, 3);
	assert_string_equal(reg->rule[0].glob, "rabbit*");
	assert_int_equal(reg->rule[0].line, 2);
	/* A user given twice is kept once. */
	assert_int_equal(reg->rule[0].nuid, 2);
	assert_int_equal(reg->rule[0].uid[0], 999);
	assert_int_equal(reg->rule[0].uid[1], 0);
	assert_int_equal(reg->rule[1].line, 4);
	assert_int_equal(reg->rule[2].uid[1], 4294967294U);

	r = conf_register_match(reg, "rabbit");
	assert_ptr_equal(r, &reg->rule[0]);
	assert_true(conf_register_allows(r, 999));
	assert_true(conf_register_allows(r, 0));
	assert_false(conf_register_allows(r, 998));
	assert_ptr_equal(conf_register_match(reg, "couchdb_1"),
	    &reg->rule[1]);
	assert_ptr_equal(conf_register_match(reg, "ejabberd"), &reg->rule[2]);
	assert_null(conf_register_match(reg, "ejabberd2"));
	assert_null(conf_register_match(reg, "xrabbit"));
	acl_free(acl);

	/* The pure parser without a resolver: user names are unknown. */
	memset(e, 0, sizeof(*e));
	assert_null(parse_acl("allow ::1\nregister r* rabbitmq\n", e));
	assert_msg(e, "t.acl:2: error: register: no such user \"rabbitmq\"");
	/* ...but uids need none. */
	memset(e, 0, sizeof(*e));
	acl = parse_acl("allow ::1\nregister r* 0,1000\n", e);
	assert_non_null(acl);
	acl_free(acl);
	free(reg);
	free(e);
}

/* 128 register lines fit; the 129th is an error. */
static void
test_conf_acl_register_limit(void **state)
{
	size_t			 cap = 64 * (CONF_MAX_REGISTER + 2), len, i;
	char			*text = malloc(cap);
	struct conf_registers	*reg = calloc(1, sizeof(*reg));
	struct conf_errors	*e = errs_new();
	struct acl		*acl;

	(void)state;
	assert_non_null(text);
	assert_non_null(reg);
	len = (size_t)snprintf(text, cap, "allow ::1\n");
	for (i = 0; i < CONF_MAX_REGISTER; i++)
		len += (size_t)snprintf(text + len, cap - len,
		    "register n%zu 0\n", i);
	acl = parse_acl_io(text, reg, e);
	assert_non_null(acl);
	acl_free(acl);
	assert_int_equal(reg->n, CONF_MAX_REGISTER);
	snprintf(text + len, cap - len, "register last 0\n");
	assert_null(parse_acl_io(text, reg, e));
	assert_msg(e, "t.acl:130: error: more than 128 register lines");
	free(text);
	free(reg);
	free(e);
}

/* ---- the keyword table and the new keys --------------------------------- */

/* Every default in the table is a value the parser accepts. */
static void
test_conf_key_table(void **state)
{
	struct conf_key_info	 k;
	struct conf		 c, d;
	size_t			 i, n = 0;
	char			 line[CONF_PATH_LEN + 64];

	(void)state;
	conf_defaults(&d);
	for (i = 0; conf_key(i, &k) == 0; i++, n++) {
		struct conf_errors *e = errs_new();

		assert_true(i < CONF_MAX_KEYS);
		if (k.def == NULL) {
			free(e);
			continue;
		}
		/* Writing the default changes nothing but the line. */
		snprintf(line, sizeof(line), "%s %s\n", k.name, k.def);
		conf_defaults(&c);
		assert_int_equal(parse_conf(line, &c, e), 0);
		c.set = d.set;
		memcpy(c.line, d.line, sizeof(c.line));
		assert_memory_equal(&c, &d, sizeof(c));
		free(e);
	}
	assert_true(n >= 33);
	assert_int_equal(conf_key(n, &k), -1);
	/* The refusal modes and the ACL are what a reload changes. */
	for (i = 0; conf_key(i, &k) == 0; i++)
		assert_int_equal(k.reloadable,
		    strcmp(k.name, "acl_file") == 0 ||
		    strcmp(k.name, "names_refusal") == 0 ||
		    strcmp(k.name, "port_refusal") == 0);
	assert_int_equal(d.register_default, CONF_REGISTER_ANY);
	assert_string_equal(d.state_file, "/var/lib/epmd_secure/owners");
	assert_int_equal(d.check_port_owner, 1);
	assert_int_equal(d.root_any_port, 0);
	assert_int_equal(d.dist_exposure, CONF_DIST_WARN);
	assert_int_equal(d.lim.max_per_uid, 1024);
	assert_string_equal(d.metrics_file, "");
	assert_int_equal(d.metrics_interval, 15);
}

/* The shipped file states exactly the built-in defaults. */
static void
test_conf_shipped_is_defaults(void **state)
{
	struct conf		 c, d;
	struct conf_errors	*e = errs_new();
	char			*text;
	size_t			 len;

	(void)state;
	if ((text = slurp("config/epmd_secure.conf", &len)) == NULL) {
		free(e);
		skip();
	}
	conf_defaults(&c);
	conf_defaults(&d);
	assert_int_equal(parse_conf_len(text, len, &c, e), 0);
	free(text);
	assert_int_equal(e->n, 0);
	c.set = d.set;
	memcpy(c.line, d.line, sizeof(c.line));
	assert_memory_equal(&c, &d, sizeof(c));
	free(e);
}

static void
test_conf_new_keys(void **state)
{
	static const char text[] =
	    "register_default sticky\n"
	    "state_file /run/x/owners\n"
	    "check_port_owner no\n"
	    "root_any_port yes\n"
	    "dist_exposure refuse\n"
	    "max_connections_per_uid 7\n"
	    "metrics_file /var/lib/node/epmd.prom\n"
	    "metrics_interval 3600\n";
	static const struct conf_err_vec vecs[] = {
		{ "register_default first\n", "t.conf:1: error: "
		  "register_default: \"first\" is not any, deny or sticky" },
		{ "dist_exposure yes\n", "t.conf:1: error: dist_exposure: "
		  "\"yes\" is not warn, refuse or ignore" },
		{ "check_port_owner on\n", "t.conf:1: error: check_port_owner: "
		  "\"on\" is not yes or no" },
		{ "state_file owners\n", "t.conf:1: error: state_file: an "
		  "absolute path is expected" },
		{ "metrics_interval 0\n", "t.conf:1: error: metrics_interval: "
		  "\"0\" is too small (1..3600)" },
		{ "metrics_interval 3601\n", "t.conf:1: error: "
		  "metrics_interval: \"3601\" is too large (1..3600)" },
		{ "max_connections_per_uid 0\n", "t.conf:1: error: "
		  "max_connections_per_uid: \"0\" is too small (1..1000000)" },
		/* Cross-checks name the later key's line. */
		{ "max_connections_per_uid 9000\n", "t.conf:1: error: "
		  "max_connections_per_uid (9000) must be below max_connections "
		  "(8192), or one local user can take them all" },
		{ "max_connections_per_uid 100\n#\nmax_connections 100\n"
		  "loopback_reserved 10\n", "t.conf:3: error: "
		  "max_connections_per_uid (100) must be below max_connections "
		  "(100), or one local user can take them all" },
		{ "max_connections 100\nmax_sources 16384\n\nloopback_reserved "
		  "100\n", "t.conf:4: error: loopback_reserved (100) must be "
		  "below max_connections (100)" },
		{ "max_sources 16\n", "t.conf:1: error: max_sources (16) must be "
		  "at least max_connections (8192)" },
		/* Defaults clash: no line to name. */
		{ "max_connections 200\n", "t.conf:1: error: loopback_reserved "
		  "(256) must be below max_connections (200)" },
		/* Duplicates name both lines. */
		{ "port 4369\nlog_ident a\n\nport 4369\n", "t.conf:4: error: "
		  "port given twice (first on line 1)" },
		{ "user a\nuser b\n", "t.conf:2: error: user given twice (first "
		  "on line 1)" },
		/* listen: brackets, and a port where none belongs. */
		{ "listen [fd00::6]:4369\n", "t.conf:1: error: listen: "
		  "\"[fd00::6]:4369\": no port here, the port key sets it: "
		  "write \"listen fd00::6\"" },
		{ "listen 10.0.0.6:4369\n", "t.conf:1: error: listen: "
		  "\"10.0.0.6:4369\": no port here, the port key sets it: write "
		  "\"listen 10.0.0.6\"" },
		{ "listen [10.0.0.6]\n", "t.conf:1: error: listen: "
		  "\"[10.0.0.6]\": brackets are for IPv6 addresses: write "
		  "\"listen 10.0.0.6\"" },
		{ "listen [fd00::6\n", "t.conf:1: error: listen: \"[fd00::6\": "
		  "unbalanced '['" },
		{ "listen []\n", "t.conf:1: error: listen: \"[]\": unbalanced "
		  "'['" },
		{ "log_socket /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		  "t.conf:1: error: log_socket: an absolute path under 108 bytes "
		  "is expected" },
	};
	struct conf		 c;
	struct conf_errors	*e = errs_new();
	size_t			 i;

	(void)state;
	conf_defaults(&c);
	assert_int_equal(parse_conf(text, &c, e), 0);
	assert_int_equal(c.register_default, CONF_REGISTER_STICKY);
	assert_string_equal(c.state_file, "/run/x/owners");
	assert_int_equal(c.check_port_owner, 0);
	assert_int_equal(c.root_any_port, 1);
	assert_int_equal(c.dist_exposure, CONF_DIST_REFUSE);
	assert_int_equal(c.lim.max_per_uid, 7);
	assert_string_equal(c.metrics_file, "/var/lib/node/epmd.prom");
	assert_int_equal(c.metrics_interval, 3600);
	free(e);

	/* Left unset, the per-uid cap follows max_connections. */
	e = errs_new();
	conf_defaults(&c);
	assert_int_equal(parse_conf("max_connections 800\n", &c, e), 0);
	assert_int_equal(c.lim.max_per_uid, 100);
	free(e);

	/* listen: brackets as a socket unit writes them. */
	e = errs_new();
	conf_defaults(&c);
	assert_int_equal(parse_conf("listen [fd00::6] [::1],10.0.0.1\n", &c,
	    e), 0);
	assert_int_equal(c.nlisten, 3);
	assert_string_equal(c.listen[0], "fd00::6");
	assert_string_equal(c.listen[1], "::1");
	free(e);

	for (i = 0; i < NELEM(vecs); i++) {
		e = errs_new();
		print_message("vector: %s\n", vecs[i].want);
		conf_defaults(&c);
		assert_true(parse_conf(vecs[i].text, &c, e) >= 1);
		assert_msg(e, vecs[i].want);
		free(e);
	}
}

/* ---- conf_load: includes and what start-up checks ----------------------- */

static void
test_conf_load_includes(void **state)
{
	struct tmpdir		 t;
	struct conf_errors	*e = errs_new();
	struct conf		*c = calloc(1, sizeof(*c));
	struct acl		*acl = NULL;
	struct acl_rule_view	 r;
	const char		*main_acl, *conf;
	char			 text[512], want[512];
	int			 builtin;

	(void)state;
	assert_non_null(c);
	tmp_open(&t);
	conf = tmp_file(&t, "c.conf", "port 4369\n", 0644);
	/* Sorted: frag-10 before frag-20, whatever the directory order. */
	tmp_file(&t, "frag-20.acl", "allow 192.0.2.20\n", 0644);
	tmp_file(&t, "frag-10.acl", "allow 192.0.2.10\nregister rabbit* "
	    "root\n", 0644);
	main_acl = tmp_file(&t, "main.acl", "allow 127.0.0.0/8\n"
	    "include frag-*.acl\ninclude none-*.acl\nallow ::1\n", 0644);
	assert_int_equal(conf_load(conf, 1, main_acl, c, &acl, &builtin, e),
	    0);
	assert_int_equal(e->n, 0);
	assert_non_null(acl);
	assert_int_equal(acl_count(acl), 4);
	get_rule(acl, 1, &r);
	assert_int_equal(r.line, 1);
	assert_int_equal(r.prefix.net.addr[3], 10);
	get_rule(acl, 2, &r);
	assert_int_equal(r.prefix.net.addr[3], 20);
	get_rule(acl, 3, &r);
	assert_int_equal(r.line, 4);
	/* register lines from fragments, users resolved by getpwnam(). */
	assert_int_equal(c->reg.n, 1);
	assert_int_equal(c->reg.rule[0].uid[0], 0);
	/* The files read, in order. */
	assert_int_equal(e->nread, 4);
	snprintf(want, sizeof(want), "%s: configuration read", conf);
	assert_string_equal(e->read[0], want);
	snprintf(want, sizeof(want), "%s: ACL read", main_acl);
	assert_string_equal(e->read[1], want);
	snprintf(want, sizeof(want), "%s/frag-10.acl: ACL fragment read",
	    t.dir);
	assert_string_equal(e->read[2], want);
	acl_free(acl);

	/* A fragment's error names the fragment and its line. */
	tmp_file(&t, "frag-30.acl", "\n\nallow 10.0.0.1 nmaes\n", 0644);
	memset(e, 0, sizeof(*e));
	assert_int_equal(conf_load(conf, 1, main_acl, c, &acl, &builtin, e),
	    -1);
	assert_null(acl);
	assert_int_equal(c->reg.n, 0);
	snprintf(want, sizeof(want), "%s/frag-30.acl:3: error: unknown scope "
	    "\"nmaes\" (names, port or names,port); node names follow the "
	    "word node: \"allow 10.0.0.1 node nmaes\"", t.dir);
	assert_msg(e, want);
	assert_int_equal(e->total, 1);

	/* A plain name must exist; loops and depth are errors. */
	snprintf(text, sizeof(text), "allow ::1\ninclude missing.acl\n"
	    "include %s/self.acl\n", t.dir);
	main_acl = tmp_file(&t, "main2.acl", text, 0644);
	tmp_file(&t, "self.acl", "include self.acl\n", 0644);
	memset(e, 0, sizeof(*e));
	assert_int_equal(conf_load(conf, 1, main_acl, c, &acl, &builtin, e),
	    -1);
	snprintf(want, sizeof(want), "%s:2: error: include: %s/missing.acl: "
	    "no such file", main_acl, t.dir);
	assert_msg(e, want);
	snprintf(want, sizeof(want), "%s/self.acl:1: error: include: "
	    "%s/self.acl: include loop (it is already being read)", t.dir,
	    t.dir);
	assert_msg(e, want);
	assert_int_equal(e->total, 2);

	/* A fragment writable by others is refused like the ACL itself. */
	tmp_file(&t, "unsafe.acl", "allow ::1\n", 0666);
	main_acl = tmp_file(&t, "main3.acl", "allow ::1\ninclude "
	    "unsafe.acl\n", 0644);
	memset(e, 0, sizeof(*e));
	assert_int_equal(conf_load(conf, 1, main_acl, c, &acl, &builtin, e),
	    -1);
	assert_int_equal(e->total, 1);
	assert_non_null(strstr(e->msg[0], "unsafe.acl: error: writable by "
	    "group or others"));
	tmp_close(&t);
	free(c);
	free(e);
}

/* Includes nest up to CONF_MAX_INCLUDE_DEPTH. */
static void
test_conf_load_include_depth(void **state)
{
	struct tmpdir		 t;
	struct conf_errors	*e = errs_new();
	struct conf		*c = calloc(1, sizeof(*c));
	struct acl		*acl = NULL;
	const char		*conf, *top = NULL;
	char			 name[32], text[64], want[256];
	int			 builtin, i;

	(void)state;
	assert_non_null(c);
	tmp_open(&t);
	conf = tmp_file(&t, "c.conf", "port 4369\n", 0644);
	/* d0 includes d1 ... d9: nine levels below d0. */
	for (i = 0; i <= CONF_MAX_INCLUDE_DEPTH + 1; i++) {
		snprintf(name, sizeof(name), "d%d.acl", i);
		snprintf(text, sizeof(text), "allow 10.0.0.%d\ninclude "
		    "d%d.acl\n", i, i + 1);
		if (i == CONF_MAX_INCLUDE_DEPTH + 1)
			snprintf(text, sizeof(text), "allow ::1\n");
		if (i == 0)
			top = tmp_file(&t, name, text, 0644);
		else
			tmp_file(&t, name, text, 0644);
	}
	assert_int_equal(conf_load(conf, 1, top, c, &acl, &builtin, e), -1);
	snprintf(want, sizeof(want), "%s/d%d.acl:2: error: include: nested "
	    "more than %d deep", t.dir, CONF_MAX_INCLUDE_DEPTH,
	    CONF_MAX_INCLUDE_DEPTH);
	assert_msg(e, want);
	assert_int_equal(e->total, 1);
	tmp_close(&t);
	free(c);
	free(e);
}

/* conf_load checks what start-up needs, each finding on its key's line. */
static void
test_conf_load_start_checks(void **state)
{
	struct tmpdir		 t;
	struct conf_errors	*e = errs_new();
	struct conf		*c = calloc(1, sizeof(*c));
	struct acl		*acl = NULL;
	const char		*aclp, *unsafe, *conf;
	char			 text[1024], want[1024];
	int			 builtin;

	(void)state;
	assert_non_null(c);
	tmp_open(&t);
	aclp = tmp_file(&t, "acl", "allow 127.0.0.0/8\nregister r* "
	    "no_such_user_xq\n", 0644);
	unsafe = tmp_file(&t, "owners", "", 0664);
	snprintf(text, sizeof(text), "port 4369\nuser no_such_user_xq\n"
	    "register_default sticky\nstate_file %s\nlog_socket %s/nolog\n"
	    "metrics_file %s/nodir/x.prom\n", unsafe, t.dir, t.dir);
	conf = tmp_file(&t, "c.conf", text, 0644);
	assert_int_equal(conf_load(conf, 1, aclp, c, &acl, &builtin, e), -1);
	assert_null(acl);
	snprintf(want, sizeof(want), "%s:2: error: user: no such user "
	    "\"no_such_user_xq\"", conf);
	assert_msg(e, want);
	/* The daemon ignores an unsafe state file (as empty): a warning. */
	snprintf(want, sizeof(want), "%s:4: warning: state_file: %s is "
	    "writable by group or others (chmod go-w %s): it will be ignored "
	    "(as empty)", conf, unsafe, unsafe);
	assert_msg(e, want);
	snprintf(want, sizeof(want), "%s:5: warning: log_socket: %s/nolog "
	    "does not exist (yet): records are dropped until it does", conf,
	    t.dir);
	assert_msg(e, want);
	snprintf(want, sizeof(want), "%s:6: warning: metrics_file: directory "
	    "%s/nodir does not exist (yet)", conf, t.dir);
	assert_msg(e, want);
	snprintf(want, sizeof(want), "%s:2: error: register: no such user "
	    "\"no_such_user_xq\"", aclp);
	assert_msg(e, want);
	assert_int_equal(e->total, 2);
	assert_int_equal(e->warnings, 3);

	/* A sticky state file that is a directory: a warning too. */
	snprintf(text, sizeof(text), "register_default sticky\nstate_file "
	    "%s\n", t.dir);
	conf = tmp_file(&t, "c2.conf", text, 0644);
	memset(e, 0, sizeof(*e));
	assert_int_equal(conf_load(conf, 1, aclp, c, &acl, &builtin, e), -1);
	snprintf(want, sizeof(want), "%s:2: warning: state_file: %s is not a "
	    "regular file: it will be ignored (as empty)", conf, t.dir);
	assert_msg(e, want);
	tmp_close(&t);
	free(c);
	free(e);
}

/* 1 if some recorded message contains needle (else list them). */
static int
has_msg_part(const struct conf_errors *e, const char *needle)
{
	size_t	 i;

	for (i = 0; i < e->n; i++)
		if (strstr(e->msg[i], needle) != NULL)
			return 1;
	for (i = 0; i < e->n; i++)
		print_error("have: %s\n", e->msg[i]);
	return 0;
}

/* Write a file of mode 0644 (the loaders refuse group/other-writable). */
static void
write_mode_0644(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0644), 0);
}

/* Values of the right type but outside what the key allows. */
static void
test_conf_word_values_refused(void **state)
{
	struct conf		 c;
	struct conf_errors	*e = errs_new();

	(void)state;
	conf_defaults(&c);
	assert_int_not_equal(parse_conf("log_facility nosuch\n", &c, e), 0);
	assert_true(has_msg_part(e, "t.conf:1: error: log_facility: \"nosuch\" "
	    "is not a known facility"));
	free(e);
	e = errs_new();
	conf_defaults(&c);
	assert_int_not_equal(parse_conf("log_ident a/b\n", &c, e), 0);
	assert_true(has_msg_part(e, "t.conf:1: error: log_ident: letters, digits"));
	free(e);
}

/*
 * The file edges: a file over the size limit, includes that name nothing
 * or a path too long, a log_socket that is not a socket. Each is an error
 * with the file and line that named it, and the load fails.
 */
static void
test_conf_file_edges(void **state)
{
	char			 dir[] = "/tmp/test_conf.XXXXXX";
	char			 big[64], conf[64], acl[64], text[2048];
	char			*buf = NULL, *longinc;
	size_t			 len;
	struct conf		 c;
	struct acl		*a = NULL;
	struct conf_errors	*e = errs_new();
	int			 fd, builtin = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(big, sizeof(big), "%s/big", dir);
	fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, CONF_MAX_FILE + 1), 0);
	close(fd);
	assert_int_equal(conf_read_file(big, &buf, &len, e), CONF_READ_ERROR);
	assert_null(buf);
	assert_true(has_msg_part(e, "larger than"));
	free(e);

	/* An include that names no file, and one whose path is too long. */
	longinc = malloc(CONF_PATH_LEN + 16);
	assert_non_null(longinc);
	memset(longinc, 'a', CONF_PATH_LEN + 8);
	longinc[CONF_PATH_LEN + 8] = '\0';
	snprintf(acl, sizeof(acl), "%s/acl", dir);
	snprintf(text, sizeof(text), "allow 127.0.0.0/8\nallow ::1\n"
	    "include nothere.acl\ninclude %s\n", longinc);
	free(longinc);
	write_mode_0644(acl, text);
	snprintf(conf, sizeof(conf), "%s/epmd_secure.conf", dir);
	snprintf(text, sizeof(text), "acl_file %s\nlog_target syslog\n"
	    "log_socket %s\n", acl, acl);
	write_mode_0644(conf, text);
	e = errs_new();
	assert_int_equal(conf_load(conf, 1, NULL, &c, &a, &builtin, e), -1);
	assert_null(a);
	snprintf(text, sizeof(text), "%s:3: error: include: %s/nothere.acl: "
	    "no such file", acl, dir);
	assert_true(has_msg_part(e, text));
	snprintf(text, sizeof(text), "%s:4: error: include: path too long",
	    acl);
	assert_true(has_msg_part(e, text));
	snprintf(text, sizeof(text), "%s:3: error: log_socket: %s is not a "
	    "socket", conf, acl);
	assert_true(has_msg_part(e, text));
	free(e);

	unlink(big);
	unlink(acl);
	unlink(conf);
	assert_int_equal(rmdir(dir), 0);
}

/*
 * Includes at scale and across files: a rule in a fragment that a rule of
 * the including file shadows is reported on the fragment's own line and
 * names the other file; more than CONF_MAX_INCLUDED fragments is an error.
 */
static void
test_conf_include_shadow_and_limit(void **state)
{
	char			 dir[] = "/tmp/test_conf_inc.XXXXXX";
	char			 acl[64], frag[96], text[512];
	struct conf		 c;
	struct acl		*a = NULL;
	struct conf_errors	*e;
	int			 i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(frag, sizeof(frag), "%s/d", dir);
	assert_int_equal(mkdir(frag, 0755), 0);
	snprintf(acl, sizeof(acl), "%s/acl", dir);
	write_mode_0644(acl, "allow 127.0.0.0/8\nallow ::1\ninclude d/*.acl\n");
	snprintf(frag, sizeof(frag), "%s/d/a.acl", dir);
	write_mode_0644(frag, "# fragment\ndeny 127.0.0.1\n");
	e = errs_new();
	conf_defaults(&c);
	snprintf(c.acl_file, sizeof(c.acl_file), "%s", acl);
	assert_int_equal(conf_load("/nonexistent/epmd_secure.conf", 0, acl, &c,
	    &a, &i, e), 0);
	assert_non_null(a);
	acl_free(a);
	a = NULL;
	snprintf(text, sizeof(text), "%s:2: warning: this deny never "
	    "applies: %s:1 allows everything it covers first", frag, acl);
	assert_true(has_msg_part(e, text));
	free(e);

	/* 1025 fragments: one too many. */
	for (i = 0; i < CONF_MAX_INCLUDED; i++) {
		snprintf(frag, sizeof(frag), "%s/d/f%04d.acl", dir, i);
		write_mode_0644(frag, "# empty\n");
	}
	e = errs_new();
	assert_int_equal(conf_load("/nonexistent/epmd_secure.conf", 0, acl, &c,
	    &a, &i, e), -1);
	assert_null(a);
	assert_true(has_msg_part(e, "included files"));
	free(e);
	for (i = 0; i < CONF_MAX_INCLUDED; i++) {
		snprintf(frag, sizeof(frag), "%s/d/f%04d.acl", dir, i);
		unlink(frag);
	}
	snprintf(frag, sizeof(frag), "%s/d/a.acl", dir);
	unlink(frag);
	snprintf(frag, sizeof(frag), "%s/d", dir);
	assert_int_equal(rmdir(frag), 0);
	unlink(acl);
	assert_int_equal(rmdir(dir), 0);
}

/*
 * More edges: a relative include from an ACL named without a directory,
 * a glob match that cannot be stat()ed (a dangling link), a log_socket
 * check under log_target journald, and one rule past ACL_MAX_RULES.
 */
static void
test_conf_more_edges(void **state)
{
	char			 dir[] = "/tmp/test_conf_more.XXXXXX";
	char			 path[128], text[256], cwd[4096];
	char			*big;
	struct conf		 c;
	struct acl		*a = NULL;
	struct conf_errors	*e;
	size_t			 i, off;
	int			 builtin;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(mkdir("d", 0755), 0);
	write_mode_0644("d/ok.acl", "allow 10.0.0.0/8 port\n");
	assert_int_equal(symlink("nowhere", "d/zz.acl"), 0);
	write_mode_0644("acl", "allow 127.0.0.0/8\nallow ::1\ninclude d/*.acl\n");
	e = errs_new();
	conf_defaults(&c);
	assert_int_equal(conf_load("/nonexistent/epmd_secure.conf", 0, "acl",
	    &c, &a, &builtin, e), -1);
	assert_null(a);
	assert_true(has_msg_part(e, "acl:3: error: include: d/zz.acl: "
	    "No such file or directory"));
	free(e);
	unlink("d/zz.acl");
	e = errs_new();
	assert_int_equal(conf_load("/nonexistent/epmd_secure.conf", 0, "acl",
	    &c, &a, &builtin, e), 0);
	assert_non_null(a);
	assert_int_equal(acl_count(a), 3);
	acl_free(a);
	a = NULL;
	free(e);

	/* journald's socket must be a socket too. */
	snprintf(path, sizeof(path), "%s/conf", dir);
	snprintf(text, sizeof(text), "log_target journald\nlog_socket %s/acl\n",
	    dir);
	write_mode_0644(path, text);
	e = errs_new();
	assert_int_equal(conf_load(path, 1, "acl", &c, &a, &builtin, e), -1);
	snprintf(text, sizeof(text), "%s:2: error: log_socket: %s/acl is not "
	    "a socket", path, dir);
	assert_true(has_msg_part(e, text));
	free(e);
	unlink(path);

	/* ACL_MAX_RULES rules load; one more is an error on its line. */
	big = malloc((size_t)(ACL_MAX_RULES + 1) * 32);
	assert_non_null(big);
	for (i = 0, off = 0; i <= ACL_MAX_RULES; i++)
		off += (size_t)sprintf(big + off, "deny 10.%zu.%zu.%zu\n",
		    (i >> 16) & 255, (i >> 8) & 255, i & 255);
	e = errs_new();
	a = conf_parse_acl(big, off, FILE_ACL, e);
	free(big);
	assert_null(a);
	snprintf(text, sizeof(text), "t.acl:%d: error: more than %d rules",
	    ACL_MAX_RULES + 1, ACL_MAX_RULES);
	assert_true(has_msg_part(e, text));
	free(e);

	unlink("acl");
	unlink("d/ok.acl");
	assert_int_equal(rmdir("d"), 0);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* ---- when the system fails: read(2), fstat(2), memory ------------------- */

/*
 * A read error, or a file that shrinks or grows while it is read (an
 * editor rewriting it during a reload), is an error: never a shorter
 * policy. EINTR is retried.
 */
static void
test_conf_read_file_io_errors(void **state)
{
	static const struct {
		enum fault_fn	 fn;
		int		 err;
		const char	*why;
	} v[] = {
		{ FAULT_READ, EIO, "read: Input/output error" },
		/* It shrank: the end comes before the size fstat gave. */
		{ FAULT_READ, 0, "changed while being read (0 bytes, not "
		    "18): not used; try again" },
		/* It grew after fstat: there is more than it said. */
		{ FAULT_FSTAT, 0, "changed while being read (more than 17 "
		    "bytes): not used; try again" },
		{ FAULT_FSTAT, EIO, "Input/output error" },
	};
	struct tmpdir		 t;
	struct conf_errors	*e = errs_new();
	struct conf		*c = calloc(1, sizeof(*c));
	struct acl		*acl = NULL;
	const char		*p;
	char			*text = NULL, want[512];
	size_t			 len = 0, i;
	int			 builtin;

	(void)state;
	tmp_open(&t);
	p = tmp_file(&t, "a.acl", "allow 10.0.0.0/24\n", 0644);

	for (i = 0; i < NELEM(v); i++) {
		memset(e, 0, sizeof(*e));
		fault_arm(v[i].fn, 0, v[i].err);
		assert_int_equal(conf_read_file(p, &text, &len, e),
		    CONF_READ_ERROR);
		assert_int_equal(fault_disarm(v[i].fn), 1);
		assert_null(text);
		snprintf(want, sizeof(want), "%s: error: %s", p, v[i].why);
		assert_msg(e, want);
		assert_int_equal(e->total, 1);
	}

	/* A signal during the read: retried, the whole file comes back. */
	memset(e, 0, sizeof(*e));
	fault_arm(FAULT_READ, 0, EINTR);
	assert_int_equal(conf_read_file(p, &text, &len, e), CONF_READ_OK);
	assert_int_equal(fault_disarm(FAULT_READ), 1);
	assert_int_equal(e->total, 0);
	assert_int_equal(len, 18);
	assert_string_equal(text, "allow 10.0.0.0/24\n");
	free(text);

	/* conf_load() keeps the error and gives no ACL. */
	memset(e, 0, sizeof(*e));
	assert_non_null(c);
	fault_arm(FAULT_READ, 0, 0);
	assert_int_equal(conf_load("/nonexistent/c.conf", 0, p, c, &acl,
	    &builtin, e), -1);
	assert_int_equal(fault_disarm(FAULT_READ), 1);
	assert_null(acl);
	assert_int_equal(e->total, 1);
	free(c);
	tmp_close(&t);
	free(e);
}

/*
 * conf_load() with its nth allocation failing, for every n until a run
 * makes no allocation fail: each failing run reports "out of memory",
 * returns -1 and gives no ACL (the ASan build catches what it leaks).
 */
static void
test_conf_load_every_allocation_fails(void **state)
{
	struct tmpdir		 t;
	struct conf_errors	*e = errs_new();
	struct conf		*c = calloc(1, sizeof(*c));
	struct acl		*acl;
	const char		*conf, *main_acl;
	long			 n;
	int			 rc = -1, builtin;

	(void)state;
	assert_non_null(c);
	tmp_open(&t);
	conf = tmp_file(&t, "c.conf", "port 4369\nlisten 127.0.0.1 ::1\n"
	    "log_target stderr\n", 0644);
	tmp_file(&t, "frag-1.acl", "allow 192.0.2.0/24 names node a* b*\n"
	    "register rabbit* root\n", 0644);
	tmp_file(&t, "frag-2.acl", "deny 192.0.2.7\nallow 198.51.100.0/24 "
	    "port\n", 0644);
	main_acl = tmp_file(&t, "main.acl", "allow 127.0.0.0/8\n"
	    "include frag-*.acl\nallow 10.0.0.0/8\nallow 10.1.0.0/16\n"
	    "allow ::1\nregister couch* root\n", 0644);
	for (n = 0; n < 100000; n++) {
		memset(e, 0, sizeof(*e));
		acl = NULL;
		fault_arm(FAULT_ALLOC, n, ENOMEM);
		rc = conf_load(conf, 1, main_acl, c, &acl, &builtin, e);
		if (fault_disarm(FAULT_ALLOC) == 0)
			break;
		if (rc != -1 || acl != NULL || !has_msg_part(e,
		    "out of memory"))
			fail_msg("allocation %ld failed: rc %d, acl %p", n, rc,
			    (void *)acl);
	}
	/* The run with nothing failing loads it all. */
	assert_int_equal(rc, 0);
	assert_true(n > 8);
	assert_non_null(acl);
	assert_int_equal(acl_count(acl), 7);
	assert_int_equal(c->reg.n, 2);
	acl_free(acl);

	/* The built-in policy, when the default ACL is missing. */
	if (access(CONF_DEFAULT_ACL, F_OK) == 0)
		print_message("not tested here: the built-in policy's "
		    "allocations (this host has %s)\n", CONF_DEFAULT_ACL);
	else {
		conf = tmp_file(&t, "b.conf", "port 4369\n", 0644);
		for (n = 0; n < 1000; n++) {
			memset(e, 0, sizeof(*e));
			acl = NULL;
			fault_arm(FAULT_ALLOC, n, ENOMEM);
			rc = conf_load(conf, 1, NULL, c, &acl, &builtin, e);
			if (fault_disarm(FAULT_ALLOC) == 0)
				break;
			assert_int_equal(rc, -1);
			assert_null(acl);
			assert_true(has_msg_part(e, "out of memory"));
		}
		assert_int_equal(rc, 0);
		assert_int_equal(builtin, 1);
		assert_true(n > 0);
		acl_free(acl);
	}
	tmp_close(&t);
	free(c);
	free(e);
}

/*
 * Files that exist but cannot serve: a directory as the configuration,
 * a directory as the metrics file.
 */
static void
test_conf_load_unusable_files(void **state)
{
	struct tmpdir		 t;
	struct conf_errors	*e = errs_new();
	struct conf		*c = calloc(1, sizeof(*c));
	struct acl		*acl = NULL;
	const char		*aclp, *conf;
	char			 text[512], want[1024];
	int			 builtin;

	(void)state;
	assert_non_null(c);
	tmp_open(&t);
	aclp = tmp_file(&t, "acl", "allow 127.0.0.0/8\n", 0644);
	assert_int_equal(conf_load(t.dir, 0, aclp, c, &acl, &builtin, e), -1);
	assert_null(acl);
	snprintf(want, sizeof(want), "%s: error: not a regular file", t.dir);
	assert_msg(e, want);
	assert_int_equal(e->total, 1);

	snprintf(text, sizeof(text), "metrics_file %s\n", t.dir);
	conf = tmp_file(&t, "c.conf", text, 0644);
	memset(e, 0, sizeof(*e));
	assert_int_equal(conf_load(conf, 1, aclp, c, &acl, &builtin, e), -1);
	assert_null(acl);
	snprintf(want, sizeof(want), "%s:1: error: metrics_file: %s is not a "
	    "regular file", conf, t.dir);
	assert_msg(e, want);
	assert_int_equal(e->total, 1);
	tmp_close(&t);
	free(c);
	free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_acl_accepts_every_form),
		cmocka_unit_test(test_conf_acl_whole_file_line_numbers),
		cmocka_unit_test(test_conf_acl_empty_and_comment_only),
		cmocka_unit_test(test_conf_acl_limits_accepted),
		cmocka_unit_test(test_conf_acl_error_vectors),
		cmocka_unit_test(test_conf_acl_glob_too_long),
		cmocka_unit_test(test_conf_acl_line_too_long),
		cmocka_unit_test(test_conf_acl_multiple_errors),
		cmocka_unit_test(test_conf_acl_error_overflow),
		cmocka_unit_test(test_conf_acl_errors_accumulate),
		cmocka_unit_test(test_conf_acl_builtin),
		cmocka_unit_test(test_conf_defaults),
		cmocka_unit_test(test_conf_empty_keeps_defaults),
		cmocka_unit_test(test_conf_each_key),
		cmocka_unit_test(test_conf_values),
		cmocka_unit_test(test_conf_user),
		cmocka_unit_test(test_conf_listen_lists),
		cmocka_unit_test(test_conf_listen_limit),
		cmocka_unit_test(test_conf_word_values_refused),
		cmocka_unit_test(test_conf_file_edges),
		cmocka_unit_test(test_conf_include_shadow_and_limit),
		cmocka_unit_test(test_conf_more_edges),
		cmocka_unit_test(test_conf_error_vectors),
		cmocka_unit_test(test_conf_acl_file_length),
		cmocka_unit_test(test_conf_multiple_errors),
		cmocka_unit_test(test_conf_shipped_files_parse),
		cmocka_unit_test(test_conf_read_file_modes),
		cmocka_unit_test(test_conf_read_file_missing_and_directory),
		cmocka_unit_test(test_conf_load_default_acl_missing_is_builtin),
		cmocka_unit_test(test_conf_load_files),
		cmocka_unit_test(test_conf_load_errors),
		cmocka_unit_test(test_conf_random_acl_text_reads_back),
		cmocka_unit_test(test_conf_acl_findings),
		cmocka_unit_test(test_conf_acl_not_shadowed),
		cmocka_unit_test(test_conf_acl_warning_counts),
		cmocka_unit_test(test_conf_acl_register),
		cmocka_unit_test(test_conf_acl_register_limit),
		cmocka_unit_test(test_conf_key_table),
		cmocka_unit_test(test_conf_shipped_is_defaults),
		cmocka_unit_test(test_conf_new_keys),
		cmocka_unit_test(test_conf_load_includes),
		cmocka_unit_test(test_conf_load_include_depth),
		cmocka_unit_test(test_conf_load_start_checks),
		cmocka_unit_test_teardown(test_conf_read_file_io_errors,
		    fault_reset),
		cmocka_unit_test_teardown(test_conf_load_every_allocation_fails,
		    fault_reset),
		cmocka_unit_test(test_conf_load_unusable_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
