"""images.py: small real images for the avatar tests, made here.

png()   a PNG of any size, with Python's zlib and struct
jpeg()  an 8x8 grey baseline JPEG, built segment by segment: quantisation
        all 1, one-code Huffman tables, one block whose DC difference is 0
        and whose AC coefficients end at once (EOB): a uniform grey square
gif()   a 1x1 GIF89a with a two-colour table
webp()  a 1x1 lossless WebP (the bytes cwebp writes for one pixel)
"""
import struct
import zlib


def png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data +
            struct.pack(">I", zlib.crc32(kind + data)))


def png(w=2, h=3, rgb=(255, 0, 0), size=None):
    """An RGB PNG of w x h pixels of one colour. size: the IHDR says this
    (w, h) instead, with the pixels of (w, h) (a pixel flood)."""
    raw = b"".join(b"\x00" + bytes(rgb) * w for _ in range(h))
    sw, sh = size or (w, h)
    return (b"\x89PNG\r\n\x1a\n" +
            png_chunk(b"IHDR", struct.pack(">IIBBBBB", sw, sh, 8, 2, 0, 0, 0)) +
            png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b""))


def jpeg():
    """An 8x8 grey baseline JPEG (141 bytes)."""
    def segment(marker, body):
        return b"\xff" + bytes([marker]) + struct.pack(">H", len(body) + 2) + body

    dqt = segment(0xdb, b"\x00" + bytes([1] * 64))
    # SOF0: precision 8, height 8, width 8, one component (id 1, 1x1
    # sampling, quantisation table 0)
    sof = segment(0xc0, struct.pack(">BHHB", 8, 8, 8, 1) + b"\x01\x11\x00")
    # Huffman tables: DC 0 and AC 0, each one code of length 1 for
    # symbol 0 (DC: difference category 0; AC: end of block)
    counts = bytes([1] + [0] * 15)
    dht_dc = segment(0xc4, b"\x00" + counts + b"\x00")
    dht_ac = segment(0xc4, b"\x10" + counts + b"\x00")
    # SOS: one component with tables 0/0, spectral 0..63, no approximation
    sos = segment(0xda, b"\x01\x01\x00\x00\x3f\x00")
    # The block: bit 0 (DC category 0), bit 0 (EOB), padded with ones
    data = b"\x3f"
    return b"\xff\xd8" + dqt + sof + dht_dc + dht_ac + sos + data + b"\xff\xd9"


def gif():
    """A 1x1 GIF89a (35 bytes)."""
    return (b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) +
            b"\x00\x00\x00\xff\xff\xff" +
            b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) +
            b"\x02\x02\x44\x01\x00" + b"\x3b")


def webp():
    """A 1x1 lossless WebP (36 bytes)."""
    return bytes.fromhex(
        "524946461c000000574542505650384c100000002f0000000007"
        "50c0e87fff0311d1ff00")
