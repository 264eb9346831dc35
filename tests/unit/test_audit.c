/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_audit.c: the audit vocabulary and its logfmt and journald
 * renderings, byte for byte.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <cmocka.h>

#include "audit.h"

/* An IPv4 socket address. */
static struct sockaddr_in
v4(const char *a, unsigned port)
{
	struct sockaddr_in	 sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	assert_int_equal(inet_pton(AF_INET, a, &sin.sin_addr), 1);
	return sin;
}

/* An IPv6 socket address. */
static struct sockaddr_in6
v6(const char *a, unsigned port)
{
	struct sockaddr_in6	 sin6;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons((uint16_t)port);
	assert_int_equal(inet_pton(AF_INET6, a, &sin6.sin6_addr), 1);
	return sin6;
}

/* A served PORT_PLEASE2 renders every field in the documented order. */
static void
test_audit_port2_ok(void **state)
{
	struct sockaddr_in	 src = v4("127.0.0.1", 40000);
	struct sockaddr_in	 dst = v4("127.0.0.1", 4369);
	const struct audit	 a = {
		.src = (struct sockaddr *)&src,
		.dst = (struct sockaddr *)&dst,
		.req = AUDIT_REQ_PORT2,
		.verdict = AUDIT_OK,
		.node = "foo",
		.nodelen = 3,
		.port = 4370,
		.creation = -1,
		.names = -1,
		.rule = 7,
	};
	char			 buf[AUDIT_TEXT_MAX];

	(void)state;
	audit_format_logfmt(&a, buf, sizeof(buf));
	assert_string_equal(buf, "event=query src=127.0.0.1 src_port=40000 "
	    "dst=127.0.0.1 dst_port=4369 req=PORT_PLEASE2 verdict=ok "
	    "port=4370 rule=7 node=foo");
	audit_format_journal(&a, buf, sizeof(buf));
	assert_string_equal(buf, "EPMD_EVENT=query\nEPMD_SRC_ADDR=127.0.0.1\n"
	    "EPMD_SRC_PORT=40000\nEPMD_DST_ADDR=127.0.0.1\n"
	    "EPMD_DST_PORT=4369\nEPMD_REQUEST=PORT_PLEASE2\n"
	    "EPMD_VERDICT=ok\nEPMD_NODE=foo\nEPMD_PORT=4370\nEPMD_RULE=7\n");
}

/* No addresses, a quoted node name, the optional numbers and a reason. */
static void
test_audit_quoting_and_absent(void **state)
{
	struct sockaddr_in6	 src = v6("::ffff:10.1.2.3", 1);
	const struct audit	 a = {
		.src = (struct sockaddr *)&src,
		.req = AUDIT_REQ_ALIVE2,
		.verdict = AUDIT_INVALID,
		.node = "a b\"\n",
		.nodelen = 5,
		.port = 0,
		.creation = 99,
		.names = 0,
		.reason = "bad name",
	};
	char			 buf[AUDIT_TEXT_MAX];

	(void)state;
	audit_format_logfmt(&a, buf, sizeof(buf));
	assert_string_equal(buf, "event=query src=10.1.2.3 src_port=1 dst=- "
	    "dst_port=-1 req=ALIVE2 verdict=invalid port=0 creation=99 "
	    "names=0 reason=\"bad name\" node=\"a b\\\"\\n\"");
}

/*
 * A name that forges fields stays inside node, which comes after every
 * field the daemon sets; UTF-8 passes as is; bytes that are not UTF-8
 * become U+FFFD and node_hex gives them exactly.
 */
