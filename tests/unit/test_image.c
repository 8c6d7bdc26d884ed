/*
 * test_image.c: avatar sniffing (api/image.c). Real tiny images, as byte
 * arrays, are recognised with their sizes; every proper prefix of each is
 * IMAGE_CORRUPT; every single-byte change gives some verdict and no crash
 * (each probe reads a heap copy of exactly its length, so that the SAN
 * build catches a read past the end); pixel floods are IMAGE_TOO_LARGE;
 * other files are IMAGE_UNSUPPORTED.
 *
 * How the images were made (none copied from elsewhere):
 *   png_2x3            Python zlib/struct: 2x3 RGB, red
 *   jpeg_8x8           by hand: 8x8 grey baseline JPEG, quantisation all 1,
 *                      one-code Huffman tables, one block of DC 0 and EOB
 *   gif_1x1            by hand: GIF89a, 2-colour table, one LZW pixel
 *   webp_lossless_1x1  cwebp -lossless of a 1x1 PNG made with Pillow
 *   webp_lossy_1x1     cwebp of the same PNG
 *   webp_extended_1x1  a VP8X chunk (1x1 canvas) before the lossless chunk
 * Each decodes with Pillow (and the JPEG with djpeg) to what is said.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../api/image.h"
#include "../../api/limits.h"

static const unsigned char png_2x3[] = {
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d,
	0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03,
	0x08, 0x02, 0x00, 0x00, 0x00, 0x36, 0x88, 0x49, 0xd6, 0x00, 0x00, 0x00,
	0x10, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0x00,
	0x44, 0x0c, 0x28, 0x14, 0x00, 0x44, 0xd0, 0x05, 0xfb, 0xa4, 0xcf, 0xde,
	0x80, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60,
	0x82,
};

static const unsigned char jpeg_8x8[] = {
	0xff, 0xd8, 0xff, 0xdb, 0x00, 0x43, 0x00, 0x01, 0x01, 0x01, 0x01, 0x01,
	0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
	0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
	0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
	0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
	0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0xff,
	0xc0, 0x00, 0x0b, 0x08, 0x00, 0x08, 0x00, 0x08, 0x01, 0x01, 0x11, 0x00,
	0xff, 0xc4, 0x00, 0x14, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xc4,
	0x00, 0x14, 0x10, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xda, 0x00, 0x08,
	0x01, 0x01, 0x00, 0x00, 0x3f, 0x00, 0x3f, 0xff, 0xd9,
};

static const unsigned char gif_1x1[] = {
	0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00,
	0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x2c, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
};

static const unsigned char webp_lossless_1x1[] = {
	0x52, 0x49, 0x46, 0x46, 0x1c, 0x00, 0x00, 0x00, 0x57, 0x45, 0x42, 0x50,
	0x56, 0x50, 0x38, 0x4c, 0x10, 0x00, 0x00, 0x00, 0x2f, 0x00, 0x00, 0x00,
	0x00, 0x07, 0x50, 0xc0, 0xe8, 0x7f, 0xff, 0x03, 0x11, 0xd1, 0xff, 0x00,
};

static const unsigned char webp_lossy_1x1[] = {
	0x52, 0x49, 0x46, 0x46, 0x3c, 0x00, 0x00, 0x00, 0x57, 0x45, 0x42, 0x50,
	0x56, 0x50, 0x38, 0x20, 0x30, 0x00, 0x00, 0x00, 0x10, 0x02, 0x00, 0x9d,
	0x01, 0x2a, 0x01, 0x00, 0x01, 0x00, 0x02, 0x00, 0x34, 0x25, 0xa0, 0x02,
	0x74, 0xba, 0x01, 0xf8, 0x01, 0xf8, 0x00, 0x03, 0xc8, 0x00, 0xfe, 0xea,
	0x65, 0xff, 0xfd, 0xa5, 0x90, 0x85, 0x75, 0xff, 0x41, 0xaf, 0xfe, 0xbd,
	0x0e, 0x17, 0x65, 0x7e, 0x1e, 0x00, 0x00, 0x00,
};

static const unsigned char webp_extended_1x1[] = {
	0x52, 0x49, 0x46, 0x46, 0x2e, 0x00, 0x00, 0x00, 0x57, 0x45, 0x42, 0x50,
	0x56, 0x50, 0x38, 0x58, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x56, 0x50, 0x38, 0x4c, 0x10, 0x00,
	0x00, 0x00, 0x2f, 0x00, 0x00, 0x00, 0x00, 0x07, 0x50, 0xc0, 0xe8, 0x7f,
	0xff, 0x03, 0x11, 0xd1, 0xff, 0x00,
};

struct sample {
	const char *name;
	const unsigned char *data;
	size_t len;
	enum image_type type;
	uint32_t width, height;
};

#define SAMPLE(a, t, w, h) { #a, a, sizeof(a), t, w, h }

static const struct sample samples[] = {
	SAMPLE(png_2x3, IMAGE_PNG, 2, 3),
	SAMPLE(jpeg_8x8, IMAGE_JPEG, 8, 8),
	SAMPLE(gif_1x1, IMAGE_GIF, 1, 1),
	SAMPLE(webp_lossless_1x1, IMAGE_WEBP, 1, 1),
	SAMPLE(webp_lossy_1x1, IMAGE_WEBP, 1, 1),
	SAMPLE(webp_extended_1x1, IMAGE_WEBP, 1, 1),
};

#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

/* image_probe() on a heap copy of exactly len bytes of data. */
static enum image_verdict
probe(const void *data, size_t len, struct image_info *info)
{
	unsigned char *copy = malloc(len ? len : 1);
	enum image_verdict v;

	assert_non_null(copy);
	memcpy(copy, data, len);
	v = image_probe(copy, len, info);
	free(copy);
	return v;
}

