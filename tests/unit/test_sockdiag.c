/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sockdiag.c: inet_diag request building and reply parsing, on bytes
 * the kernel really sent.
 *
 * The cap_* arrays were captured with sockdiag_io.c's socket calls and
 * this module's builders: a process running as uid 65534 listened on
 * 127.0.0.1:45999, connected to it from 127.0.0.1:34504, then sent the
 * peer lookup (seq 7), the IPv4 listener dump for 45999 (seq 8, two
 * datagrams: the socket, then NLMSG_DONE) and a lookup of a connection
 * that does not exist (seq 9, NLMSG_ERROR -ENOENT).
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/netlink.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sockdiag.h"

/*
 * Captured on Linux 6.18 with tests/unit's capture recipe (see the file
 * comment): a process running as uid 65534 listened on 127.0.0.1:45999,
 * connected to it from 127.0.0.1:34504, and asked the kernel.
 */
static const uint8_t cap_peer_req[72] = {
	0x48,0x00,0x00,0x00,0x14,0x00,0x01,0x00,0x07,0x00,0x00,0x00,
	0x00,0x00,0x00,0x00,0x02,0x06,0x00,0x00,0xff,0xff,0xff,0xff,
	0x86,0xc8,0xb3,0xaf,0x7f,0x00,0x00,0x01,0x00,0x00,0x00,0x00,
	0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x7f,0x00,0x00,0x01,
	0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,
	0x00,0x00,0x00,0x00,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,
};
static const uint8_t cap_peer_reply[116] = {
	0x74,0x00,0x00,0x00,0x14,0x00,0x00,0x00,0x07,0x00,0x00,0x00,
	0x1f,0xb0,0xae,0xfd,0x02,0x01,0x00,0x00,0x86,0xc8,0xb3,0xaf,
	0x7f,0x00,0x00,0x01,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,
	0x00,0x00,0x00,0x00,0x7f,0x00,0x00,0x01,0x00,0x00,0x00,0x00,
	0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,
	0x06,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,
	0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0xfe,0xff,0x00,0x00,
	0xc6,0xe0,0x01,0x00,0x05,0x00,0x08,0x00,0x00,0x00,0x00,0x00,
	0x0c,0x00,0x15,0x00,0x01,0x00,0x00,0x00,0x00,0x00,0x00,0x00,
	0x06,0x00,0x16,0x00,0x52,0x00,0x00,0x00,
};
static const uint8_t cap_listen_req[92] = {
	0x5c,0x00,0x00,0x00,0x14,0x00,0x01,0x03,0x08,0x00,0x00,0x00,
	0x00,0x00,0x00,0x00,0x02,0x06,0x00,0x00,0x00,0x04,0x00,0x00,
	0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,
	0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,
	0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,
	0x00,0x00,0x00,0x00,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,
	0x14,0x00,0x01,0x00,0x02,0x08,0x14,0x00,0x00,0x00,0xaf,0xb3,
	0x03,0x08,0x0c,0x00,0x00,0x00,0xaf,0xb3,
};
static const uint8_t cap_listen_reply1[116] = {
	0x74,0x00,0x00,0x00,0x14,0x00,0x02,0x00,0x08,0x00,0x00,0x00,
	0x1f,0xb0,0xae,0xfd,0x02,0x0a,0x00,0x00,0xb3,0xaf,0x00,0x00,
	0x7f,0x00,0x00,0x01,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,
	0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,
	0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,
	0x07,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,
	0x00,0x00,0x00,0x00,0x05,0x00,0x00,0x00,0xfe,0xff,0x00,0x00,
	0xc5,0xe0,0x01,0x00,0x05,0x00,0x08,0x00,0x00,0x00,0x00,0x00,
	0x0c,0x00,0x15,0x00,0x01,0x00,0x00,0x00,0x00,0x00,0x00,0x00,
	0x06,0x00,0x16,0x00,0x52,0x00,0x00,0x00,
};
static const uint8_t cap_listen_reply2[20] = {
	0x14,0x00,0x00,0x00,0x03,0x00,0x02,0x00,0x08,0x00,0x00,0x00,
	0x1f,0xb0,0xae,0xfd,0x00,0x00,0x00,0x00,
};
static const uint8_t cap_enoent_reply[92] = {
	0x5c,0x00,0x00,0x00,0x02,0x00,0x00,0x00,0x09,0x00,0x00,0x00,
	0x1f,0xb0,0xae,0xfd,0xfe,0xff,0xff,0xff,0x48,0x00,0x00,0x00,
	0x14,0x00,0x01,0x00,0x09,0x00,0x00,0x00,0x00,0x00,0x00,0x00,
	0x02,0x06,0x00,0x00,0xff,0xff,0xff,0xff,0x00,0x01,0xb3,0xaf,
	0x7f,0x00,0x00,0x01,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,
	0x00,0x00,0x00,0x00,0x7f,0x00,0x00,0x01,0x00,0x00,0x00,0x00,
	0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,0x00,
	0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,
};

