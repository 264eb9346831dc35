/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_acl.c: address classification on hand-built socket addresses.
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
#include <string.h>

#include <cmocka.h>

#include "acl.h"

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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
