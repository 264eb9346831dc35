/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_acl.c: address classification on hand-built socket addresses, and
 * the compiled policy's answers: caps, lookup shapes, table-driven vectors
 * and a randomized cross-check against a naive top-to-bottom scan. Every
 * policy is built through acl_parse_prefix() and acl_add(), so this binary
 * links acl and addr only.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acl.h"

#include "acl_gen.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Fill ss from a numeric address, or "unix:PATH" for AF_UNIX. Built here
 * with inet_pton, not util_parse_address, so that this test does not
 * depend on util.c.
 */
static const struct sockaddr *
mkaddr(struct sockaddr_storage *ss, const char *s, uint16_t port)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)(void *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)(void *)ss;
	struct sockaddr_un	*sun = (struct sockaddr_un *)(void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (strncmp(s, "unix:", 5) == 0) {
		sun->sun_family = AF_UNIX;
		assert_true(strlen(s + 5) < sizeof(sun->sun_path));
		memcpy(sun->sun_path, s + 5, strlen(s + 5) + 1);
	} else if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
	} else {
		assert_int_equal(inet_pton(AF_INET6, s, &sin6->sin6_addr), 1);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
	}
	return (const struct sockaddr *)ss;
}

struct local_vec {
	const char	*peer;
	const char	*local;		/* NULL: no local address known */
	int		 want;
};

static const struct local_vec local_vecs[] = {
	/* IPv4 loopback is 127.0.0.0/8, whatever the local address. */
	{ "127.0.0.1", NULL, 1 },
	{ "127.0.0.0", NULL, 1 },
	{ "127.255.255.254", NULL, 1 },
	{ "127.255.255.255", NULL, 1 },
	{ "127.1.2.3", "10.0.0.1", 1 },
	{ "126.255.255.255", NULL, 0 },
	{ "126.0.0.1", NULL, 0 },
	{ "128.0.0.1", NULL, 0 },
	{ "128.0.0.0", NULL, 0 },
	{ "0.0.0.0", NULL, 0 },
	{ "255.255.255.255", NULL, 0 },
	{ "10.0.0.1", NULL, 0 },
	/* IPv6: ::1 only. */
	{ "::1", NULL, 1 },
	{ "::1", "2001:db8::1", 1 },
	{ "::2", NULL, 0 },
	{ "::", NULL, 0 },
	{ "::1:0", NULL, 0 },
	{ "1::1", NULL, 0 },
	{ "fe80::1", NULL, 0 },
	/* IPv4-mapped, from a dual-stack socket: ::ffff:127.0.0.0/104. */
	{ "::ffff:127.0.0.1", NULL, 1 },
	{ "::ffff:127.255.255.255", NULL, 1 },
	{ "::ffff:126.255.255.255", NULL, 0 },
	{ "::ffff:128.0.0.1", NULL, 0 },
	{ "::ffff:10.0.0.1", NULL, 0 },
	{ "::ffff:10.0.0.1", "::ffff:10.0.0.2", 0 },
	/* Deprecated IPv4-compatible form is not mapped loopback. */
	{ "::127.0.0.1", NULL, 0 },
	{ "::fffe:127.0.0.1", NULL, 0 },
	/* A peer dialling one of this host's own addresses. */
	{ "10.0.0.1", "10.0.0.1", 1 },
	{ "10.0.0.1", "10.0.0.2", 0 },
	{ "192.0.2.7", "192.0.2.7", 1 },
	{ "2001:db8::1", "2001:db8::1", 1 },
	{ "2001:db8::1", "2001:db8::2", 0 },
	{ "2001:db8::1", NULL, 0 },
	{ "fe80::1", "fe80::1", 1 },
	{ "::ffff:10.0.0.1", "::ffff:10.0.0.1", 1 },
	{ "::ffff:10.0.0.1", "10.0.0.1", 1 },
	{ "10.0.0.1", "::ffff:10.0.0.1", 1 },
	{ "10.0.0.1", "::ffff:10.0.0.2", 0 },
	{ "2001:db8::1", "10.0.0.1", 0 },
	{ "10.0.0.1", "2001:db8::1", 0 },
	{ "::a00:1", "10.0.0.1", 0 },	/* ::10.0.0.1 is not mapped */
	/* Other families are never local. */
	{ "unix:/run/epmd.sock", NULL, 0 },
	{ "unix:/run/epmd.sock", "unix:/run/epmd.sock", 0 },
	{ "10.0.0.1", "unix:/run/epmd.sock", 0 },
	{ "::2", "unix:/run/epmd.sock", 0 },
};

/* Local peers: loopback, mapped loopback, own address. */
static void
test_acl_is_local_peer_vectors(void **state)
{
	struct sockaddr_storage	 peer, local;
	const struct sockaddr	*lp;
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(local_vecs); i++) {
		const struct local_vec	*v = &local_vecs[i];

		print_message("peer %s local %s\n", v->peer,
		    v->local == NULL ? "(none)" : v->local);
		lp = v->local == NULL ? NULL : mkaddr(&local, v->local, 4369);
		assert_int_equal(acl_is_local_peer(mkaddr(&peer, v->peer,
		    51234), lp), v->want);
	}
}

