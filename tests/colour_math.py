"""Colour difference as a reader sees it, for the palette tests.

* sRGB (IEC 61966-2-1) → CIE XYZ (D65) → CIELAB;
* CIEDE2000 colour difference (Sharma, Wu & Dalal 2005, "The CIEDE2000 color-difference
  formula: implementation notes, supplementary test data, and mathematical observations");
* simulated protanopia and deuteranopia: Machado, Oliveira & Fernandes (2009), "A
  physiologically-based model for simulation of color vision deficiency", the matrices for
  severity 1.0, applied to linear sRGB (as colorspacious and DaltonLens do).

Kept small and checked against Sharma's published test pairs (tests/test_palette.py).
"""

from __future__ import annotations

import math

# Machado et al. (2009), Table of severity 1.0, linear RGB → linear RGB.
CVD_MATRICES = {
    "protanopia": ((0.152286, 1.052583, -0.204868),
                   (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968),
                     (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
}
VISIONS = ("normal", "deuteranopia", "protanopia")
WHITE_D65 = (0.95047, 1.0, 1.08883)


def hex_to_rgb(colour: str) -> tuple[float, float, float]:
    """'#RRGGBB' → sRGB in 0…1."""
    value = colour.lstrip("#")
    if len(value) != 6:
        raise ValueError(f"not a #RRGGBB colour: {colour!r}")
    return tuple(int(value[i:i + 2], 16) / 255 for i in (0, 2, 4))


def _to_linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def simulate(rgb: tuple[float, float, float], vision: str) -> tuple[float, float, float]:
    """Linear sRGB as seen with ``vision`` (normal: unchanged), clipped to the gamut."""
    linear = tuple(_to_linear(c) for c in rgb)
    if vision == "normal":
        return linear
    matrix = CVD_MATRICES[vision]
    return tuple(min(1.0, max(0.0, sum(m * c for m, c in zip(row, linear)))) for row in matrix)


def linear_to_lab(linear: tuple[float, float, float]) -> tuple[float, float, float]:
    r, g, b = linear
    x = 0.4124564 * r + 0.3575761 * g + 0.1804375 * b
    y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b
    z = 0.0193339 * r + 0.1191920 * g + 0.9503041 * b

    def f(t: float) -> float:
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    fx, fy, fz = (f(v / w) for v, w in zip((x, y, z), WHITE_D65))
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def lab(colour: str, vision: str = "normal") -> tuple[float, float, float]:
    return linear_to_lab(simulate(hex_to_rgb(colour), vision))


def ciede2000(lab1, lab2) -> float:
    """ΔE00 between two CIELAB colours (kL = kC = kH = 1)."""
    L1, a1, b1 = lab1
    L2, a2, b2 = lab2
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar ** 7 / (c_bar ** 7 + 25 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360 if c2p else 0.0

    d_l = L2 - L1
    d_c = c2p - c1p
    if c1p * c2p == 0:
        d_h = 0.0
    elif abs(h2p - h1p) <= 180:
        d_h = h2p - h1p
    elif h2p - h1p > 180:
        d_h = h2p - h1p - 360
    else:
        d_h = h2p - h1p + 360
    d_hh = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(d_h / 2))

    l_bar = (L1 + L2) / 2
    c_bar_p = (c1p + c2p) / 2
    if c1p * c2p == 0:
        h_bar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        h_bar = (h1p + h2p) / 2
    elif h1p + h2p < 360:
        h_bar = (h1p + h2p + 360) / 2
    else:
        h_bar = (h1p + h2p - 360) / 2
    t = (1 - 0.17 * math.cos(math.radians(h_bar - 30)) + 0.24 * math.cos(math.radians(2 * h_bar))
         + 0.32 * math.cos(math.radians(3 * h_bar + 6)) - 0.20 * math.cos(math.radians(4 * h_bar - 63)))
    d_theta = 30 * math.exp(-(((h_bar - 275) / 25) ** 2))
    r_c = 2 * math.sqrt(c_bar_p ** 7 / (c_bar_p ** 7 + 25 ** 7))
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / math.sqrt(20 + (l_bar - 50) ** 2)
    s_c = 1 + 0.045 * c_bar_p
    s_h = 1 + 0.015 * c_bar_p * t
    r_t = -math.sin(math.radians(2 * d_theta)) * r_c
    return math.sqrt((d_l / s_l) ** 2 + (d_c / s_c) ** 2 + (d_hh / s_h) ** 2
                     + r_t * (d_c / s_c) * (d_hh / s_h))


def difference(colour1: str, colour2: str, vision: str = "normal") -> float:
    """ΔE00 between two '#RRGGBB' colours as seen with ``vision``."""
    return ciede2000(lab(colour1, vision), lab(colour2, vision))


def closest_pairs(colours: dict[str, str], minimum: float) -> list[str]:
    """Every pair of ``{name: colour}`` closer than ``minimum`` in any of :data:`VISIONS`,
    described for an assertion message."""
    names = list(colours)
    problems = []
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            for vision in VISIONS:
                delta = difference(colours[first], colours[second], vision)
                if delta < minimum:
                    problems.append(f"{first} {colours[first]} / {second} {colours[second]}: "
                                    f"ΔE00 {delta:.1f} ({vision})")
    return problems