/* Replies are parsed from a 4-byte aligned buffer, as recv gives them. */
static uint32_t	 abuf[2048];

static const uint8_t *
aligned(const uint8_t *p, size_t n)
{
	assert_true(n <= sizeof(abuf));
	memcpy(abuf, p, n);
	return (const uint8_t *)abuf;
}

static void
mkaddr(struct sockdiag_addr *a, const char *ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->family = strchr(ip, ':') != NULL ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(a->family, ip, a->addr), 1);
	a->port = port;
}

static void
test_sockdiag_build_peer_req_matches_capture(void **state)
{
	struct sockdiag_addr	 peer, self;
	uint32_t		 out[SOCKDIAG_REQ_MAX / 4];
	size_t			 n;

	(void)state;
	mkaddr(&peer, "127.0.0.1", 34504);
	mkaddr(&self, "127.0.0.1", 45999);
	n = sockdiag_build_peer_req((uint8_t *)out, sizeof(out), 7, &peer,
	    &self);
	assert_int_equal(n, sizeof(cap_peer_req));
	assert_memory_equal(out, cap_peer_req, n);
}

static void
test_sockdiag_build_listen_req_matches_capture(void **state)
{
	uint32_t	 out[SOCKDIAG_REQ_MAX / 4];
	size_t		 n;

	(void)state;
	n = sockdiag_build_listen_req((uint8_t *)out, sizeof(out), 8, AF_INET,
	    45999);
	assert_int_equal(n, sizeof(cap_listen_req));
	assert_memory_equal(out, cap_listen_req, n);
}

static void
test_sockdiag_build_refuses_bad_input(void **state)
{
	struct sockdiag_addr	 v4, v6;
	uint32_t		 out[SOCKDIAG_REQ_MAX / 4];

	(void)state;
	mkaddr(&v4, "127.0.0.1", 1);
	mkaddr(&v6, "::1", 2);
	assert_int_equal(sockdiag_build_peer_req((uint8_t *)out,
	    sizeof(out), 1, &v4, &v6), 0);
	assert_int_equal(sockdiag_build_peer_req((uint8_t *)out,
	    sizeof(out) - 4, 1, &v4, &v4), 0);
	assert_int_equal(sockdiag_build_listen_req((uint8_t *)out,
	    sizeof(out), 1, AF_UNIX, 1), 0);
	assert_int_equal(sockdiag_build_listen_req((uint8_t *)out,
	    sizeof(out) - 4, 1, AF_INET, 1), 0);
}

