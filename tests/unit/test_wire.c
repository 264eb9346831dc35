/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_wire.c: the EPMD codec on byte arrays. Every decode and frame check
 * runs on an exact-size heap copy of its input, so a read one byte past
 * the buffer is an ASan error in the sanitizer build.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wire.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define BYTES(...)	(const uint8_t[]){ __VA_ARGS__ }, \
			sizeof((const uint8_t[]){ __VA_ARGS__ })

/* U+1F600, a 4-byte UTF-8 character. */
#define CHAR4		"\xf0\x9f\x98\x80"

/* Offsets in an ALIVE2_REQ body (opcode at 0). */
#define A2_NLEN		9
#define A2_NAME		11

/* A copy of n bytes on the heap, sized exactly; never NULL. */
static uint8_t *
dup_exact(const void *p, size_t n)
{
	uint8_t	*d;

	d = malloc(n == 0 ? 1 : n);
	assert_non_null(d);
	if (n > 0)
		memcpy(d, p, n);
	if (n == 0) {
		/* Hand out a zero-sized block so any read is caught. */
		free(d);
		d = malloc(0);
		if (d == NULL)
			d = malloc(1);
		assert_non_null(d);
	}
	return d;
}

static enum wire_status
decode_exact(const uint8_t *body, size_t len, struct wire_request *req,
    const char **errstr)
{
	uint8_t			*copy = dup_exact(body, len);
	enum wire_status	 st;

	st = wire_decode_request(copy, len, req, errstr);
	free(copy);
	return st;
}

static enum wire_status
frame_exact(const uint8_t *buf, size_t len, size_t *bodylen)
{
	uint8_t			*copy = dup_exact(buf, len);
	enum wire_status	 st;

	st = wire_frame_check(copy, len, bodylen);
	free(copy);
	return st;
}

static void
put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Build an ALIVE2_REQ body (opcode first); returns its length. */
static size_t
alive2_body(uint8_t *out, size_t cap, uint16_t port, uint8_t type,
    uint16_t hi, uint16_t lo, const void *name, size_t nlen,
    const void *extra, size_t elen)
{
	size_t	 len = 13 + nlen + elen;

	assert_true(len <= cap);
	out[0] = WIRE_OP_ALIVE2;
	put16(out + 1, port);
	out[3] = type;
	out[4] = 0;
	put16(out + 5, hi);
	put16(out + 7, lo);
	put16(out + A2_NLEN, nlen);
	if (nlen > 0)
		memcpy(out + A2_NAME, name, nlen);
	put16(out + A2_NAME + nlen, elen);
	if (elen > 0)
		memcpy(out + 13 + nlen, extra, elen);
	return len;
}

/* A typical registration body for name (a C string). */
static size_t
alive2_named(uint8_t *out, size_t cap, const char *name, size_t nlen)
{
	return alive2_body(out, cap, 4370, 77, 6, 5, name, nlen, "", 0);
}

/* Prefix body with its 2-byte length; returns the frame length. */
static size_t
frame_of(uint8_t *out, size_t cap, const uint8_t *body, size_t len)
{
	assert_true(len + 2 <= cap);
	put16(out, len);
	memcpy(out + 2, body, len);
	return len + 2;
}

/* Fill out with count copies of unit, NUL-terminated; returns bytes. */
static size_t
repeat(char *out, size_t cap, const char *unit, size_t count)
{
	size_t	 ulen = strlen(unit), i;

	assert_true(ulen * count < cap);
	for (i = 0; i < count; i++)
		memcpy(out + i * ulen, unit, ulen);
	out[ulen * count] = '\0';
	return ulen * count;
}

/* Valid requests: one vector per opcode and variant. */
struct valid_vec {
	const char	*what;
	const uint8_t	*body;
	size_t		 len;
	enum wire_op	 op;
	const char	*name;		/* NULL: no name expected */
	uint16_t	 port, highvsn, lowvsn;
	uint8_t		 type;
	const char	*extra;
	size_t		 extralen;
};

static const struct valid_vec valid_vecs[] = {
	{ "ALIVE2 v6 normal",
	  BYTES('x', 0x11, 0x12, 77, 0, 0, 6, 0, 5, 0, 3, 'f', 'o', 'o',
	      0, 0),
	  WIRE_OP_ALIVE2, "foo", 0x1112, 6, 5, 77, "", 0 },
	{ "ALIVE2 v5 hidden with extra",
	  BYTES('x', 0xff, 0xfe, 72, 0, 0, 5, 0, 5, 0, 4, 'n', '@', 'h', 'x',
	      0, 2, 0xab, 0xcd),
	  WIRE_OP_ALIVE2, "n@hx", 0xfffe, 5, 5, 72, "\xab\xcd", 2 },
	{ "ALIVE2 smallest (one-byte name)",
	  BYTES('x', 0, 1, 77, 0, 0, 6, 0, 6, 0, 1, 'a', 0, 0),
	  WIRE_OP_ALIVE2, "a", 1, 6, 6, 77, "", 0 },
	{ "ALIVE2 bytes after Extra ignored",
	  BYTES('x', 0, 1, 77, 0, 0, 6, 0, 5, 0, 1, 'a', 0, 1, 'E', 'j',
	      'u', 'n', 'k'),
	  WIRE_OP_ALIVE2, "a", 1, 6, 5, 77, "E", 1 },
	{ "ALIVE2 UTF-8 name",
	  BYTES('x', 0, 1, 77, 0, 0, 6, 0, 5, 0, 6, 0xc3, 0xa9, 0xe2, 0x82,
	      0xac, 'z', 0, 0),
	  WIRE_OP_ALIVE2, "\xc3\xa9\xe2\x82\xac" "z", 1, 6, 5, 77, "", 0 },
	{ "PORT2 without NUL",
	  BYTES('z', 'f', 'o', 'o'),
	  WIRE_OP_PORT2, "foo", 0, 0, 0, 0, "", 0 },
	{ "PORT2 with trailing NUL",
	  BYTES('z', 'f', 'o', 'o', 0),
	  WIRE_OP_PORT2, "foo", 0, 0, 0, 0, "", 0 },
	{ "PORT2 4-byte character",
	  BYTES('z', 0xf0, 0x9f, 0x98, 0x80),
	  WIRE_OP_PORT2, CHAR4, 0, 0, 0, 0, "", 0 },
	{ "NAMES", BYTES('n'), WIRE_OP_NAMES, NULL, 0, 0, 0, 0, "", 0 },
	{ "NAMES trailing bytes ignored", BYTES('n', 1, 2),
	  WIRE_OP_NAMES, NULL, 0, 0, 0, 0, "", 0 },
	{ "DUMP", BYTES('d'), WIRE_OP_DUMP, NULL, 0, 0, 0, 0, "", 0 },
	{ "KILL", BYTES('k'), WIRE_OP_KILL, NULL, 0, 0, 0, 0, "", 0 },
	{ "STOP", BYTES('s', 'f', 'o', 'o'),
	  WIRE_OP_STOP, "foo", 0, 0, 0, 0, "", 0 },
	{ "STOP name ends at NUL", BYTES('s', 'f', 'o', 0, 'x'),
	  WIRE_OP_STOP, "fo", 0, 0, 0, 0, "", 0 },
};

