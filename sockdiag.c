/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sockdiag.c: inet_diag requests and replies on byte arrays (libmnl for
 * the netlink framing). No sockets here: see sockdiag_io.c.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "sockdiag.h"

/* Every TCP state: an exact lookup does not filter on it anyway. */
#define ALL_STATES	0xffffffffu
#define LISTEN_STATE	(1u << 10)	/* TCP_LISTEN */

/* Put the netlink header and the inet_diag_req_v2 common to both. */
static struct inet_diag_req_v2 *
put_req(uint8_t *out, uint32_t seq, uint16_t flags, int family,
    uint32_t states)
{
	struct nlmsghdr			*nlh;
	struct inet_diag_req_v2		*req;

	nlh = mnl_nlmsg_put_header(out);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = (uint8_t)family;
	req->sdiag_protocol = IPPROTO_TCP;
	req->idiag_states = states;
	req->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	return req;
}

/* Copy an endpoint's address into a sockid's 16-byte field. */
static void
put_addr(__be32 dst[4], const struct sockdiag_addr *a)
{
	memcpy(dst, a->addr, a->family == AF_INET ? 4 : 16);
}

/* Build the exact lookup of the peer's socket. */
size_t
sockdiag_build_peer_req(uint8_t *out, size_t outlen, uint32_t seq,
    const struct sockdiag_addr *peer, const struct sockdiag_addr *self)
{
	struct inet_diag_req_v2	*req;

	if (outlen < SOCKDIAG_REQ_MAX || peer->family != self->family ||
	    (peer->family != AF_INET && peer->family != AF_INET6))
		return 0;
	/* mnl_nlmsg_put_header() zeroes only the header: zero the rest. */
	memset(out, 0, SOCKDIAG_REQ_MAX);
	req = put_req(out, seq, NLM_F_REQUEST, peer->family, ALL_STATES);
	/* The socket we want is the peer's: its local end is the peer. */
	req->id.idiag_sport = htons(peer->port);
	req->id.idiag_dport = htons(self->port);
	put_addr(req->id.idiag_src, peer);
	put_addr(req->id.idiag_dst, self);
	return ((struct nlmsghdr *)(void *)out)->nlmsg_len;
}

/*
 * Build a dump of the listeners on `port`. The kernel filters with a
 * bytecode program: sport >= port, then sport <= port. (S_EQ would be one
 * op shorter but needs Linux 4.17; GE and LE work on every kernel.) In
 * each comparison the following op's `no` field carries the port; `yes`
 * jumps to the next test, `no` jumps past the end, which rejects.
 */
size_t
sockdiag_build_listen_req(uint8_t *out, size_t outlen, uint32_t seq,
    int family, uint16_t port)
{
	struct inet_diag_bc_op	 bc[4];
	struct nlmsghdr		*nlh;

	if (outlen < SOCKDIAG_REQ_MAX ||
	    (family != AF_INET && family != AF_INET6))
		return 0;
	memset(out, 0, SOCKDIAG_REQ_MAX);
	(void)put_req(out, seq, NLM_F_REQUEST | NLM_F_DUMP, family,
	    LISTEN_STATE);
	nlh = (struct nlmsghdr *)(void *)out;
	memset(bc, 0, sizeof(bc));
	bc[0].code = INET_DIAG_BC_S_GE;
	bc[0].yes = 2 * sizeof(bc[0]);
	bc[0].no = sizeof(bc) + sizeof(bc[0]);
	bc[1].no = port;
	bc[2].code = INET_DIAG_BC_S_LE;
	bc[2].yes = 2 * sizeof(bc[0]);
	bc[2].no = 3 * sizeof(bc[0]);
	bc[3].no = port;
	mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, sizeof(bc), bc);
	return nlh->nlmsg_len;
}

/* Clear a result before the first datagram of a reply. */
void
sockdiag_result_init(struct sockdiag_result *res, int dump, uint16_t port)
{
	memset(res, 0, sizeof(*res));
	res->dump = dump;
	res->port = port;
}

/* Take one inet_diag_msg into the result. */
static enum sockdiag_status
take_msg(const struct nlmsghdr *nlh, struct sockdiag_result *res,
    const char **errstr)
{
	struct inet_diag_msg	 m;
	struct sockdiag_sock	*s;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(m)) {
		*errstr = "inet_diag_msg truncated";
		return SOCKDIAG_BAD;
	}
	memcpy(&m, mnl_nlmsg_get_payload(nlh), sizeof(m));
	if (m.idiag_family != AF_INET && m.idiag_family != AF_INET6) {
		*errstr = "inet_diag_msg of an unknown family";
		return SOCKDIAG_BAD;
	}
	if (!res->dump)
		res->done = 1;	/* an exact lookup has one answer */
	if (res->port != 0 && ntohs(m.id.idiag_sport) != res->port)
		return SOCKDIAG_OK;
	if (res->nsocks == SOCKDIAG_MAX_LISTENERS) {
		res->more++;
		return SOCKDIAG_OK;
	}
	s = &res->socks[res->nsocks++];
	memset(s, 0, sizeof(*s));
	s->local.family = m.idiag_family;
	s->local.port = ntohs(m.id.idiag_sport);
	memcpy(s->local.addr, m.id.idiag_src,
	    m.idiag_family == AF_INET ? 4 : 16);
	s->uid = m.idiag_uid;
	s->inode = m.idiag_inode;
	s->state = m.idiag_state;
	return SOCKDIAG_OK;
}

