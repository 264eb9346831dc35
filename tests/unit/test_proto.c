/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_proto.c: the EPMD engine on byte arrays: every request kind, every
 * refusal, the caps, the audit decision, the registration check hook.
 */
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

#include "proto.h"
#include "registry.h"

#include "fault.h"

static struct sockaddr_in	 pp_sin;
static const struct proto_now	 fx_now = { 1000, 1000000 };

/* The state of one test: an engine, a policy, two peers. */
struct fx {
	struct proto		*p;
	struct acl		*acl;
	struct proto_policy	 pol;
	struct proto_now	 now;
	struct sockaddr_in	 lsa, rsa, dsa;
	struct proto_peer	 local, remote, denied;
	struct sockaddr_in	 dsa2;
	int			 owner[4];
};

/* A peer from an IPv4 address. */
static void
mkpeer(struct proto_peer *pp, struct sockaddr_in *sin, const char *a,
    int local, void *owner)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(40000);
	assert_int_equal(inet_pton(AF_INET, a, &sin->sin_addr), 1);
	memset(pp, 0, sizeof(*pp));
	pp->src = (struct sockaddr *)sin;
	pp->local = local;
	pp->owner = owner;
	pp->fd = 7;
	pp->facts.uid = -1;
	assert_int_equal(addr_from_sockaddr(pp->src, &pp->addr), 0);
}

/* An ACL rule. */
static void
rule(struct acl *acl, int allow, const char *pfx, unsigned scope)
{
	struct acl_prefix	 p;
	const char		*errstr;

	assert_int_equal(acl_parse_prefix(pfx, &p, &errstr), ACL_OK);
	assert_int_equal(acl_add(acl, allow, &p, scope, NULL, 0, 9), ACL_OK);
}

/* The engine's configuration for the tests. */
static void
fx_config(struct proto_config *pc, int relaxed, uint32_t burst)
{
	memset(pc, 0, sizeof(*pc));
	pc->port = 4369;
	pc->relaxed = relaxed;
	pc->max_nodes = 2;
	pc->max_freed = 4;
	pc->seed = 1;
	pc->lim.rate = 0;
	pc->lim.burst = burst;
	pc->lim.v4len = 32;
	pc->lim.v6len = 64;
	pc->lim.max_connections = 4;
	pc->lim.max_per_source = 1;
	pc->lim.loopback_reserved = 1;
	pc->lim.max_sources = 2;
	pc->lim.summary_interval = 10;
}

/* Set up an engine: relaxed or not, with rate limits for remote peers. */
static struct fx *
fx_new(int relaxed, uint32_t burst)
{
	struct fx		*f = calloc(1, sizeof(*f));
	struct proto_config	 pc;

	assert_non_null(f);
	fx_config(&pc, relaxed, burst);
	assert_non_null(f->p = proto_new(&pc));
	assert_non_null(f->acl = acl_new());
	rule(f->acl, 1, "127.0.0.0/8", ACL_SCOPE_ALL);
	rule(f->acl, 1, "10.0.0.0/8", ACL_SCOPE_ALL);
	f->pol.acl = f->acl;
	proto_set_policy(f->p, &f->pol);
	mkpeer(&f->local, &f->lsa, "127.0.0.1", 1, &f->owner[0]);
	mkpeer(&f->remote, &f->rsa, "10.1.1.1", 0, &f->owner[1]);
	mkpeer(&f->denied, &f->dsa, "192.0.2.1", 0, &f->owner[2]);
	f->now.ms = 1000;
	f->now.epoch = 1000000;
	return f;
}

/* Tear it down. */
static void
fx_free(struct fx *f)
{
	proto_free(f->p);
	acl_free(f->acl);
	free(f);
}

/* Run one request given as bytes (opcode first). */
static void
req(struct fx *f, const struct proto_peer *pp, const void *body, size_t len,
    struct proto_out *out)
{
	proto_request(f->p, pp, body, len, &f->now, out);
}