static void
test_wire_decode_valid_vectors(void **state)
{
	size_t	 i;

	(void)state;
	for (i = 0; i < NELEM(valid_vecs); i++) {
		const struct valid_vec	*v = &valid_vecs[i];
		struct wire_request	 req;
		const char		*errstr = NULL;

		print_message("vector: %s\n", v->what);
		memset(&req, 0xa5, sizeof(req));
		assert_int_equal(decode_exact(v->body, v->len, &req, &errstr),
		    WIRE_OK);
		assert_int_equal(req.op, v->op);
		if (v->name == NULL)
			continue;
		assert_int_equal(req.node.namelen, strlen(v->name));
		assert_string_equal(req.node.name, v->name);
		if (v->op != WIRE_OP_ALIVE2)
			continue;
		assert_int_equal(req.node.port, v->port);
		assert_int_equal(req.node.type, v->type);
		assert_int_equal(req.node.proto, 0);
		assert_int_equal(req.node.highvsn, v->highvsn);
		assert_int_equal(req.node.lowvsn, v->lowvsn);
		assert_int_equal(req.node.extralen, v->extralen);
		assert_memory_equal(req.node.extra, v->extra, v->extralen);
	}
}

static void
test_wire_frame_check_valid_vectors(void **state)
{
	uint8_t	 frame[WIRE_MAX_BODY + 2];
	size_t	 i, flen, bodylen;

	(void)state;
	for (i = 0; i < NELEM(valid_vecs); i++) {
		print_message("vector: %s\n", valid_vecs[i].what);
		flen = frame_of(frame, sizeof(frame), valid_vecs[i].body,
		    valid_vecs[i].len);
		bodylen = 0;
		assert_int_equal(frame_exact(frame, flen, &bodylen), WIRE_OK);
		assert_int_equal(bodylen, valid_vecs[i].len);
	}
}

static void
test_wire_frame_check_largest(void **state)
{
	uint8_t	 frame[WIRE_MAX_BODY + 2];
	size_t	 bodylen = 0;

	(void)state;
	memset(frame, 'n', sizeof(frame));
	put16(frame, WIRE_MAX_BODY);
	assert_int_equal(WIRE_MAX_BODY, 3057);
	assert_int_equal(frame_exact(frame, sizeof(frame), &bodylen),
	    WIRE_OK);
	assert_int_equal(bodylen, 3057);
	assert_int_equal(frame_exact(frame, 2, &bodylen), WIRE_NEED_MORE);
	assert_int_equal(frame_exact(frame, sizeof(frame) - 1, &bodylen),
	    WIRE_NEED_MORE);
}

/* Every strict prefix of a valid frame is NEED_MORE, the whole is OK. */
static void
check_frame_truncations(const uint8_t *body, size_t len)
{
	uint8_t	 frame[WIRE_MAX_BODY + 2];
	size_t	 flen, k, bodylen;

	flen = frame_of(frame, sizeof(frame), body, len);
	for (k = 0; k < flen; k++) {
		bodylen = 0xdead;
		assert_int_equal(frame_exact(frame, k, &bodylen),
		    WIRE_NEED_MORE);
	}
	assert_int_equal(frame_exact(frame, flen, &bodylen), WIRE_OK);
	assert_int_equal(bodylen, len);
}

static void
test_wire_frame_check_truncated_alive2(void **state)
{
	uint8_t	 body[WIRE_MAX_BODY];
	char	 name[WIRE_MAX_NAME_BYTES + 1];
	uint8_t	 extra[WIRE_MAX_EXTRA];
	size_t	 len, nlen;

	(void)state;
	len = alive2_body(body, sizeof(body), 4370, 77, 6, 5, "node@host",
	    9, "\x01\x02\x03", 3);
	check_frame_truncations(body, len);

	/* The largest registration: 255 4-byte characters, 1020 extra. */
	nlen = repeat(name, sizeof(name), CHAR4, 255);
	memset(extra, 0x5a, sizeof(extra));
	len = alive2_body(body, sizeof(body), 1, 77, 6, 5, name, nlen,
	    extra, sizeof(extra));
	check_frame_truncations(body, len);
}

static void
test_wire_frame_check_truncated_port2(void **state)
{
	(void)state;
	check_frame_truncations(BYTES('z', 'n', 'o', 'd', 'e'));
	check_frame_truncations(BYTES('z', 'n', 'o', 'd', 'e', 0));
}

static void
test_wire_decode_truncated_alive2(void **state)
{
	uint8_t			 body[WIRE_MAX_BODY];
	char			 name[WIRE_MAX_NAME_BYTES + 1];
	uint8_t			 extra[WIRE_MAX_EXTRA];
	struct wire_request	 req;
	size_t			 len, k, nlen;

	(void)state;
	/* Non-empty Extra: every strict prefix is short of it. */
	len = alive2_body(body, sizeof(body), 4370, 77, 6, 5, "node@host",
	    9, "\x01\x02\x03", 3);
	for (k = 0; k < len; k++)
		assert_int_equal(decode_exact(body, k, &req, NULL),
		    WIRE_BAD_FRAME);
	assert_int_equal(decode_exact(body, len, &req, NULL), WIRE_OK);

	/* Empty Extra: cutting into Elen or the name is a frame error. */
	len = alive2_body(body, sizeof(body), 4370, 77, 6, 5, "n", 1, "", 0);
	for (k = 0; k < len; k++)
		assert_int_equal(decode_exact(body, k, &req, NULL),
		    WIRE_BAD_FRAME);

	nlen = repeat(name, sizeof(name), CHAR4, 255);
	memset(extra, 0x5a, sizeof(extra));
	len = alive2_body(body, sizeof(body), 1, 77, 6, 5, name, nlen,
	    extra, sizeof(extra));
	for (k = 0; k < len; k++)
		assert_int_equal(decode_exact(body, k, &req, NULL),
		    WIRE_BAD_FRAME);
	assert_int_equal(decode_exact(body, len, &req, NULL), WIRE_OK);
	assert_int_equal(req.node.namelen, 1020);
	assert_int_equal(req.node.extralen, 1020);
}

