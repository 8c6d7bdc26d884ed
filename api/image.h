/*
 * image.h: what an uploaded avatar is, read from its own bytes: PNG, JPEG,
 * GIF or WebP, and its dimensions. Pure functions over a byte buffer: no
 * allocation, no decoding of pixels, every read bounds-checked, so that
 * any bytes at all (truncated, corrupt, hostile) give a verdict and
 * never a crash. tests/unit/test_image.c holds them to that.
 */
#ifndef PARLEY_IMAGE_H
#define PARLEY_IMAGE_H

#include <stddef.h>
#include <stdint.h>

enum image_type {
	IMAGE_NONE = 0,
	IMAGE_PNG,
	IMAGE_JPEG,
	IMAGE_GIF,
	IMAGE_WEBP,
};

enum image_verdict {
	IMAGE_OK,            /* well-formed, within the bounds of limits.h */
	IMAGE_UNSUPPORTED,   /* not one of the four types (or a kind of JPEG
	                      * browsers do not show: lossless, arithmetic) */
	IMAGE_CORRUPT,       /* one of them, but truncated or broken: its
	                      * header, or its chunks, segments or blocks */
	IMAGE_TOO_LARGE,     /* well-formed, but a side, the canvas or the
	                      * frames together exceed the bounds */
};

struct image_info {
	enum image_type type;    /* set whenever the signature was recognised */
	uint32_t width, height;  /* the canvas, once read (0 before) */
};

/* Reads the type of the len bytes at data from their signature and walks
 * their structure far enough to know the canvas and that nothing is cut
 * off: PNG chunks (lengths and CRCs) up to IEND; JPEG segments up to the
 * first scan (its frame from SOF0, SOF1 or SOF2), then an EOI after it;
 * GIF blocks and sub-blocks up to the trailer; the RIFF chunks of a WebP
 * (VP8, VP8L or VP8X). Bytes after the end of the image are ignored. A
 * proper prefix of a signature is IMAGE_CORRUPT (a truncated upload), no
 * bytes at all IMAGE_UNSUPPORTED. */
enum image_verdict image_probe(const void *data, size_t len,
    struct image_info *info);

/* The media type of t ("image/png"), a static string; NULL for none. */
const char *image_mime(enum image_type t);

/* The static media type string equal to mime, or NULL when mime is not
 * one of the four. */
const char *image_mime_known(const char *mime);

#endif