/* An IPv6 peer lookup puts the 16-byte addresses and ports in place. */
static void
test_sockdiag_build_peer_req_v6(void **state)
{
	struct sockdiag_addr	 peer, self;
	uint32_t		 out[SOCKDIAG_REQ_MAX / 4];
	const uint8_t		*b = (const uint8_t *)out;
	size_t			 n;

	(void)state;
	mkaddr(&peer, "2001:db8::1", 0x1234);
	mkaddr(&self, "2001:db8::2", 4369);
	n = sockdiag_build_peer_req((uint8_t *)out, sizeof(out), 5, &peer,
	    &self);
	assert_int_equal(n, 72);
	assert_int_equal(b[16], AF_INET6);
	assert_int_equal(b[17], IPPROTO_TCP);
	assert_int_equal(b[24], 0x12);	/* sport, big-endian */
	assert_int_equal(b[25], 0x34);
	assert_int_equal(b[26], 0x11);	/* dport 4369 */
	assert_int_equal(b[27], 0x11);
	assert_memory_equal(b + 28, peer.addr, 16);
	assert_memory_equal(b + 44, self.addr, 16);
}

static void
test_sockdiag_parse_peer_reply(void **state)
{
	struct sockdiag_result	 res;
	const char		*err = NULL;

	(void)state;
	sockdiag_result_init(&res, 0, 0);
	assert_int_equal(sockdiag_parse(aligned(cap_peer_reply,
	    sizeof(cap_peer_reply)), sizeof(cap_peer_reply), 7, &res, &err),
	    SOCKDIAG_OK);
	assert_null(err);
	assert_true(res.done);
	assert_int_equal(res.error, 0);
	assert_int_equal(res.nsocks, 1);
	assert_int_equal(res.socks[0].uid, 65534);
	assert_int_equal(res.socks[0].inode, 123078);
	assert_int_equal(res.socks[0].state, 1);	/* ESTABLISHED */
	assert_int_equal(res.socks[0].local.family, AF_INET);
	assert_int_equal(res.socks[0].local.port, 34504);
	assert_true(sockdiag_addr_is_loopback(&res.socks[0].local));
}

static void
test_sockdiag_parse_listen_dump_two_datagrams(void **state)
{
	struct sockdiag_result	 res;
	const char		*err = NULL;
	char			 s[64];

	(void)state;
	sockdiag_result_init(&res, 1, 45999);
	assert_int_equal(sockdiag_parse(aligned(cap_listen_reply1,
	    sizeof(cap_listen_reply1)), sizeof(cap_listen_reply1), 8, &res,
	    &err), SOCKDIAG_NEED_MORE);
	assert_int_equal(res.nsocks, 1);
	assert_false(res.done);
	assert_int_equal(sockdiag_parse(aligned(cap_listen_reply2,
	    sizeof(cap_listen_reply2)), sizeof(cap_listen_reply2), 8, &res,
	    &err), SOCKDIAG_OK);
	assert_true(res.done);
	assert_int_equal(res.error, 0);
	assert_int_equal(res.nsocks, 1);
	assert_int_equal(res.socks[0].uid, 65534);
	assert_int_equal(res.socks[0].state, 10);	/* LISTEN */
	assert_int_equal(res.socks[0].local.port, 45999);
	assert_string_equal(sockdiag_addr_str(&res.socks[0].local, s,
	    sizeof(s)), "127.0.0.1");
}

/* The parser does not trust the kernel's port filter. */
static void
test_sockdiag_parse_keeps_only_the_port(void **state)
{
	struct sockdiag_result	 res;

	(void)state;
	sockdiag_result_init(&res, 1, 45998);
	assert_int_equal(sockdiag_parse(aligned(cap_listen_reply1,
	    sizeof(cap_listen_reply1)), sizeof(cap_listen_reply1), 8, &res,
	    NULL), SOCKDIAG_NEED_MORE);
	assert_int_equal(res.nsocks, 0);
}

static void
test_sockdiag_parse_enoent(void **state)
{
	struct sockdiag_result	 res;

	(void)state;
	sockdiag_result_init(&res, 0, 0);
	assert_int_equal(sockdiag_parse(aligned(cap_enoent_reply,
	    sizeof(cap_enoent_reply)), sizeof(cap_enoent_reply), 9, &res,
	    NULL), SOCKDIAG_OK);
	assert_true(res.done);
	assert_int_equal(res.error, ENOENT);
	assert_int_equal(res.nsocks, 0);
}

