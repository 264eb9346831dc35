/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_owner.c: registration integrity decisions, the sticky table and
 * the state-file text format.
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "owner.h"
#include "wire.h"

#include "fault.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* A listener on port 5000 at ip, owned by uid. */
static void
add_listener(struct sockdiag_result *l, const char *ip, uint32_t uid)
{
	struct sockdiag_sock	*s = &l->socks[l->nsocks++];

	memset(s, 0, sizeof(*s));
	s->local.family = strchr(ip, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(s->local.family, ip, s->local.addr), 1);
	s->local.port = 5000;
	s->uid = uid;
	s->state = 10;
}

static void
base_req(struct owner_request *r, const char *name, uint32_t uid)
{
	memset(r, 0, sizeof(*r));
	r->name = name;
	r->uid = uid;
	r->uid_known = 1;
	r->rule = OWNER_RULE_NONE;
	r->def = OWNER_DEFAULT_ANY;
	r->exposure = OWNER_EXPOSURE_WARN;
}

static enum owner_verdict
verdict(const struct owner_request *r)
{
	struct owner_decision	 d;

	owner_decide(r, &d);
	return d.verdict;
}

static void
test_owner_rules_and_defaults(void **state)
{
	static const struct {
		enum owner_rule		 rule;
		enum owner_default	 def;
		int			 uid_known;
		enum owner_verdict	 want;
	} v[] = {
		{ OWNER_RULE_ALLOWS, OWNER_DEFAULT_DENY, 1, OWNER_OK },
		{ OWNER_RULE_DENIES, OWNER_DEFAULT_ANY, 1, OWNER_NOT_OWNER },
		{ OWNER_RULE_ALLOWS, OWNER_DEFAULT_ANY, 0, OWNER_UNVERIFIED },
		{ OWNER_RULE_DENIES, OWNER_DEFAULT_ANY, 0, OWNER_UNVERIFIED },
		{ OWNER_RULE_NONE, OWNER_DEFAULT_ANY, 1, OWNER_OK },
		{ OWNER_RULE_NONE, OWNER_DEFAULT_ANY, 0, OWNER_OK },
		{ OWNER_RULE_NONE, OWNER_DEFAULT_DENY, 1, OWNER_NOT_OWNER },
		{ OWNER_RULE_NONE, OWNER_DEFAULT_DENY, 0, OWNER_NOT_OWNER },
		{ OWNER_RULE_NONE, OWNER_DEFAULT_STICKY, 1, OWNER_OK },
		{ OWNER_RULE_NONE, OWNER_DEFAULT_STICKY, 0, OWNER_UNVERIFIED },
	};
	struct owner_request	 r;
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(v); i++) {
		base_req(&r, "rabbit", 1000);
		r.rule = v[i].rule;
		r.def = v[i].def;
		r.uid_known = v[i].uid_known;
		assert_int_equal(verdict(&r), v[i].want);
	}
}

static void
test_owner_sticky_decisions(void **state)
{
	struct owner_sticky	*t;
	struct owner_request	 r;
	struct owner_decision	 d;

	(void)state;
	assert_non_null(t = owner_sticky_new());
	base_req(&r, "rabbit", 1000);
	r.def = OWNER_DEFAULT_STICKY;
	r.sticky = t;
	owner_decide(&r, &d);
	assert_int_equal(d.verdict, OWNER_OK);
	assert_true(d.claim);		/* first registration: claim it */
	assert_int_equal(owner_sticky_claim(t, "rabbit", 1000, NULL, NULL,
	    NULL), OWNER_ST_OK);
	r.uid = 1001;			/* another user: refused */
	owner_decide(&r, &d);
	assert_int_equal(d.verdict, OWNER_NOT_OWNER);
	assert_int_equal(d.holder, 1000);
	assert_false(d.claim);
	r.uid = 0;			/* root is no exception */
	assert_int_equal(verdict(&r), OWNER_NOT_OWNER);
	r.uid = 1000;			/* the owner again: a use */
	owner_decide(&r, &d);
	assert_int_equal(d.verdict, OWNER_OK);
	assert_true(d.claim);
	/* A register line takes precedence over the sticky table. */
	r.uid = 1001;
	r.rule = OWNER_RULE_ALLOWS;
	assert_int_equal(verdict(&r), OWNER_OK);
	owner_sticky_free(t);
}

