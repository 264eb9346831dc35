/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_wire.c: libFuzzer target for the EPMD codec (wire.c only).
 *
 * Each input is tried twice: as bytes off a socket (wire_frame_check, then
 * the body if the frame is complete) and as a bare body, so the decoder
 * also sees lengths the frame check would refuse. Whatever decodes is
 * checked for the decoder's promises and re-encoded: PORT2_RESP must echo
 * the ALIVE2 record byte for byte, and an encoded request must decode to
 * the same node. A broken promise aborts, which libFuzzer reports.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
		    __LINE__, #x);					\
		abort();						\
	}								\
} while (0)

static void
put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Encode node as an ALIVE2_REQ frame, decode it back, compare. */
static void
reencode_alive2(const struct wire_node *n)
{
	static uint8_t		 payload[WIRE_MAX_BODY];
	static uint8_t		 frame[WIRE_MAX_BODY + 2];
	static struct wire_request again;
	size_t			 plen, flen, bodylen = 0;

	plen = 12 + (size_t)n->namelen + n->extralen;
	CHECK(plen < WIRE_MAX_BODY);
	put16(payload, n->port);
	payload[2] = n->type;
	payload[3] = n->proto;
	put16(payload + 4, n->highvsn);
	put16(payload + 6, n->lowvsn);
	put16(payload + 8, n->namelen);
	memcpy(payload + 10, n->name, n->namelen);
	put16(payload + 10 + n->namelen, n->extralen);
	memcpy(payload + 12 + n->namelen, n->extra, n->extralen);

	flen = wire_encode_request(frame, sizeof(frame), WIRE_OP_ALIVE2,
	    payload, plen);
	CHECK(flen == plen + 3);
	CHECK(wire_frame_check(frame, flen, &bodylen) == WIRE_OK);
	CHECK(bodylen == plen + 1);
	CHECK(wire_decode_request(frame + 2, bodylen, &again, NULL) == WIRE_OK);
	CHECK(again.op == WIRE_OP_ALIVE2);
	CHECK(again.node.port == n->port && again.node.type == n->type &&
	    again.node.proto == n->proto && again.node.highvsn == n->highvsn &&
	    again.node.lowvsn == n->lowvsn);
	CHECK(again.node.namelen == n->namelen);
	CHECK(memcmp(again.node.name, n->name, n->namelen + 1) == 0);
	CHECK(again.node.extralen == n->extralen);
	CHECK(memcmp(again.node.extra, n->extra, n->extralen) == 0);
}

/* Encode a name-only request (PORT2), decode it back, compare. */
static void
reencode_port2(const struct wire_node *n)
{
	static uint8_t		 frame[WIRE_MAX_BODY + 2];
	static struct wire_request again;
	size_t			 flen, bodylen = 0;

	flen = wire_encode_request(frame, sizeof(frame), WIRE_OP_PORT2,
	    n->name, n->namelen);
	CHECK(flen == (size_t)n->namelen + 3);
	CHECK(wire_frame_check(frame, flen, &bodylen) == WIRE_OK);
	CHECK(wire_decode_request(frame + 2, bodylen, &again, NULL) == WIRE_OK);
	CHECK(again.op == WIRE_OP_PORT2);
	CHECK(again.node.namelen == n->namelen);
	CHECK(memcmp(again.node.name, n->name, n->namelen + 1) == 0);
}

/* The text replies must fit a buffer sized for the longest name. */
static void
encode_lines(const struct wire_node *n)
{
	static char	 line[WIRE_MAX_NAME_BYTES + 128];
	size_t		 len;

	len = wire_encode_names_line(line, sizeof(line), n->name, n->port);
	CHECK(len > 0 && len == strlen(line) && line[len - 1] == '\n');
	len = wire_encode_dump_active(line, sizeof(line), n->name, n->port,
	    -1);
	CHECK(len > 0 && line[len - 1] == '\0' && len == strlen(line) + 1);
	len = wire_encode_dump_old(line, sizeof(line), n->name, n->port,
	    1 << 20);
	CHECK(len > 0 && line[len - 1] == '\0' && len == strlen(line) + 1);
}

