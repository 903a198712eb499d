"""Draw market4's app icons: static/icons/icon.svg, icon-192.png, icon-512.png, favicon.ico.

    .venv/bin/python scripts/make_icons.py

The brand blue, a white card, and a QR code's three finder squares with a few modules,
so the icon on a phone's home screen reads as "pay by QR". The files are committed; run
this again after changing the drawing.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ICONS = Path(__file__).resolve().parent.parent / "static" / "icons"
BRAND = (11, 92, 173)
WHITE = (255, 255, 255)
# A 7×7 finder square at each of three corners of a 21-module grid, plus a few modules.
MODULES = [
    (9, 2),
    (11, 3),
    (9, 5),
    (13, 9),
    (9, 9),
    (11, 11),
    (15, 13),
    (9, 13),
    (13, 15),
    (17, 17),
    (11, 17),
    (15, 19),
    (19, 11),
    (17, 9),
]


def draw(size: int) -> Image.Image:
    image = Image.new("RGB", (size, size), BRAND)
    pen = ImageDraw.Draw(image)
    card = size * 0.14
    pen.rounded_rectangle((card, card, size - card, size - card), radius=size * 0.08, fill=WHITE)
    unit = (size - 2 * card) * 0.82 / 21
    origin = (size - 21 * unit) / 2

    def square(col: float, row: float, width: float, colour: tuple[int, int, int]) -> None:
        x, y = origin + col * unit, origin + row * unit
        pen.rectangle((x, y, x + width * unit - 1, y + width * unit - 1), fill=colour)

    for col, row in ((0, 0), (14, 0), (0, 14)):
        square(col, row, 7, BRAND)
        square(col + 1, row + 1, 5, WHITE)
        square(col + 2, row + 2, 3, BRAND)
    for col, row in MODULES:
        square(col, row, 1, BRAND)
    return image


def svg() -> str:
    """The same drawing on a 100-unit canvas, for browsers that take an SVG icon."""
    size, card = 100, 14
    unit = (size - 2 * card) * 0.82 / 21
    origin = (size - 21 * unit) / 2
    shapes = []

    def square(col: float, row: float, width: float, colour: str) -> None:
        x, y, w = origin + col * unit, origin + row * unit, width * unit
        shapes.append(
            f'<rect x="{x:.2f}" y="{y:.2f}" width="{w:.2f}" height="{w:.2f}" fill="{colour}"/>'
        )

    blue = "#" + "".join(f"{part:02x}" for part in BRAND)
    for col, row in ((0, 0), (14, 0), (0, 14)):
        square(col, row, 7, blue)
        square(col + 1, row + 1, 5, "#fff")
        square(col + 2, row + 2, 3, blue)
    for col, row in MODULES:
        square(col, row, 1, blue)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
        f'<rect width="100" height="100" fill="{blue}"/>'
        f'<rect x="{card}" y="{card}" width="{size - 2 * card}" height="{size - 2 * card}" rx="8" fill="#fff"/>'
        + "".join(shapes)
        + "</svg>\n"
    )


def main() -> None:
    ICONS.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        draw(size).save(ICONS / f"icon-{size}.png", optimize=True)
    draw(256).save(ICONS / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])
    (ICONS / "icon.svg").write_text(svg(), encoding="utf-8")


if __name__ == "__main__":
    main()