static void
test_wire_decode_truncated_port2(void **state)
{
	static const uint8_t	 body[] = { 'z', 'n', 'o', 'd', 'e', 0 };
	struct wire_request	 req;
	enum wire_status	 st;
	size_t			 k;

	(void)state;
	assert_int_equal(decode_exact(body, 0, &req, NULL), WIRE_BAD_FRAME);
	assert_int_equal(decode_exact(body, 1, &req, NULL), WIRE_BAD_FRAME);
	/* A cut PORT2 name is just a shorter name. */
	for (k = 2; k <= sizeof(body); k++) {
		st = decode_exact(body, k, &req, NULL);
		assert_int_equal(st, WIRE_OK);
		assert_int_equal(req.op, WIRE_OP_PORT2);
		assert_int_equal(req.node.namelen, k < 6 ? k - 1 : 4);
		assert_memory_equal(req.node.name, "node", req.node.namelen);
		assert_int_equal(req.node.name[req.node.namelen], '\0');
	}
}

static void
test_wire_frame_check_length_zero(void **state)
{
	size_t	 bodylen;

	(void)state;
	assert_int_equal(frame_exact(BYTES(0, 0), &bodylen), WIRE_BAD_FRAME);
	assert_int_equal(frame_exact(BYTES(0, 0, 'n'), &bodylen),
	    WIRE_BAD_FRAME);
}

static void
test_wire_frame_check_length_too_big(void **state)
{
	static const uint16_t	 lens[] = { 3058, 3059, 0x1000, 0x7fff,
				    0x8000, 0xffff };
	uint8_t			 hdr[2];
	size_t			 i, bodylen;

	(void)state;
	/* Refused from the header alone: the body is never buffered. */
	for (i = 0; i < NELEM(lens); i++) {
		put16(hdr, lens[i]);
		assert_int_equal(frame_exact(hdr, 2, &bodylen),
		    WIRE_BAD_FRAME);
	}
}

static void
test_wire_frame_check_trailing_bytes(void **state)
{
	size_t	 bodylen;

	(void)state;
	assert_int_equal(frame_exact(BYTES(0, 1, 'n', 'n'), &bodylen),
	    WIRE_BAD_FRAME);
	assert_int_equal(frame_exact(BYTES(0, 4, 'z', 'a', 'b', 'c', 0),
	    &bodylen), WIRE_BAD_FRAME);
	assert_int_equal(frame_exact(BYTES(0, 1, 'n', 0, 1, 'n'), &bodylen),
	    WIRE_BAD_FRAME);
}

static void
test_wire_decode_empty_body(void **state)
{
	struct wire_request	 req;
	const char		*errstr = NULL;

	(void)state;
	assert_int_equal(decode_exact(NULL, 0, &req, &errstr),
	    WIRE_BAD_FRAME);
	assert_non_null(errstr);
}

static void
test_wire_decode_alive2_too_short(void **state)
{
	uint8_t			 body[32];
	struct wire_request	 req;
	const char		*errstr;
	size_t			 k;

	(void)state;
	/* 13 bytes is a complete record with an empty name: still short. */
	assert_int_equal(alive2_body(body, sizeof(body), 1, 77, 6, 5, "", 0,
	    "", 0), 13);
	for (k = 1; k <= 13; k++) {
		errstr = NULL;
		assert_int_equal(decode_exact(body, k, &req, &errstr),
		    WIRE_BAD_FRAME);
		assert_non_null(errstr);
	}
}

static void
test_wire_decode_alive2_nlen_past_frame(void **state)
{
	static const size_t	 bad_nlens[] = { 4, 5, 6, 100, 0xffff };
	uint8_t			 body[64];
	struct wire_request	 req;
	const char		*errstr;
	size_t			 len, i;

	(void)state;
	/* Name "abc", extra "": 3 name bytes then 2 of Elen. */
	len = alive2_named(body, sizeof(body), "abc", 3);
	for (i = 0; i < NELEM(bad_nlens); i++) {
		put16(body + A2_NLEN, bad_nlens[i]);
		errstr = NULL;
		assert_int_equal(decode_exact(body, len, &req, &errstr),
		    WIRE_BAD_FRAME);
		assert_non_null(errstr);
	}
}

static void
test_wire_decode_alive2_elen_past_frame(void **state)
{
	static const size_t	 bad_elens[] = { 3, 4, 1020, 1021, 0xffff };
	uint8_t			 body[64];
	struct wire_request	 req;
	const char		*errstr;
	size_t			 len, i;

	(void)state;
	len = alive2_body(body, sizeof(body), 1, 77, 6, 5, "abc", 3,
	    "xy", 2);
	for (i = 0; i < NELEM(bad_elens); i++) {
		put16(body + A2_NAME + 3, bad_elens[i]);
		errstr = NULL;
		assert_int_equal(decode_exact(body, len, &req, &errstr),
		    WIRE_BAD_FRAME);
		assert_non_null(errstr);
	}
}

static void
test_wire_decode_alive2_nul_in_name(void **state)
{
	static const struct {
		const char	*name;
		size_t		 len;
	} names[] = {
		{ "a\0b", 3 }, { "\0ab", 3 }, { "ab\0", 3 }, { "\0", 1 },
	};
	uint8_t			 body[64];
	struct wire_request	 req;
	size_t			 len, i;

	(void)state;
	for (i = 0; i < NELEM(names); i++) {
		len = alive2_named(body, sizeof(body), names[i].name,
		    names[i].len);
		assert_int_equal(decode_exact(body, len, &req, NULL),
		    WIRE_BAD_FRAME);
	}
}

static void
test_wire_decode_unknown_opcode(void **state)
{
	struct wire_request	 req;
	uint8_t			 body[4];
	const char		*errstr;
	unsigned		 op;

	(void)state;
	for (op = 0; op < 256; op++) {
		switch (op) {
		case WIRE_OP_DUMP: case WIRE_OP_KILL: case WIRE_OP_NAMES:
		case WIRE_OP_STOP: case WIRE_OP_ALIVE2: case WIRE_OP_PORT2:
		case WIRE_OP_FORGET:
			continue;
		default:
			break;
		}
		body[0] = (uint8_t)op;
		body[1] = 'a';
		body[2] = 'b';
		body[3] = 0;
		errstr = NULL;
		assert_int_equal(decode_exact(body, 1, &req, &errstr),
		    WIRE_BAD_FRAME);
		assert_non_null(errstr);
		assert_int_equal(decode_exact(body, sizeof(body), &req, NULL),
		    WIRE_BAD_FRAME);
	}
}

