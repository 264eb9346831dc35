/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_logfmt.c: libFuzzer target for logfmt.c's escaping.
 *
 * The first byte is the output size for a cut run; the rest is a node
 * name. The escaped text is decoded back with a JSON-string decoder
 * written here (the escapes go-logfmt accepts) and must give the name's
 * exact bytes when the name is valid UTF-8, and the name with each
 * invalid byte replaced by U+FFFD otherwise. The escaped text must hold no
 * raw control byte or unescaped quote, and a cut run must be a prefix of
 * the full one ending on a whole character.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
		    __LINE__, #x);					\
		abort();						\
	}								\
} while (0)

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

/* Encode code point c as UTF-8 at out; its length. */
static size_t
put_utf8(uint8_t *out, uint32_t c)
{
	if (c < 0x80) {
		out[0] = (uint8_t)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (uint8_t)(0xc0 | c >> 6);
		out[1] = (uint8_t)(0x80 | (c & 0x3f));
		return 2;
	}
	out[0] = (uint8_t)(0xe0 | c >> 12);
	out[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
	out[2] = (uint8_t)(0x80 | (c & 0x3f));
	return 3;
}

static int
hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* JSON-string decoding of e[0..n) into out; its length. */
static size_t
decode(const uint8_t *e, size_t n, uint8_t *out)
{
	size_t		 i = 0, o = 0, k;
	uint32_t	 c;

	while (i < n) {
		CHECK(e[i] >= 0x20 && e[i] != 0x7f && e[i] != '"');
		if (e[i] != '\\') {
			out[o++] = e[i++];
			continue;
		}
		CHECK(i + 1 < n);
		switch (e[i + 1]) {
		case '"': case '\\':
			out[o++] = e[i + 1];
			i += 2;
			break;
		case 'n': out[o++] = '\n'; i += 2; break;
		case 'r': out[o++] = '\r'; i += 2; break;
		case 't': out[o++] = '\t'; i += 2; break;
		case 'u':
			CHECK(i + 6 <= n);
			for (c = 0, k = 2; k < 6; k++) {
				CHECK(hexval(e[i + k]) >= 0);
				c = c << 4 | (uint32_t)hexval(e[i + k]);
			}
			CHECK(c < 0xd800 || c > 0xdfff);
			o += put_utf8(out + o, c);
			i += 6;
			break;
		default:
			CHECK(!"unknown escape");
		}
	}
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const uint8_t	*in;
	uint8_t		*want, *got;
	char		*full, *cut;
	size_t		 inlen, flen, clen, wlen, glen, i, l, outlen;
	int		 inv, tr, inv2, tr2, any_invalid = 0;

	if (n < 1)
		return 0;
	outlen = d[0];
	in = d + 1;
	inlen = n - 1;

	/* The reference: the name with each invalid byte as U+FFFD. */
	want = malloc(inlen * 3 + 1);
	CHECK(want != NULL);
	for (i = 0, wlen = 0; i < inlen; i += l) {
		l = seq_len(in + i, inlen - i);
		if (l == 0) {
			memcpy(want + wlen, "\xef\xbf\xbd", 3);
			wlen += 3;
			l = 1;
			any_invalid = 1;
		} else {
			memcpy(want + wlen, in + i, l);
			wlen += l;
		}
	}

	full = malloc(inlen * LOGFMT_ESCAPE_MAX + 1);
	CHECK(full != NULL);
	flen = logfmt_escape(full, inlen * LOGFMT_ESCAPE_MAX + 1,
	    (const char *)in, inlen, &inv, &tr);
	CHECK(tr == 0 && inv == any_invalid);
	CHECK(full[flen] == '\0' && strlen(full) == flen);
	got = malloc(flen + 1);
	CHECK(got != NULL);
	glen = decode((const uint8_t *)full, flen, got);
	CHECK(glen == wlen && memcmp(got, want, wlen) == 0);

	/* A cut run is a prefix that decodes to a prefix. */
	cut = malloc(outlen + 1);
	CHECK(cut != NULL);
	clen = logfmt_escape(cut, outlen, (const char *)in, inlen, &inv2, &tr2);
	CHECK(inv2 == inv);
	if (outlen == 0) {
		CHECK(clen == 0);
	} else {
		CHECK(clen < outlen && cut[clen] == '\0');
		CHECK(clen <= flen && memcmp(cut, full, clen) == 0);
		CHECK(tr2 == (clen < flen));
		glen = decode((const uint8_t *)cut, clen, got);
		CHECK(glen <= wlen && memcmp(got, want, glen) == 0);
	}
	free(cut);
	free(got);
	free(full);
	free(want);
	return 0;
}