/* Ports do not matter for locality. */
static void
test_acl_is_local_peer_port_ignored(void **state)
{
	struct sockaddr_storage	 peer, local;
	uint16_t		 port;

	(void)state;
	/* Same address, any ports: still the same host. */
	for (port = 0; port < 10; port++) {
		assert_int_equal(acl_is_local_peer(mkaddr(&peer, "10.1.2.3",
		    port), mkaddr(&local, "10.1.2.3", 4369)), 1);
		assert_int_equal(acl_is_local_peer(mkaddr(&peer,
		    "2001:db8::5", (uint16_t)(65535 - port)),
		    mkaddr(&local, "2001:db8::5", 4369)), 1);
	}
}

/* Only 127/8 of IPv4 is loopback. */
static void
test_acl_is_local_peer_every_first_octet(void **state)
{
	struct sockaddr_storage	 peer;
	char			 a[32];
	unsigned		 o;

	(void)state;
	for (o = 0; o < 256; o++) {
		snprintf(a, sizeof(a), "%u.1.2.3", o);
		assert_int_equal(acl_is_local_peer(mkaddr(&peer, a, 1), NULL),
		    o == 127);
		snprintf(a, sizeof(a), "::ffff:%u.1.2.3", o);
		assert_int_equal(acl_is_local_peer(mkaddr(&peer, a, 1), NULL),
		    o == 127);
	}
}

/* A prefix, parsed. */
static struct acl_prefix
pfx(const char *s)
{
	struct acl_prefix	 p;
	const char		*errstr;

	assert_int_equal(acl_parse_prefix(s, &p, &errstr), ACL_OK);
	return p;
}

/* The caps: globs per rule and rules per policy. */
static void
test_acl_limits(void **state)
{
	const char		*globs[ACL_MAX_GLOBS + 1];
	struct acl		*acl = acl_new();
	struct acl_prefix	 p = pfx("10.0.0.0/8");
	struct acl_rule_view	 v;
	size_t			 i;

	(void)state;
	assert_non_null(acl);
	for (i = 0; i < ACL_MAX_GLOBS + 1; i++)
		globs[i] = "a*";
	assert_int_equal(acl_add(acl, 1, &p, ACL_SCOPE_ALL, globs,
	    ACL_MAX_GLOBS + 1, 1), ACL_TOO_MANY);
	assert_int_equal(acl_add(acl, 1, &p, ACL_SCOPE_ALL, globs,
	    ACL_MAX_GLOBS, 1), ACL_OK);
	for (i = 1; i < ACL_MAX_RULES; i++)
		assert_int_equal(acl_add(acl, 0, &p, ACL_SCOPE_PORT, NULL, 0,
		    (unsigned)i + 1), ACL_OK);
	assert_int_equal(acl_add(acl, 0, &p, ACL_SCOPE_PORT, NULL, 0, 1),
	    ACL_TOO_MANY);
	assert_int_equal(acl_count(acl), ACL_MAX_RULES);
	assert_int_equal(acl_rule(acl, ACL_MAX_RULES - 1, &v), 0);
	assert_int_equal(v.line, ACL_MAX_RULES);
	assert_int_equal(v.prefix.len, 8);
	assert_int_equal(v.prefix.net.family, AF_INET);
	assert_int_equal(acl_rule(acl, ACL_MAX_RULES, &v), -1);
	acl_free(acl);
}

/* Lookups: an empty policy, an address of no family, glob shadowing. */
static void
test_acl_lookup_shapes(void **state)
{
	static const char *const rabbit[] = { "rabbit*" };
	struct acl		*acl = acl_new();
	struct acl_prefix	 p;
	struct addr		 a, none;
	struct acl_verdict	 v;

	(void)state;
	assert_int_equal(addr_parse("10.1.2.3", &a), 0);
	memset(&none, 0, sizeof(none));
	v = acl_check(acl, &a, ACL_SCOPE_PORT, "x");
	assert_int_equal(v.allow, 0);
	assert_int_equal(v.line, 0);
	p = pfx("10.0.0.0/8");
	assert_int_equal(acl_add(acl, 1, &p, ACL_SCOPE_PORT, rabbit, 1, 1),
	    ACL_OK);
	p = pfx("10.1.0.0/16");
	assert_int_equal(acl_add(acl, 0, &p, ACL_SCOPE_ALL, NULL, 0, 2),
	    ACL_OK);
	/* A rule after a glob-free one of the same prefix is shadowed. */
	assert_int_equal(acl_add(acl, 1, &p, ACL_SCOPE_ALL, NULL, 0, 3),
	    ACL_OK);
	v = acl_check(acl, &a, ACL_SCOPE_PORT, "rabbit1");
	assert_int_equal(v.allow, 1);
	assert_int_equal(v.line, 1);
	v = acl_check(acl, &a, ACL_SCOPE_PORT, "fox");
	assert_int_equal(v.line, 2);
	v = acl_check(acl, &a, ACL_SCOPE_PORT, NULL);
	assert_int_equal(v.line, 2);
	v = acl_names_allowed(acl, &a);
	assert_int_equal(v.allow, 0);
	assert_int_equal(v.line, 2);
	v = acl_check(acl, &none, ACL_SCOPE_PORT, "rabbit1");
	assert_int_equal(v.allow, 0);
	assert_int_equal(v.line, 0);
	acl_free(acl);
}