/* An ALIVE2 body for name (b holds 13 bytes more than the name). */
static size_t
alive2(uint8_t *b, const char *name, uint16_t hi)
{
	size_t	 n = strlen(name);

	b[0] = 'x';
	b[1] = 0x11; b[2] = 0x22;	/* port 4386 */
	b[3] = 77; b[4] = 0;
	b[5] = (uint8_t)(hi >> 8); b[6] = (uint8_t)hi;
	b[7] = 0; b[8] = 5;
	b[9] = (uint8_t)(n >> 8); b[10] = (uint8_t)n;
	memcpy(b + 11, name, n);
	b[11 + n] = 0; b[12 + n] = 0;
	return 13 + n;
}

/* Register name from the local peer with owner o; returns the out. */
static void
reg(struct fx *f, const char *name, void *o, struct proto_out *out)
{
	uint8_t			 b[64];
	struct proto_peer	 pp = f->local;

	pp.owner = o;
	req(f, &pp, b, alive2(b, name, 6), out);
}

/* Registration, duplicate, lookup, NAMES, end of the registration. */
static void
test_proto_register_lookup_end(void **state)
{
	struct fx		*f = fx_new(0, 10);
	struct proto_out	 o;

	(void)state;
	reg(f, "a", &f->owner[0], &o);
	assert_int_equal(o.next, PROTO_REPLY_KEEP);
	assert_int_equal(o.replylen, 6);
	assert_memory_equal(o.reply, "v\0", 2);
	assert_string_equal(o.regname, "a");
	assert_int_equal(o.regport, 4386);
	assert_int_equal(o.audit.verdict, AUDIT_OK);
	assert_int_equal(o.log, PROTO_LOG_FULL);
	proto_out_free(&o);
	reg(f, "a", &f->owner[1], &o);
	assert_int_equal(o.next, PROTO_REPLY_CLOSE);
	assert_memory_equal(o.reply, "v\1\0\0\0\x63", 6);
	assert_int_equal(o.audit.verdict, AUDIT_DUPLICATE);
	assert_null(o.regname);
	proto_out_free(&o);
	req(f, &f->remote, "za", 2, &o);
	assert_int_equal(o.audit.verdict, AUDIT_OK);
	assert_int_equal(o.audit.port, 4386);
	assert_int_equal(o.reply[0], 'w');
	assert_int_equal(o.reply[1], 0);
	proto_out_free(&o);
	req(f, &f->remote, "n", 1, &o);
	assert_int_equal(o.replylen, 4 + strlen("name a at port 4386\n"));
	assert_memory_equal(o.reply + 4, "name a at port 4386\n", 20);
	assert_int_equal(o.audit.names, 1);
	proto_out_free(&o);
	req(f, &f->local, "d", 1, &o);
	assert_int_equal(o.audit.names, 1);
	assert_int_equal(o.next, PROTO_REPLY_CLOSE);
	proto_out_free(&o);
	/* Another owner's end does nothing; the owner's ends it. */
	assert_int_equal(proto_end(f->p, &f->remote, "a", 4386, NULL, &o), 0);
	assert_int_equal(proto_end(f->p, &f->local, "a", 4386, NULL, &o), 1);
	assert_int_equal(o.audit.req, AUDIT_REQ_ALIVE2_END);
	assert_int_equal(registry_count(proto_registry(f->p)), 0);
	req(f, &f->remote, "za", 2, &o);
	assert_int_equal(o.audit.verdict, AUDIT_NOT_FOUND);
	assert_int_equal(o.replylen, 2);
	proto_out_free(&o);
	/* Version 5: the short reply; a bad name gets result 1. */
	{
		uint8_t	 b[64];

		req(f, &f->local, b, alive2(b, "v5", 5), &o);
		assert_int_equal(o.replylen, 4);
		assert_int_equal(o.reply[0], 'y');
		proto_out_free(&o);
		req(f, &f->local, b, alive2(b, "bad\x01", 6), &o);
		assert_int_equal(o.audit.verdict, AUDIT_INVALID);
		assert_int_equal(o.reply[1], 1);
		proto_out_free(&o);
		/* The table holds two nodes. */
		req(f, &f->local, b, alive2(b, "c", 6), &o);
		assert_int_equal(o.reply[1], 0);
		proto_out_free(&o);
		req(f, &f->local, b, alive2(b, "d", 6), &o);
		assert_int_equal(o.audit.verdict, AUDIT_FULL);
		proto_out_free(&o);
	}
	fx_free(f);
}

