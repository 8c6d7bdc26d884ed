/*
 * image.c: avatar sniffing (see image.h). Every reader below keeps the
 * invariant pos <= len, and asks "len - pos >= n" before it reads n bytes
 * at pos, a form that cannot overflow.
 */
#include <stdbool.h>
#include <string.h>

#include "image.h"
#include "limits.h"

static uint32_t
be16(const unsigned char *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static uint32_t
le16(const unsigned char *p)
{
	return (uint32_t)p[1] << 8 | p[0];
}

static uint32_t
le24(const unsigned char *p)
{
	return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[3] << 24 | le24(p);
}

/* Sets the canvas of info and says whether it is within the bounds. */
static enum image_verdict
canvas(struct image_info *info, uint32_t w, uint32_t h)
{
	info->width = w;
	info->height = h;
	if (w == 0 || h == 0)
		return IMAGE_CORRUPT;
	if (w > IMAGE_MAX_SIDE || h > IMAGE_MAX_SIDE ||
	    (uint64_t)w * h > IMAGE_MAX_PIXELS)
		return IMAGE_TOO_LARGE;
	return IMAGE_OK;
}

/* Adds a frame of w x h to the running total *sum; IMAGE_TOO_LARGE once the
 * frames together pass IMAGE_MAX_FRAME_PIXELS. */
static enum image_verdict
frame(uint64_t *sum, uint32_t w, uint32_t h)
{
	if (w == 0 || h == 0)
		return IMAGE_CORRUPT;
	*sum += (uint64_t)w * h;
	return *sum > IMAGE_MAX_FRAME_PIXELS ? IMAGE_TOO_LARGE : IMAGE_OK;
}

/* --- PNG ---------------------------------------------------------------- */

/* CRC-32 (ISO 3309, as PNG uses it) of n bytes, bit by bit: an avatar is
 * small, and no table means nothing to get wrong. */
static uint32_t
crc32_of(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return c ^ 0xffffffffu;
}

/* True if depth is a bit depth PNG allows for colour type color. */
static bool
png_depth_ok(unsigned color, unsigned depth)
{
	switch (color) {
	case 0: /* grey */
		return depth == 1 || depth == 2 || depth == 4 || depth == 8 ||
		    depth == 16;
	case 3: /* palette */
		return depth == 1 || depth == 2 || depth == 4 || depth == 8;
	case 2: case 4: case 6: /* RGB, grey + alpha, RGBA */
		return depth == 8 || depth == 16;
	default:
		return false;
	}
}

static bool
is_letter(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static enum image_verdict
probe_png(const unsigned char *d, size_t len, struct image_info *info)
{
	size_t pos = 8;
	bool idat = false;
	uint64_t frames = 0;
	enum image_verdict v;

	for (;;) {
		const unsigned char *type, *body;
		uint32_t n;

		if (len - pos < 12)
			return IMAGE_CORRUPT;
		n = be32(d + pos);
		type = d + pos + 4;
		body = d + pos + 8;
		if (n > 0x7fffffffu || len - pos - 12 < n)
			return IMAGE_CORRUPT;
		if (!is_letter(type[0]) || !is_letter(type[1]) ||
		    !is_letter(type[2]) || !is_letter(type[3]))
			return IMAGE_CORRUPT;
		if (crc32_of(type, (size_t)n + 4) != be32(body + n))
			return IMAGE_CORRUPT;
		if (pos == 8) {
			/* The first chunk is the header. */
			if (memcmp(type, "IHDR", 4) != 0 || n != 13 ||
			    be32(body) > 0x7fffffffu ||
			    be32(body + 4) > 0x7fffffffu ||
			    !png_depth_ok(body[9], body[8]) || body[10] != 0 ||
			    body[11] != 0 || body[12] > 1)
				return IMAGE_CORRUPT;
			if ((v = canvas(info, be32(body), be32(body + 4))) !=
			    IMAGE_OK)
				return v;
		} else if (memcmp(type, "IHDR", 4) == 0) {
			return IMAGE_CORRUPT;
		} else if (memcmp(type, "IDAT", 4) == 0) {
			idat = true;
		} else if (memcmp(type, "IEND", 4) == 0) {
			return idat && n == 0 ? IMAGE_OK : IMAGE_CORRUPT;
		} else if (memcmp(type, "fcTL", 4) == 0) {
			/* An APNG frame: within the canvas, and counted. */
			if (n < 26 || be32(body + 4) > info->width ||
			    be32(body + 8) > info->height)
				return IMAGE_CORRUPT;
			if ((v = frame(&frames, be32(body + 4),
			    be32(body + 8))) != IMAGE_OK)
				return v;
		} else if (type[0] >= 'A' && type[0] <= 'Z' &&
		    memcmp(type, "PLTE", 4) != 0) {
			/* A critical chunk no decoder knows. */
			return IMAGE_CORRUPT;
		}
		pos += 12 + (size_t)n;
	}
}

/* --- JPEG --------------------------------------------------------------- */

/* True if marker m starts a frame (SOF0..SOF15, less DHT, JPG and DAC). */
static bool
jpeg_is_sof(unsigned m)
{
	return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
}

static enum image_verdict
probe_jpeg(const unsigned char *d, size_t len, struct image_info *info)
{
	size_t pos = 2, seg;
	bool sof = false;
	enum image_verdict v;

	for (;;) {
		unsigned m;
		const unsigned char *body;

		/* A marker: 0xFF, any fill 0xFFs, then its code. */
		if (len - pos < 2 || d[pos] != 0xff)
			return IMAGE_CORRUPT;
		while (pos < len && d[pos] == 0xff)
			pos++;
		if (pos == len)
			return IMAGE_CORRUPT;
		m = d[pos++];
		if (m == 0x00 || m == 0xd8 || m == 0xd9)
			return IMAGE_CORRUPT; /* stuffing, SOI again, EOI early */
		if ((m >= 0xd0 && m <= 0xd7) || m == 0x01)
			continue; /* RSTn and TEM stand alone */
		if (len - pos < 2)
			return IMAGE_CORRUPT;
		seg = be16(d + pos);
		if (seg < 2 || len - pos < seg)
			return IMAGE_CORRUPT;
		body = d + pos + 2;
		if (jpeg_is_sof(m)) {
			size_t nc;
			if (m > 0xc2)
				return IMAGE_UNSUPPORTED; /* lossless, arithmetic */
			if (sof || seg < 8)
				return IMAGE_CORRUPT;
			nc = body[5];
			if (nc == 0 || seg < 8 + 3 * nc ||
			    (body[0] != 8 && body[0] != 12))
				return IMAGE_CORRUPT;
			/* Height 0 (lines given later by DNL) is too rare to
			 * take: browsers refuse it too. */
			if ((v = canvas(info, be16(body + 3), be16(body + 1))) !=
			    IMAGE_OK)
				return v;
			sof = true;
		} else if (m == 0xda) {
			/* The first scan: the frame must be known by now, and
			 * the file must end with EOI somewhere after it (entropy
			 * data stuffs every 0xFF, so only a marker has FF D9). */
			if (!sof)
				return IMAGE_CORRUPT;
			pos += seg;
			return memmem(d + pos, len - pos, "\xff\xd9", 2) != NULL ?
			    IMAGE_OK : IMAGE_CORRUPT;
		}
		pos += seg;
	}
}

/* --- GIF ---------------------------------------------------------------- */

/* Skips the data sub-blocks at *pos up to their terminator. */
static bool
gif_skip_blocks(const unsigned char *d, size_t len, size_t *pos)
{
	for (;;) {
		size_t n;

		if (*pos == len)
			return false;
		n = d[(*pos)++];
		if (n == 0)
			return true;
		if (len - *pos < n)
			return false;
		*pos += n;
	}
}

static enum image_verdict
probe_gif(const unsigned char *d, size_t len, struct image_info *info)
{
	size_t pos = 13, table;
	uint64_t frames = 0;
	bool any = false;
	enum image_verdict v;

	if (len < 13)
		return IMAGE_CORRUPT;
	if ((v = canvas(info, le16(d + 6), le16(d + 8))) != IMAGE_OK)
		return v;
	if (d[10] & 0x80) {
		table = 3u << ((d[10] & 7) + 1);
		if (len - pos < table)
			return IMAGE_CORRUPT;
		pos += table;
	}
	for (;;) {
		unsigned b;

		if (pos == len)
			return IMAGE_CORRUPT;
		b = d[pos++];
		if (b == 0x3b) /* the trailer */
			return any ? IMAGE_OK : IMAGE_CORRUPT;
		if (b == 0x21) { /* an extension: its label, its blocks */
			if (pos == len)
				return IMAGE_CORRUPT;
			pos++;
			if (!gif_skip_blocks(d, len, &pos))
				return IMAGE_CORRUPT;
		} else if (b == 0x2c) { /* an image */
			unsigned packed;
			if (len - pos < 9)
				return IMAGE_CORRUPT;
			if ((v = frame(&frames, le16(d + pos + 4),
			    le16(d + pos + 6))) != IMAGE_OK)
				return v;
			if (le16(d + pos + 4) > IMAGE_MAX_SIDE ||
			    le16(d + pos + 6) > IMAGE_MAX_SIDE)
				return IMAGE_TOO_LARGE;
			packed = d[pos + 8];
			pos += 9;
			if (packed & 0x80) {
				table = 3u << ((packed & 7) + 1);
				if (len - pos < table)
					return IMAGE_CORRUPT;
				pos += table;
			}
			/* The LZW minimum code size, then the data. */
			if (pos == len || d[pos] < 1 || d[pos] > 11)
				return IMAGE_CORRUPT;
			pos++;
			if (!gif_skip_blocks(d, len, &pos))
				return IMAGE_CORRUPT;
			any = true;
		} else {
			return IMAGE_CORRUPT;
		}
	}
}

/* --- WebP --------------------------------------------------------------- */

/* The canvas of a simple WebP from its one image chunk (fourcc at c, n
 * bytes of data at body). */
static enum image_verdict
webp_simple(const unsigned char *c, const unsigned char *body, uint32_t n,
    struct image_info *info)
{
	if (memcmp(c, "VP8 ", 4) == 0) {
		/* A key frame's tag (bit 0 clear), its start code, then
		 * 14-bit width and height (2 bits of scale above each). */
		if (n < 10 || (body[0] & 1) != 0 || body[3] != 0x9d ||
		    body[4] != 0x01 || body[5] != 0x2a)
			return IMAGE_CORRUPT;
		return canvas(info, le16(body + 6) & 0x3fff,
		    le16(body + 8) & 0x3fff);
	}
	/* VP8L: signature 0x2f, then width-1 and height-1 in 14 bits each,
	 * an alpha hint and a 3-bit version that must be 0. */
	if (n < 5 || body[0] != 0x2f || (le32(body + 1) >> 29) != 0)
		return IMAGE_CORRUPT;
	return canvas(info, (le32(body + 1) & 0x3fff) + 1,
	    ((le32(body + 1) >> 14) & 0x3fff) + 1);
}

static enum image_verdict
probe_webp(const unsigned char *d, size_t len, struct image_info *info)
{
	size_t pos = 12, end;
	uint64_t frames = 0;
	bool extended = false, image = false;
	enum image_verdict v = IMAGE_OK;

	/* The RIFF size counts from byte 8; bytes after its end are
	 * ignored, fewer bytes than it says are a truncation. */
	if (le32(d + 4) < 4 || le32(d + 4) > len - 8)
		return IMAGE_CORRUPT;
	end = 8 + (size_t)le32(d + 4);
	while (pos < end) {
		const unsigned char *c = d + pos, *body = d + pos + 8;
		uint32_t n;

		if (end - pos < 8)
			return IMAGE_CORRUPT;
		n = le32(c + 4);
		if (end - pos - 8 < n)
			return IMAGE_CORRUPT;
		if (pos == 12) {
			/* The first chunk says which kind of WebP this is. */
			if (memcmp(c, "VP8X", 4) == 0) {
				if (n < 10)
					return IMAGE_CORRUPT;
				extended = true;
				v = canvas(info, le24(body + 4) + 1,
				    le24(body + 7) + 1);
			} else if (memcmp(c, "VP8 ", 4) == 0 ||
			    memcmp(c, "VP8L", 4) == 0) {
				image = true;
				v = webp_simple(c, body, n, info);
			} else {
				return IMAGE_CORRUPT;
			}
			if (v != IMAGE_OK)
				return v;
		} else if (extended && memcmp(c, "ANMF", 4) == 0) {
			/* An animation frame: X, Y, width-1, height-1 in 24
			 * bits each, within the canvas. */
			if (n < 16)
				return IMAGE_CORRUPT;
			if (le24(body + 6) + 1 > info->width ||
			    le24(body + 9) + 1 > info->height)
				return IMAGE_CORRUPT;
			if ((v = frame(&frames, le24(body + 6) + 1,
			    le24(body + 9) + 1)) != IMAGE_OK)
				return v;
			image = true;
		} else if (extended && (memcmp(c, "VP8 ", 4) == 0 ||
		    memcmp(c, "VP8L", 4) == 0)) {
			struct image_info inner = { IMAGE_WEBP, 0, 0 };
			if ((v = webp_simple(c, body, n, &inner)) != IMAGE_OK)
				return v;
			if (inner.width > info->width ||
			    inner.height > info->height)
				return IMAGE_CORRUPT;
			image = true;
		}
		/* Any other chunk (ICCP, ALPH, EXIF, XMP, and what a muxer
		 * left after a simple WebP's one chunk) is skipped. */
		/* Chunks are padded to an even size; the last pad byte may
		 * be missing. */
		pos += 8 + (size_t)n;
		if ((n & 1) && pos < end)
			pos++;
	}
	return image ? IMAGE_OK : IMAGE_CORRUPT;
}

/* --- the signatures ----------------------------------------------------- */

static const struct {
	enum image_type type;
	const char *mime;
	const char *sig;         /* the signature's bytes; '?' any byte */
	size_t siglen;
	enum image_verdict (*probe)(const unsigned char *, size_t,
	    struct image_info *);
} kinds[] = {
	{ IMAGE_PNG, "image/png", "\x89PNG\r\n\x1a\n", 8, probe_png },
	{ IMAGE_JPEG, "image/jpeg", "\xff\xd8\xff", 3, probe_jpeg },
	{ IMAGE_GIF, "image/gif", "GIF87a", 6, probe_gif },
	{ IMAGE_GIF, "image/gif", "GIF89a", 6, probe_gif },
	{ IMAGE_WEBP, "image/webp", "RIFF????WEBP", 12, probe_webp },
};

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* True if the first n bytes of d match the first n of sig ('?': any). */
static bool
sig_match(const unsigned char *d, const char *sig, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (sig[i] != '?' && d[i] != (unsigned char)sig[i])
			return false;
	return true;
}

enum image_verdict
image_probe(const void *data, size_t len, struct image_info *info)
{
	const unsigned char *d = data;
	size_t i;

	memset(info, 0, sizeof(*info));
	if (len == 0)
		return IMAGE_UNSUPPORTED;
	for (i = 0; i < NKINDS; i++) {
		if (len < kinds[i].siglen) {
			/* A cut-off signature: an upload that stopped early. */
			if (sig_match(d, kinds[i].sig, len)) {
				info->type = kinds[i].type;
				return IMAGE_CORRUPT;
			}
			continue;
		}
		if (sig_match(d, kinds[i].sig, kinds[i].siglen)) {
			info->type = kinds[i].type;
			return kinds[i].probe(d, len, info);
		}
	}
	return IMAGE_UNSUPPORTED;
}

const char *
image_mime(enum image_type t)
{
	size_t i;

	for (i = 0; i < NKINDS; i++)
		if (kinds[i].type == t)
			return kinds[i].mime;
	return NULL;
}

const char *
image_mime_known(const char *mime)
{
	size_t i;

	for (i = 0; mime != NULL && i < NKINDS; i++)
		if (strcmp(kinds[i].mime, mime) == 0)
			return kinds[i].mime;
	return NULL;
}