/* FORGET (ours, -forget) is framed as STOP: opcode 'f', then the name. */
static void
test_wire_decode_forget(void **state)
{
	static const uint8_t	 body[] = { 'f', 'r', 'a', 'b' };
	struct wire_request	 req;

	(void)state;
	assert_int_equal(decode_exact(body, sizeof(body), &req, NULL),
	    WIRE_OK);
	assert_int_equal(req.op, WIRE_OP_FORGET);
	assert_string_equal(req.node.name, "rab");
}

struct bytes_vec {
	const char	*what;
	const uint8_t	*b;
	size_t		 len;
};

static const struct bytes_vec port2_bad[] = {
	{ "empty", BYTES('z') },
	{ "only NUL", BYTES('z', 0) },
	{ "two NULs", BYTES('z', 0, 0) },
	{ "NUL inside", BYTES('z', 'a', 0, 'b') },
	{ "NUL inside and trailing", BYTES('z', 'a', 0, 'b', 0) },
	{ "leading NUL", BYTES('z', 0, 'a') },
	{ "two trailing NULs", BYTES('z', 'a', 0, 0) },
	{ "0xff", BYTES('z', 0xff) },
	{ "lone continuation", BYTES('z', 'a', 0x80) },
	{ "overlong NUL", BYTES('z', 0xc0, 0x80) },
	{ "overlong slash", BYTES('z', 0xc1, 0xbf) },
	{ "3-byte overlong", BYTES('z', 0xe0, 0x80, 0xaf) },
	{ "4-byte overlong", BYTES('z', 0xf0, 0x80, 0x80, 0xaf) },
	{ "surrogate", BYTES('z', 0xed, 0xa0, 0x80) },
	{ "above U+10FFFF", BYTES('z', 0xf4, 0x90, 0x80, 0x80) },
	{ "cut 3-byte sequence", BYTES('z', 'a', 0xe2, 0x82) },
	{ "cut sequence before NUL", BYTES('z', 'a', 0xe2, 0x82, 0) },
};

static void
test_wire_decode_port2_malformed(void **state)
{
	struct wire_request	 req;
	const char		*errstr;
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEM(port2_bad); i++) {
		print_message("vector: %s\n", port2_bad[i].what);
		errstr = NULL;
		assert_int_equal(decode_exact(port2_bad[i].b, port2_bad[i].len,
		    &req, &errstr), WIRE_BAD_FRAME);
		assert_non_null(errstr);
	}
}

static void
test_wire_decode_port2_limits(void **state)
{
	uint8_t			 body[WIRE_MAX_BODY];
	char			 name[WIRE_MAX_NAME_BYTES + 8];
	struct wire_request	 req;
	size_t			 n;

	(void)state;
	/* 255 4-byte characters: the longest name, found with or without NUL. */
	n = repeat(name, sizeof(name), CHAR4, 255);
	body[0] = WIRE_OP_PORT2;
	memcpy(body + 1, name, n + 1);
	assert_int_equal(decode_exact(body, 1 + n, &req, NULL), WIRE_OK);
	assert_int_equal(req.node.namelen, 1020);
	assert_string_equal(req.node.name, name);
	assert_int_equal(decode_exact(body, 2 + n, &req, NULL), WIRE_OK);
	assert_int_equal(req.node.namelen, 1020);

	n = repeat(name, sizeof(name), "a", 255);
	memcpy(body + 1, name, n);
	assert_int_equal(decode_exact(body, 1 + n, &req, NULL), WIRE_OK);

	/* 256 code points, and 1021 bytes. */
	n = repeat(name, sizeof(name), "a", 256);
	memcpy(body + 1, name, n);
	assert_int_equal(decode_exact(body, 1 + n, &req, NULL),
	    WIRE_BAD_FRAME);
	n = repeat(name, sizeof(name), CHAR4, 255);
	name[n++] = 'a';
	memcpy(body + 1, name, n);
	assert_int_equal(decode_exact(body, 1 + n, &req, NULL),
	    WIRE_BAD_FRAME);
}

static void
test_wire_decode_stop_vectors(void **state)
{
	uint8_t			 body[1100];
	struct wire_request	 req;

	(void)state;
	assert_int_equal(decode_exact(BYTES('s'), &req, NULL),
	    WIRE_BAD_FRAME);
	assert_int_equal(decode_exact(BYTES('s', 0), &req, NULL), WIRE_OK);
	assert_int_equal(req.op, WIRE_OP_STOP);
	assert_int_equal(req.node.namelen, 0);
	assert_string_equal(req.node.name, "");

	/* Longer than any registrable name: decodes as the empty name. */
	body[0] = WIRE_OP_STOP;
	memset(body + 1, 'a', 1021);
	assert_int_equal(decode_exact(body, 1022, &req, NULL), WIRE_OK);
	assert_int_equal(req.node.namelen, 0);
	assert_string_equal(req.node.name, "");
	assert_int_equal(decode_exact(body, 1021, &req, NULL), WIRE_OK);
	assert_int_equal(req.node.namelen, 1020);
	assert_int_equal(strlen(req.node.name), 1020);
}

/* ALIVE2 names refused with a result-1 reply (WIRE_BAD_NAME). */
static const struct bytes_vec bad_names[] = {
	{ "newline", BYTES('a', '\n', 'b') },
	{ "carriage return", BYTES('a', '\r') },
	{ "tab", BYTES('\t') },
	{ "U+0001", BYTES(0x01) },
	{ "U+001F", BYTES('a', 0x1f) },
	{ "ESC", BYTES(0x1b, '[', '2', 'J') },
	{ "DEL", BYTES('a', 0x7f) },
	{ "U+0080", BYTES(0xc2, 0x80) },
	{ "U+0085 NEL", BYTES('a', 0xc2, 0x85, 'b') },
	{ "U+009F", BYTES(0xc2, 0x9f) },
	{ "0xff", BYTES(0xff) },
	{ "0xfe", BYTES('a', 0xfe) },
	{ "0xf5 lead", BYTES(0xf5, 0x80, 0x80, 0x80) },
	{ "lone continuation", BYTES(0x80) },
	{ "continuation after ASCII", BYTES('a', 0xbf) },
	{ "lead then ASCII", BYTES(0xc3, 'a') },
	{ "overlong NUL", BYTES(0xc0, 0x80) },
	{ "overlong 2-byte", BYTES(0xc1, 0xbf) },
	{ "overlong 3-byte", BYTES(0xe0, 0x80, 0xaf) },
	{ "overlong 3-byte U+07FF", BYTES(0xe0, 0x9f, 0xbf) },
	{ "overlong 4-byte", BYTES(0xf0, 0x80, 0x80, 0xaf) },
	{ "overlong 4-byte U+FFFF", BYTES(0xf0, 0x8f, 0xbf, 0xbf) },
	{ "surrogate U+D800", BYTES(0xed, 0xa0, 0x80) },
	{ "surrogate U+DFFF", BYTES(0xed, 0xbf, 0xbf) },
	{ "surrogate pair", BYTES(0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80) },
	{ "U+110000", BYTES(0xf4, 0x90, 0x80, 0x80) },
	{ "cut 2-byte at end", BYTES('a', 0xc3) },
	{ "cut 3-byte at end", BYTES('a', 0xe2, 0x82) },
	{ "cut 4-byte at end", BYTES('a', 0xf0, 0x9f, 0x98) },
};