/* Denied sources: PORT2 looks like not found, or closes; NAMES closes. */
static void
test_proto_denied(void **state)
{
	struct fx		*f = fx_new(0, 10);
	struct proto_out	 o;

	(void)state;
	reg(f, "a", &f->owner[0], &o);
	proto_out_free(&o);
	req(f, &f->denied, "za", 2, &o);
	assert_int_equal(o.audit.verdict, AUDIT_DENIED);
	assert_int_equal(o.replylen, 2);
	assert_memory_equal(o.reply, "w\1", 2);
	proto_out_free(&o);
	req(f, &f->denied, "n", 1, &o);
	assert_int_equal(o.next, PROTO_CLOSE);
	assert_int_equal(o.audit.verdict, AUDIT_DENIED);
	proto_out_free(&o);
	f->pol.names_refusal = CONF_NAMES_EMPTY;
	f->pol.port_refusal = CONF_PORT_CLOSE;
	proto_set_policy(f->p, &f->pol);
	req(f, &f->denied, "n", 1, &o);
	assert_int_equal(o.replylen, 4);
	assert_memory_equal(o.reply, "\0\0\x11\x11", 4);
	proto_out_free(&o);
	req(f, &f->denied, "za", 2, &o);
	assert_int_equal(o.next, PROTO_CLOSE);
	proto_out_free(&o);
	fx_free(f);
}

/* Local-only requests, malformed frames, and the noise summary. */
static void
test_proto_not_local_and_noise(void **state)
{
	struct fx		*f = fx_new(0, 10);
	struct proto_out	 o;
	uint8_t			 b[64];

	(void)state;
	req(f, &f->remote, b, alive2(b, "r", 6), &o);
	assert_int_equal(o.audit.verdict, AUDIT_NOT_LOCAL);
	assert_non_null(o.audit.node);
	assert_int_equal(o.next, PROTO_CLOSE);
	assert_int_equal(o.log, PROTO_LOG_FULL);	/* first: in full */
	proto_out_free(&o);
	req(f, &f->remote, "k", 1, &o);
	assert_int_equal(o.audit.verdict, AUDIT_NOT_LOCAL);
	assert_int_equal(o.log, PROTO_LOG_COUNT);	/* then counted */
	proto_out_free(&o);
	req(f, &f->local, "q", 1, &o);
	assert_int_equal(o.audit.verdict, AUDIT_MALFORMED);
	assert_int_equal(o.log, PROTO_LOG_FULL);	/* local: always */
	proto_out_free(&o);
	proto_refuse(f->p, &f->remote, AUDIT_REQ_NONE, AUDIT_TIMEOUT,
	    "no bytes", &f->now, &o);
	assert_int_equal(o.log, PROTO_LOG_COUNT);
	assert_string_equal(o.audit.reason, "no bytes");
	proto_out_free(&o);
	assert_int_equal(proto_req_of('x'), AUDIT_REQ_ALIVE2);
	assert_int_equal(proto_req_of('d'), AUDIT_REQ_DUMP);
	assert_int_equal(proto_req_of('s'), AUDIT_REQ_STOP);
	assert_int_equal(proto_req_of('?'), AUDIT_REQ_NONE);
	fx_free(f);
}