static void
test_audit_peer_fields_last(void **state)
{
	static const char	 forged[] = "x src=198.51.100.9 verdict=denied";
	static const char	 latin1[] = "n\xf6" "de\x01";
	struct audit		 a = {
		.req = AUDIT_REQ_PORT2,
		.verdict = AUDIT_NOT_FOUND,
		.node = forged,
		.nodelen = sizeof(forged) - 1,
		.port = -1,
		.creation = -1,
		.names = -1,
		.rule = 2,
	};
	char			 buf[AUDIT_TEXT_MAX];

	(void)state;
	audit_format_logfmt(&a, buf, sizeof(buf));
	assert_string_equal(buf, "event=query src=- src_port=-1 dst=- "
	    "dst_port=-1 req=PORT_PLEASE2 verdict=not_found rule=2 "
	    "node=\"x src=198.51.100.9 verdict=denied\"");
	a.node = "n\xc3\xb6" "de";
	a.nodelen = 5;
	audit_format_logfmt(&a, buf, sizeof(buf));
	assert_non_null(strstr(buf, " rule=2 node=\"n\xc3\xb6" "de\""));
	assert_null(strstr(buf, "node_hex"));
	a.node = latin1;
	a.nodelen = sizeof(latin1) - 1;
	audit_format_logfmt(&a, buf, sizeof(buf));
	assert_non_null(strstr(buf, " rule=2 node=\"n\xef\xbf\xbd" "de\\u0001\""
	    " node_hex=6ef6646501"));
	audit_format_journal(&a, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\nEPMD_NODE=n\xef\xbf\xbd" "de\\u0001\n"
	    "EPMD_NODE_HEX=6ef6646501\n"));
}

/* A name whose escaped form is over 1 KB is cut and says so. */
static void
test_audit_node_truncated(void **state)
{
	char			 name[300], buf[AUDIT_TEXT_MAX];
	const struct audit	 a = {
		.req = AUDIT_REQ_PORT2,
		.verdict = AUDIT_NOT_FOUND,
		.node = name,
		.nodelen = sizeof(name),
		.port = -1,
		.creation = -1,
		.names = -1,
	};

	(void)state;
	memset(name, '\x01', sizeof(name));
	audit_format_logfmt(&a, buf, sizeof(buf));
	assert_non_null(strstr(buf, " verdict=not_found node_truncated=yes "
	    "node=\""));
	/* 170 whole escapes of 6 bytes fit in 1024. */
	assert_int_equal(strlen(strstr(buf, "node=\"")) - 7, 1020);
	assert_int_equal(buf[strlen(buf) - 1], '"');
}

/* A short buffer is cut, stays terminated, and the length says so. */
static void
test_audit_short_buffer(void **state)
{
	const struct audit	 a = {
		.req = AUDIT_REQ_NAMES,
		.verdict = AUDIT_OK,
		.port = -1,
		.creation = -1,
		.names = 3,
	};
	char			 buf[16];

	(void)state;
	assert_int_equal(audit_format_logfmt(&a, buf, sizeof(buf)), 15);
	assert_string_equal(buf, "event=query src");
	assert_int_equal(audit_format_logfmt(&a, buf, 0), 0);
	assert_int_equal(audit_format_journal(&a, buf, 0), 0);
}