/* Names accepted: boundaries of the UTF-8 and control-character rules. */
static const struct bytes_vec good_names[] = {
	{ "ASCII", BYTES('n', 'o', 'd', 'e', '@', 'h', 'o', 's', 't') },
	{ "space and tilde", BYTES('a', ' ', '~') },
	{ "U+00A0", BYTES(0xc2, 0xa0) },
	{ "U+00FF", BYTES(0xc3, 0xbf) },
	{ "U+07FF", BYTES(0xdf, 0xbf) },
	{ "U+0800", BYTES(0xe0, 0xa0, 0x80) },
	{ "U+D7FF", BYTES(0xed, 0x9f, 0xbf) },
	{ "U+E000", BYTES(0xee, 0x80, 0x80) },
	{ "U+FFFF", BYTES(0xef, 0xbf, 0xbf) },
	{ "U+10000", BYTES(0xf0, 0x90, 0x80, 0x80) },
	{ "U+10FFFF", BYTES(0xf4, 0x8f, 0xbf, 0xbf) },
};

/*
 * After WIRE_BAD_NAME the caller replies with the node's version and may
 * log the name: highvsn is kept, and the name is at most the received one
 * (cut to WIRE_MAX_NAME_BYTES), NUL-terminated.
 */
static void
check_refused_node(const struct wire_node *n, const void *name, size_t nlen)
{
	assert_int_equal(n->highvsn, 6);
	assert_true(n->namelen <= WIRE_MAX_NAME_BYTES);
	assert_true(n->namelen <= nlen);
	assert_memory_equal(n->name, name, n->namelen);
	assert_int_equal(n->name[n->namelen], '\0');
	assert_int_equal(n->extralen, 0);
}

static void
test_wire_alive2_bad_name_vectors(void **state)
{
	uint8_t			 body[64];
	struct wire_request	 req;
	const char		*errstr;
	size_t			 len, i;

	(void)state;
	for (i = 0; i < NELEM(bad_names); i++) {
		print_message("vector: %s\n", bad_names[i].what);
		len = alive2_named(body, sizeof(body),
		    (const char *)bad_names[i].b, bad_names[i].len);
		errstr = NULL;
		memset(&req, 0xa5, sizeof(req));
		assert_int_equal(decode_exact(body, len, &req, &errstr),
		    WIRE_BAD_NAME);
		assert_int_equal(req.op, WIRE_OP_ALIVE2);
		assert_non_null(errstr);
		check_refused_node(&req.node, bad_names[i].b,
		    bad_names[i].len);
	}
}

static void
test_wire_alive2_good_name_vectors(void **state)
{
	uint8_t			 body[64];
	struct wire_request	 req;
	size_t			 len, i;

	(void)state;
	for (i = 0; i < NELEM(good_names); i++) {
		print_message("vector: %s\n", good_names[i].what);
		len = alive2_named(body, sizeof(body),
		    (const char *)good_names[i].b, good_names[i].len);
		assert_int_equal(decode_exact(body, len, &req, NULL), WIRE_OK);
		assert_int_equal(req.node.namelen, good_names[i].len);
		assert_memory_equal(req.node.name, good_names[i].b,
		    good_names[i].len);
		assert_int_equal(req.node.name[req.node.namelen], '\0');
	}
}

static void
test_wire_alive2_empty_name(void **state)
{
	uint8_t			 body[64];
	struct wire_request	 req;
	const char		*errstr = NULL;
	size_t			 len;

	(void)state;
	/* Nlen 0 with Extra so that the body is past the 13-byte floor. */
	len = alive2_body(body, sizeof(body), 1, 77, 6, 5, "", 0, "e", 1);
	assert_int_equal(len, 14);
	assert_int_equal(decode_exact(body, len, &req, &errstr),
	    WIRE_BAD_NAME);
	assert_int_equal(req.op, WIRE_OP_ALIVE2);
	assert_non_null(errstr);
}

static void
test_wire_alive2_name_limits(void **state)
{
	uint8_t			 body[WIRE_MAX_BODY];
	char			 name[WIRE_MAX_BODY];
	struct wire_request	 req;
	size_t			 len, n;

	(void)state;
	n = repeat(name, sizeof(name), "a", 255);
	len = alive2_named(body, sizeof(body), name, n);
	assert_int_equal(decode_exact(body, len, &req, NULL), WIRE_OK);
	assert_int_equal(req.node.namelen, 255);

	n = repeat(name, sizeof(name), "a", 256);
	len = alive2_named(body, sizeof(body), name, n);
	assert_int_equal(decode_exact(body, len, &req, NULL), WIRE_BAD_NAME);

	/* 255 code points of 4 bytes: exactly 1020 bytes, accepted. */
	n = repeat(name, sizeof(name), CHAR4, 255);
	assert_int_equal(n, WIRE_MAX_NAME_BYTES);
	len = alive2_named(body, sizeof(body), name, n);
	assert_int_equal(decode_exact(body, len, &req, NULL), WIRE_OK);
	assert_int_equal(req.node.namelen, 1020);
	assert_memory_equal(req.node.name, name, 1020);
	assert_int_equal(req.node.name[1020], '\0');

	/* 256 code points of 4 bytes; 1021 bytes; 1024 bytes of 'a'. */
	n = repeat(name, sizeof(name), CHAR4, 256);
	len = alive2_named(body, sizeof(body), name, n);
	assert_int_equal(decode_exact(body, len, &req, NULL), WIRE_BAD_NAME);
	n = repeat(name, sizeof(name), CHAR4, 255);
	name[n++] = 'a';
	len = alive2_named(body, sizeof(body), name, n);
	assert_int_equal(decode_exact(body, len, &req, NULL), WIRE_BAD_NAME);
	check_refused_node(&req.node, name, n);
	n = repeat(name, sizeof(name), "a", 1024);
	len = alive2_named(body, sizeof(body), name, n);
	assert_int_equal(decode_exact(body, len, &req, NULL), WIRE_BAD_NAME);
	check_refused_node(&req.node, name, n);
	/* The largest name a frame can carry: Nlen 3044. */
	n = repeat(name, sizeof(name), "a", WIRE_MAX_BODY - 13);
	len = alive2_named(body, sizeof(body), name, n);
	assert_int_equal(len, WIRE_MAX_BODY);
	assert_int_equal(decode_exact(body, len, &req, NULL), WIRE_BAD_NAME);
	check_refused_node(&req.node, name, n);
}