/* The summary line a source's refusals get. */
static char	 summary[256];

/* Keep the last summary line. */
static void
keep_line(const char *line, void *arg)
{
	(void)arg;
	snprintf(summary, sizeof(summary), "%s", line);
}

/* Lookups over the rate are refused; the summary counts them. */
static void
test_proto_rate_limit_and_summary(void **state)
{
	struct fx		*f = fx_new(0, 1);
	struct proto_out	 o;

	(void)state;
	req(f, &f->remote, "n", 1, &o);
	assert_int_equal(o.audit.verdict, AUDIT_OK);
	proto_out_free(&o);
	req(f, &f->remote, "zfoo", 4, &o);
	assert_int_equal(o.audit.verdict, AUDIT_RATE_LIMITED);
	assert_string_equal(o.audit.node, "foo");
	assert_int_equal(o.next, PROTO_CLOSE);
	assert_int_equal(o.log, PROTO_LOG_FULL);
	proto_out_free(&o);
	req(f, &f->remote, "n", 1, &o);
	assert_int_equal(o.log, PROTO_LOG_COUNT);
	proto_out_free(&o);
	/* Loopback is not limited. */
	req(f, &f->local, "n", 1, &o);
	assert_int_equal(o.audit.verdict, AUDIT_OK);
	proto_out_free(&o);
	f->now.ms += 11000;
	assert_int_equal(proto_summarise(f->p, f->now.ms, keep_line, NULL), 1);
	assert_string_equal(summary, "event=refusal_summary "
	    "src=10.1.1.1/32 seconds=11 rate_limited=1 conn_limit=0 "
	    "malformed=0 not_local=0 no_request=0 timeout=0");
	fx_free(f);
}

/* The connection caps. */
static void
test_proto_admit(void **state)
{
	struct fx		*f = fx_new(0, 10);
	struct proto_out	 o;
	struct proto_peer	 a = f->remote, b = f->remote, l = f->local;
	struct proto_peer	 u = f->remote;

	(void)state;
	assert_int_equal(proto_admit(f->p, &l, 0, 0, &f->now, &o), 1);
	assert_int_equal(l.rl_counted, 0);
	assert_int_equal(proto_admit(f->p, &a, 1, 0, &f->now, &o), 1);
	assert_int_equal(a.rl_counted, 1);
	/* One per source. */
	assert_int_equal(proto_admit(f->p, &b, 2, 1, &f->now, &o), 0);
	assert_int_equal(o.audit.verdict, AUDIT_CONN_LIMIT);
	assert_string_equal(o.audit.reason, "max_connections_per_source");
	assert_int_equal(o.log, PROTO_LOG_FULL);
	assert_int_equal(proto_admit(f->p, &b, 2, 1, &f->now, &o), 0);
	assert_int_equal(o.log, PROTO_LOG_COUNT);
	proto_close(f->p, &a);
	assert_int_equal(proto_admit(f->p, &b, 1, 0, &f->now, &o), 1);
	/* The remote share (max 4, 1 reserved). */
	assert_int_equal(proto_admit(f->p, &a, 3, 3, &f->now, &o), 0);
	assert_string_equal(o.audit.reason, "remote share full");
	/* Every connection. */
	assert_int_equal(proto_admit(f->p, &l, 4, 0, &f->now, &o), 0);
	assert_string_equal(o.audit.reason, "max_connections");
	/* The source table (2 sources) is full of busy ones. */
	assert_int_equal(proto_admit(f->p, &u, 1, 1, &f->now, &o), 0);
	mkpeer(&u, &f->dsa2, "10.9.9.9", 0, NULL);
	assert_int_equal(proto_admit(f->p, &u, 1, 1, &f->now, &o), 1);
	mkpeer(&u, &f->dsa2, "10.9.9.8", 0, NULL);
	assert_int_equal(proto_admit(f->p, &u, 1, 1, &f->now, &o), 0);
	assert_string_equal(o.audit.reason, "source table full");
	/* Neither IPv4 nor IPv6: refused without a record. */
	u.addr.family = AF_UNSPEC;
	assert_int_equal(proto_admit(f->p, &u, 1, 1, &f->now, &o), 0);
	assert_int_equal(o.log, PROTO_LOG_NONE);
	fx_free(f);
}