/* ---- policies built rule by rule ----------------------------------------- */

/* Rule i, which must exist. */
static void
get_rule(const struct acl *acl, size_t i, struct acl_rule_view *v)
{
	memset(v, 0, sizeof(*v));
	assert_int_equal(acl_rule(acl, i, v), 0);
}

/* A peer address, IPv4-mapped folded to IPv4 as from a dual-stack socket. */
static struct addr
peer(const char *s)
{
	struct addr	 a;

	if (addr_parse(s, &a) == -1)
		fail_msg("test vector: bad address %s", s);
	addr_fold(&a);
	return a;
}

/*
 * A policy from rule lines "allow|deny PREFIX [SCOPE] [node] [GLOB...]",
 * built through acl_parse_prefix() and acl_add() (no conf.c): one rule a
 * line, numbered from 1, '#' to the end of a line and blank lines skipped.
 * A shorthand for the vectors, not the configuration grammar.
 */
static struct acl *
policy(const char *text)
{
	struct acl		*acl = acl_new();
	char			 buf[1024], *line, *save, *tok, *hash;
	const char		*globs[ACL_MAX_GLOBS];
	const char		*errstr;
	struct acl_prefix	 p;
	unsigned		 lineno = 0, scope;
	size_t			 nglobs;
	int			 allow;

	assert_non_null(acl);
	assert_true(strlen(text) < sizeof(buf));
	memcpy(buf, text, strlen(text) + 1);
	for (line = buf; line != NULL; line = save) {
		save = strchr(line, '\n');
		if (save != NULL)
			*save++ = '\0';
		lineno++;
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		if ((tok = strtok(line, " \t\r")) == NULL)
			continue;
		assert_true(strcmp(tok, "allow") == 0 ||
		    strcmp(tok, "deny") == 0);
		allow = strcmp(tok, "allow") == 0;
		tok = strtok(NULL, " \t\r");
		assert_non_null(tok);
		assert_int_equal(acl_parse_prefix(tok, &p, &errstr), ACL_OK);
		scope = ACL_SCOPE_ALL;
		nglobs = 0;
		while ((tok = strtok(NULL, " \t\r")) != NULL) {
			if (strcmp(tok, "port") == 0)
				scope = ACL_SCOPE_PORT;
			else if (strcmp(tok, "names") == 0)
				scope = ACL_SCOPE_NAMES;
			else if (strcmp(tok, "port,names") == 0 ||
			    strcmp(tok, "names,port") == 0)
				scope = ACL_SCOPE_ALL;
			else if (strcmp(tok, "node") != 0) {
				assert_true(nglobs < ACL_MAX_GLOBS);
				globs[nglobs++] = tok;
			}
		}
		assert_int_equal(acl_add(acl, allow, &p, scope, globs, nglobs,
		    lineno), ACL_OK);
	}
	return acl;
}

/* ---- lookup vectors ------------------------------------------------------ */

#define NAMES_CHECK	0x10	/* acl_names_allowed() instead of acl_check */

struct match_vec {
	const char	*acl;
	const char	*peer;
	unsigned	 scope;		/* ACL_SCOPE_* or NAMES_CHECK */
	const char	*node;
	int		 allow;
	unsigned	 line;
};

#define P	ACL_SCOPE_PORT
#define N	ACL_SCOPE_NAMES
#define NA	NAMES_CHECK