/* A late answer to an abandoned request is skipped, not believed. */
static void
test_sockdiag_parse_skips_other_seq(void **state)
{
	struct sockdiag_result	 res;

	(void)state;
	sockdiag_result_init(&res, 0, 0);
	assert_int_equal(sockdiag_parse(aligned(cap_peer_reply,
	    sizeof(cap_peer_reply)), sizeof(cap_peer_reply), 8, &res, NULL),
	    SOCKDIAG_NEED_MORE);
	assert_int_equal(res.nsocks, 0);
	assert_int_equal(res.foreign, 1);
	assert_false(res.done);
}

/* Every truncation of every captured reply is refused. */
static void
test_sockdiag_parse_truncated_at_every_length(void **state)
{
	static const struct { const uint8_t *p; size_t n; uint32_t seq;
	    int dump; } v[] = {
		{ cap_peer_reply, sizeof(cap_peer_reply), 7, 0 },
		{ cap_listen_reply1, sizeof(cap_listen_reply1), 8, 1 },
		{ cap_listen_reply2, sizeof(cap_listen_reply2), 8, 1 },
		{ cap_enoent_reply, sizeof(cap_enoent_reply), 9, 0 },
	};
	struct sockdiag_result	 res;
	const char		*err;
	size_t			 i, n;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		for (n = 0; n < v[i].n; n++) {
			sockdiag_result_init(&res, v[i].dump, 0);
			err = NULL;
			assert_int_equal(sockdiag_parse(aligned(v[i].p, n), n,
			    v[i].seq, &res, &err), SOCKDIAG_BAD);
			assert_non_null(err);
			assert_int_equal(res.nsocks, 0);
		}
	}
}

/* A message with a payload too short for inet_diag_msg is refused. */
static void
test_sockdiag_parse_short_payload(void **state)
{
	struct sockdiag_result	 res;
	uint8_t			 m[sizeof(cap_peer_reply)];

	(void)state;
	memcpy(m, cap_peer_reply, sizeof(m));
	m[0] = 16 + 40;		/* nlmsg_len: header + 40 of 72 bytes */
	sockdiag_result_init(&res, 0, 0);
	assert_int_equal(sockdiag_parse(aligned(m, 56), 56, 7, &res, NULL),
	    SOCKDIAG_BAD);
}

static void
test_sockdiag_parse_bad_types(void **state)
{
	struct sockdiag_result	 res;
	uint8_t			 m[sizeof(cap_enoent_reply)];
	const char		*err;

	(void)state;
	/* An unknown message type. */
	memcpy(m, cap_peer_reply, 20);
	m[0] = 20;
	m[4] = 99;
	sockdiag_result_init(&res, 0, 0);
	assert_int_equal(sockdiag_parse(aligned(m, 20), 20, 7, &res, &err),
	    SOCKDIAG_BAD);
	/* NLMSG_ERROR too short for struct nlmsgerr. */
	memcpy(m, cap_enoent_reply, sizeof(m));
	m[0] = 24;
	sockdiag_result_init(&res, 0, 0);
	assert_int_equal(sockdiag_parse(aligned(m, 24), 24, 9, &res, &err),
	    SOCKDIAG_BAD);
	/* NLMSG_ERROR with a positive "errno": not what a kernel sends. */
	memcpy(m, cap_enoent_reply, sizeof(m));
	m[16] = 2; m[17] = 0; m[18] = 0; m[19] = 0;
	sockdiag_result_init(&res, 0, 0);
	assert_int_equal(sockdiag_parse(aligned(m, sizeof(m)), sizeof(m), 9,
	    &res, &err), SOCKDIAG_BAD);
	/* An unknown address family in inet_diag_msg. */
	memcpy(m, cap_peer_reply, 20);
	sockdiag_result_init(&res, 0, 0);
	{
		uint8_t	 p[sizeof(cap_peer_reply)];

		memcpy(p, cap_peer_reply, sizeof(p));
		p[16] = AF_UNIX;
		assert_int_equal(sockdiag_parse(aligned(p, sizeof(p)),
		    sizeof(p), 7, &res, &err), SOCKDIAG_BAD);
	}
}