static void
test_owner_port_checks(void **state)
{
	struct sockdiag_result	 l;
	struct owner_request	 r;

	(void)state;
	base_req(&r, "n", 1000);
	r.check_port_owner = 1;
	r.exposure = OWNER_EXPOSURE_IGNORE;
	r.listeners = &l;

	memset(&l, 0, sizeof(l));	/* nobody listens */
	assert_int_equal(verdict(&r), OWNER_PORT_NOT_OWNED);
	add_listener(&l, "127.0.0.1", 1000);
	assert_int_equal(verdict(&r), OWNER_OK);
	r.uid = 1001;			/* another user's port */
	assert_int_equal(verdict(&r), OWNER_PORT_NOT_OWNED);
	r.uid = 0;			/* root, not allowed */
	assert_int_equal(verdict(&r), OWNER_PORT_NOT_OWNED);
	r.root_any_port = 1;		/* root, allowed */
	assert_int_equal(verdict(&r), OWNER_OK);
	r.uid = 1001;			/* root_any_port is for root only */
	assert_int_equal(verdict(&r), OWNER_PORT_NOT_OWNED);
	r.uid = 0;
	memset(&l, 0, sizeof(l));	/* root: still needs a listener */
	assert_int_equal(verdict(&r), OWNER_PORT_NOT_OWNED);
	r.root_any_port = 0;

	/* Two listeners: both must be the uid's. */
	r.uid = 1000;
	add_listener(&l, "127.0.0.1", 1000);
	add_listener(&l, "::1", 1001);
	assert_int_equal(verdict(&r), OWNER_PORT_NOT_OWNED);
	l.socks[1].uid = 1000;
	assert_int_equal(verdict(&r), OWNER_OK);
	l.more = 1;			/* some not seen: cannot tell */
	assert_int_equal(verdict(&r), OWNER_PORT_NOT_OWNED);
	l.more = 0;

	r.uid_known = 0;		/* the port check needs the uid */
	assert_int_equal(verdict(&r), OWNER_UNVERIFIED);
	r.uid_known = 1;
	r.listeners = NULL;		/* ... and the listeners */
	assert_int_equal(verdict(&r), OWNER_UNVERIFIED);
	r.check_port_owner = 0;		/* off: stock */
	assert_int_equal(verdict(&r), OWNER_OK);
	r.listeners = &l;
	r.uid = 1001;
	assert_int_equal(verdict(&r), OWNER_OK);
}

static void
test_owner_exposure(void **state)
{
	static const struct { const char *ip; int exposed; } v[] = {
		{ "127.0.0.1", 0 }, { "127.1.2.3", 0 }, { "::1", 0 },
		{ "::ffff:127.0.0.1", 0 }, { "0.0.0.0", 1 }, { "::", 1 },
		{ "192.0.2.1", 1 }, { "2001:db8::1", 1 },
		{ "::ffff:192.0.2.1", 1 },
	};
	struct sockdiag_result	 l;
	struct owner_request	 r;
	struct owner_decision	 d;
	char			 s[64];
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(v); i++) {
		memset(&l, 0, sizeof(l));
		add_listener(&l, v[i].ip, 1000);
		base_req(&r, "n", 1000);
		r.listeners = &l;
		owner_decide(&r, &d);
		assert_int_equal(d.verdict, OWNER_OK);
		assert_int_equal(d.exposed, v[i].exposed);
		r.exposure = OWNER_EXPOSURE_REFUSE;
		owner_decide(&r, &d);
		assert_int_equal(d.verdict, v[i].exposed ?
		    OWNER_DIST_EXPOSED : OWNER_OK);
		r.exposure = OWNER_EXPOSURE_IGNORE;
		owner_decide(&r, &d);
		assert_int_equal(d.verdict, OWNER_OK);
		assert_false(d.exposed);
	}
	/* The exposed address is the one reported. */
	memset(&l, 0, sizeof(l));
	add_listener(&l, "127.0.0.1", 1000);
	add_listener(&l, "0.0.0.0", 1000);
	base_req(&r, "n", 1000);
	r.listeners = &l;
	owner_decide(&r, &d);
	assert_true(d.exposed);
	assert_string_equal(sockdiag_addr_str(&d.bind, s, sizeof(s)),
	    "0.0.0.0");
	/* Refused for ownership first: that verdict stands. */
	r.rule = OWNER_RULE_DENIES;
	r.exposure = OWNER_EXPOSURE_REFUSE;
	owner_decide(&r, &d);
	assert_int_equal(d.verdict, OWNER_NOT_OWNER);
	assert_true(d.exposed);
}