static const struct match_vec match_vecs[] = {
	/* IPv4 prefix edges. */
	{ "allow 0.0.0.0/0", "0.0.0.0", P, "n", 1, 1 },
	{ "allow 0.0.0.0/0", "255.255.255.255", P, "n", 1, 1 },
	{ "allow 0.0.0.0/0", "::ffff:1.2.3.4", P, "n", 1, 1 },
	{ "allow 0.0.0.0/0", "::1", P, "n", 0, 0 },
	{ "allow 0.0.0.0/0", "2001:db8::1", N, NULL, 0, 0 },
	{ "allow 0.0.0.0/0", "::", P, "n", 0, 0 },
	{ "allow 128.0.0.0/1", "128.0.0.0", P, "n", 1, 1 },
	{ "allow 128.0.0.0/1", "255.255.255.255", P, "n", 1, 1 },
	{ "allow 128.0.0.0/1", "127.255.255.255", P, "n", 0, 0 },
	{ "allow 0.0.0.0/1", "127.255.255.255", P, "n", 1, 1 },
	{ "allow 0.0.0.0/1", "128.0.0.0", P, "n", 0, 0 },
	{ "allow 10.0.0.2/31", "10.0.0.2", P, "n", 1, 1 },
	{ "allow 10.0.0.2/31", "10.0.0.3", P, "n", 1, 1 },
	{ "allow 10.0.0.2/31", "10.0.0.1", P, "n", 0, 0 },
	{ "allow 10.0.0.2/31", "10.0.0.4", P, "n", 0, 0 },
	{ "allow 10.0.0.2/32", "10.0.0.2", P, "n", 1, 1 },
	{ "allow 10.0.0.2/32", "10.0.0.3", P, "n", 0, 0 },
	{ "allow 10.0.0.2", "::ffff:10.0.0.2", P, "n", 1, 1 },
	{ "allow 255.255.255.255/32", "255.255.255.255", P, "n", 1, 1 },
	{ "allow 255.255.255.254/31", "255.255.255.255", P, "n", 1, 1 },
	/* IPv6 prefix edges. */
	{ "allow ::/0", "2001:db8::1", P, "n", 1, 1 },
	{ "allow ::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", P, "n",
	  1, 1 },
	{ "allow ::/0", "::", P, "n", 1, 1 },
	{ "allow ::/0", "10.0.0.1", P, "n", 0, 0 },
	{ "allow ::/0", "::ffff:10.0.0.1", P, "n", 0, 0 },
	{ "allow 2001:db8:0:1::/64", "2001:db8:0:1::", P, "n", 1, 1 },
	{ "allow 2001:db8:0:1::/64", "2001:db8:0:1:ffff:ffff:ffff:ffff", P,
	  "n", 1, 1 },
	{ "allow 2001:db8:0:1::/64", "2001:db8:0:2::", P, "n", 0, 0 },
	{ "allow 2001:db8:0:1::/64", "2001:db8:0:0:ffff:ffff:ffff:ffff", P,
	  "n", 0, 0 },
	{ "allow 2001:db8::2/127", "2001:db8::2", P, "n", 1, 1 },
	{ "allow 2001:db8::2/127", "2001:db8::3", P, "n", 1, 1 },
	{ "allow 2001:db8::2/127", "2001:db8::1", P, "n", 0, 0 },
	{ "allow 2001:db8::2/127", "2001:db8::4", P, "n", 0, 0 },
	{ "allow 2001:db8::2/128", "2001:db8::2", P, "n", 1, 1 },
	{ "allow 2001:db8::2/128", "2001:db8::3", P, "n", 0, 0 },
	{ "allow 8000::/1", "8000::", P, "n", 1, 1 },
	{ "allow 8000::/1", "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", P,
	  "n", 0, 0 },
	/* IPv4-mapped rules and peers are IPv4. */
	{ "allow 10.0.0.0/8", "::ffff:10.1.2.3", P, "n", 1, 1 },
	{ "allow 10.0.0.0/8", "::ffff:11.1.2.3", P, "n", 0, 0 },
	{ "allow ::ffff:10.0.0.0/104", "10.1.2.3", P, "n", 1, 1 },
	{ "allow ::ffff:10.0.0.0/104", "::ffff:10.1.2.3", P, "n", 1, 1 },
	{ "allow ::ffff:0.0.0.0/96", "192.0.2.1", P, "n", 1, 1 },
	{ "allow ::ffff:0:0/96", "::ffff:192.0.2.1", P, "n", 1, 1 },
	{ "allow ::/80", "::ffff:10.1.2.3", P, "n", 0, 0 },
	{ "allow ::/80", "::1", P, "n", 1, 1 },
	/* First match wins. */
	{ "deny 10.1.0.0/16\nallow 10.0.0.0/8", "10.1.2.3", P, "n", 0, 1 },
	{ "deny 10.1.0.0/16\nallow 10.0.0.0/8", "10.2.2.3", P, "n", 1, 2 },
	{ "allow 10.0.0.0/8\ndeny 10.1.0.0/16", "10.1.2.3", P, "n", 1, 1 },
	{ "allow 10.1.2.3\ndeny 10.1.2.3", "10.1.2.3", P, "n", 1, 1 },
	{ "deny 10.1.2.3\nallow 10.1.2.3", "10.1.2.3", P, "n", 0, 1 },
	{ "deny 0.0.0.0/0\nallow 10.1.2.3", "10.1.2.3", N, "n", 0, 1 },
	{ "deny ::/0\nallow 10.1.2.3", "10.1.2.3", N, "n", 1, 2 },
	{ "deny 2001:db8::/32\nallow ::/0", "2001:db8::1", P, "n", 0, 1 },
	{ "deny 2001:db8::/32\nallow ::/0", "2001:db9::1", P, "n", 1, 2 },
	/* Scopes. */
	{ "allow 10.0.0.0/8 port", "10.1.1.1", P, "n", 1, 1 },
	{ "allow 10.0.0.0/8 port", "10.1.1.1", N, "n", 0, 0 },
	{ "allow 10.0.0.0/8 port", "10.1.1.1", N, NULL, 0, 0 },
	{ "allow 10.0.0.0/8 port", "10.1.1.1", NA, NULL, 0, 0 },
	{ "allow 10.0.0.0/8 names\ndeny 0.0.0.0/0", "10.1.1.1", P, "n",
	  0, 2 },
	{ "allow 10.0.0.0/8 names\ndeny 0.0.0.0/0", "10.1.1.1", N, "n",
	  1, 1 },
	{ "deny 10.0.0.0/8 port\nallow 0.0.0.0/0", "10.1.1.1", N, "n", 1, 2 },
	{ "deny 10.0.0.0/8 port\nallow 0.0.0.0/0", "10.1.1.1", P, "n", 0, 1 },
	{ "allow 10.0.0.0/8 port,names", "10.1.1.1", N, "n", 1, 1 },
	/* Globs. */
	{ "allow 10.0.0.0/8 port rabbit*", "10.1.1.1", P, "rabbit", 1, 1 },
	{ "allow 10.0.0.0/8 port rabbit*", "10.1.1.1", P, "rabbit2", 1, 1 },
	{ "allow 10.0.0.0/8 port rabbit*", "10.1.1.1", P, "xrabbit", 0, 0 },
	{ "allow 10.0.0.0/8 port rabbit*", "10.1.1.1", P, "rabbi", 0, 0 },
	{ "allow 10.0.0.0/8 port rabbit*", "10.1.1.1", P, NULL, 0, 0 },
	{ "allow 10.0.0.0/8 port n?de", "10.1.1.1", P, "node", 1, 1 },
	{ "allow 10.0.0.0/8 port n?de", "10.1.1.1", P, "nude", 1, 1 },
	{ "allow 10.0.0.0/8 port n?de", "10.1.1.1", P, "nde", 0, 0 },
	{ "allow 10.0.0.0/8 port n?de", "10.1.1.1", P, "nooode", 0, 0 },
	{ "allow 10.0.0.0/8 port a b", "10.1.1.1", P, "b", 1, 1 },
	{ "allow 10.0.0.0/8 port a b", "10.1.1.1", P, "c", 0, 0 },
	{ "allow 10.0.0.0/8 *", "10.1.1.1", P, "", 1, 1 },
	{ "allow 10.0.0.0/8 *", "10.1.1.1", P, NULL, 0, 0 },
	{ "deny 0.0.0.0/0 port secret*\nallow 0.0.0.0/0", "10.1.1.1", P,
	  "secret1", 0, 1 },
	{ "deny 0.0.0.0/0 port secret*\nallow 0.0.0.0/0", "10.1.1.1", P,
	  "public", 1, 2 },
	{ "deny 0.0.0.0/0 port secret*\nallow 0.0.0.0/0", "10.1.1.1", N,
	  "secret1", 1, 2 },
	{ "deny 0.0.0.0/0 port secret*\nallow 0.0.0.0/0", "::1", P,
	  "secret1", 0, 0 },
	{ "deny 10.0.0.0/8 a*\ndeny 10.1.0.0/16 *b\nallow 0.0.0.0/0",
	  "10.1.1.1", P, "xb", 0, 2 },
	{ "deny 10.0.0.0/8 a*\ndeny 10.1.0.0/16 *b\nallow 0.0.0.0/0",
	  "10.1.1.1", P, "ab", 0, 1 },
	{ "deny 10.0.0.0/8 a*\ndeny 10.1.0.0/16 *b\nallow 0.0.0.0/0",
	  "10.2.1.1", P, "xb", 1, 3 },
	/* A glob rule after a glob-free one on the same prefix is dead. */
	{ "allow 10.0.0.0/8\ndeny 10.0.0.0/8 a*", "10.1.1.1", P, "a", 1, 1 },
	{ "deny 10.0.0.0/8 port\nallow 10.0.0.0/8 port a*", "10.1.1.1", P,
	  "a", 0, 1 },
	/* acl_names_allowed(). */
	{ "allow 10.0.0.0/8 names", "10.1.1.1", NA, NULL, 1, 1 },
	{ "deny 10.0.0.0/8\nallow 10.0.0.0/8 names", "10.1.1.1", NA, NULL,
	  0, 1 },
	{ "deny 10.0.0.0/8 names rabbit*\nallow 0.0.0.0/0 names",
	  "10.1.1.1", NA, NULL, 1, 2 },
	{ "deny 10.0.0.0/8 names rabbit*\nallow 0.0.0.0/0 names",
	  "10.1.1.1", N, "rabbit1", 0, 1 },
	{ "deny 10.0.0.0/8 names rabbit*\nallow 0.0.0.0/0 names",
	  "10.1.1.1", N, "couch", 1, 2 },
	{ "allow 10.0.0.0/8 names rabbit*\ndeny 0.0.0.0/0", "10.1.1.1", NA,
	  NULL, 1, 1 },
	{ "allow 10.0.0.0/8 names rabbit*\ndeny 0.0.0.0/0", "10.1.1.1", N,
	  "rabbit", 1, 1 },
	{ "allow 10.0.0.0/8 names rabbit*\ndeny 0.0.0.0/0", "10.1.1.1", N,
	  "couch", 0, 2 },
	{ "allow 10.0.0.0/8 names rabbit*\ndeny 0.0.0.0/0", "11.1.1.1", NA,
	  NULL, 0, 2 },
	{ "allow 10.0.0.0/8 port\ndeny 0.0.0.0/0", "10.1.1.1", NA, NULL,
	  0, 2 },
	{ "deny 10.0.0.0/8 port\nallow 0.0.0.0/0 names", "10.1.1.1", NA,
	  NULL, 1, 2 },
	{ "allow ::1", "10.1.1.1", NA, NULL, 0, 0 },
	{ "deny 10.0.0.0/8 names a*", "10.1.1.1", NA, NULL, 0, 0 },
	{ "deny 10.0.0.0/8 names a*\ndeny 10.1.0.0/16 port\n"
	  "allow ::ffff:10.1.0.0/112 names b*", "10.1.1.1", NA, NULL, 1, 3 },
	/* No rule: deny, line 0. Verdict lines count every line. */
	{ "allow 10.0.0.0/8", "11.0.0.1", P, "n", 0, 0 },
	{ "# one\n\r\n  \n\tallow 10.0.0.0/8 # four\n", "10.0.0.1", P, "n",
	  1, 4 },
	{ "\n\n\n\n\n\n\n\n\ndeny 10.0.0.0/8\n", "10.0.0.1", NA, NULL, 0, 10 },
};