static void
samples_recognised(void **state)
{
	struct image_info info;
	size_t i;

	(void)state;
	for (i = 0; i < NSAMPLES; i++) {
		const struct sample *s = &samples[i];
		if (probe(s->data, s->len, &info) != IMAGE_OK)
			fail_msg("%s is not recognised", s->name);
		assert_int_equal(info.type, s->type);
		assert_int_equal(info.width, s->width);
		assert_int_equal(info.height, s->height);
	}
}

static void
trailing_bytes_ignored(void **state)
{
	unsigned char buf[512];
	struct image_info info;
	size_t i;

	(void)state;
	for (i = 0; i < NSAMPLES; i++) {
		const struct sample *s = &samples[i];
		memcpy(buf, s->data, s->len);
		memset(buf + s->len, 'x', 100);
		if (probe(buf, s->len + 100, &info) != IMAGE_OK)
			fail_msg("%s with bytes after it", s->name);
		assert_int_equal(info.width, s->width);
	}
}

static void
every_prefix_is_corrupt(void **state)
{
	struct image_info info;
	size_t i, n;

	(void)state;
	for (i = 0; i < NSAMPLES; i++) {
		const struct sample *s = &samples[i];
		for (n = 1; n < s->len; n++) {
			enum image_verdict v = probe(s->data, n, &info);
			if (v != IMAGE_CORRUPT)
				fail_msg("%s cut to %zu bytes: verdict %d", s->name,
				    n, v);
			assert_int_equal(info.type, s->type);
		}
	}
	assert_int_equal(probe("", 0, &info), IMAGE_UNSUPPORTED);
}

/* Every byte of every sample set to a few other values: any verdict will
 * do, but no crash and no read outside the buffer. */
