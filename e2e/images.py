"""Small valid images for tests that send pictures."""

import struct
import zlib


def png(path, width: int = 40, height: int = 24):
    """A small valid PNG: red-to-blue stripes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"".join(
        bytes([255 * (x < width // 2), 64, 255 * (x >= width // 2)]) for x in range(width)
    )
    rows = (b"\x00" + row) * height
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body)
    return path