/* KILL and STOP, strict and relaxed. */
static void
test_proto_kill_stop(void **state)
{
	struct fx		*f = fx_new(0, 10);
	struct proto_out	 o;

	(void)state;
	reg(f, "a", &f->owner[0], &o);
	proto_out_free(&o);
	req(f, &f->local, "k", 1, &o);
	assert_int_equal(o.audit.verdict, AUDIT_REFUSED);
	assert_memory_equal(o.reply, "NO", 2);
	proto_out_free(&o);
	req(f, &f->local, "sa", 2, &o);
	assert_int_equal(o.audit.verdict, AUDIT_REFUSED);
	assert_int_equal(o.next, PROTO_CLOSE);
	proto_out_free(&o);
	fx_free(f);

	f = fx_new(1, 10);
	reg(f, "a", &f->owner[0], &o);
	proto_out_free(&o);
	req(f, &f->local, "sb", 2, &o);
	assert_memory_equal(o.reply, "NOEXIST", 7);
	assert_null(o.stopped);
	proto_out_free(&o);
	req(f, &f->local, "sa", 2, &o);
	assert_memory_equal(o.reply, "STOPPED", 7);
	assert_ptr_equal(o.stopped, &f->owner[0]);
	proto_out_free(&o);
	/* The stopped registration's end is logged with the reason. */
	assert_int_equal(proto_end(f->p, &f->local, "a", 4386, "stopped", &o),
	    1);
	assert_string_equal(o.audit.reason, "stopped");
	req(f, &f->local, "k", 1, &o);
	assert_int_equal(o.next, PROTO_REPLY_KILL);
	assert_memory_equal(o.reply, "OK", 2);
	proto_out_free(&o);
	fx_free(f);
}

/* A registration check refuses like a duplicate, with its verdict. */
static enum audit_verdict
check_not_bob(const struct wire_node *n, const struct proto_peer *pp,
    void *arg, const char **reason)
{
	(*(int *)arg)++;
	assert_int_equal(pp->facts.uid, 1000);
	if (strcmp(n->name, "bob") == 0) {
		*reason = "not yours";
		return AUDIT_REFUSED;
	}
	return AUDIT_OK;
}

/* The hook is asked once per free, valid name, after the duplicate check. */
static void
test_proto_register_check(void **state)
{
	struct fx		*f = fx_new(0, 10);
	struct proto_out	 o;
	int			 calls = 0;

	(void)state;
	f->local.facts.uid = 1000;
	proto_set_register_check(f->p, check_not_bob, &calls);
	reg(f, "bob", &f->owner[0], &o);
	assert_int_equal(o.audit.verdict, AUDIT_REFUSED);
	assert_string_equal(o.audit.reason, "not yours");
	assert_memory_equal(o.reply, "v\1\0\0\0\x63", 6);
	assert_int_equal(o.next, PROTO_REPLY_CLOSE);
	proto_out_free(&o);
	reg(f, "amy", &f->owner[0], &o);
	assert_int_equal(o.audit.verdict, AUDIT_OK);
	proto_out_free(&o);
	reg(f, "amy", &f->owner[1], &o);
	assert_int_equal(o.audit.verdict, AUDIT_DUPLICATE);
	proto_out_free(&o);
	assert_int_equal(calls, 2);
	fx_free(f);
}

/*
 * NAMES lists only what the ACL lets the peer see; a peer of no family is
 * rate-limited; freed names beyond max_freed are forgotten, oldest first.
 */
