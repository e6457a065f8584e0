"""Draws the module icon: a prepaid card and a clock, flat, in the palette of Odoo's app icons.

python3 tools/draw_icon.py prepaid_services/static/description/icon.png 256
"""

import sys

from PIL import Image, ImageChops, ImageDraw

S = 2048  # drawn large, scaled down for smooth edges
U = S / 50.0  # Odoo draws its icons on a 50 x 50 grid


def mask(draw_fn):
    m = Image.new("L", (S, S), 0)
    draw_fn(ImageDraw.Draw(m))
    return m


def box(x0, y0, x1, y1):
    return [x0 * U, y0 * U, x1 * U, y1 * U]


card = mask(lambda d: d.rounded_rectangle(box(3, 7.5, 35, 33.5), radius=4 * U, fill=255))
stripe = ImageChops.multiply(card, mask(lambda d: d.rectangle(box(0, 13.5, 50, 19), fill=255)))
clock = mask(lambda d: d.ellipse(box(20, 15.5, 47, 42.5), fill=255))
hands = mask(
    lambda d: (
        d.line([33.5 * U, 29 * U, 33.5 * U, 21 * U], fill=255, width=int(2.6 * U)),
        d.line([33.5 * U, 29 * U, 39.5 * U, 29 * U], fill=255, width=int(2.6 * U)),
        d.ellipse(box(32.1, 27.6, 34.9, 30.4), fill=255),
    )
)

layers = [
    (card, "#FC868B"),
    (stripe, "#985184"),
    (clock, "#FBB945"),
    (ImageChops.multiply(clock, card), "#F86126"),
    (ImageChops.multiply(clock, stripe), "#962B48"),
    (hands, "#FFFFFF"),
]
img = Image.new("RGBA", (S, S), (0, 0, 0, 0))
for m, color in layers:
    img.paste(Image.new("RGBA", (S, S), color), (0, 0), m)
size = int(sys.argv[2]) if len(sys.argv) > 2 else 256
img.resize((size, size), Image.LANCZOS).save(sys.argv[1], optimize=True)