static void
every_byte_changed(void **state)
{
	static const int deltas[] = { 0x01, 0x80, 0xff, -1, -2 };
	unsigned char buf[512];
	struct image_info info;
	size_t i, pos, k;
	int ok = 0;

	(void)state;
	for (i = 0; i < NSAMPLES; i++) {
		const struct sample *s = &samples[i];
		for (pos = 0; pos < s->len; pos++) {
			for (k = 0; k < sizeof(deltas) / sizeof(deltas[0]); k++) {
				memcpy(buf, s->data, s->len);
				if (deltas[k] == -1)
					buf[pos] = 0x00;
				else if (deltas[k] == -2)
					buf[pos] = 0xff;
				else
					buf[pos] ^= (unsigned char)deltas[k];
				if (probe(buf, s->len, &info) == IMAGE_OK)
					ok++;
				/* and the changed image cut short */
				(void)probe(buf, s->len - 1, &info);
				(void)probe(buf, pos + 1, &info);
			}
		}
	}
	/* Some changes are harmless (a pixel's value): not all refused. */
	assert_true(ok > 0);
}

/* Pseudo-random bytes after each signature: no crash. */
static void
noise_after_signatures(void **state)
{
	static const char *const sigs[] = { "\x89PNG\r\n\x1a\n", "\xff\xd8\xff",
	    "GIF89a", "RIFF\x40\0\0\0WEBPVP8X" };
	unsigned char buf[256];
	struct image_info info;
	uint32_t x = 12345;
	size_t i, round, j, n;

	(void)state;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		n = i == 3 ? 16 : strlen(sigs[i]);
		for (round = 0; round < 2000; round++) {
			memcpy(buf, sigs[i], n);
			for (j = n; j < sizeof(buf); j++) {
				x = x * 1103515245u + 12345u;
				buf[j] = (unsigned char)(x >> 16);
			}
			(void)probe(buf, n + round % (sizeof(buf) - n), &info);
		}
	}
}

/* --- pixel floods ------------------------------------------------------- */