static void
test_proto_hidden_and_forgotten(void **state)
{
	static const char *const secret[] = { "secret*" };
	struct fx		*f = fx_new(0, 10);
	struct proto_out	 o;
	struct acl_prefix	 p;
	struct proto_peer	 none = f->remote;
	const char		*errstr;
	char			 name[16];
	int			 i;

	(void)state;
	acl_free(f->acl);
	assert_non_null(f->acl = acl_new());
	assert_int_equal(acl_parse_prefix("10.0.0.0/8", &p, &errstr), ACL_OK);
	assert_int_equal(acl_add(f->acl, 0, &p, ACL_SCOPE_NAMES, secret, 1, 1),
	    ACL_OK);
	assert_int_equal(acl_add(f->acl, 1, &p, ACL_SCOPE_ALL, NULL, 0, 2),
	    ACL_OK);
	f->pol.acl = f->acl;
	proto_set_policy(f->p, &f->pol);
	reg(f, "secret1", &f->owner[0], &o);
	proto_out_free(&o);
	reg(f, "open", &f->owner[1], &o);
	proto_out_free(&o);
	req(f, &f->remote, "n", 1, &o);
	assert_int_equal(o.audit.names, 1);
	assert_int_equal(o.replylen, 4 + strlen("name open at port 4386\n"));
	proto_out_free(&o);
	none.addr.family = AF_UNSPEC;
	req(f, &none, "n", 1, &o);
	assert_int_equal(o.audit.verdict, AUDIT_RATE_LIMITED);
	proto_out_free(&o);
	{
		struct proto_peer	 other = f->local;

		other.owner = &f->owner[3];
		assert_int_equal(proto_end(f->p, &other, "secret1", 4386, NULL,
		    &o), 0);
	}
	{
		struct proto_peer	 a = f->local, b = f->local;

		a.owner = &f->owner[0];
		b.owner = &f->owner[1];
		assert_int_equal(proto_end(f->p, &a, "secret1", 4386, NULL,
		    &o), 1);
		assert_int_equal(proto_end(f->p, &b, "open", 4386, NULL, &o),
		    1);
	}
	/* Register and free more names than max_freed (4) remembers. */
	for (i = 0; i < 8; i++) {
		struct proto_peer	 pp = f->local;

		snprintf(name, sizeof(name), "f%d", i);
		reg(f, name, &f->owner[2], &o);
		assert_int_equal(o.audit.verdict, AUDIT_OK);
		proto_out_free(&o);
		pp.owner = &f->owner[2];
		assert_int_equal(proto_end(f->p, &pp, name, 4386, NULL, &o),
		    1);
	}
	assert_int_equal(registry_count_freed(proto_registry(f->p)), 5);
	fx_free(f);
}

/*
 * A NAMES or DUMP reply longer than the first buffer (a name of 255
 * characters); DUMP lists the names that were registered and are free.
 */
static void
test_proto_listing_long_and_old(void **state)
{
	struct fx		*f = fx_new(0, 10);
	struct proto_out	 o;
	struct proto_peer	 pp = f->local;
	uint8_t			 b[WIRE_MAX_NAME_CHARS + 16];
	char			 name[WIRE_MAX_NAME_CHARS + 1], want[400];
	int			 n;

	(void)state;
	memset(name, 'l', WIRE_MAX_NAME_CHARS);
	name[WIRE_MAX_NAME_CHARS] = '\0';
	pp.owner = &f->owner[1];
	req(f, &pp, b, alive2(b, name, 6), &o);
	assert_int_equal(o.audit.verdict, AUDIT_OK);
	proto_out_free(&o);
	reg(f, "gone", &f->owner[0], &o);
	proto_out_free(&o);
	pp.owner = &f->owner[0];
	assert_int_equal(proto_end(f->p, &pp, "gone", 4386, NULL, &o), 1);

	req(f, &f->remote, "n", 1, &o);
	n = snprintf(want, sizeof(want), "name %s at port 4386\n", name);
	assert_int_equal(o.replylen, 4 + (size_t)n);
	assert_memory_equal(o.reply, "\0\0\x11\x11", 4);
	assert_memory_equal(o.reply + 4, want, (size_t)n);
	assert_int_equal(o.audit.names, 1);
	proto_out_free(&o);

	req(f, &f->local, "d", 1, &o);
	assert_int_equal(o.audit.names, 2);
	n = snprintf(want, sizeof(want), "old/unused name <gone>, port = "
	    "4386, fd = 7 \n");
	assert_true(o.replylen > 4 + (size_t)n + 1);
	/* The last line, with its NUL as stock sends it. */
	assert_memory_equal(o.reply + o.replylen - (size_t)n - 1, want,
	    (size_t)n + 1);
	proto_out_free(&o);
	fx_free(f);
}

