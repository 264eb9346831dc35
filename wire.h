/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wire.h: the EPMD codec. Pure: no sockets, no logging, no globals.
 *
 * A request is a 2-byte big-endian length followed by that many bytes, the
 * first of which is the opcode. wire_frame_check() says whether a buffer
 * holds a complete, well-sized frame; wire_decode_request() turns the body
 * into a struct with fixed-size fields and validates meaning after syntax.
 * The encoders write replies into caller-supplied buffers and return the
 * number of bytes written, or 0 if the buffer is too small.
 */
#ifndef WIRE_H
#define WIRE_H

#include <stddef.h>
#include <stdint.h>

/* Stock epmd buffers 3058 bytes including the length header's room. */
#define WIRE_MAX_BODY		3057
#define WIRE_MAX_NAME_CHARS	255
#define WIRE_MAX_NAME_BYTES	1020	/* 255 code points of up to 4 bytes */
#define WIRE_MAX_EXTRA		1020
/* A name escaped by util_escape(): up to 4 output bytes per input byte. */
#define WIRE_ESCAPED_MAX	(WIRE_MAX_NAME_BYTES * 4 + 1)
/* Largest PORT2_RESP: 12 header bytes, name, 2, extra. */
#define WIRE_MAX_PORT2_RESP	(12 + WIRE_MAX_NAME_BYTES + 2 + WIRE_MAX_EXTRA)

enum wire_op {
	WIRE_OP_DUMP	= 100,	/* 'd' */
	WIRE_OP_KILL	= 107,	/* 'k' */
	WIRE_OP_NAMES	= 110,	/* 'n' */
	WIRE_OP_STOP	= 115,	/* 's' */
	WIRE_OP_FORGET	= 102,	/* 'f': ours: forget a sticky owner (root) */
	WIRE_OP_ALIVE2	= 120,	/* 'x' */
	WIRE_OP_PORT2	= 122,	/* 'z' */
};

enum wire_resp {
	WIRE_RESP_ALIVE2_X	= 118,	/* 'v', creation:u32 */
	WIRE_RESP_PORT2		= 119,	/* 'w' */
	WIRE_RESP_ALIVE2	= 121,	/* 'y', creation:u16 */
};

enum wire_status {
	WIRE_OK = 0,
	WIRE_NEED_MORE,		/* frame incomplete: read more */
	WIRE_BAD_FRAME,		/* close without reply */
	WIRE_BAD_NAME,		/* ALIVE2 well framed but refused: reply result 1 */
};

/* Creation value stock sends with a refused registration. */
#define WIRE_ERROR_CREATION	99

/* A node record as registered and as echoed by PORT2_RESP. */
struct wire_node {
	uint16_t	port;
	uint8_t		type;		/* 77 normal, 72 hidden */
	uint8_t		proto;
	uint16_t	highvsn;
	uint16_t	lowvsn;
	uint16_t	namelen;	/* bytes */
	char		name[WIRE_MAX_NAME_BYTES + 1];	/* NUL-terminated */
	uint16_t	extralen;
	uint8_t		extra[WIRE_MAX_EXTRA];
};

struct wire_request {
	enum wire_op	op;
	/* ALIVE2: the record. PORT2 and STOP: name and namelen only. */
	struct wire_node node;
};

/*
 * Check the frame at the start of buf. WIRE_OK sets *bodylen and means
 * buf holds exactly one frame; WIRE_NEED_MORE means wait for more bytes;
 * WIRE_BAD_FRAME means a length of 0 or over WIRE_MAX_BODY, or bytes past
 * the end of the frame (stock closes on both).
 */
enum wire_status wire_frame_check(const uint8_t *buf, size_t len,
    size_t *bodylen);

/*
 * Decode one frame body (opcode first). WIRE_OK: *req is filled.
 * WIRE_BAD_FRAME: close without reply (errstr says why). WIRE_BAD_NAME:
 * an ALIVE2 that is well framed but whose name or extra is refused;
 * req->op is set and the caller replies result 1 with creation 99.
 * errstr may be NULL; it is set to a static string otherwise.
 */
enum wire_status wire_decode_request(const uint8_t *body, size_t len,
    struct wire_request *req, const char **errstr);

/* Validate a node name: 1..255 code points of UTF-8, no control chars. */
enum wire_status wire_check_name(const char *name, size_t len,
    const char **errstr);

/* Encode an ALIVE2 reply for a node of the given highest version. */
size_t wire_encode_alive2_resp(uint8_t *out, size_t outlen,
    uint16_t highvsn, uint8_t result, uint32_t creation);

/* Encode PORT2_RESP: the whole record if node is non-NULL, else `w` 1. */
size_t wire_encode_port2_resp(uint8_t *out, size_t outlen,
    const struct wire_node *node);

/* Encode the 4-byte port header of NAMES and DUMP replies. */
size_t wire_encode_port_header(uint8_t *out, size_t outlen, uint32_t port);

/* Encode one NAMES line: "name %s at port %d\n". */
size_t wire_encode_names_line(char *out, size_t outlen,
    const char *name, uint16_t port);

/* Encode one DUMP line of an active node, NUL included. */
size_t wire_encode_dump_active(char *out, size_t outlen,
    const char *name, uint16_t port, int fd);

/* Encode one DUMP line of a remembered (freed) name, NUL included. */
size_t wire_encode_dump_old(char *out, size_t outlen,
    const char *name, uint16_t port, int fd);

/* Encode a request frame (client side): length, opcode, payload. */
size_t wire_encode_request(uint8_t *out, size_t outlen, enum wire_op op,
    const void *payload, size_t paylen);

#endif