#undef P
#undef N
#undef NA

/* Table-driven verdicts: prefix edges, mapped, first match, scopes, globs. */
static void
test_acl_match_vectors(void **state)
{
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(match_vecs); i++) {
		const struct match_vec	*m = &match_vecs[i];
		struct acl		*acl = policy(m->acl);
		struct addr		 a = peer(m->peer);
		struct acl_verdict	 v;

		if (m->scope == NAMES_CHECK)
			v = acl_names_allowed(acl, &a);
		else
			v = acl_check(acl, &a, m->scope, m->node);
		if (v.allow != m->allow || v.line != m->line)
			print_error("vector %zu: acl \"%s\" peer %s scope %u "
			    "node %s: got allow %d line %u\n", i, m->acl,
			    m->peer, m->scope, m->node ? m->node : "(null)",
			    v.allow, v.line);
		assert_int_equal(v.allow, m->allow);
		assert_int_equal(v.line, m->line);
		acl_free(acl);
	}
}

struct glob_vec {
	const char	*glob;
	const char	*name;
	int		 match;
};

/* acl_glob_match(): '*' and '?' against names. */
static void
test_acl_glob_match_vectors(void **state)
{
	static const struct glob_vec vecs[] = {
		{ "rabbit*", "rabbit", 1 }, { "rabbit*", "rabbit2", 1 },
		{ "rabbit*", "xrabbit", 0 }, { "rabbit*", "rabbi", 0 },
		{ "*", "", 1 }, { "*", "anything", 1 }, { "**", "", 1 },
		{ "?", "", 0 }, { "?", "a", 1 }, { "?", "ab", 0 },
		{ "a?c", "abc", 1 }, { "a?c", "ac", 0 }, { "a?c", "abbc", 0 },
		{ "*a", "ba", 1 }, { "*a", "ab", 0 }, { "a*b*c", "axbyc", 1 },
		{ "a*b*c", "abcbc", 1 }, { "a*b*c", "acb", 0 },
		{ "*ab", "aab", 1 }, { "*ab", "abab", 1 }, { "*?", "", 0 },
		{ "*?", "x", 1 }, { "x", "X", 0 }, { "node@host", "node@host", 1 },
		{ "node@*", "node@h.example", 1 }, { "*@h", "n@h@h", 1 },
		{ "a**?", "ab", 1 }, { "a", "", 0 }, { "a*", "a", 1 },
		{ "b", "a", 0 }, { "node", "nade", 0 }, { "ab", "aa", 0 },
		{ "*b", "ba", 0 }, { "a*a", "a", 0 }, { "a*a", "aa", 1 },
		{ "?*?", "a", 0 }, { "?*?", "ab", 1 },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(vecs); i++) {
		print_message("glob %s name %s\n", vecs[i].glob,
		    vecs[i].name);
		assert_int_equal(acl_glob_match(vecs[i].glob, vecs[i].name),
		    vecs[i].match);
	}
}