static void
test_wire_alive2_extra_limits(void **state)
{
	uint8_t			 body[WIRE_MAX_BODY];
	uint8_t			 extra[1100];
	struct wire_request	 req;
	const char		*errstr = NULL;
	size_t			 len;

	(void)state;
	memset(extra, 0xee, sizeof(extra));
	len = alive2_body(body, sizeof(body), 1, 77, 6, 5, "n", 1, extra,
	    1020);
	assert_int_equal(decode_exact(body, len, &req, NULL), WIRE_OK);
	assert_int_equal(req.node.extralen, 1020);
	assert_memory_equal(req.node.extra, extra, 1020);

	len = alive2_body(body, sizeof(body), 1, 77, 6, 5, "n", 1, extra,
	    1021);
	assert_int_equal(decode_exact(body, len, &req, &errstr),
	    WIRE_BAD_NAME);
	assert_int_equal(req.op, WIRE_OP_ALIVE2);
	assert_non_null(errstr);
	check_refused_node(&req.node, "n", 1);
}

static void
test_wire_check_name_vectors(void **state)
{
	char		 name[1100];
	const char	*errstr;
	size_t		 i, n;

	(void)state;
	for (i = 0; i < NELEM(bad_names); i++) {
		print_message("vector: %s\n", bad_names[i].what);
		errstr = NULL;
		assert_int_equal(wire_check_name((const char *)bad_names[i].b,
		    bad_names[i].len, &errstr), WIRE_BAD_NAME);
		assert_non_null(errstr);
	}
	for (i = 0; i < NELEM(good_names); i++) {
		print_message("vector: %s\n", good_names[i].what);
		assert_int_equal(wire_check_name((const char *)good_names[i].b,
		    good_names[i].len, NULL), WIRE_OK);
	}
	assert_int_equal(wire_check_name("", 0, NULL), WIRE_BAD_NAME);
	assert_int_equal(wire_check_name("a\0b", 3, NULL), WIRE_BAD_NAME);
	n = repeat(name, sizeof(name), CHAR4, 255);
	assert_int_equal(wire_check_name(name, n, NULL), WIRE_OK);
	n = repeat(name, sizeof(name), "\xe2\x82\xac", 255);
	assert_int_equal(wire_check_name(name, n, NULL), WIRE_OK);
	n = repeat(name, sizeof(name), "\xe2\x82\xac", 256);
	assert_int_equal(wire_check_name(name, n, NULL), WIRE_BAD_NAME);
	n = repeat(name, sizeof(name), "a", 1021);
	assert_int_equal(wire_check_name(name, n, NULL), WIRE_BAD_NAME);
}

static void
test_wire_check_name_every_control(void **state)
{
	char		 s[3];
	unsigned	 c;

	(void)state;
	for (c = 1; c < 0x20; c++) {
		s[0] = 'a';
		s[1] = (char)c;
		assert_int_equal(wire_check_name(s, 2, NULL), WIRE_BAD_NAME);
	}
	s[0] = 0x7f;
	assert_int_equal(wire_check_name(s, 1, NULL), WIRE_BAD_NAME);
	for (c = 0x80; c <= 0x9f; c++) {
		s[0] = (char)0xc2;
		s[1] = (char)c;
		assert_int_equal(wire_check_name(s, 2, NULL), WIRE_BAD_NAME);
	}
	for (c = 0x20; c < 0x7f; c++) {
		s[0] = (char)c;
		assert_int_equal(wire_check_name(s, 1, NULL), WIRE_OK);
	}
}

static void
test_wire_roundtrip_alive2(void **state)
{
	uint8_t			 body[WIRE_MAX_BODY], frame[WIRE_MAX_BODY + 2];
	struct wire_request	 req;
	size_t			 len, flen, bodylen = 0;

	(void)state;
	len = alive2_body(body, sizeof(body), 0xabcd, 72, 6, 5, "r@t", 3,
	    "\x00\x01", 2);
	/* The client-side encoder frames the payload after the opcode. */
	flen = wire_encode_request(frame, sizeof(frame), WIRE_OP_ALIVE2,
	    body + 1, len - 1);
	assert_int_equal(flen, len + 2);
	assert_int_equal(frame[0], 0);
	assert_int_equal(frame[1], len);
	assert_memory_equal(frame + 2, body, len);
	assert_int_equal(frame_exact(frame, flen, &bodylen), WIRE_OK);
	assert_int_equal(bodylen, len);
	assert_int_equal(decode_exact(frame + 2, bodylen, &req, NULL),
	    WIRE_OK);
	assert_int_equal(req.op, WIRE_OP_ALIVE2);
	assert_int_equal(req.node.port, 0xabcd);
	assert_int_equal(req.node.type, 72);
	assert_int_equal(req.node.highvsn, 6);
	assert_int_equal(req.node.lowvsn, 5);
	assert_string_equal(req.node.name, "r@t");
	assert_int_equal(req.node.extralen, 2);
	assert_memory_equal(req.node.extra, "\x00\x01", 2);
}