/* A dump that fails part-way reports its errno in NLMSG_DONE. */
static void
test_sockdiag_parse_done_with_error(void **state)
{
	struct sockdiag_result	 res;
	uint8_t			 m[sizeof(cap_listen_reply2)];

	(void)state;
	memcpy(m, cap_listen_reply2, sizeof(m));
	m[16] = 0xf3; m[17] = 0xff; m[18] = 0xff; m[19] = 0xff; /* -13 */
	sockdiag_result_init(&res, 1, 0);
	assert_int_equal(sockdiag_parse(aligned(m, sizeof(m)), sizeof(m), 8,
	    &res, NULL), SOCKDIAG_OK);
	assert_int_equal(res.error, EACCES);
}

/* More listeners than kept are counted; all of one datagram is read. */
static void
test_sockdiag_parse_overflow_counted(void **state)
{
	enum { N = SOCKDIAG_MAX_LISTENERS + 3 };
	static uint8_t		 m[N * sizeof(cap_listen_reply1) +
				    sizeof(cap_listen_reply2)];
	struct sockdiag_result	 res;
	size_t			 i, off = 0;

	(void)state;
	for (i = 0; i < N; i++) {
		memcpy(m + off, cap_listen_reply1, sizeof(cap_listen_reply1));
		off += sizeof(cap_listen_reply1);
	}
	memcpy(m + off, cap_listen_reply2, sizeof(cap_listen_reply2));
	off += sizeof(cap_listen_reply2);
	sockdiag_result_init(&res, 1, 45999);
	assert_int_equal(sockdiag_parse(aligned(m, off), off, 8, &res, NULL),
	    SOCKDIAG_OK);
	assert_int_equal(res.nsocks, SOCKDIAG_MAX_LISTENERS);
	assert_int_equal(res.more, 3);
}

static void
test_sockdiag_parse_misaligned(void **state)
{
	struct sockdiag_result	 res;
	uint8_t			*p = (uint8_t *)abuf;

	(void)state;
	memcpy(p + 1, cap_peer_reply, sizeof(cap_peer_reply));
	sockdiag_result_init(&res, 0, 0);
	assert_int_equal(sockdiag_parse(p + 1, sizeof(cap_peer_reply), 7,
	    &res, NULL), SOCKDIAG_BAD);
}

static void
test_sockdiag_addr_classes(void **state)
{
	static const struct { const char *ip; int lo, any; } v[] = {
		{ "127.0.0.1", 1, 0 }, { "127.255.0.9", 1, 0 },
		{ "0.0.0.0", 0, 1 }, { "10.0.0.1", 0, 0 },
		{ "::1", 1, 0 }, { "::", 0, 1 }, { "::ffff:127.0.0.2", 1, 0 },
		{ "::ffff:10.0.0.1", 0, 0 }, { "fe80::1", 0, 0 },
		{ "::2", 0, 0 },
	};
	struct sockdiag_addr	 a;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		mkaddr(&a, v[i].ip, 1);
		assert_int_equal(sockdiag_addr_is_loopback(&a), v[i].lo);
		assert_int_equal(sockdiag_addr_is_any(&a), v[i].any);
	}
	a.family = AF_UNIX;
	assert_int_equal(sockdiag_addr_is_loopback(&a), 0);
	assert_int_equal(sockdiag_addr_is_any(&a), 0);
}

