#!/usr/bin/env python3
"""Writes the image seeds of the `image` fuzz target (fuzz/seeds/image/):
one tiny image per format and variant docsmith decodes. Run once; the
output is checked in. Needs Pillow (with WebP support)."""

import io
import os
import struct

from PIL import Image, ImageCms

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "image")


def pattern(mode, size=(8, 6)):
    w, h = size
    img = Image.new("RGBA", size)
    for y in range(h):
        for x in range(w):
            img.putpixel((x, y), (x * 32 % 256, y * 40 % 256, (x + y) * 20 % 256, 255 if (x + y) % 3 else 96))
    return img.convert(mode) if mode != "RGBA" else img


def save(name, img, fmt, **kw):
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(buf.getvalue())


def exif_orientation(value):
    exif = Image.Exif()
    exif[0x0112] = value
    return exif.tobytes()


def main():
    os.makedirs(OUT, exist_ok=True)
    save("tiny-2x2-rgba.png", pattern("RGBA", (2, 2)), "PNG")
    save("rgb-8x6.png", pattern("RGB"), "PNG", optimize=True)
    save("palette-trns.png", pattern("RGBA").convert("P", palette=Image.Palette.ADAPTIVE, colors=4), "PNG", transparency=0)
    save("grey16.png", pattern("L").convert("I;16"), "PNG")
    save("la.png", pattern("LA"), "PNG")
    save("interlaced.png", pattern("RGB"), "PNG", interlace=1)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    save("icc.png", pattern("RGB", (3, 2)), "PNG", icc_profile=srgb)
    save("baseline.jpg", pattern("RGB", (16, 8)), "JPEG", quality=50)
    save("progressive.jpg", pattern("RGB", (16, 8)), "JPEG", quality=50, progressive=True)
    save("grey.jpg", pattern("L", (8, 8)), "JPEG", quality=50)
    save("cmyk.jpg", pattern("CMYK", (8, 8)), "JPEG", quality=50)
    save("orientation-6.jpg", pattern("RGB", (16, 8)), "JPEG", quality=50, exif=exif_orientation(6))
    save("subsampling-444.jpg", pattern("RGB", (9, 7)), "JPEG", quality=50, subsampling=0)
    frames = [pattern("RGB", (4, 4)).convert("P"), pattern("RGB", (4, 4)).rotate(90).convert("P")]
    save("animated.gif", frames[0], "GIF", save_all=True, append_images=frames[1:], duration=10, loop=0)
    save("still.gif", pattern("RGB", (5, 3)).convert("P"), "GIF")
    save("rgb24.bmp", pattern("RGB", (5, 3)), "BMP")
    save("palette.bmp", pattern("RGB", (5, 3)).convert("P"), "BMP")
    save("raw.tif", pattern("RGB", (4, 3)), "TIFF")
    save("lzw.tif", pattern("RGBA", (4, 3)), "TIFF", compression="tiff_lzw")
    save("orientation-8.tif", pattern("RGB", (4, 3)), "TIFF", exif=exif_orientation(8))
    save("lossy.webp", pattern("RGB", (8, 6)), "WEBP", quality=40)
    save("lossy-alpha.webp", pattern("RGBA", (8, 6)), "WEBP", quality=40)
    save("lossless.webp", pattern("RGBA", (4, 3)), "WEBP", lossless=True)
    save("animated.webp", frames[0].convert("RGB"), "WEBP", save_all=True, append_images=[frames[1].convert("RGB")], duration=10)
    # An RLE8 BMP Pillow does not write: 4 × 2, two runs per row.
    pixels = b"\x02\x01\x02\x02\x00\x00" * 2 + b"\x00\x01"
    palette = b"\x00\x00\x00\x00" + b"\xff\x00\x00\x00" + b"\x00\xff\x00\x00"
    header_size = 14 + 40 + len(palette)
    dib = struct.pack("<IiiHHIIiiII", 40, 4, 2, 1, 8, 1, len(pixels), 2835, 2835, 3, 0)
    with open(os.path.join(OUT, "rle8.bmp"), "wb") as f:
        f.write(b"BM" + struct.pack("<IHHI", header_size + len(pixels), 0, 0, header_size) + dib + palette + pixels)


if __name__ == "__main__":
    main()