static void
test_wire_roundtrip_port2_req(void **state)
{
	uint8_t			 frame[64];
	struct wire_request	 req;
	size_t			 flen, bodylen = 0;

	(void)state;
	flen = wire_encode_request(frame, sizeof(frame), WIRE_OP_PORT2,
	    "node", 4);
	assert_int_equal(flen, 7);
	assert_memory_equal(frame, "\x00\x05znode", 7);
	assert_int_equal(frame_exact(frame, flen, &bodylen), WIRE_OK);
	assert_int_equal(decode_exact(frame + 2, bodylen, &req, NULL),
	    WIRE_OK);
	assert_int_equal(req.op, WIRE_OP_PORT2);
	assert_string_equal(req.node.name, "node");

	flen = wire_encode_request(frame, sizeof(frame), WIRE_OP_NAMES,
	    NULL, 0);
	assert_int_equal(flen, 3);
	assert_memory_equal(frame, "\x00\x01n", 3);
	assert_int_equal(frame_exact(frame, flen, &bodylen), WIRE_OK);
	assert_int_equal(decode_exact(frame + 2, bodylen, &req, NULL),
	    WIRE_OK);
	assert_int_equal(req.op, WIRE_OP_NAMES);
}

/* PORT2_RESP echoes the ALIVE2 record: 'w' 0 then the body after 'x'. */
static void
check_port2_resp_echo(const uint8_t *body, size_t len)
{
	struct wire_request	 req;
	uint8_t			 out[WIRE_MAX_PORT2_RESP];
	uint8_t			*small;
	size_t			 n, k;

	assert_int_equal(decode_exact(body, len, &req, NULL), WIRE_OK);
	n = wire_encode_port2_resp(out, sizeof(out), &req.node);
	assert_int_equal(n, len + 1);
	assert_int_equal(out[0], 'w');
	assert_int_equal(out[1], 0);
	assert_memory_equal(out + 2, body + 1, len - 1);
	/* Every buffer one byte short or less is refused untouched. */
	for (k = 0; k < n; k++) {
		small = dup_exact(out, k);
		assert_int_equal(wire_encode_port2_resp(small, k, &req.node),
		    0);
		free(small);
	}
	small = dup_exact(out, n);
	assert_int_equal(wire_encode_port2_resp(small, n, &req.node), n);
	free(small);
}

static void
test_wire_roundtrip_port2_resp(void **state)
{
	uint8_t	 body[WIRE_MAX_BODY];
	char	 name[WIRE_MAX_NAME_BYTES + 1];
	uint8_t	 extra[WIRE_MAX_EXTRA];
	size_t	 len, nlen;

	(void)state;
	check_port2_resp_echo(BYTES('x', 0x11, 0xd2, 77, 0, 0, 6, 0, 5, 0, 3,
	    'f', 'o', 'o', 0, 0));
	check_port2_resp_echo(BYTES('x', 0xff, 0xfe, 72, 0, 0, 5, 0, 5, 0, 1,
	    'a', 0, 2, 0xab, 0xcd));

	nlen = repeat(name, sizeof(name), CHAR4, 255);
	memset(extra, 0x77, sizeof(extra));
	len = alive2_body(body, sizeof(body), 65535, 77, 6, 5, name, nlen,
	    extra, sizeof(extra));
	assert_int_equal(len + 1, WIRE_MAX_PORT2_RESP);
	check_port2_resp_echo(body, len);
}

static void
test_wire_encode_port2_resp_not_found(void **state)
{
	uint8_t	 out[8];
	uint8_t	*small;

	(void)state;
	assert_int_equal(wire_encode_port2_resp(out, sizeof(out), NULL), 2);
	assert_memory_equal(out, "w\x01", 2);
	small = dup_exact(out, 1);
	assert_int_equal(wire_encode_port2_resp(small, 1, NULL), 0);
	free(small);
	small = dup_exact(out, 0);
	assert_int_equal(wire_encode_port2_resp(small, 0, NULL), 0);
	free(small);
}

static void
test_wire_encode_port2_resp_oversized_node(void **state)
{
	struct wire_node	*n;
	uint8_t			 out[WIRE_MAX_PORT2_RESP + 16];

	(void)state;
	n = calloc(1, sizeof(*n));
	assert_non_null(n);
	n->namelen = WIRE_MAX_NAME_BYTES + 1;
	assert_int_equal(wire_encode_port2_resp(out, sizeof(out), n), 0);
	n->namelen = 1;
	n->extralen = WIRE_MAX_EXTRA + 1;
	assert_int_equal(wire_encode_port2_resp(out, sizeof(out), n), 0);
	free(n);
}

struct alive2_resp_vec {
	uint16_t	 highvsn;
	uint8_t		 result;
	uint32_t	 creation;
	const uint8_t	*b;
	size_t		 len;
};

static const struct alive2_resp_vec alive2_resps[] = {
	{ 6, 0, 0x01020304, BYTES('v', 0, 0x01, 0x02, 0x03, 0x04) },
	{ 7, 0, 0xfffffffe, BYTES('v', 0, 0xff, 0xff, 0xff, 0xfe) },
	{ 6, 1, WIRE_ERROR_CREATION, BYTES('v', 1, 0, 0, 0, 0x63) },
	{ 5, 0, 3, BYTES('y', 0, 0, 3) },
	{ 5, 0, 0x12345, BYTES('y', 0, 0x23, 0x45) },
	{ 0, 0, 1, BYTES('y', 0, 0, 1) },
	{ 5, 1, WIRE_ERROR_CREATION, BYTES('y', 1, 0, 0x63) },
};

static void
test_wire_encode_alive2_resp_bytes(void **state)
{
	uint8_t	 out[16];
	uint8_t	*small;
	size_t	 i, k;

	(void)state;
	for (i = 0; i < NELEM(alive2_resps); i++) {
		const struct alive2_resp_vec	*v = &alive2_resps[i];

		memset(out, 0xcc, sizeof(out));
		assert_int_equal(wire_encode_alive2_resp(out, sizeof(out),
		    v->highvsn, v->result, v->creation), v->len);
		assert_memory_equal(out, v->b, v->len);
		assert_int_equal(out[v->len], 0xcc);
		for (k = 0; k < v->len; k++) {
			small = dup_exact(out, k);
			assert_int_equal(wire_encode_alive2_resp(small, k,
			    v->highvsn, v->result, v->creation), 0);
			free(small);
		}
	}
}

static void
test_wire_encode_port_header(void **state)
{
	uint8_t	 out[4];
	uint8_t	*small;
	size_t	 k;

	(void)state;
	assert_int_equal(wire_encode_port_header(out, 4, 4369), 4);
	assert_memory_equal(out, "\x00\x00\x11\x11", 4);
	assert_int_equal(wire_encode_port_header(out, 4, 0xdeadbeef), 4);
	assert_memory_equal(out, "\xde\xad\xbe\xef", 4);
	for (k = 0; k < 4; k++) {
		small = dup_exact(out, k);
		assert_int_equal(wire_encode_port_header(small, k, 1), 0);
		free(small);
	}
}