/* Names, priorities and the summary decision. */
static void
test_audit_vocabulary(void **state)
{
	enum rl_kind	 k = RL_NKINDS;

	(void)state;
	assert_string_equal(audit_req_name(AUDIT_REQ_NONE), "-");
	assert_string_equal(audit_req_name(AUDIT_NREQ), "?");
	assert_string_equal(audit_verdict_name(AUDIT_CONN_LIMIT),
	    "conn_limit");
	assert_string_equal(audit_verdict_name(AUDIT_NVERDICT), "?");
	assert_int_equal(audit_priority(AUDIT_OK), LOG_INFO);
	assert_int_equal(audit_priority(AUDIT_NOT_FOUND), LOG_INFO);
	assert_int_equal(audit_priority(AUDIT_MALFORMED), LOG_WARNING);
	assert_int_equal(audit_priority(AUDIT_FULL), LOG_WARNING);
	assert_int_equal(audit_priority(AUDIT_DENIED), LOG_NOTICE);
	assert_int_equal(audit_summarised(AUDIT_OK, 0, &k), 0);
	assert_int_equal(audit_summarised(AUDIT_DENIED, 0, &k), 0);
	assert_int_equal(audit_summarised(AUDIT_TIMEOUT, 1, &k), 0);
	assert_int_equal(audit_summarised(AUDIT_TIMEOUT, 0, &k), 1);
	assert_int_equal(k, RL_KIND_TIMEOUT);
	assert_int_equal(audit_summarised(AUDIT_MALFORMED, 0, &k), 1);
	assert_int_equal(k, RL_KIND_MALFORMED);
	assert_int_equal(audit_summarised(AUDIT_NOT_LOCAL, 0, &k), 1);
	assert_int_equal(k, RL_KIND_NOT_LOCAL);
	assert_int_equal(audit_summarised(AUDIT_NO_REQUEST, 0, &k), 1);
	assert_int_equal(k, RL_KIND_NO_REQUEST);
	assert_int_equal(audit_summarised(AUDIT_RATE_LIMITED, 1, &k), 1);
	assert_int_equal(k, RL_KIND_RATE);
	assert_int_equal(audit_summarised(AUDIT_CONN_LIMIT, 0, &k), 1);
	assert_int_equal(k, RL_KIND_CONN);
}

/* A registration refused for its owner: verdict, uid and user last. */
static void
test_audit_uid_and_user(void **state)
{
	struct sockaddr_in	 src = v4("127.0.0.1", 40000);
	struct sockaddr_in	 dst = v4("127.0.0.1", 4369);
	struct audit		 a = {
		.src = (struct sockaddr *)&src,
		.dst = (struct sockaddr *)&dst,
		.req = AUDIT_REQ_ALIVE2,
		.verdict = AUDIT_NOT_OWNER,
		.node = "rabbit",
		.nodelen = 6,
		.port = 25672,
		.creation = 99,
		.names = -1,
		.rule = 3,
		.reason = "register rule",
		.has_uid = 1,
		.uid = 1001,
		.user = "mallory",
	};
	char			 buf[AUDIT_TEXT_MAX];

	(void)state;
	audit_format_logfmt(&a, buf, sizeof(buf));
	assert_string_equal(buf, "event=query src=127.0.0.1 src_port=40000 "
	    "dst=127.0.0.1 dst_port=4369 req=ALIVE2 verdict=not_owner "
	    "port=25672 creation=99 rule=3 reason=\"register rule\" "
	    "uid=1001 user=mallory node=rabbit");
	audit_format_journal(&a, buf, sizeof(buf));
	assert_non_null(strstr(buf, "EPMD_VERDICT=not_owner\n"));
	assert_non_null(strstr(buf, "EPMD_UID=1001\nEPMD_USER=mallory\n"));
	/* uid 0 is shown; a name that is not a bare word is left out. */
	a.uid = 0;
	a.user = "a b";
	audit_format_logfmt(&a, buf, sizeof(buf));
	assert_non_null(strstr(buf, " uid=0"));
	assert_null(strstr(buf, "user="));
	/* No uid: neither field. */
	a.has_uid = 0;
	a.user = "root";
	audit_format_logfmt(&a, buf, sizeof(buf));
	assert_null(strstr(buf, "uid="));
	assert_null(strstr(buf, "user="));
	assert_string_equal(audit_verdict_name(AUDIT_PORT_NOT_OWNED),
	    "port_not_owned");
	assert_string_equal(audit_verdict_name(AUDIT_DIST_EXPOSED),
	    "dist_exposed");
	assert_string_equal(audit_req_name(AUDIT_REQ_FORGET), "FORGET");
}

/* Run the audit tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit_port2_ok),
		cmocka_unit_test(test_audit_quoting_and_absent),
		cmocka_unit_test(test_audit_node_truncated),
		cmocka_unit_test(test_audit_peer_fields_last),
		cmocka_unit_test(test_audit_short_buffer),
		cmocka_unit_test(test_audit_vocabulary),
		cmocka_unit_test(test_audit_uid_and_user),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