static void
test_owner_verdict_words(void **state)
{
	(void)state;
	assert_string_equal(owner_verdict_str(OWNER_NOT_OWNER), "not_owner");
	assert_string_equal(owner_verdict_str(OWNER_PORT_NOT_OWNED),
	    "port_not_owned");
	assert_string_equal(owner_verdict_str(OWNER_DIST_EXPOSED),
	    "dist_exposed");
	assert_string_equal(owner_verdict_str(OWNER_UNVERIFIED),
	    "unverified");
	assert_string_equal(owner_verdict_str(OWNER_STICKY_FULL),
	    "sticky_full");
	assert_string_equal(owner_verdict_str(OWNER_OK), "ok");
}

static void
test_owner_sticky_table(void **state)
{
	struct owner_sticky	*t;
	uint32_t		 uid = 7;

	(void)state;
	assert_non_null(t = owner_sticky_new());
	assert_int_equal(owner_sticky_lookup(t, "a", &uid), -1);
	assert_int_equal(owner_sticky_claim(t, "b", 1, NULL, NULL, NULL),
	    OWNER_ST_OK);
	assert_int_equal(owner_sticky_claim(t, "a", 2, NULL, NULL, NULL),
	    OWNER_ST_OK);
	assert_int_equal(owner_sticky_claim(t, "c", 3, NULL, NULL, NULL),
	    OWNER_ST_OK);
	assert_int_equal(owner_sticky_count(t), 3);
	assert_int_equal(owner_sticky_lookup(t, "a", &uid), 0);
	assert_int_equal(uid, 2);
	assert_int_equal(owner_sticky_lookup(t, "c", &uid), 0);
	assert_int_equal(uid, 3);
	/* Another uid cannot claim it; the same uid can again. */
	assert_int_equal(owner_sticky_claim(t, "a", 1, NULL, NULL, NULL),
	    OWNER_ST_BAD);
	assert_int_equal(owner_sticky_claim(t, "a", 2, NULL, NULL, NULL),
	    OWNER_ST_OK);
	assert_int_equal(owner_sticky_count(t), 3);
	/* Names must be valid node names. */
	assert_int_equal(owner_sticky_claim(t, "", 1, NULL, NULL, NULL),
	    OWNER_ST_BAD);
	assert_int_equal(owner_sticky_claim(t, "x\ny", 1, NULL, NULL, NULL),
	    OWNER_ST_BAD);
	assert_int_equal(owner_sticky_forget(t, "a"), 0);
	assert_int_equal(owner_sticky_forget(t, "a"), -1);
	assert_int_equal(owner_sticky_lookup(t, "a", &uid), -1);
	assert_int_equal(owner_sticky_claim(t, "a", 1, NULL, NULL, NULL),
	    OWNER_ST_OK);
	owner_sticky_free(t);
	owner_sticky_free(NULL);
}

/* in_use: names listed in arg (a NULL-terminated array). */
static int
listed(const char *name, void *arg)
{
	const char *const	*p;

	for (p = arg; *p != NULL; p++)
		if (strcmp(*p, name) == 0)
			return 1;
	return 0;
}

/* A uid at its quota forgets its least recently used name not in use. */
static void
test_owner_sticky_quota_evicts_own_lru(void **state)
{
	const char		*busy[] = { "n0", NULL };
	struct owner_sticky	*t;
	char			 name[32];
	uint32_t		 uid;
	int			 evicted, i;

	(void)state;
	assert_non_null(t = owner_sticky_new());
	assert_int_equal(owner_sticky_claim(t, "other", 2, NULL, NULL, NULL),
	    OWNER_ST_OK);
	for (i = 0; i < OWNER_STICKY_PER_UID; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		assert_int_equal(owner_sticky_claim(t, name, 1, NULL, NULL,
		    &evicted), OWNER_ST_OK);
		assert_false(evicted);
	}
	/* n1 is used again, so n0 then n2 are the oldest. n0 is busy. */
	assert_int_equal(owner_sticky_claim(t, "n1", 1, NULL, NULL, NULL),
	    OWNER_ST_OK);
	assert_int_equal(owner_sticky_claim(t, "new", 1, listed, busy,
	    &evicted), OWNER_ST_OK);
	assert_true(evicted);
	assert_int_equal(owner_sticky_lookup(t, "n0", &uid), 0);
	assert_int_equal(owner_sticky_lookup(t, "n1", &uid), 0);
	assert_int_equal(owner_sticky_lookup(t, "n2", &uid), -1);
	assert_int_equal(owner_sticky_lookup(t, "new", &uid), 0);
	assert_int_equal(owner_sticky_lookup(t, "other", &uid), 0);
	assert_int_equal(uid, 2);	/* never another uid's name */
	assert_int_equal(owner_sticky_count(t), OWNER_STICKY_PER_UID + 1);
	owner_sticky_free(t);
}

