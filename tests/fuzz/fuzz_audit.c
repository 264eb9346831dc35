/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_audit.c: the audit renderer (audit.c, with addr.c and util.c).
 *
 * A record is built from the input (addresses, request, verdict, node
 * name bytes, the optional numbers, a reason) and rendered both ways.
 * The logfmt line must parse back, key by key, to the same fields: the
 * node name unescaped to the same bytes (or a prefix of them, with
 * node_truncated=yes), every number and name as given. The journal
 * fields must carry the same values, one KEY=value per line.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
		    __LINE__, #x);					\
		abort();						\
	}								\
} while (0)

#define MAXF	16

/* One key=value pair parsed back. */
struct field {
	char	 key[32];
	char	 val[AUDIT_TEXT_MAX];
	size_t	 len;
};

/* Hex digit value, or -1. */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Parse a logfmt line into fields; unescape quoted values. */
static size_t
parse_logfmt(const char *s, struct field *f)
{
	size_t	 n = 0;

	while (*s != '\0') {
		size_t	 k = 0;

		CHECK(n < MAXF);
		while (*s != '=' && *s != '\0') {
			CHECK(*s != ' ' && *s != '"' && k < sizeof(f[n].key) - 1);
			f[n].key[k++] = *s++;
		}
		CHECK(*s == '=');
		s++;
		f[n].key[k] = '\0';
		f[n].len = 0;
		if (*s == '"') {
			s++;
			while (*s != '"') {
				CHECK(*s != '\0');
				if (*s == '\\') {
					int	 hi, lo;

					CHECK(s[1] == 'x');
					hi = hexval(s[2]);
					lo = hi < 0 ? -1 : hexval(s[3]);
					CHECK(hi >= 0 && lo >= 0);
					f[n].val[f[n].len++] =
					    (char)(hi << 4 | lo);
					s += 4;
				} else
					f[n].val[f[n].len++] = *s++;
			}
			s++;
		} else {
			while (*s != ' ' && *s != '\0') {
				CHECK(*s != '"' && *s != '\\');
				f[n].val[f[n].len++] = *s++;
			}
		}
		f[n].val[f[n].len] = '\0';
		n++;
		if (*s == ' ')
			s++;
	}
	return n;
}

/* The value of key, or NULL. */
static const struct field *
get(const struct field *f, size_t n, const char *key)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(f[i].key, key) == 0)
			return &f[i];
	return NULL;
}

/* The journal value of KEY, copied to out; 0 if absent. */
static int
jget(const char *j, const char *key, char *out, size_t len)
{
	size_t		 kl = strlen(key);
	const char	*p = j, *e;

	while (*p != '\0') {
		e = strchr(p, '\n');
		CHECK(e != NULL);
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			CHECK((size_t)(e - p) - kl - 1 < len);
			memcpy(out, p + kl + 1, (size_t)(e - p) - kl - 1);
			out[e - p - (long)kl - 1] = '\0';
			return 1;
		}
		p = e + 1;
	}
	return 0;
}

/* Check that a field holds the decimal number v (or is absent if v < 0). */
static void
check_num(const struct field *f, size_t n, const char *j, const char *key,
    const char *jkey, long long v)
{
	const struct field	*x = get(f, n, key);
	char			 want[32], jv[64];

	if (v < 0) {
		CHECK(x == NULL && !jget(j, jkey, jv, sizeof(jv)));
		return;
	}
	snprintf(want, sizeof(want), "%lld", v);
	CHECK(x != NULL && strcmp(x->val, want) == 0);
	CHECK(jget(j, jkey, jv, sizeof(jv)) && strcmp(jv, want) == 0);
}