static size_t
enc_names(char *out, size_t outlen, const char *name, uint16_t port, int fd)
{
	(void)fd;
	return wire_encode_names_line(out, outlen, name, port);
}

/*
 * enc must write expect and return want (the bytes on the wire) into a
 * buffer of need bytes, and return 0 for every smaller buffer.
 */
static void
check_line(size_t (*enc)(char *, size_t, const char *, uint16_t, int),
    const char *name, uint16_t port, int fd, const char *expect,
    size_t want, size_t need)
{
	char	 out[2048];
	char	*small;
	size_t	 k;

	memset(out, 0xcc, sizeof(out));
	assert_int_equal(enc(out, sizeof(out), name, port, fd), want);
	assert_memory_equal(out, expect, want);
	for (k = 0; k < need; k++) {
		small = (char *)dup_exact(out, k);
		assert_int_equal(enc(small, k, name, port, fd), 0);
		free(small);
	}
	small = (char *)dup_exact(out, need);
	assert_int_equal(enc(small, need, name, port, fd), want);
	assert_memory_equal(small, expect, want);
	free(small);
}

static void
test_wire_encode_names_line(void **state)
{
	static const char	 l1[] = "name foo at port 4370\n";
	static const char	 l2[] = "name x@y at port 65535\n";

	(void)state;
	/* No NUL on the wire, but snprintf wants room for one. */
	check_line(enc_names, "foo", 4370, 0, l1, sizeof(l1) - 1,
	    sizeof(l1));
	check_line(enc_names, "x@y", 65535, 0, l2, sizeof(l2) - 1,
	    sizeof(l2));
}

static void
test_wire_encode_dump_lines(void **state)
{
	static const char	 a1[] = "active name     <foo> at port 4370, "
				    "fd = 7\n";
	static const char	 o1[] = "old/unused name <foo>, port = 4370, "
				    "fd = 7 \n";
	static const char	 o2[] = "old/unused name <n>, port = 1, "
				    "fd = -1 \n";

	(void)state;
	/* DUMP lines carry their NUL on the wire: it is in the length. */
	check_line(wire_encode_dump_active, "foo", 4370, 7, a1, sizeof(a1),
	    sizeof(a1));
	check_line(wire_encode_dump_old, "foo", 4370, 7, o1, sizeof(o1),
	    sizeof(o1));
	check_line(wire_encode_dump_old, "n", 1, -1, o2, sizeof(o2),
	    sizeof(o2));
}

static void
test_wire_encode_request_limits(void **state)
{
	static uint8_t	 payload[WIRE_MAX_BODY + 1];
	uint8_t		 frame[WIRE_MAX_BODY + 8];
	uint8_t		*small;
	size_t		 n, k, bodylen = 0;

	(void)state;
	memset(payload, 'a', sizeof(payload));
	/* The largest payload makes the largest frame stock accepts. */
	n = wire_encode_request(frame, sizeof(frame), WIRE_OP_PORT2, payload,
	    WIRE_MAX_BODY - 1);
	assert_int_equal(n, WIRE_MAX_BODY + 2);
	assert_int_equal(frame_exact(frame, n, &bodylen), WIRE_OK);
	assert_int_equal(bodylen, WIRE_MAX_BODY);
	assert_int_equal(wire_encode_request(frame, sizeof(frame),
	    WIRE_OP_PORT2, payload, WIRE_MAX_BODY), 0);
	assert_int_equal(wire_encode_request(frame, sizeof(frame),
	    WIRE_OP_PORT2, payload, (size_t)-1), 0);

	for (k = 0; k < 7; k++) {
		small = dup_exact(frame, k);
		assert_int_equal(wire_encode_request(small, k, WIRE_OP_STOP,
		    "node", 4), 0);
		free(small);
	}
	small = dup_exact(frame, 7);
	assert_int_equal(wire_encode_request(small, 7, WIRE_OP_STOP, "node",
	    4), 7);
	assert_memory_equal(small, "\x00\x05snode", 7);
	free(small);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wire_decode_valid_vectors),
		cmocka_unit_test(test_wire_frame_check_valid_vectors),
		cmocka_unit_test(test_wire_frame_check_largest),
		cmocka_unit_test(test_wire_frame_check_truncated_alive2),
		cmocka_unit_test(test_wire_frame_check_truncated_port2),
		cmocka_unit_test(test_wire_decode_truncated_alive2),
		cmocka_unit_test(test_wire_decode_truncated_port2),
		cmocka_unit_test(test_wire_frame_check_length_zero),
		cmocka_unit_test(test_wire_frame_check_length_too_big),
		cmocka_unit_test(test_wire_frame_check_trailing_bytes),
		cmocka_unit_test(test_wire_decode_empty_body),
		cmocka_unit_test(test_wire_decode_alive2_too_short),
		cmocka_unit_test(test_wire_decode_alive2_nlen_past_frame),
		cmocka_unit_test(test_wire_decode_alive2_elen_past_frame),
		cmocka_unit_test(test_wire_decode_alive2_nul_in_name),
		cmocka_unit_test(test_wire_decode_unknown_opcode),
		cmocka_unit_test(test_wire_decode_forget),
		cmocka_unit_test(test_wire_decode_port2_malformed),
		cmocka_unit_test(test_wire_decode_port2_limits),
		cmocka_unit_test(test_wire_decode_stop_vectors),
		cmocka_unit_test(test_wire_alive2_bad_name_vectors),
		cmocka_unit_test(test_wire_alive2_good_name_vectors),
		cmocka_unit_test(test_wire_alive2_empty_name),
		cmocka_unit_test(test_wire_alive2_name_limits),
		cmocka_unit_test(test_wire_alive2_extra_limits),
		cmocka_unit_test(test_wire_check_name_vectors),
		cmocka_unit_test(test_wire_check_name_every_control),
		cmocka_unit_test(test_wire_roundtrip_alive2),
		cmocka_unit_test(test_wire_roundtrip_port2_req),
		cmocka_unit_test(test_wire_roundtrip_port2_resp),
		cmocka_unit_test(test_wire_encode_port2_resp_not_found),
		cmocka_unit_test(test_wire_encode_port2_resp_oversized_node),
		cmocka_unit_test(test_wire_encode_alive2_resp_bytes),
		cmocka_unit_test(test_wire_encode_port_header),
		cmocka_unit_test(test_wire_encode_names_line),
		cmocka_unit_test(test_wire_encode_dump_lines),
		cmocka_unit_test(test_wire_encode_request_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
