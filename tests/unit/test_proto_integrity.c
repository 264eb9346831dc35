/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_proto_integrity.c: the engine's registration-integrity decisions,
 * driven with facts as the edge would gather them: register lines,
 * register_default, sticky owners, port ownership, distribution exposure,
 * the per-uid connection cap and FORGET.
 */
#include <sys/socket.h>
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

static struct sockaddr_in	 lo_src, lo_dst;

static struct proto *
engine(size_t max_per_uid)
{
	struct proto_config	 cfg;
	struct proto		*p;

	memset(&cfg, 0, sizeof(cfg));
	cfg.port = 4369;
	cfg.max_nodes = 2 * OWNER_STICKY_PER_UID;
	cfg.max_freed = 16;
	cfg.lim.rate = 1000;
	cfg.lim.burst = 1000;
	cfg.lim.v4len = 32;
	cfg.lim.v6len = 128;
	cfg.lim.max_connections = 64;
	cfg.lim.max_per_source = 64;
	cfg.lim.loopback_reserved = 8;
	cfg.lim.max_sources = 64;
	cfg.lim.summary_interval = 10;
	cfg.lim.max_per_uid = max_per_uid;
	assert_non_null(p = proto_new(&cfg));
	return p;
}

/* A policy: one register line "rabbit*" for uid 1000, then def. */
static void
policy(struct proto *p, struct conf_registers *reg,
    enum conf_register_default def, int check_port,
    enum conf_dist_exposure expo)
{
	struct proto_policy	 pol;

	memset(reg, 0, sizeof(*reg));
	snprintf(reg->rule[0].glob, sizeof(reg->rule[0].glob), "rabbit*");
	reg->rule[0].uid[0] = 1000;
	reg->rule[0].nuid = 1;
	reg->rule[0].line = 3;
	reg->n = 1;
	memset(&pol, 0, sizeof(pol));
	pol.acl = NULL;
	pol.attribution = 1;
	pol.reg = reg;
	pol.register_default = def;
	pol.check_port_owner = check_port;
	pol.dist_exposure = expo;
	proto_set_policy(p, &pol);
}

static void
local_peer(struct proto_peer *pp, long uid, void *owner)
{
	memset(pp, 0, sizeof(*pp));
	pp->src = (struct sockaddr *)&lo_src;
	pp->dst = (struct sockaddr *)&lo_dst;
	pp->addr.family = AF_INET;
	pp->local = 1;
	pp->owner = owner;
	pp->fd = 7;
	pp->facts.uid = uid;
}

/* The listeners on the announced port: one, at ip, owned by uid. */
static void
listening(struct sockdiag_result *l, const char *ip, uint32_t uid,
    uint16_t port)
{
	memset(l, 0, sizeof(*l));
	l->dump = 1;
	l->done = 1;
	l->nsocks = 1;
	l->socks[0].local.family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, ip, l->socks[0].local.addr), 1);
	l->socks[0].local.port = port;
	l->socks[0].uid = uid;
	l->socks[0].state = 10;
}

/* Send ALIVE2 for name/port; return the result byte; out kept. */
static int
alive2(struct proto *p, const struct proto_peer *pp, const char *name,
    uint16_t port, struct proto_out *out)
{
	uint8_t			 body[64];
	size_t			 n = strlen(name), len = 0;
	struct proto_now	 now = { 1000, 1700000000 };

	body[len++] = 'x';
	body[len++] = (uint8_t)(port >> 8);
	body[len++] = (uint8_t)port;
	body[len++] = 77;
	body[len++] = 0;
	body[len++] = 0; body[len++] = 6;
	body[len++] = 0; body[len++] = 5;
	body[len++] = 0; body[len++] = (uint8_t)n;
	memcpy(body + len, name, n);
	len += n;
	body[len++] = 0; body[len++] = 0;
	proto_request(p, pp, body, len, &now, out);
	assert_int_equal(out->replylen, 6);
	return out->reply[1];
}