/* Counted refusals of an IPv6 source are summarised per v6len prefix. */
static void
test_proto_summary_v6(void **state)
{
	struct fx		*f = fx_new(0, 1);
	struct proto_out	 o;
	struct proto_peer	 pp;
	struct sockaddr_in6	 sin6;

	(void)state;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(40000);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:1:2:3::9",
	    &sin6.sin6_addr), 1);
	memset(&pp, 0, sizeof(pp));
	pp.src = (struct sockaddr *)&sin6;
	pp.fd = 7;
	pp.facts.uid = -1;
	assert_int_equal(addr_from_sockaddr(pp.src, &pp.addr), 0);
	req(f, &pp, "n", 1, &o);
	proto_out_free(&o);
	req(f, &pp, "n", 1, &o);
	assert_int_equal(o.audit.verdict, AUDIT_RATE_LIMITED);
	assert_int_equal(o.log, PROTO_LOG_FULL);	/* the first in full */
	proto_out_free(&o);
	req(f, &pp, "n", 1, &o);
	assert_int_equal(o.log, PROTO_LOG_COUNT);	/* then counted */
	proto_out_free(&o);
	f->now.ms += 11000;
	assert_int_equal(proto_summarise(f->p, f->now.ms, keep_line, NULL), 1);
	assert_string_equal(summary, "event=refusal_summary "
	    "src=2001:db8:1:2::/64 seconds=11 rate_limited=1 conn_limit=0 "
	    "malformed=0 not_local=0 no_request=0 timeout=0");
	fx_free(f);
}

/*
 * Every allocation the engine makes, failing in turn (the nth, for every
 * n until a run makes none fail): proto_new() gives NULL; an ALIVE2 is
 * refused "out of memory" and registers nothing; a NAMES or DUMP closes
 * without a reply or a record and warns the operator; a local uid's
 * connection is refused. The ASan build catches a leak on any of them.
 */