/* ---- randomized cross-check against a naive scan ---------------------- */

/* A query address: mostly inside some rule's prefix. */
static void
gen_addr(struct gen *g, const struct acl *acl, struct addr *a)
{
	struct acl_rule_view	 v;
	unsigned		 r = rng_below(&g->rng, 20), f, bits;

	if (r < 15 && acl_count(acl) > 0) {
		get_rule(acl, rng_below(&g->rng, (unsigned)acl_count(acl)), &v);
		*a = v.prefix.net;
		bits = a->family == AF_INET ? 32 : 128;
		/* Often stay close to the network address. */
		random_bits_from(&g->rng, a->addr, r < 8 ? v.prefix.len :
		    bits - rng_below(&g->rng, 3), bits);
		return;
	}
	f = rng_below(&g->rng, 2);
	bits = f == 0 ? 32 : 128;
	*a = g->anchor[f][rng_below(&g->rng, NANCHOR)];
	random_bits_from(&g->rng, a->addr, r < 18 ? rng_below(&g->rng,
	    bits + 1) : 0, bits);
	if (f == 1 && memcmp(a->addr, mapped_head, 12) == 0)
		a->addr[0] = 0x20;
}

/* acl_check() the slow way: the first rule that covers the query. */
static struct acl_verdict
naive_check(const struct acl *acl, const struct addr *a, unsigned scope,
    const char *node)
{
	struct acl_verdict	 v = { 0, 0 };
	struct acl_rule_view	 r;
	size_t			 i, j;

	for (i = 0; acl_rule(acl, i, &r) == 0; i++) {
		int	 covers = r.nglobs == 0;

		if (!(r.scope & scope) || !acl_prefix_contains(&r.prefix, a))
			continue;
		for (j = 0; node != NULL && j < r.nglobs && !covers; j++)
			covers = acl_glob_match(r.globs[j], node);
		if (covers) {
			v.allow = r.allow;
			v.line = r.line;
			return v;
		}
	}
	return v;
}