static void
test_proto_register_rule(void **state)
{
	struct proto		*p = engine(16);
	struct conf_registers	 reg;
	struct sockdiag_result	 l;
	struct proto_peer	 pp;
	struct proto_out	 out;
	int			 owner[3];

	(void)state;
	policy(p, &reg, CONF_REGISTER_ANY, 1, CONF_DIST_WARN);
	/* uid 1001 on its own port, but the name is uid 1000's. */
	local_peer(&pp, 1001, &owner[0]);
	listening(&l, "127.0.0.1", 1001, 5000);
	pp.facts.listeners = &l;
	assert_int_equal(alive2(p, &pp, "rabbit", 5000, &out), 1);
	assert_int_equal(out.audit.verdict, AUDIT_NOT_OWNER);
	assert_int_equal(out.audit.rule, 3);
	assert_true(out.audit.has_uid);
	assert_int_equal(out.audit.uid, 1001);
	assert_int_equal(out.next, PROTO_REPLY_CLOSE);
	proto_out_free(&out);
	/* A name outside the rule: register_default any. */
	assert_int_equal(alive2(p, &pp, "hare", 5000, &out), 0);
	assert_int_equal(out.audit.verdict, AUDIT_OK);
	assert_int_equal(out.next, PROTO_REPLY_KEEP);
	proto_out_free(&out);
	/* The owner. */
	local_peer(&pp, 1000, &owner[1]);
	listening(&l, "127.0.0.1", 1000, 5001);
	pp.facts.listeners = &l;
	assert_int_equal(alive2(p, &pp, "rabbit", 5001, &out), 0);
	assert_false(out.sticky_changed);	/* not a sticky name */
	proto_out_free(&out);
	/* Without attribution (no sock_diag): stock, whoever asks. */
	{
		struct proto_policy	 pol = { 0 };

		proto_set_policy(p, &pol);
		local_peer(&pp, -1, &owner[2]);
		assert_int_equal(alive2(p, &pp, "rabbit2", 1, &out), 0);
		proto_out_free(&out);
	}
	proto_free(p);
}

static void
test_proto_ports_and_exposure(void **state)
{
	struct proto		*p = engine(16);
	struct conf_registers	 reg;
	struct sockdiag_result	 l;
	struct proto_peer	 pp;
	struct proto_out	 out;
	int			 owner[2];

	(void)state;
	policy(p, &reg, CONF_REGISTER_ANY, 1, CONF_DIST_WARN);
	local_peer(&pp, 1001, &owner[0]);
	listening(&l, "127.0.0.1", 1000, 5000);	/* another user's port */
	pp.facts.listeners = &l;
	assert_int_equal(alive2(p, &pp, "n1", 5000, &out), 1);
	assert_int_equal(out.audit.verdict, AUDIT_PORT_NOT_OWNED);
	proto_out_free(&out);
	pp.facts.listeners = NULL;		/* lookup failed */
	assert_int_equal(alive2(p, &pp, "n1", 5000, &out), 1);
	assert_int_equal(out.audit.verdict, AUDIT_UNVERIFIED);
	proto_out_free(&out);
	/* Its own port on every interface: registered, and reported. */
	listening(&l, "0.0.0.0", 1001, 5002);
	pp.facts.listeners = &l;
	assert_int_equal(alive2(p, &pp, "n1", 5002, &out), 0);
	assert_string_equal(out.event, "event=dist_exposed node=n1 port=5002 "
	    "bind=0.0.0.0 uid=1001");
	proto_out_free(&out);
	/* A name that is not a bare logfmt value is quoted, escaped. */
	assert_int_equal(alive2(p, &pp, "caf\xc3\xa9", 5002, &out), 0);
	assert_string_equal(out.event, "event=dist_exposed "
	    "node=\"caf\\xc3\\xa9\" port=5002 bind=0.0.0.0 uid=1001");
	proto_out_free(&out);
	assert_int_equal(alive2(p, &pp, "a=b", 5002, &out), 0);
	assert_string_equal(out.event, "event=dist_exposed node=\"a=b\" "
	    "port=5002 bind=0.0.0.0 uid=1001");
	proto_out_free(&out);
	/* Refused in refuse mode; loopback is fine. */
	policy(p, &reg, CONF_REGISTER_ANY, 1, CONF_DIST_REFUSE);
	local_peer(&pp, 1001, &owner[1]);
	pp.facts.listeners = &l;
	assert_int_equal(alive2(p, &pp, "n2", 5002, &out), 1);
	assert_int_equal(out.audit.verdict, AUDIT_DIST_EXPOSED);
	proto_out_free(&out);
	listening(&l, "127.0.0.1", 1001, 5003);
	assert_int_equal(alive2(p, &pp, "n2", 5003, &out), 0);
	assert_string_equal(out.event, "");
	proto_out_free(&out);
	proto_free(p);
}

