/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_audit.c: the audit renderer (audit.c, with addr.c and util.c).
 *
 * A record is built from the input (addresses, request, verdict, node
 * name bytes, the optional numbers, a reason) and rendered both ways.
 * The logfmt line must parse back, key by key, to the same fields: the
 * node name unescaped (JSON string escapes, as go-logfmt decodes them) to
 * the same bytes, or to their U+FFFD form with node_hex holding the exact
 * bytes when they are not UTF-8 (or a prefix, with node_truncated=yes),
 * every number and name as given, node and node_hex last. The journal
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

/* Length of the strict UTF-8 sequence at s[0..n), 0 if invalid. */
static size_t
seq_len(const uint8_t *s, size_t n)
{
	size_t		 len, i;
	uint32_t	 c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return len;
}

/* Append code point c (below U+10000) as UTF-8 to f. */
static void
put_utf8(struct field *f, uint32_t c)
{
	if (c < 0x80)
		f->val[f->len++] = (char)c;
	else if (c < 0x800) {
		f->val[f->len++] = (char)(0xc0 | c >> 6);
		f->val[f->len++] = (char)(0x80 | (c & 0x3f));
	} else {
		f->val[f->len++] = (char)(0xe0 | c >> 12);
		f->val[f->len++] = (char)(0x80 | ((c >> 6) & 0x3f));
		f->val[f->len++] = (char)(0x80 | (c & 0x3f));
	}
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
				CHECK((unsigned char)*s >= 0x20 && *s != 0x7f);
				if (*s != '\\') {
					f[n].val[f[n].len++] = *s++;
					continue;
				}
				switch (s[1]) {
				case '"':
				case '\\':
					f[n].val[f[n].len++] = s[1];
					s += 2;
					break;
				case 'n':
				case 'r':
				case 't':
					f[n].val[f[n].len++] = s[1] == 'n' ?
					    '\n' : s[1] == 'r' ? '\r' : '\t';
					s += 2;
					break;
				case 'u': {
					uint32_t	 c = 0;
					int		 h;

					for (h = 2; h < 6; h++) {
						CHECK(hexval(s[h]) >= 0);
						c = c << 4 |
						    (uint32_t)hexval(s[h]);
					}
					CHECK(c < 0xd800 || c > 0xdfff);
					put_utf8(&f[n], c);
					s += 6;
					break;
				}
				default:
					CHECK(!"unknown escape");
				}
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
	static char		 want[3 * sizeof(node)], hex[2 * sizeof(node) + 1];
	size_t			 i, l, wlen, hlen;
	int			 invalid = 0;
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
	/*
	 * The node name: the same bytes (each byte that is not UTF-8 as
	 * U+FFFD, the exact bytes in node_hex), or a cut prefix that says so;
	 * node and node_hex are the last fields.
	 */
	x = get(f, n, "node");
	if (a.node == NULL)
		CHECK(x == NULL && get(f, n, "node_truncated") == NULL &&
		    get(f, n, "node_hex") == NULL);
	else {
		for (i = 0, wlen = 0; i < a.nodelen; i += l) {
			l = seq_len((const uint8_t *)node + i, a.nodelen - i);
			if (l == 0) {
				memcpy(want + wlen, "\xef\xbf\xbd", 3);
				wlen += 3;
				l = 1;
				invalid = 1;
			} else {
				memcpy(want + wlen, node + i, l);
				wlen += l;
			}
		}
		CHECK(x != NULL && x->len <= wlen);
		CHECK(memcmp(x->val, want, x->len) == 0);
		if (x->len < wlen)
			CHECK(get(f, n, "node_truncated") != NULL);
		else
			CHECK(get(f, n, "node_truncated") == NULL);
		if (invalid) {
			for (i = 0, hlen = 0; i < a.nodelen && i < 1020; i++)
				hlen += (size_t)snprintf(hex + hlen, 3, "%02x",
				    (unsigned char)node[i]);
			CHECK((x = get(f, n, "node_hex")) != NULL);
			CHECK(x->len == hlen && memcmp(x->val, hex, hlen) == 0);
			CHECK(x == &f[n - 1] && strcmp(f[n - 2].key, "node") == 0);
			CHECK(jget(jf, "EPMD_NODE_HEX", jv, sizeof(jv)) &&
			    strcmp(jv, hex) == 0);
		} else {
			CHECK(get(f, n, "node_hex") == NULL);
			CHECK(x == &f[n - 1]);
		}
		CHECK(jget(jf, "EPMD_NODE", jv, sizeof(jv)));
		CHECK(strchr(jv, '\n') == NULL);
	}
	/* The daemon's fields first, in their fixed order. */
	CHECK(n >= 7 && strcmp(f[0].key, "event") == 0 &&
	    strcmp(f[1].key, "src") == 0 && strcmp(f[2].key, "src_port") == 0 &&
	    strcmp(f[3].key, "dst") == 0 && strcmp(f[4].key, "dst_port") == 0 &&
	    strcmp(f[5].key, "req") == 0 && strcmp(f[6].key, "verdict") == 0);
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
