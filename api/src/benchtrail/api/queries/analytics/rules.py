"""Western Electric / Nelson rules over the points of a control chart, in numpy.

Each rule flags the point that completes its pattern (the last point of the window),
so a long run is flagged at every point from the one that completes it on. ``z`` is
a point's distance from the centre line in chart sigmas (the zone width).

1. one point beyond 3 sigma (outside the control limits)
2. nine points in a row on the same side of the centre line
3. six points in a row steadily increasing or decreasing
4. fourteen points in a row alternating up and down
5. two of three points in a row beyond 2 sigma on the same side
6. four of five points in a row beyond 1 sigma on the same side
7. fifteen points in a row within 1 sigma on either side
8. eight points in a row beyond 1 sigma, on both sides

A point exactly on a boundary is not beyond it, and equal consecutive values neither
increase nor decrease.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

Flags = npt.NDArray[np.bool_]
Values = npt.NDArray[np.float64]

RULES = tuple(range(1, 9))
"""The rule numbers evaluated."""


def rule_flags(values: Values, center: float, sigma: float) -> dict[int, Flags]:
    """For each rule, which points complete its pattern.

    Args:
        values: the plotted points, oldest first.
        center: the centre line.
        sigma: one sigma of a plotted point; 0 puts every point off the centre beyond
            every zone.
    """
    z = _zscores(values, center, sigma)
    steps = np.diff(values)
    return {
        1: np.abs(z) > 3,
        2: _run(z > 0, 9) | _run(z < 0, 9),
        3: _after_steps(_run(steps > 0, 5) | _run(steps < 0, 5), 1),
        4: _after_steps(_run(steps[1:] * steps[:-1] < 0, 12), 2),
        5: _some(z > 2, 2, 3) | _some(z < -2, 2, 3),
        6: _some(z > 1, 4, 5) | _some(z < -1, 4, 5),
        7: _run(np.abs(z) < 1, 15),
        8: _run(np.abs(z) > 1, 8) & _some(z > 1, 1, 8) & _some(z < -1, 1, 8),
    }


def _zscores(values: Values, center: float, sigma: float) -> Values:
    offsets = values - center
    if sigma > 0:
        return offsets / sigma
    z: Values = np.sign(offsets) * np.inf
    z[offsets == 0] = 0.0
    return z


def _window_sums(mask: npt.NDArray[Any], length: int) -> npt.NDArray[np.int64]:
    """How many of the ``length`` items ending at each position are true."""
    if len(mask) == 0:
        return np.zeros(0, dtype=np.int64)
    counts: npt.NDArray[np.int64] = np.convolve(mask.astype(np.int64), np.ones(length, np.int64))
    return counts[: len(mask)]


def _run(mask: Flags, length: int) -> Flags:
    """Positions ending a run of ``length`` true items."""
    return _window_sums(mask, length) >= length


def _some(mask: Flags, need: int, length: int) -> Flags:
    """Positions where at least ``need`` of the last ``length`` items are true."""
    return _window_sums(mask, length) >= need


def _after_steps(flags: Flags, shift: int) -> Flags:
    """Flags over differences moved onto the point that ends them (``shift`` points on)."""
    out = np.zeros(len(flags) + shift, dtype=np.bool_)
    out[shift:] = flags
    return out