/* Build one record from the input, render it, parse it back. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const reasons[] = { NULL, "bad name",
	    "no -relaxed_command_check", "end of stream inside the frame" };
	static struct field	 f[MAXF];
	static char		 line[AUDIT_TEXT_MAX], jf[AUDIT_TEXT_MAX];
	static char		 node[1100];
	struct sockaddr_in6	 src;
	struct sockaddr_in	 dst;
	struct audit		 a;
	struct addr		 sa;
	const struct field	*x;
	char			 addr[64], jv[AUDIT_TEXT_MAX];
	size_t			 n, nodelen;

	if (size < 24)
		return 0;
	memset(&src, 0, sizeof(src));
	src.sin6_family = AF_INET6;
	memcpy(&src.sin6_addr, data, 16);
	src.sin6_port = (uint16_t)(data[16] | data[17] << 8);
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	memcpy(&dst.sin_addr, data + 18, 4);
	nodelen = size - 24 < sizeof(node) ? size - 24 : sizeof(node);
	memcpy(node, data + 24, nodelen);
	memset(&a, 0, sizeof(a));
	a.src = (data[22] & 1) ? (struct sockaddr *)&src : NULL;
	a.dst = (struct sockaddr *)&dst;
	a.req = (enum audit_req)(data[22] >> 1) % AUDIT_NREQ;
	a.verdict = (enum audit_verdict)(data[23] % AUDIT_NVERDICT);
	a.node = (data[23] & 0x80) ? node : NULL;
	a.nodelen = nodelen;
	a.port = (data[23] & 0x40) ? (long)data[16] * 257 : -1;
	a.creation = (data[23] & 0x20) ? (long long)data[17] * 65537 : -1;
	a.names = (data[22] & 0x40) ? data[18] : -1;
	a.rule = data[19];
	a.reason = reasons[data[20] % 4];

	audit_format_logfmt(&a, line, sizeof(line));
	audit_format_journal(&a, jf, sizeof(jf));
	n = parse_logfmt(line, f);

	CHECK((x = get(f, n, "event")) && strcmp(x->val, "query") == 0);
	CHECK((x = get(f, n, "req")) &&
	    strcmp(x->val, audit_req_name(a.req)) == 0);
	CHECK(jget(jf, "EPMD_REQUEST", jv, sizeof(jv)) &&
	    strcmp(jv, audit_req_name(a.req)) == 0);
	CHECK((x = get(f, n, "verdict")) &&
	    strcmp(x->val, audit_verdict_name(a.verdict)) == 0);
	CHECK(jget(jf, "EPMD_VERDICT", jv, sizeof(jv)) &&
	    strcmp(jv, audit_verdict_name(a.verdict)) == 0);
	/* Addresses: what addr_format() says of the folded address. */
	if (a.src != NULL) {
		CHECK(addr_from_sockaddr(a.src, &sa) == 0);
		addr_format(&sa, addr, sizeof(addr));
		check_num(f, n, jf, "src_port", "EPMD_SRC_PORT",
		    addr_sockaddr_port(a.src));
	} else {
		snprintf(addr, sizeof(addr), "-");
		CHECK((x = get(f, n, "src_port")) &&
		    strcmp(x->val, "-1") == 0);
	}
	CHECK((x = get(f, n, "src")) && strcmp(x->val, addr) == 0);
	CHECK(jget(jf, "EPMD_SRC_ADDR", jv, sizeof(jv)) &&
	    strcmp(jv, addr) == 0);
	CHECK(addr_from_sockaddr(a.dst, &sa) == 0);
	addr_format(&sa, addr, sizeof(addr));
	CHECK((x = get(f, n, "dst")) && strcmp(x->val, addr) == 0);
	check_num(f, n, jf, "dst_port", "EPMD_DST_PORT",
	    addr_sockaddr_port(a.dst));
	/* The node name: the same bytes, or a cut prefix that says so. */
	x = get(f, n, "node");
	if (a.node == NULL)
		CHECK(x == NULL && get(f, n, "node_truncated") == NULL);
	else {
		CHECK(x != NULL && x->len <= a.nodelen);
		CHECK(memcmp(x->val, a.node, x->len) == 0);
		if (x->len < a.nodelen)
			CHECK(get(f, n, "node_truncated") != NULL);
		else
			CHECK(get(f, n, "node_truncated") == NULL);
		CHECK(jget(jf, "EPMD_NODE", jv, sizeof(jv)));
		CHECK(strchr(jv, '\n') == NULL);
	}
	check_num(f, n, jf, "port", "EPMD_PORT", a.port);
	check_num(f, n, jf, "creation", "EPMD_CREATION", a.creation);
	check_num(f, n, jf, "names", "EPMD_NAMES", a.names);
	check_num(f, n, jf, "rule", "EPMD_RULE", a.rule > 0 ?
	    (long long)a.rule : -1);
	x = get(f, n, "reason");
	if (a.reason == NULL)
		CHECK(x == NULL);
	else
		CHECK(x != NULL && strcmp(x->val, a.reason) == 0 &&
		    jget(jf, "EPMD_REASON", jv, sizeof(jv)) &&
		    strcmp(jv, a.reason) == 0);
	return 0;
}
