"""The statistics of the activation pages: Wilson intervals and a two-proportion z-test (metrics.md §7)."""
from __future__ import annotations

import math

import numpy as np

Z_95 = 1.959963984540054  # two-sided 95% normal quantile


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``successes / n`` (default 95%).

    ``centre = (p + z²/2n) / (1 + z²/n)``, ``half = z / (1 + z²/n) * sqrt(p(1-p)/n + z²/4n²)``.
    Unlike ``p ± z·sqrt(p(1-p)/n)`` it stays inside [0, 1] and is sensible for small
    groups. Returns (NaN, NaN) when ``n == 0``. Used for retention of activated vs
    not activated customers (metrics.md §7: "how sure we are").
    """
    if n <= 0:
        return (float("nan"), float("nan"))
    p = successes / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return (max(0.0, centre - half), min(1.0, centre + half))


def two_proportion_z_test(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    """Pooled two-proportion z-test of ``k1/n1`` against ``k2/n2``: (z, two-sided p-value).

    ``p = (k1 + k2) / (n1 + n2)``, ``z = (k1/n1 - k2/n2) / sqrt(p(1-p)(1/n1 + 1/n2))``,
    p-value ``= 2(1 - Φ(|z|)) = erfc(|z| / √2)`` (``math.erfc``, the complement of
    ``math.erf``, keeps precision for large ``|z|``). Both are NaN when a group is empty
    or the pooled proportion is 0 or 1 (no variation: nothing to test).
    """
    if n1 <= 0 or n2 <= 0:
        return (float("nan"), float("nan"))
    pooled = (k1 + k2) / (n1 + n2)
    var = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if var <= 0:
        return (float("nan"), float("nan"))
    z = (k1 / n1 - k2 / n2) / math.sqrt(var)
    return (z, math.erfc(abs(z) / math.sqrt(2)))


def ratio(num: np.ndarray | float, den: np.ndarray | float) -> np.ndarray | float:
    """num / den with NaN (never inf) where den == 0."""
    num_a = np.asarray(num, dtype="float64")
    den_a = np.asarray(den, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den_a != 0, num_a / np.where(den_a != 0, den_a, 1.0), np.nan)
    return float(out) if out.ndim == 0 else out