/* in_use: every name. */
static int
all_busy(const char *name, void *arg)
{
	(void)name;
	(void)arg;
	return 1;
}

static void
test_owner_sticky_quota_full(void **state)
{
	struct owner_sticky	*t;
	char			 name[32];
	int			 i;

	(void)state;
	assert_non_null(t = owner_sticky_new());
	for (i = 0; i < OWNER_STICKY_PER_UID; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		assert_int_equal(owner_sticky_claim(t, name, 1, NULL, NULL,
		    NULL), OWNER_ST_OK);
	}
	assert_int_equal(owner_sticky_claim(t, "x", 1, all_busy, NULL, NULL),
	    OWNER_ST_FULL);
	assert_int_equal(owner_sticky_claim(t, "x", 2, all_busy, NULL, NULL),
	    OWNER_ST_OK);
	owner_sticky_free(t);
}

static const char good_file[] =
    OWNER_STATE_HEADER "\n"
    "1000 rabbit\n"
    "0 couchdb\n"
    "65534 name with spaces\n"
    "4294967294 \xc3\xa9t\xc3\xa9\n";

static void
test_owner_state_round_trip(void **state)
{
	struct owner_sticky	*t, *u;
	const char		*err;
	unsigned		 line;
	uint32_t		 uid;
	char			*text;
	size_t			 len;

	(void)state;
	assert_non_null(t = owner_sticky_new());
	assert_int_equal(owner_state_parse(t, good_file, sizeof(good_file) - 1,
	    &line, &err), 0);
	assert_int_equal(owner_sticky_count(t), 4);
	assert_int_equal(owner_sticky_lookup(t, "name with spaces", &uid), 0);
	assert_int_equal(uid, 65534);
	assert_int_equal(owner_sticky_lookup(t, "\xc3\xa9t\xc3\xa9", &uid), 0);
	assert_int_equal(uid, 4294967294u);
	/* Serialized in use order: the same text back. */
	assert_int_equal(owner_state_serialize(t, &text, &len), 0);
	assert_int_equal(len, sizeof(good_file) - 1);
	assert_memory_equal(text, good_file, len);
	free(text);
	/* A use moves a name to the end. */
	assert_int_equal(owner_sticky_claim(t, "rabbit", 1000, NULL, NULL,
	    NULL), OWNER_ST_OK);
	assert_int_equal(owner_state_serialize(t, &text, &len), 0);
	assert_non_null(strstr(text, "\xa9\n1000 rabbit\n"));
	assert_non_null(u = owner_sticky_new());
	assert_int_equal(owner_state_parse(u, text, len, &line, &err), 0);
	assert_int_equal(owner_sticky_count(u), 4);
	free(text);
	/* An empty table: the header only; an empty file: no names. */
	owner_sticky_free(t);
	assert_non_null(t = owner_sticky_new());
	assert_int_equal(owner_state_serialize(t, &text, &len), 0);
	assert_string_equal(text, OWNER_STATE_HEADER "\n");
	assert_int_equal(owner_state_parse(u, text, len, &line, &err), 0);
	assert_int_equal(owner_sticky_count(u), 0);
	assert_int_equal(owner_state_parse(u, "", 0, &line, &err), 0);
	free(text);
	owner_sticky_free(t);
	owner_sticky_free(u);
}