/* CRC-32 with a table: a second implementation, to check the first. */
static uint32_t
crc_table_crc(const unsigned char *p, size_t n)
{
	static uint32_t table[256];
	uint32_t c;
	size_t i;
	int k;

	if (table[1] == 0)
		for (i = 0; i < 256; i++) {
			c = (uint32_t)i;
			for (k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	c = 0xffffffffu;
	for (i = 0; i < n; i++)
		c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static size_t
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
	return 4;
}

/* Appends a PNG chunk at p; returns its size. */
static size_t
png_chunk(unsigned char *p, const char *type, const void *data, uint32_t n)
{
	put_be32(p, n);
	memcpy(p + 4, type, 4);
	memcpy(p + 8, data, n);
	put_be32(p + 8 + n, crc_table_crc(p + 4, n + 4));
	return 12 + n;
}

/* A PNG whose IHDR says w x h (the IDAT is not a real image: the probe
 * does not inflate). Returns its length. */
static size_t
png_of(unsigned char *buf, uint32_t w, uint32_t h)
{
	unsigned char ihdr[13] = { 0 };
	size_t n = 8;

	memcpy(buf, "\x89PNG\r\n\x1a\n", 8);
	put_be32(ihdr, w);
	put_be32(ihdr + 4, h);
	ihdr[8] = 8;
	ihdr[9] = 2;
	n += png_chunk(buf + n, "IHDR", ihdr, 13);
	n += png_chunk(buf + n, "IDAT", "\x78\x9c\x03\x00\x00\x00\x00\x01", 8);
	n += png_chunk(buf + n, "IEND", "", 0);
	return n;
}

static void
png_bounds(void **state)
{
	unsigned char buf[128];
	struct image_info info;
	size_t n;

	(void)state;
	/* The table CRC agrees with the sample's own CRCs. */
	n = png_of(buf, 2, 3);
	assert_int_equal(probe(buf, n, &info), IMAGE_OK);
	n = png_of(buf, IMAGE_MAX_SIDE, IMAGE_MAX_SIDE);
	assert_int_equal(probe(buf, n, &info), IMAGE_OK);
	assert_int_equal(info.width, IMAGE_MAX_SIDE);
	n = png_of(buf, IMAGE_MAX_SIDE + 1, 1);
	assert_int_equal(probe(buf, n, &info), IMAGE_TOO_LARGE);
	assert_int_equal(info.width, IMAGE_MAX_SIDE + 1);
	n = png_of(buf, 1, 100000);
	assert_int_equal(probe(buf, n, &info), IMAGE_TOO_LARGE);
	n = png_of(buf, 0x7fffffff, 0x7fffffff);
	assert_int_equal(probe(buf, n, &info), IMAGE_TOO_LARGE);
	n = png_of(buf, 0, 1);
	assert_int_equal(probe(buf, n, &info), IMAGE_CORRUPT);
	n = png_of(buf, 0x80000000u, 1);  /* PNG allows 2^31-1 at most */
	assert_int_equal(probe(buf, n, &info), IMAGE_CORRUPT);
}

static void
png_corrupt(void **state)
{
	unsigned char buf[128];
	struct image_info info;
	size_t n;

	(void)state;
	/* A wrong CRC in any chunk. */
	memcpy(buf, png_2x3, sizeof(png_2x3));
	buf[sizeof(png_2x3) - 20] ^= 0x40; /* inside IDAT */
	assert_int_equal(probe(buf, sizeof(png_2x3), &info), IMAGE_CORRUPT);
	/* IHDR not first: an IEND straight after the signature. */
	n = 8 + png_chunk(buf + 8, "IEND", "", 0);
	assert_int_equal(probe(buf, n, &info), IMAGE_CORRUPT);
	/* No IDAT before IEND. */
	n = png_of(buf, 1, 1);
	n = 8 + 25; /* signature and IHDR */
	n += png_chunk(buf + n, "IEND", "", 0);
	assert_int_equal(probe(buf, n, &info), IMAGE_CORRUPT);
	/* A chunk length past the end. */
	memcpy(buf, png_2x3, sizeof(png_2x3));
	put_be32(buf + 8 + 25, 0x7ffffff0);
	assert_int_equal(probe(buf, sizeof(png_2x3), &info), IMAGE_CORRUPT);
}

/* An APNG's frames count together. */
static void
png_animation_bounds(void **state)
{
	unsigned char buf[4096], ihdr[13] = { 0 }, fctl[26] = { 0 };
	struct image_info info;
	size_t n = 8, i;

	(void)state;
	memcpy(buf, "\x89PNG\r\n\x1a\n", 8);
	put_be32(ihdr, IMAGE_MAX_SIDE);
	put_be32(ihdr + 4, IMAGE_MAX_SIDE);
	ihdr[8] = 8;
	ihdr[9] = 6;
	n += png_chunk(buf + n, "IHDR", ihdr, 13);
	n += png_chunk(buf + n, "acTL", "\0\0\0\x10\0\0\0\0", 8);
	for (i = 0; i < 5; i++) {
		put_be32(fctl, (uint32_t)i);
		put_be32(fctl + 4, IMAGE_MAX_SIDE);
		put_be32(fctl + 8, IMAGE_MAX_SIDE);
		n += png_chunk(buf + n, "fcTL", fctl, 26);
	}
	n += png_chunk(buf + n, "IDAT", "\x78\x9c\x03\x00\x00\x00\x00\x01", 8);
	n += png_chunk(buf + n, "IEND", "", 0);
	assert_int_equal(probe(buf, n, &info), IMAGE_TOO_LARGE);
}

static void
jpeg_bounds(void **state)
{
	unsigned char buf[sizeof(jpeg_8x8)];
	struct image_info info;
	/* SOF0 sits after SOI (2) and the DQT segment (2 + 67). */
	size_t sof = 2 + 2 + 67;

	(void)state;
	assert_int_equal(jpeg_8x8[sof], 0xff);
	assert_int_equal(jpeg_8x8[sof + 1], 0xc0);
	memcpy(buf, jpeg_8x8, sizeof(buf));
	buf[sof + 5] = 0xff; /* height 0xff08 */
	assert_int_equal(probe(buf, sizeof(buf), &info), IMAGE_TOO_LARGE);
	assert_int_equal(info.height, 0xff08);
	memcpy(buf, jpeg_8x8, sizeof(buf));
	buf[sof + 5] = 0x10; /* height 4096 + 8 */
	assert_int_equal(probe(buf, sizeof(buf), &info), IMAGE_TOO_LARGE);
	buf[sof + 5] = 0x0f; /* height 3848 */
	buf[sof + 7] = 0x10; /* width 4104 */
	assert_int_equal(probe(buf, sizeof(buf), &info), IMAGE_TOO_LARGE);
	buf[sof + 7] = 0x0f; /* 3848 x 3848 */
	assert_int_equal(probe(buf, sizeof(buf), &info), IMAGE_OK);
	assert_int_equal(info.width, 3848);
	buf[sof + 5] = 0; /* height 0 (DNL) */
	buf[sof + 6] = 0;
	assert_int_equal(probe(buf, sizeof(buf), &info), IMAGE_CORRUPT);
}

static void
jpeg_kinds(void **state)
{
	unsigned char buf[sizeof(jpeg_8x8)];
	struct image_info info;
	size_t sof = 2 + 2 + 67, sos;

	(void)state;
	/* Progressive (SOF2) and extended (SOF1) frames are read. */
	memcpy(buf, jpeg_8x8, sizeof(buf));
	buf[sof + 1] = 0xc2;
	assert_int_equal(probe(buf, sizeof(buf), &info), IMAGE_OK);
	buf[sof + 1] = 0xc1;
	assert_int_equal(probe(buf, sizeof(buf), &info), IMAGE_OK);
	/* Lossless and arithmetic-coded frames are not shown by browsers. */
	buf[sof + 1] = 0xc3;
	assert_int_equal(probe(buf, sizeof(buf), &info), IMAGE_UNSUPPORTED);
	buf[sof + 1] = 0xc9;
	assert_int_equal(probe(buf, sizeof(buf), &info), IMAGE_UNSUPPORTED);
	/* A scan before any frame. */
	memcpy(buf, jpeg_8x8, sizeof(buf));
	buf[sof + 1] = 0xfe; /* the frame becomes a comment */
	assert_int_equal(probe(buf, sizeof(buf), &info), IMAGE_CORRUPT);
	/* No EOI after the scan. */
	memcpy(buf, jpeg_8x8, sizeof(buf));
	buf[sizeof(buf) - 1] = 0xd8;
	assert_int_equal(probe(buf, sizeof(buf), &info), IMAGE_CORRUPT);
	/* Fill bytes before a marker are allowed. */
	{
		unsigned char fill[sizeof(jpeg_8x8) + 3];
		memcpy(fill, jpeg_8x8, sof);
		memset(fill + sof, 0xff, 3);
		memcpy(fill + sof + 3, jpeg_8x8 + sof, sizeof(jpeg_8x8) - sof);
		assert_int_equal(probe(fill, sizeof(fill), &info), IMAGE_OK);
	}
	/* The scan header of the sample is where it should be. */
	sos = sizeof(jpeg_8x8) - 2 - 1 - 10;
	assert_int_equal(jpeg_8x8[sos], 0xff);
	assert_int_equal(jpeg_8x8[sos + 1], 0xda);
}

/* A GIF of a w x h screen with nframes frames of fw x fh (LZW data that
 * is not a real image: the probe does not decode). */
static size_t
gif_of(unsigned char *buf, unsigned w, unsigned h, unsigned nframes,
    unsigned fw, unsigned fh)
{
	size_t n = 0;
	unsigned i;

	memcpy(buf, "GIF89a", 6);
	n = 6;
	buf[n++] = (unsigned char)w;
	buf[n++] = (unsigned char)(w >> 8);
	buf[n++] = (unsigned char)h;
	buf[n++] = (unsigned char)(h >> 8);
	buf[n++] = 0; /* no global table */
	buf[n++] = 0;
	buf[n++] = 0;
	/* a graphic control extension */
	memcpy(buf + n, "\x21\xf9\x04\x00\x0a\x00\x00\x00", 8);
	n += 8;
	for (i = 0; i < nframes; i++) {
		buf[n++] = 0x2c;
		memset(buf + n, 0, 4);
		n += 4;
		buf[n++] = (unsigned char)fw;
		buf[n++] = (unsigned char)(fw >> 8);
		buf[n++] = (unsigned char)fh;
		buf[n++] = (unsigned char)(fh >> 8);
		buf[n++] = 0x80; /* a local table of 2 colours */
		memset(buf + n, 0, 6);
		n += 6;
		memcpy(buf + n, "\x02\x02\x44\x01\x00", 5);
		n += 5;
	}
	buf[n++] = 0x3b;
	return n;
}

static void
gif_bounds(void **state)
{
	unsigned char buf[1024];
	struct image_info info;
	size_t n;

	(void)state;
	n = gif_of(buf, 300, 200, 1, 300, 200);
	assert_int_equal(probe(buf, n, &info), IMAGE_OK);
	assert_int_equal(info.width, 300);
	assert_int_equal(info.height, 200);
	n = gif_of(buf, 65535, 65535, 1, 1, 1);
	assert_int_equal(probe(buf, n, &info), IMAGE_TOO_LARGE);
	/* A small screen with a frame far larger than it. */
	n = gif_of(buf, 10, 10, 1, 65535, 65535);
	assert_int_equal(probe(buf, n, &info), IMAGE_TOO_LARGE);
	/* Full-screen frames: 4 fit, the fifth is too many. */
	n = gif_of(buf, IMAGE_MAX_SIDE, IMAGE_MAX_SIDE, 4, IMAGE_MAX_SIDE,
	    IMAGE_MAX_SIDE);
	assert_int_equal(probe(buf, n, &info), IMAGE_OK);
	n = gif_of(buf, IMAGE_MAX_SIDE, IMAGE_MAX_SIDE, 5, IMAGE_MAX_SIDE,
	    IMAGE_MAX_SIDE);
	assert_int_equal(probe(buf, n, &info), IMAGE_TOO_LARGE);
	/* No frame at all. */
	n = gif_of(buf, 10, 10, 0, 0, 0);
	assert_int_equal(probe(buf, n, &info), IMAGE_CORRUPT);
	/* A stray byte where a block should start. */
	n = gif_of(buf, 10, 10, 1, 10, 10);
	buf[n - 1] = 0x00;
	buf[n++] = 0x3b;
	assert_int_equal(probe(buf, n, &info), IMAGE_CORRUPT);
}

static void
webp_bounds(void **state)
{
	unsigned char buf[sizeof(webp_extended_1x1)];
	unsigned char l[sizeof(webp_lossless_1x1)];
	unsigned char y[sizeof(webp_lossy_1x1)];
	struct image_info info;

	(void)state;
	/* VP8X canvas 16384 x 16384 (width-1, height-1 in 24 bits). */
	memcpy(buf, webp_extended_1x1, sizeof(buf));
	buf[24] = 0xff;
	buf[25] = 0x3f;
	buf[27] = 0xff;
	buf[28] = 0x3f;
	assert_int_equal(probe(buf, sizeof(buf), &info), IMAGE_TOO_LARGE);
	assert_int_equal(info.width, 16384);
	/* A canvas of 4096 x 1 holds the 1x1 image. */
	buf[24] = 0xff;
	buf[25] = 0x0f;
	buf[27] = 0;
	buf[28] = 0;
	assert_int_equal(probe(buf, sizeof(buf), &info), IMAGE_OK);
	assert_int_equal(info.width, 4096);
	/* VP8L 16384 x 16384: all 28 size bits set. */
	memcpy(l, webp_lossless_1x1, sizeof(l));
	l[21] = 0xff;
	l[22] = 0xff;
	l[23] = 0xff;
	l[24] = (unsigned char)((l[24] & 0xf0) | 0x0f);
	assert_int_equal(probe(l, sizeof(l), &info), IMAGE_TOO_LARGE);
	assert_int_equal(info.width, 16384);
	assert_int_equal(info.height, 16384);
	/* VP8 8191 x 1. */
	memcpy(y, webp_lossy_1x1, sizeof(y));
	assert_int_equal(y[23], 0x9d);
	y[26] = 0xff;
	y[27] = 0x1f;
	assert_int_equal(probe(y, sizeof(y), &info), IMAGE_TOO_LARGE);
	/* The RIFF size beyond the bytes. */
	memcpy(l, webp_lossless_1x1, sizeof(l));
	l[4]++;
	assert_int_equal(probe(l, sizeof(l), &info), IMAGE_CORRUPT);
	/* A VP8X without an image chunk. */
	memcpy(buf, webp_extended_1x1, 30);
	buf[4] = 22; /* RIFF: "WEBP" and the VP8X chunk only */
	buf[5] = buf[6] = buf[7] = 0;
	assert_int_equal(probe(buf, 30, &info), IMAGE_CORRUPT);
}

#define FILE_OF(s) { s, sizeof(s) - 1 }

static void
unsupported_files(void **state)
{
	static const struct { const char *data; size_t len; } files[] = {
		FILE_OF("hello, this is a text file renamed avatar.png\n"),
		FILE_OF("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"),
		FILE_OF("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
		FILE_OF("BM\x3a\0\0\0\0\0\0\0\x36\0\0\0"),
		FILE_OF("RIFF\x24\0\0\0WAVEfmt "),
		FILE_OF("{\"image_base64\":\"x\"}"),
		FILE_OF("\x89PNX\r\n\x1a\n"),
	};
	struct image_info info;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (probe(files[i].data, files[i].len, &info) !=
		    IMAGE_UNSUPPORTED)
			fail_msg("file %zu is taken for an image", i);
		assert_int_equal(info.type, IMAGE_NONE);
	}
}

static void
mime_names(void **state)
{
	(void)state;
	assert_string_equal(image_mime(IMAGE_PNG), "image/png");
	assert_string_equal(image_mime(IMAGE_JPEG), "image/jpeg");
	assert_string_equal(image_mime(IMAGE_GIF), "image/gif");
	assert_string_equal(image_mime(IMAGE_WEBP), "image/webp");
	assert_null(image_mime(IMAGE_NONE));
	assert_ptr_equal(image_mime_known("image/webp"), image_mime(IMAGE_WEBP));
	assert_null(image_mime_known("image/svg+xml"));
	assert_null(image_mime_known("IMAGE/PNG"));
	assert_null(image_mime_known(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(samples_recognised),
		cmocka_unit_test(trailing_bytes_ignored),
		cmocka_unit_test(every_prefix_is_corrupt),
		cmocka_unit_test(every_byte_changed),
		cmocka_unit_test(noise_after_signatures),
		cmocka_unit_test(png_bounds),
		cmocka_unit_test(png_corrupt),
		cmocka_unit_test(png_animation_bounds),
		cmocka_unit_test(jpeg_bounds),
		cmocka_unit_test(jpeg_kinds),
		cmocka_unit_test(gif_bounds),
		cmocka_unit_test(webp_bounds),
		cmocka_unit_test(unsupported_files),
		cmocka_unit_test(mime_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