/* Addresses as records show them; a family sock_diag never gives: "?". */
static void
test_sockdiag_addr_str(void **state)
{
	struct sockdiag_addr	 a;
	char			 buf[64];

	(void)state;
	mkaddr(&a, "127.0.0.1", 1);
	assert_string_equal(sockdiag_addr_str(&a, buf, sizeof(buf)),
	    "127.0.0.1");
	mkaddr(&a, "fe80::1", 1);
	assert_string_equal(sockdiag_addr_str(&a, buf, sizeof(buf)),
	    "fe80::1");
	a.family = AF_UNIX;
	assert_string_equal(sockdiag_addr_str(&a, buf, sizeof(buf)), "?");
	/* Too small a buffer for the address: "?" too, never a cut one. */
	mkaddr(&a, "fe80::1", 1);
	assert_string_equal(sockdiag_addr_str(&a, buf, 4), "?");
}

/*
 * NLMSG_NOOP is skipped, even as the last message without its padding;
 * NLMSG_DONE too short for its errno is refused; once a reply is done,
 * later datagrams change nothing.
 */
static void
test_sockdiag_parse_odd_messages(void **state)
{
	struct sockdiag_result	 res;
	uint8_t			 m[sizeof(cap_peer_reply)];
	const char		*err;

	(void)state;
	memset(m, 0, sizeof(m));
	m[0] = 17;			/* nlmsg_len: unaligned, last */
	m[4] = NLMSG_NOOP;
	m[8] = 7;			/* seq */
	sockdiag_result_init(&res, 0, 0);
	assert_int_equal(sockdiag_parse(aligned(m, 17), 17, 7, &res, &err),
	    SOCKDIAG_NEED_MORE);
	assert_false(res.done);
	assert_int_equal(res.nsocks, 0);

	memcpy(m, cap_listen_reply2, 16);
	m[0] = 16;			/* NLMSG_DONE without its int */
	sockdiag_result_init(&res, 1, 0);
	err = NULL;
	assert_int_equal(sockdiag_parse(aligned(m, 16), 16, 8, &res, &err),
	    SOCKDIAG_BAD);
	assert_string_equal(err, "bad NLMSG_DONE");

	sockdiag_result_init(&res, 0, 0);
	assert_int_equal(sockdiag_parse(aligned(cap_peer_reply,
	    sizeof(cap_peer_reply)), sizeof(cap_peer_reply), 7, &res, NULL),
	    SOCKDIAG_OK);
	assert_true(res.done);
	assert_int_equal(res.nsocks, 1);
	assert_int_equal(sockdiag_parse(aligned(cap_peer_reply,
	    sizeof(cap_peer_reply)), sizeof(cap_peer_reply), 7, &res, NULL),
	    SOCKDIAG_OK);
	assert_int_equal(res.nsocks, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sockdiag_build_peer_req_matches_capture),
		cmocka_unit_test(test_sockdiag_build_listen_req_matches_capture),
		cmocka_unit_test(test_sockdiag_build_refuses_bad_input),
		cmocka_unit_test(test_sockdiag_build_peer_req_v6),
		cmocka_unit_test(test_sockdiag_parse_peer_reply),
		cmocka_unit_test(test_sockdiag_parse_listen_dump_two_datagrams),
		cmocka_unit_test(test_sockdiag_parse_keeps_only_the_port),
		cmocka_unit_test(test_sockdiag_parse_enoent),
		cmocka_unit_test(test_sockdiag_parse_skips_other_seq),
		cmocka_unit_test(test_sockdiag_parse_truncated_at_every_length),
		cmocka_unit_test(test_sockdiag_parse_short_payload),
		cmocka_unit_test(test_sockdiag_parse_bad_types),
		cmocka_unit_test(test_sockdiag_parse_done_with_error),
		cmocka_unit_test(test_sockdiag_parse_overflow_counted),
		cmocka_unit_test(test_sockdiag_parse_misaligned),
		cmocka_unit_test(test_sockdiag_addr_classes),
		cmocka_unit_test(test_sockdiag_addr_str),
		cmocka_unit_test(test_sockdiag_parse_odd_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
