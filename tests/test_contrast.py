"""WCAG 1.4.11: the focus ring and the input borders in the stylesheet have at least 3:1
contrast against the backgrounds they sit on (the page, the cards, the header)."""

import re
from pathlib import Path

from django.conf import settings

CSS = (Path(settings.BASE_DIR) / "static" / "supportdesk.css").read_text()
BACKGROUNDS = {"page": "#f7f8fa", "card": "#ffffff", "table header": "#f0f3f7"}


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted([luminance(a), luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_focus_ring_has_3_to_1_on_every_background():
    rule = re.search(r"textarea:focus-visible[^{]*\{([^}]*)\}", CSS).group(1)
    ring = re.search(r"outline:\s*3px solid (#[0-9a-f]{6})", rule).group(1)
    for name, background in BACKGROUNDS.items():
        assert contrast(ring, background) >= 3, name


def test_input_borders_have_3_to_1_on_every_background():
    rule = re.search(r"^input, textarea \{([^}]*)\}", CSS, re.M).group(1)
    border = re.search(r"border: 1px solid (#[0-9a-f]{6})", rule).group(1)
    for name, background in BACKGROUNDS.items():
        assert contrast(border, background) >= 3, name


def test_the_old_colours_would_fail():
    """The check can fail: the former ring and border were below 3:1 (issue 24)."""
    assert contrast("#f5a623", "#ffffff") < 3
    assert contrast("#aab2bd", "#ffffff") < 3