static void
test_proto_out_of_memory(void **state)
{
	static const char *const listing[] = { "n", "d" };
	struct proto_config	 pc;
	struct proto		*p = NULL;
	struct fx		*f;
	struct proto_out	 o;
	struct proto_peer	 pp;
	uint8_t			 b[64];
	size_t			 k;
	long			 n, failed;

	(void)state;
	fx_config(&pc, 0, 10);
	for (n = 0; n < 1000; n++) {
		fault_arm(FAULT_ALLOC, n, ENOMEM);
		p = proto_new(&pc);
		if (fault_disarm(FAULT_ALLOC) == 0)
			break;
		assert_null(p);
	}
	assert_non_null(p);
	assert_true(n >= 3);
	proto_free(p);
	proto_free(NULL);

	f = fx_new(0, 10);
	reg(f, "a", &f->owner[0], &o);
	proto_out_free(&o);
	pp = f->local;
	pp.owner = &f->owner[0];
	assert_int_equal(proto_end(f->p, &pp, "a", 4386, NULL, &o), 1);
	/* A listing that outgrows its first buffer: two allocations. */
	{
		uint8_t	 lb[WIRE_MAX_NAME_CHARS + 16];
		char	 name[WIRE_MAX_NAME_CHARS + 1];

		memset(name, 'l', WIRE_MAX_NAME_CHARS);
		name[WIRE_MAX_NAME_CHARS] = '\0';
		pp.owner = &f->owner[1];
		req(f, &pp, lb, alive2(lb, name, 6), &o);
		assert_int_equal(o.audit.verdict, AUDIT_OK);
		proto_out_free(&o);
	}
	for (n = 0; n < 1000; n++) {
		pp.owner = &f->owner[2];
		fault_arm(FAULT_ALLOC, n, ENOMEM);
		req(f, &pp, b, alive2(b, "c", 6), &o);
		failed = fault_disarm(FAULT_ALLOC);
		if (failed == 0) {
			assert_int_equal(o.audit.verdict, AUDIT_OK);
			proto_out_free(&o);
			break;
		}
		assert_int_equal(o.audit.verdict, AUDIT_FULL);
		assert_string_equal(o.audit.reason, "out of memory");
		assert_null(o.regname);
		assert_int_equal(o.next, PROTO_REPLY_CLOSE);
		assert_int_equal(o.reply[1], 1);
		assert_int_equal(registry_count(proto_registry(f->p)), 1);
		proto_out_free(&o);
	}
	assert_true(n >= 2);	/* the name's copy, the registry's node */
	for (k = 0; k < 2; k++) {
		for (n = 0; n < 1000; n++) {
			fault_arm(FAULT_ALLOC, n, ENOMEM);
			req(f, &f->local, listing[k], 1, &o);
			failed = fault_disarm(FAULT_ALLOC);
			if (failed == 0) {
				assert_int_equal(o.next, PROTO_REPLY_CLOSE);
				assert_true(o.replylen > 256);
				proto_out_free(&o);
				break;
			}
			assert_int_equal(o.next, PROTO_CLOSE);
			assert_int_equal(o.replylen, 0);
			assert_int_equal(o.log, PROTO_LOG_NONE);
			assert_string_equal(o.warn, k == 0 ?
			    "cannot build NAMES reply" :
			    "cannot build DUMP reply");
			proto_out_free(&o);
		}
		assert_true(n >= 2);
	}
	fx_free(f);

	/* The per-uid count: a new uid's slot. */
	pc.lim.max_per_uid = 2;
	assert_non_null(p = proto_new(&pc));
	mkpeer(&pp, &pp_sin, "127.0.0.1", 1, NULL);
	pp.facts.uid = 1000;
	fault_arm(FAULT_ALLOC, 0, ENOMEM);
	assert_int_equal(proto_admit(p, &pp, 0, 0, &fx_now, &o), 0);
	assert_int_equal(fault_disarm(FAULT_ALLOC), 1);
	assert_int_equal(o.audit.verdict, AUDIT_CONN_LIMIT);
	assert_string_equal(o.audit.reason, "out of memory");
	assert_false(pp.uid_counted);
	assert_int_equal(proto_admit(p, &pp, 0, 0, &fx_now, &o), 1);
	assert_true(pp.uid_counted);
	proto_close(p, &pp);
	proto_free(p);
}

/* Run the engine tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proto_register_lookup_end),
		cmocka_unit_test(test_proto_denied),
		cmocka_unit_test(test_proto_not_local_and_noise),
		cmocka_unit_test(test_proto_rate_limit_and_summary),
		cmocka_unit_test(test_proto_admit),
		cmocka_unit_test(test_proto_kill_stop),
		cmocka_unit_test(test_proto_register_check),
		cmocka_unit_test(test_proto_hidden_and_forgotten),
		cmocka_unit_test(test_proto_listing_long_and_old),
		cmocka_unit_test(test_proto_summary_v6),
		cmocka_unit_test_teardown(test_proto_out_of_memory,
		    fault_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