/* Any bad line: nothing is kept, and the line is reported. */
static void
test_owner_state_corrupt(void **state)
{
	static const struct { const char *text; unsigned line; } v[] = {
		{ "garbage\n", 1 },
		{ OWNER_STATE_HEADER, 1 },
		{ "# epmd_secure sticky owners v2\n", 1 },
		{ OWNER_STATE_HEADER "\n1000 a\nnospace\n", 3 },
		{ OWNER_STATE_HEADER "\n1000 a\n1000 b", 3 },
		{ OWNER_STATE_HEADER "\n01000 a\n", 2 },
		{ OWNER_STATE_HEADER "\n-1 a\n", 2 },
		{ OWNER_STATE_HEADER "\n4294967295 a\n", 2 },
		{ OWNER_STATE_HEADER "\n99999999999 a\n", 2 },
		{ OWNER_STATE_HEADER "\n 1000 a\n", 2 },
		{ OWNER_STATE_HEADER "\n1000 \n", 2 },
		{ OWNER_STATE_HEADER "\n1000 a\x01" "b\n", 2 },
		{ OWNER_STATE_HEADER "\n1000 \xff\n", 2 },
		{ OWNER_STATE_HEADER "\n1000 a\n1001 a\n", 3 },
		{ OWNER_STATE_HEADER "\n1000 a\n\n", 3 },
	};
	struct owner_sticky	*t;
	const char		*err;
	unsigned		 line;
	size_t			 i;

	(void)state;
	assert_non_null(t = owner_sticky_new());
	for (i = 0; i < NELEM(v); i++) {
		err = NULL;
		assert_int_equal(owner_state_parse(t, v[i].text,
		    strlen(v[i].text), &line, &err), -1);
		assert_non_null(err);
		assert_int_equal(line, v[i].line);
		assert_int_equal(owner_sticky_count(t), 0);
	}
	/* A NUL inside a name. */
	assert_int_equal(owner_state_parse(t, OWNER_STATE_HEADER "\n1 a\0b\n",
	    sizeof(OWNER_STATE_HEADER "\n1 a\0b\n") - 1, &line, &err), -1);
	assert_int_equal(line, 2);
	owner_sticky_free(t);
}

/* A file cut anywhere parses only at a line boundary, else not at all. */
static void
test_owner_state_truncated_at_every_length(void **state)
{
	struct owner_sticky	*t;
	const char		*err;
	unsigned		 line;
	size_t			 n, hlen = strlen(OWNER_STATE_HEADER) + 1;
	int			 r;

	(void)state;
	assert_non_null(t = owner_sticky_new());
	for (n = 1; n < sizeof(good_file) - 1; n++) {
		r = owner_state_parse(t, good_file, n, &line, &err);
		if (good_file[n - 1] == '\n' && n >= hlen) {
			assert_int_equal(r, 0);
		} else {
			assert_int_equal(r, -1);
			assert_int_equal(owner_sticky_count(t), 0);
		}
	}
	owner_sticky_free(t);
}

/* The file may hold at most OWNER_STICKY_PER_UID names of one uid. */
static void
test_owner_state_quota(void **state)
{
	struct owner_sticky	*t;
	const char		*err;
	unsigned		 line;
	char			*text, *p;
	size_t			 size = 64 + (OWNER_STICKY_PER_UID + 1) * 16;
	int			 i;

	(void)state;
	assert_non_null(text = malloc(size));
	p = text + sprintf(text, "%s\n", OWNER_STATE_HEADER);
	for (i = 0; i <= OWNER_STICKY_PER_UID; i++)
		p += sprintf(p, "5 n%d\n", i);
	assert_non_null(t = owner_sticky_new());
	assert_int_equal(owner_state_parse(t, text, (size_t)(p - text), &line,
	    &err), -1);
	assert_int_equal(line, OWNER_STICKY_PER_UID + 2);
	free(text);
	owner_sticky_free(t);
}

/*
 * The state file's other limits: a name longer than a node name may be,
 * and more than OWNER_STICKY_MAX names in all (each uid within its quota).
 */