static void
test_proto_sticky_and_forget(void **state)
{
	static const uint8_t	 forget[] = { 'f', 's', '1' };
	struct proto		*p = engine(16);
	struct conf_registers	 reg;
	struct proto_peer	 pp;
	struct proto_out	 out;
	struct proto_now	 now = { 1000, 1700000000 };
	uint32_t		 uid;
	int			 owner[4];

	(void)state;
	policy(p, &reg, CONF_REGISTER_STICKY, 0, CONF_DIST_IGNORE);
	local_peer(&pp, 1001, &owner[0]);
	assert_int_equal(alive2(p, &pp, "s1", 5000, &out), 0);
	assert_true(out.sticky_changed);
	proto_out_free(&out);
	assert_int_equal(owner_sticky_lookup(proto_sticky(p), "s1", &uid), 0);
	assert_int_equal(uid, 1001);
	assert_int_equal(proto_end(p, &pp, "s1", 5000, NULL, &out), 1);
	proto_out_free(&out);
	/* Another user, then root: not the owner. */
	local_peer(&pp, 1002, &owner[1]);
	assert_int_equal(alive2(p, &pp, "s1", 5000, &out), 1);
	assert_int_equal(out.audit.verdict, AUDIT_NOT_OWNER);
	proto_out_free(&out);
	/* FORGET: root only. */
	proto_request(p, &pp, forget, sizeof(forget), &now, &out);
	assert_int_equal(out.next, PROTO_CLOSE);
	assert_int_equal(out.audit.verdict, AUDIT_REFUSED);
	proto_out_free(&out);
	local_peer(&pp, 0, &owner[2]);
	proto_request(p, &pp, forget, sizeof(forget), &now, &out);
	assert_int_equal(out.replylen, 9);
	assert_memory_equal(out.reply, "FORGOTTEN", 9);
	assert_true(out.sticky_changed);
	proto_out_free(&out);
	proto_request(p, &pp, forget, sizeof(forget), &now, &out);
	assert_memory_equal(out.reply, "NOEXIST", 7);
	proto_out_free(&out);
	/* Now the next user claims it. */
	local_peer(&pp, 1002, &owner[3]);
	assert_int_equal(alive2(p, &pp, "s1", 5000, &out), 0);
	proto_out_free(&out);
	proto_free(p);
}

/*
 * register_default sticky remembers OWNER_STICKY_PER_UID names per uid.
 * One more is refused while all of them are registered (sticky_full);
 * once one is free, the least recently used free name makes room.
 */
static void
test_proto_sticky_full(void **state)
{
	struct proto		*p = engine(0);
	struct conf_registers	 reg;
	struct proto_peer	 pp;
	struct proto_out	 out;
	uint32_t		 uid;
	char			 name[16];
	int			 owner[OWNER_STICKY_PER_UID + 1], i;

	(void)state;
	policy(p, &reg, CONF_REGISTER_STICKY, 0, CONF_DIST_IGNORE);
	/* One connection (owner) per registration, as in the daemon. */
	for (i = 0; i < OWNER_STICKY_PER_UID; i++) {
		local_peer(&pp, 1001, &owner[i]);
		snprintf(name, sizeof(name), "s%d", i);
		assert_int_equal(alive2(p, &pp, name, 5000, &out), 0);
		proto_out_free(&out);
	}
	local_peer(&pp, 1001, &owner[OWNER_STICKY_PER_UID]);
	assert_int_equal(alive2(p, &pp, "late", 5000, &out), 1);
	assert_int_equal(out.audit.verdict, AUDIT_STICKY_FULL);
	assert_string_equal(out.audit.reason, "sticky table full");
	assert_int_equal(out.next, PROTO_REPLY_CLOSE);
	assert_false(out.sticky_changed);
	proto_out_free(&out);
	assert_int_equal(owner_sticky_lookup(proto_sticky(p), "late", &uid),
	    -1);
	/* s7 then s3 end: s3, registered (used) earlier, is given up. */
	local_peer(&pp, 1001, &owner[7]);
	assert_int_equal(proto_end(p, &pp, "s7", 5000, NULL, &out), 1);
	proto_out_free(&out);
	local_peer(&pp, 1001, &owner[3]);
	assert_int_equal(proto_end(p, &pp, "s3", 5000, NULL, &out), 1);
	proto_out_free(&out);
	local_peer(&pp, 1001, &owner[OWNER_STICKY_PER_UID]);
	assert_int_equal(alive2(p, &pp, "late", 5000, &out), 0);
	assert_true(out.sticky_changed);
	proto_out_free(&out);
	assert_int_equal(owner_sticky_lookup(proto_sticky(p), "late", &uid),
	    0);
	assert_int_equal(uid, 1001);
	assert_int_equal(owner_sticky_lookup(proto_sticky(p), "s3", &uid),
	    -1);
	assert_int_equal(owner_sticky_lookup(proto_sticky(p), "s7", &uid),
	    0);
	proto_free(p);
}

