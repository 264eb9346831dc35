/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wire.c: the EPMD codec. Every untrusted byte is read through the cursor
 * below, which fails on a short buffer instead of reading past it.
 */
#include <stdio.h>
#include <string.h>

#include "wire.h"

struct cursor {
	const uint8_t	*p;
	size_t		 left;
};

static int
get_u8(struct cursor *c, uint8_t *v)
{
	if (c->left < 1)
		return -1;
	*v = c->p[0];
	c->p++;
	c->left--;
	return 0;
}

static int
get_u16be(struct cursor *c, uint16_t *v)
{
	if (c->left < 2)
		return -1;
	*v = (uint16_t)((c->p[0] << 8) | c->p[1]);
	c->p += 2;
	c->left -= 2;
	return 0;
}

static int
get_bytes(struct cursor *c, void *dst, size_t n)
{
	if (c->left < n)
		return -1;
	memcpy(dst, c->p, n);
	c->p += n;
	c->left -= n;
	return 0;
}

static void
put_u16be(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put_u32be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * Count the code points of strict UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). Returns -1 on invalid input. If
 * ctl is non-NULL it is set when a C0, DEL or C1 control character occurs.
 */
static long
utf8_count(const uint8_t *s, size_t len, int *ctl)
{
	size_t	 i = 0;
	long	 n = 0;

	while (i < len) {
		uint8_t		 b = s[i];
		uint32_t	 cp;
		size_t		 more, k;

		if (b < 0x80) {
			cp = b;
			more = 0;
		} else if (b >= 0xc2 && b <= 0xdf) {
			cp = b & 0x1f;
			more = 1;
		} else if (b >= 0xe0 && b <= 0xef) {
			cp = b & 0x0f;
			more = 2;
		} else if (b >= 0xf0 && b <= 0xf4) {
			cp = b & 0x07;
			more = 3;
		} else
			return -1;
		if (len - i - 1 < more)
			return -1;
		for (k = 1; k <= more; k++) {
			uint8_t c = s[i + k];

			if ((c & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | (c & 0x3f);
		}
		if ((more == 2 && cp < 0x800) || (more == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return -1;
		if (ctl != NULL && (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)))
			*ctl = 1;
		i += more + 1;
		n++;
	}
	return n;
}

enum wire_status
wire_frame_check(const uint8_t *buf, size_t len, size_t *bodylen)
{
	size_t	 want;

	if (len < 2)
		return WIRE_NEED_MORE;
	want = ((size_t)buf[0] << 8) | buf[1];
	if (want == 0 || want > WIRE_MAX_BODY)
		return WIRE_BAD_FRAME;
	if (len - 2 < want)
		return WIRE_NEED_MORE;
	if (len - 2 > want)
		return WIRE_BAD_FRAME;
	*bodylen = want;
	return WIRE_OK;
}

enum wire_status
wire_check_name(const char *name, size_t len, const char **errstr)
{
	long	 n;
	int	 ctl = 0;

	if (len == 0) {
		if (errstr != NULL)
			*errstr = "empty node name";
		return WIRE_BAD_NAME;
	}
	if (len > WIRE_MAX_NAME_BYTES) {
		if (errstr != NULL)
			*errstr = "node name too long";
		return WIRE_BAD_NAME;
	}
	n = utf8_count((const uint8_t *)name, len, &ctl);
	if (n < 0) {
		if (errstr != NULL)
			*errstr = "node name is not valid UTF-8";
		return WIRE_BAD_NAME;
	}
	if (n > WIRE_MAX_NAME_CHARS) {
		if (errstr != NULL)
			*errstr = "node name too long";
		return WIRE_BAD_NAME;
	}
	if (ctl) {
		if (errstr != NULL)
			*errstr = "node name contains a control character";
		return WIRE_BAD_NAME;
	}
	return WIRE_OK;
}

static enum wire_status
bad(const char **errstr, const char *why)
{
	if (errstr != NULL)
		*errstr = why;
	return WIRE_BAD_FRAME;
}

/*
 * ALIVE2_REQ: PortNo:u16 NodeType:u8 Protocol:u8 Hi:u16 Lo:u16 Nlen:u16
 * Name Elen:u16 Extra. Bytes after Extra are ignored, as stock does.
 */
static enum wire_status
decode_alive2(struct cursor *c, size_t len, struct wire_node *n,
    const char **errstr)
{
	uint16_t	 nlen, elen;
	struct cursor	 name;

	/* Stock wants at least one byte beyond the fixed 13. */
	if (len <= 13)
		return bad(errstr, "ALIVE2_REQ too short");
	if (get_u16be(c, &n->port) || get_u8(c, &n->type) ||
	    get_u8(c, &n->proto) || get_u16be(c, &n->highvsn) ||
	    get_u16be(c, &n->lowvsn) || get_u16be(c, &nlen))
		return bad(errstr, "ALIVE2_REQ too short");
	if (c->left < nlen)
		return bad(errstr, "ALIVE2_REQ name length past the frame");
	name = *c;
	name.left = nlen;
	c->p += nlen;
	c->left -= nlen;
	if (get_u16be(c, &elen))
		return bad(errstr, "ALIVE2_REQ name length past the frame");
	if (c->left < elen)
		return bad(errstr, "ALIVE2_REQ extra length past the frame");
	if (memchr(name.p, '\0', nlen) != NULL)
		return bad(errstr, "ALIVE2_REQ name contains NUL");

	/*
	 * Framing is sound: from here on a refusal gets a result-1 reply.
	 * The name is copied first (cut to the buffer) so that a refusal
	 * can be logged with it.
	 */
	n->namelen = nlen > WIRE_MAX_NAME_BYTES ? WIRE_MAX_NAME_BYTES : nlen;
	(void)get_bytes(&name, n->name, n->namelen);
	n->name[n->namelen] = '\0';
	n->extralen = 0;
	if (wire_check_name((const char *)name.p - n->namelen, nlen, errstr) !=
	    WIRE_OK)
		return WIRE_BAD_NAME;
	if (elen > WIRE_MAX_EXTRA) {
		if (errstr != NULL)
			*errstr = "extra data too long";
		return WIRE_BAD_NAME;
	}
	(void)get_bytes(c, n->extra, elen);
	n->extralen = elen;
	return WIRE_OK;
}

/*
 * PORT_PLEASE2_REQ: the name fills the rest of the frame; one trailing NUL
 * is stripped for old clients. Empty, NUL inside, invalid UTF-8 or over
 * 255 code points: close without reply, as stock does.
 */
static enum wire_status
decode_port2(struct cursor *c, struct wire_node *n, const char **errstr)
{
	size_t	 len = c->left;
	long	 cps;

	if (len > 0 && c->p[len - 1] == '\0')
		len--;
	if (len == 0)
		return bad(errstr, "PORT_PLEASE2_REQ with empty name");
	if (memchr(c->p, '\0', len) != NULL)
		return bad(errstr, "PORT_PLEASE2_REQ name contains NUL");
	if (len > WIRE_MAX_NAME_BYTES)
		return bad(errstr, "PORT_PLEASE2_REQ name too long");
	cps = utf8_count(c->p, len, NULL);
	if (cps < 1 || cps > WIRE_MAX_NAME_CHARS)
		return bad(errstr, "PORT_PLEASE2_REQ name invalid");
	(void)get_bytes(c, n->name, len);
	n->name[len] = '\0';
	n->namelen = (uint16_t)len;
	return WIRE_OK;
}

/*
 * STOP_REQ: stock compares the name as a C string, so it ends at the first
 * NUL. A name longer than any registrable one cannot match: it decodes as
 * the empty name, which is never registered.
 */
static enum wire_status
decode_stop(struct cursor *c, struct wire_node *n, const char **errstr)
{
	const uint8_t	*nul;
	size_t		 len = c->left;

	if (len == 0)
		return bad(errstr, "STOP_REQ too short");
	if ((nul = memchr(c->p, '\0', len)) != NULL)
		len = (size_t)(nul - c->p);
	if (len > WIRE_MAX_NAME_BYTES)
		len = 0;
	memcpy(n->name, c->p, len);
	n->name[len] = '\0';
	n->namelen = (uint16_t)len;
	return WIRE_OK;
}

enum wire_status
wire_decode_request(const uint8_t *body, size_t len,
    struct wire_request *req, const char **errstr)
{
	struct cursor	 c = { body, len };
	uint8_t		 op;

	if (get_u8(&c, &op))
		return bad(errstr, "empty request");
	memset(&req->node, 0, offsetof(struct wire_node, name));
	req->node.name[0] = '\0';
	req->node.namelen = 0;
	req->node.extralen = 0;
	switch (op) {
	case WIRE_OP_ALIVE2:
		req->op = WIRE_OP_ALIVE2;
		return decode_alive2(&c, len, &req->node, errstr);
	case WIRE_OP_PORT2:
		req->op = WIRE_OP_PORT2;
		return decode_port2(&c, &req->node, errstr);
	case WIRE_OP_STOP:
	case WIRE_OP_FORGET:
		/* FORGET NAME is framed as STOP NAME is. */
		req->op = (enum wire_op)op;
		return decode_stop(&c, &req->node, errstr);
	case WIRE_OP_NAMES:
	case WIRE_OP_DUMP:
	case WIRE_OP_KILL:
		/* Stock ignores any bytes after these opcodes. */
		req->op = (enum wire_op)op;
		return WIRE_OK;
	default:
		return bad(errstr, "unknown request");
	}
}

size_t
wire_encode_alive2_resp(uint8_t *out, size_t outlen, uint16_t highvsn,
    uint8_t result, uint32_t creation)
{
	if (highvsn >= 6) {
		if (outlen < 6)
			return 0;
		out[0] = WIRE_RESP_ALIVE2_X;
		out[1] = result;
		put_u32be(out + 2, creation);
		return 6;
	}
	if (outlen < 4)
		return 0;
	out[0] = WIRE_RESP_ALIVE2;
	out[1] = result;
	put_u16be(out + 2, (uint16_t)creation);
	return 4;
}

size_t
wire_encode_port2_resp(uint8_t *out, size_t outlen,
    const struct wire_node *n)
{
	size_t	 need;

	if (n == NULL) {
		if (outlen < 2)
			return 0;
		out[0] = WIRE_RESP_PORT2;
		out[1] = 1;
		return 2;
	}
	need = 14 + (size_t)n->namelen + n->extralen;
	if (outlen < need || n->namelen > WIRE_MAX_NAME_BYTES ||
	    n->extralen > WIRE_MAX_EXTRA)
		return 0;
	out[0] = WIRE_RESP_PORT2;
	out[1] = 0;
	put_u16be(out + 2, n->port);
	out[4] = n->type;
	out[5] = n->proto;
	put_u16be(out + 6, n->highvsn);
	put_u16be(out + 8, n->lowvsn);
	put_u16be(out + 10, n->namelen);
	memcpy(out + 12, n->name, n->namelen);
	put_u16be(out + 12 + n->namelen, n->extralen);
	memcpy(out + 14 + n->namelen, n->extra, n->extralen);
	return need;
}

size_t
wire_encode_port_header(uint8_t *out, size_t outlen, uint32_t port)
{
	if (outlen < 4)
		return 0;
	put_u32be(out, port);
	return 4;
}

/* Return the snprintf result as a length, or 0 if it did not fit. */
static size_t
fitted(int r, size_t outlen)
{
	if (r < 0 || (size_t)r >= outlen)
		return 0;
	return (size_t)r;
}

size_t
wire_encode_names_line(char *out, size_t outlen, const char *name,
    uint16_t port)
{
	return fitted(snprintf(out, outlen, "name %s at port %u\n", name,
	    (unsigned)port), outlen);
}

size_t
wire_encode_dump_active(char *out, size_t outlen, const char *name,
    uint16_t port, int fd)
{
	size_t	 n;

	/* The terminating NUL is part of each DUMP line on the wire. */
	n = fitted(snprintf(out, outlen, "active name     <%s> at port %u, "
	    "fd = %d\n", name, (unsigned)port, fd), outlen);
	return n == 0 ? 0 : n + 1;
}

size_t
wire_encode_dump_old(char *out, size_t outlen, const char *name,
    uint16_t port, int fd)
{
	size_t	 n;

	n = fitted(snprintf(out, outlen, "old/unused name <%s>, port = %u, "
	    "fd = %d \n", name, (unsigned)port, fd), outlen);
	return n == 0 ? 0 : n + 1;
}

size_t
wire_encode_request(uint8_t *out, size_t outlen, enum wire_op op,
    const void *payload, size_t paylen)
{
	if (paylen >= WIRE_MAX_BODY || outlen < 3 || outlen - 3 < paylen)
		return 0;
	put_u16be(out, (uint16_t)(paylen + 1));
	out[2] = (uint8_t)op;
	if (paylen > 0)
		memcpy(out + 3, payload, paylen);
	return paylen + 3;
}