/*
 * 1 if a whole message starts at nlh within left bytes. Not libmnl's
 * mnl_nlmsg_ok(): it compares (int)nlmsg_len, so a length of 2^31 or more
 * passes as negative and mnl_nlmsg_next() then jumps outside the buffer
 * (found by fuzz_sockdiag). Here the comparison is unsigned.
 */
static int
msg_ok(const struct nlmsghdr *nlh, size_t left)
{
	return left >= sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	    nlh->nlmsg_len <= left;
}

/* Read the errno an NLMSG_ERROR or NLMSG_DONE carries (0: none). */
static int
msg_errno(const struct nlmsghdr *nlh, size_t min)
{
	int	 e;

	if (mnl_nlmsg_get_payload_len(nlh) < min)
		return -1;
	memcpy(&e, mnl_nlmsg_get_payload(nlh), sizeof(e));
	if (e > 0 || e == INT_MIN)
		return -1;	/* the kernel sends 0 or -errno */
	return -e;
}

/* Parse one datagram of a reply. */
enum sockdiag_status
sockdiag_parse(const uint8_t *buf, size_t len, uint32_t seq,
    struct sockdiag_result *res, const char **errstr)
{
	const struct nlmsghdr	*nlh;
	const char		*dummy;
	size_t			 off, step;
	int			 e;

	if (errstr == NULL)
		errstr = &dummy;
	*errstr = NULL;
	if (((uintptr_t)buf & 3) != 0) {
		*errstr = "reply buffer misaligned";
		return SOCKDIAG_BAD;
	}
	if (res->done)
		return SOCKDIAG_OK;
	if (len < sizeof(*nlh)) {
		*errstr = "netlink message truncated";
		return SOCKDIAG_BAD;
	}
	for (off = 0; len - off >= sizeof(*nlh); off += step) {
		nlh = (const struct nlmsghdr *)(const void *)(buf + off);
		if (!msg_ok(nlh, len - off)) {
			*errstr = "netlink message truncated";
			return SOCKDIAG_BAD;
		}
		/* The last message's padding may be missing. */
		step = MNL_ALIGN(nlh->nlmsg_len);
		if (step > len - off)
			step = len - off;
		if (nlh->nlmsg_seq != seq) {
			res->foreign++;
			continue;
		}
		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP:
			continue;
		case NLMSG_ERROR:
			if ((e = msg_errno(nlh, sizeof(struct nlmsgerr))) < 0) {
				*errstr = "bad NLMSG_ERROR";
				return SOCKDIAG_BAD;
			}
			res->error = e;
			res->done = 1;
			return SOCKDIAG_OK;
		case NLMSG_DONE:
			/* A dump that failed part-way says so here. */
			if ((e = msg_errno(nlh, sizeof(int))) < 0) {
				*errstr = "bad NLMSG_DONE";
				return SOCKDIAG_BAD;
			}
			res->error = e;
			res->done = 1;
			return SOCKDIAG_OK;
		case SOCK_DIAG_BY_FAMILY:
			if (take_msg(nlh, res, errstr) != SOCKDIAG_OK)
				return SOCKDIAG_BAD;
			if (res->done)
				return SOCKDIAG_OK;
			continue;
		default:
			*errstr = "unexpected netlink message type";
			return SOCKDIAG_BAD;
		}
	}
	/* A trailing fragment shorter than a header is padding at most. */
	return SOCKDIAG_NEED_MORE;
}

/* 1 if the address is loopback. */
int
sockdiag_addr_is_loopback(const struct sockdiag_addr *a)
{
	static const uint8_t	 v6lo[16] = { [15] = 1 };
	static const uint8_t	 mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (a->family == AF_INET)
		return a->addr[0] == 127;
	if (a->family != AF_INET6)
		return 0;
	if (memcmp(a->addr, v6lo, 16) == 0)
		return 1;
	return memcmp(a->addr, mapped, 12) == 0 && a->addr[12] == 127;
}

/* 1 if the address is the wildcard. */
int
sockdiag_addr_is_any(const struct sockdiag_addr *a)
{
	static const uint8_t	 zero[16];

	if (a->family == AF_INET)
		return memcmp(a->addr, zero, 4) == 0;
	if (a->family == AF_INET6)
		return memcmp(a->addr, zero, 16) == 0;
	return 0;
}

/* Format the address without port. */
const char *
sockdiag_addr_str(const struct sockdiag_addr *a, char *buf, size_t len)
{
	if ((a->family != AF_INET && a->family != AF_INET6) ||
	    inet_ntop(a->family, a->addr, buf, (socklen_t)len) == NULL)
		(void)snprintf(buf, len, "?");
	return buf;
}