static void
test_proto_uid_cap(void **state)
{
	struct proto		*p = engine(2);
	struct proto_peer	 a[3], b, late;
	struct proto_out	 out;
	struct proto_now	 now = { 1000, 1700000000 };
	struct proto_uid_stats	 st;
	int			 owner;

	(void)state;
	local_peer(&a[0], 1000, &owner);
	local_peer(&a[1], 1000, &owner);
	local_peer(&a[2], 1000, &owner);
	local_peer(&b, 1001, &owner);
	assert_int_equal(proto_admit(p, &a[0], 0, 0, &now, &out), 1);
	assert_int_equal(proto_admit(p, &a[1], 1, 0, &now, &out), 1);
	assert_int_equal(proto_admit(p, &a[2], 2, 0, &now, &out), 0);
	assert_int_equal(out.audit.verdict, AUDIT_CONN_LIMIT);
	assert_string_equal(out.audit.reason, "max_connections_per_uid");
	assert_int_equal(proto_admit(p, &b, 2, 0, &now, &out), 1);
	proto_uid_stats(p, &st);
	assert_int_equal(st.uids, 2);
	assert_int_equal(st.refused, 1);
	/* One closes: room again. */
	proto_close(p, &a[0]);
	assert_int_equal(proto_admit(p, &a[2], 2, 0, &now, &out), 1);
	/* A connection admitted before its uid was known is counted later. */
	local_peer(&late, -1, &owner);
	assert_int_equal(proto_admit(p, &late, 3, 0, &now, &out), 1);
	assert_false(late.uid_counted);
	proto_count_uid(p, &late);		/* still unknown: nothing */
	assert_false(late.uid_counted);
	late.facts.uid = 1000;
	proto_count_uid(p, &late);
	assert_true(late.uid_counted);
	proto_count_uid(p, &late);		/* counted once only */
	local_peer(&a[0], 1000, &owner);
	assert_int_equal(proto_admit(p, &a[0], 4, 0, &now, &out), 0);
	/* Closing uid 1001's leaves uid 1000's three counted. */
	proto_close(p, &b);
	proto_uid_stats(p, &st);
	assert_int_equal(st.uids, 1);
	proto_close(p, &a[1]);
	proto_close(p, &late);
	local_peer(&a[0], 1000, &owner);
	assert_int_equal(proto_admit(p, &a[0], 2, 0, &now, &out), 1);
	proto_close(p, &a[0]);
	proto_close(p, &a[2]);
	proto_uid_stats(p, &st);
	assert_int_equal(st.uids, 0);
	proto_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proto_register_rule),
		cmocka_unit_test(test_proto_ports_and_exposure),
		cmocka_unit_test(test_proto_sticky_and_forget),
		cmocka_unit_test(test_proto_sticky_full),
		cmocka_unit_test(test_proto_uid_cap),
	};

	lo_src.sin_family = AF_INET;
	lo_src.sin_port = htons(40000);
	lo_src.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lo_dst = lo_src;
	lo_dst.sin_port = htons(4369);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