static void
check_decoded(const uint8_t *body, size_t len)
{
	static struct wire_request	 req;
	static uint8_t			 out[WIRE_MAX_PORT2_RESP];
	const struct wire_node		*n = &req.node;
	enum wire_status		 st;
	const char			*errstr = NULL;
	size_t				 rlen;

	st = wire_decode_request(body, len, &req, &errstr);
	switch (st) {
	case WIRE_BAD_FRAME:
		CHECK(errstr != NULL);
		return;
	case WIRE_BAD_NAME:
		/* Only ALIVE2 is answered; the reply needs its version. */
		CHECK(req.op == WIRE_OP_ALIVE2);
		CHECK(errstr != NULL);
		/* The name may be kept for logs: a prefix of the one sent. */
		CHECK(len > 13 && n->namelen <= WIRE_MAX_NAME_BYTES);
		CHECK(n->namelen <= ((body[9] << 8) | body[10]));
		CHECK(memcmp(n->name, body + 11, n->namelen) == 0);
		CHECK(n->name[n->namelen] == '\0' && n->extralen == 0);
		CHECK(len > 13 && n->highvsn == ((body[5] << 8) | body[6]));
		rlen = wire_encode_alive2_resp(out, sizeof(out), n->highvsn, 1,
		    WIRE_ERROR_CREATION);
		CHECK(rlen == (n->highvsn >= 6 ? 6u : 4u));
		return;
	case WIRE_OK:
		break;
	default:
		CHECK(!"unexpected status");
	}

	CHECK(len >= 1 && req.op == body[0]);
	switch (req.op) {
	case WIRE_OP_ALIVE2:
		CHECK(wire_check_name(n->name, n->namelen, NULL) == WIRE_OK);
		CHECK(strlen(n->name) == n->namelen);
		CHECK(n->extralen <= WIRE_MAX_EXTRA);
		CHECK(len >= 13 + (size_t)n->namelen + n->extralen);
		/* PORT2_RESP is 'w' 0 and the record exactly as received. */
		rlen = wire_encode_port2_resp(out, sizeof(out), n);
		CHECK(rlen == 14 + (size_t)n->namelen + n->extralen);
		CHECK(out[0] == WIRE_RESP_PORT2 && out[1] == 0);
		CHECK(memcmp(out + 2, body + 1, rlen - 2) == 0);
		CHECK(wire_encode_port2_resp(out, rlen - 1, n) == 0);
		rlen = wire_encode_alive2_resp(out, sizeof(out), n->highvsn, 0,
		    0x01020304);
		CHECK(rlen == (n->highvsn >= 6 ? 6u : 4u));
		reencode_alive2(n);
		encode_lines(n);
		break;
	case WIRE_OP_PORT2:
		CHECK(n->namelen >= 1 && n->namelen <= WIRE_MAX_NAME_BYTES);
		CHECK(strlen(n->name) == n->namelen);
		CHECK(memcmp(n->name, body + 1, n->namelen) == 0);
		reencode_port2(n);
		encode_lines(n);
		break;
	case WIRE_OP_STOP:
	case WIRE_OP_FORGET:	/* ours (-forget), framed as STOP */
		CHECK(n->namelen <= WIRE_MAX_NAME_BYTES);
		CHECK(strlen(n->name) == n->namelen);
		CHECK(memcmp(n->name, body + 1, n->namelen) == 0);
		break;
	case WIRE_OP_NAMES:
	case WIRE_OP_DUMP:
	case WIRE_OP_KILL:
		break;
	default:
		CHECK(!"unknown opcode decoded");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t		 bodylen = 0, want;
	enum wire_status st;

	st = wire_frame_check(data, size, &bodylen);
	want = size >= 2 ? ((size_t)data[0] << 8 | data[1]) : 0;
	switch (st) {
	case WIRE_OK:
		CHECK(want >= 1 && want <= WIRE_MAX_BODY);
		CHECK(bodylen == want && size == want + 2);
		check_decoded(data + 2, bodylen);
		break;
	case WIRE_NEED_MORE:
		CHECK(size < 2 || (want >= 1 && want <= WIRE_MAX_BODY &&
		    size < want + 2));
		break;
	case WIRE_BAD_FRAME:
		CHECK(size >= 2 && (want == 0 || want > WIRE_MAX_BODY ||
		    size > want + 2));
		break;
	default:
		CHECK(!"unexpected frame status");
	}

	check_decoded(data, size);
	return 0;
}