/* acl_names_allowed() the slow way. */
static struct acl_verdict
naive_names_allowed(const struct acl *acl, const struct addr *a)
{
	struct acl_verdict	 v = { 0, 0 };
	struct acl_rule_view	 r;
	size_t			 i;

	for (i = 0; acl_rule(acl, i, &r) == 0; i++) {
		if (!(r.scope & ACL_SCOPE_NAMES) ||
		    !acl_prefix_contains(&r.prefix, a))
			continue;
		if (r.allow || r.nglobs == 0) {
			v.allow = r.allow;
			v.line = r.line;
			return v;
		}
	}
	return v;
}

/*
 * Build a random policy of nrules rules through acl_parse_prefix() (the
 * prefix written out, sometimes as ::ffff:a.b.c.d/96+len) and acl_add(),
 * on lines with gaps as a file has, and check the rules read back as made.
 */
static struct acl *
gen_policy(struct gen *g, size_t nrules)
{
	struct gen_rule		*rules;
	struct acl		*acl = acl_new();
	size_t			 i, j;
	unsigned		 line = 1;

	rules = calloc(nrules, sizeof(*rules));
	assert_non_null(rules);
	assert_non_null(acl);
	gen_anchors(g);
	for (i = 0; i < nrules; i++) {
		struct gen_rule		*r = &rules[i];
		const char		*globs[3], *errstr;
		char			 s[INET6_ADDRSTRLEN + 16];
		char			 a[INET6_ADDRSTRLEN];
		struct acl_prefix	 p;
		unsigned		 plen;

		line += gen_gap(g) != 0;
		gen_rule_random(g, r, line++);
		plen = r->p.len;
		assert_non_null(inet_ntop(r->p.net.family, r->p.net.addr, a,
		    sizeof(a)));
		if (r->p.net.family == AF_INET && rng_below(&g->rng, 6) == 0)
			snprintf(s, sizeof(s), "::ffff:%s/%u", a, plen + 96);
		else
			snprintf(s, sizeof(s), "%s/%u", a, plen);
		assert_int_equal(acl_parse_prefix(s, &p, &errstr), ACL_OK);
		assert_int_equal(p.net.family, r->p.net.family);
		assert_memory_equal(p.net.addr, r->p.net.addr, 16);
		assert_int_equal(p.len, r->p.len);
		for (j = 0; j < r->nglobs; j++)
			globs[j] = r->globs[j];
		assert_int_equal(acl_add(acl, r->allow, &p, r->scope, globs,
		    r->nglobs, r->line), ACL_OK);
	}
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
	free(rules);
	return acl;
}

struct xcheck_stats {
	size_t	 queries;
	size_t	 allowed;
	size_t	 glob_decided;
};