static void
test_owner_state_limits(void **state)
{
	struct owner_sticky	*t;
	const char		*err;
	unsigned		 line;
	char			*text, *p;
	size_t			 size = 64 + (OWNER_STICKY_MAX + 1) * 24;
	int			 i;

	(void)state;
	assert_non_null(t = owner_sticky_new());
	assert_non_null(text = malloc(size));
	p = text + sprintf(text, "%s\n1 ", OWNER_STATE_HEADER);
	memset(p, 'a', WIRE_MAX_NAME_BYTES + 1);
	p += WIRE_MAX_NAME_BYTES + 1;
	*p++ = '\n';
	assert_int_equal(owner_state_parse(t, text, (size_t)(p - text), &line,
	    &err), -1);
	assert_int_equal(line, 2);
	assert_string_equal(err, "name too long");

	/* Sorted names, so that each one is added at the end. */
	p = text + sprintf(text, "%s\n", OWNER_STATE_HEADER);
	for (i = 0; i <= OWNER_STICKY_MAX; i++)
		p += sprintf(p, "%d n%06d\n", i / OWNER_STICKY_PER_UID, i);
	assert_int_equal(owner_state_parse(t, text, (size_t)(p - text), &line,
	    &err), -1);
	assert_int_equal(line, OWNER_STICKY_MAX + 2);
	assert_string_equal(err, "too many names");
	assert_int_equal(owner_sticky_count(t), 0);
	free(text);
	owner_sticky_free(t);
}

/*
 * Every allocation failing in turn: a claim reports OWNER_ST_NOMEM and
 * leaves the table as it was; a parse reports "out of memory" and keeps
 * nothing; a serialization fails whole. The ASan build checks for leaks.
 */
static void
test_owner_out_of_memory(void **state)
{
	struct owner_sticky	*t;
	const char		*err;
	unsigned		 line;
	uint32_t		 uid;
	char			*text = NULL, name[16];
	size_t			 len;
	long			 n;
	int			 i, rc = -1;

	(void)state;
	for (n = 0; n < 100; n++) {
		fault_arm(FAULT_ALLOC, n, ENOMEM);
		t = owner_sticky_new();
		if (fault_disarm(FAULT_ALLOC) == 0)
			break;
		assert_null(t);
	}
	assert_non_null(t);
	/* Fill the first array, so that the next claim must grow it. */
	for (i = 0; owner_sticky_count(t) < 16; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		assert_int_equal(owner_sticky_claim(t, name, 7, NULL, NULL,
		    NULL), OWNER_ST_OK);
	}
	for (n = 0; n < 100; n++) {
		fault_arm(FAULT_ALLOC, n, ENOMEM);
		rc = (int)owner_sticky_claim(t, "new", 8, NULL, NULL, NULL);
		if (fault_disarm(FAULT_ALLOC) == 0)
			break;
		assert_int_equal(rc, OWNER_ST_NOMEM);
		assert_int_equal(owner_sticky_count(t), 16);
		assert_int_equal(owner_sticky_lookup(t, "new", &uid), -1);
	}
	assert_int_equal(rc, OWNER_ST_OK);
	assert_true(n >= 2);	/* the array, the name */

	for (n = 0; n < 100; n++) {
		fault_arm(FAULT_ALLOC, n, ENOMEM);
		rc = owner_state_serialize(t, &text, &len);
		if (fault_disarm(FAULT_ALLOC) == 0)
			break;
		assert_int_equal(rc, -1);
	}
	assert_int_equal(rc, 0);
	assert_true(n >= 2);	/* the order, the text */

	owner_sticky_free(t);
	assert_non_null(t = owner_sticky_new());
	for (n = 0; n < 1000; n++) {
		fault_arm(FAULT_ALLOC, n, ENOMEM);
		err = NULL;
		rc = owner_state_parse(t, text, len, &line, &err);
		if (fault_disarm(FAULT_ALLOC) == 0)
			break;
		assert_int_equal(rc, -1);
		assert_string_equal(err, "out of memory");
		assert_int_equal(owner_sticky_count(t), 0);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(owner_sticky_count(t), 17);
	assert_true(n >= 17);
	free(text);
	owner_sticky_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owner_rules_and_defaults),
		cmocka_unit_test(test_owner_sticky_decisions),
		cmocka_unit_test(test_owner_port_checks),
		cmocka_unit_test(test_owner_exposure),
		cmocka_unit_test(test_owner_verdict_words),
		cmocka_unit_test(test_owner_sticky_table),
		cmocka_unit_test(test_owner_sticky_quota_evicts_own_lru),
		cmocka_unit_test(test_owner_sticky_quota_full),
		cmocka_unit_test(test_owner_state_round_trip),
		cmocka_unit_test(test_owner_state_corrupt),
		cmocka_unit_test(test_owner_state_truncated_at_every_length),
		cmocka_unit_test(test_owner_state_quota),
		cmocka_unit_test(test_owner_state_limits),
		cmocka_unit_test_teardown(test_owner_out_of_memory,
		    fault_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