/* One random query of every kind, compiled against naive. */
static void
xcheck_one(struct gen *g, const struct acl *acl, struct xcheck_stats *st)
{
	struct addr		 a;
	struct acl_verdict	 got, want;
	char			 node[8];
	const char		*np;
	unsigned		 scope, k;

	gen_addr(g, acl, &a);
	/* An IPv4 peer from a dual-stack socket reads the same. */
	if (a.family == AF_INET && rng_below(&g->rng, 4) == 0) {
		struct sockaddr_in6	 sin6;
		struct addr		 b;

		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		memcpy(sin6.sin6_addr.s6_addr, mapped_head, 12);
		memcpy(sin6.sin6_addr.s6_addr + 12, a.addr, 4);
		assert_int_equal(addr_from_sockaddr(
		    (const struct sockaddr *)(const void *)&sin6, &b), 0);
		assert_int_equal(b.family, AF_INET);
		assert_memory_equal(b.addr, a.addr, 16);
	}
	for (k = 0; k < 3; k++) {
		scope = k == 0 ? ACL_SCOPE_NAMES : ACL_SCOPE_PORT;
		gen_word(g, node, "ab", 0, 4);
		np = rng_below(&g->rng, 8) == 0 ? NULL : node;
		got = acl_check(acl, &a, scope, np);
		want = naive_check(acl, &a, scope, np);
		if (got.allow != want.allow || got.line != want.line) {
			char	 s[INET6_ADDRSTRLEN];

			inet_ntop(a.family, a.addr, s, sizeof(s));
			print_error("acl_check(%s, %s, %s): got %d line %u, "
			    "naive %d line %u\n", s, scope ==
			    ACL_SCOPE_NAMES ? "names" : "port",
			    np ? np : "(null)", got.allow, got.line,
			    want.allow, want.line);
		}
		assert_int_equal(got.allow, want.allow);
		assert_int_equal(got.line, want.line);
		st->queries++;
		st->allowed += (size_t)got.allow;
		if (want.line != naive_check(acl, &a, scope, NULL).line)
			st->glob_decided++;
	}
	/* The decision and the deciding line must be the naive ones. */
	got = acl_names_allowed(acl, &a);
	want = naive_names_allowed(acl, &a);
	if (got.allow != want.allow || got.line != want.line) {
		char	 s[INET6_ADDRSTRLEN];

		inet_ntop(a.family, a.addr, s, sizeof(s));
		print_error("acl_names_allowed(%s): got %d line %u, naive %d "
		    "line %u\n", s, got.allow, got.line, want.allow,
		    want.line);
	}
	assert_int_equal(got.allow, want.allow);
	assert_int_equal(got.line, want.line);
}

/* 300 random policies of 1..300 rules answer as a naive scan does. */
static void
test_acl_random_policies_match_naive_scan(void **state)
{
	struct gen		 g;
	struct xcheck_stats	 st;
	size_t			 p, q, nrules;

	(void)state;
	memset(&g, 0, sizeof(g));
	memset(&st, 0, sizeof(st));
	g.rng.s = 0x9e3779b97f4a7c15ULL;
	for (p = 0; p < 300; p++) {
		struct acl	*acl;

		/* Mostly small policies, some up to 300 rules. */
		nrules = 1 + rng_below(&g.rng, rng_below(&g.rng, 4) == 0 ?
		    300 : 40);
		acl = gen_policy(&g, nrules);
		for (q = 0; q < 80; q++)
			xcheck_one(&g, acl, &st);
		acl_free(acl);
	}
	print_message("%zu queries, %zu allowed, %zu decided by a glob\n",
	    st.queries, st.allowed, st.glob_decided);
	/* The generator must exercise both outcomes and the globs. */
	assert_true(st.allowed > st.queries / 10);
	assert_true(st.allowed < st.queries - st.queries / 10);
	assert_true(st.glob_decided > st.queries / 50);
}

/* A 10000-rule random policy answers as a naive scan does. */
static void
test_acl_large_policy_matches_naive_scan(void **state)
{
	struct gen		 g;
	struct xcheck_stats	 st;
	struct acl		*acl;
	size_t			 q;

	(void)state;
	memset(&g, 0, sizeof(g));
	memset(&st, 0, sizeof(st));
	g.rng.s = 0x2545f4914f6cdd1dULL;
	acl = gen_policy(&g, 10000);
	for (q = 0; q < 1000; q++)
		xcheck_one(&g, acl, &st);
	acl_free(acl);
	print_message("%zu queries, %zu allowed, %zu decided by a glob\n",
	    st.queries, st.allowed, st.glob_decided);
	assert_true(st.allowed > 0);
	assert_true(st.allowed < st.queries);
}


/* Run the ACL tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acl_is_local_peer_vectors),
		cmocka_unit_test(test_acl_is_local_peer_port_ignored),
		cmocka_unit_test(test_acl_is_local_peer_every_first_octet),
		cmocka_unit_test(test_acl_limits),
		cmocka_unit_test(test_acl_lookup_shapes),
		cmocka_unit_test(test_acl_match_vectors),
		cmocka_unit_test(test_acl_glob_match_vectors),
		cmocka_unit_test(test_acl_random_policies_match_naive_scan),
		cmocka_unit_test(test_acl_large_policy_matches_naive_scan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
