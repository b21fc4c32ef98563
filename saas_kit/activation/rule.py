"""Activation rules: ``EVENT>=N@Dd`` (seed 004's "7 friends in 10 days"), parsed and described."""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from saas_kit.errors import ParameterError


_RULE_RE = re.compile(
    r"^\s*(?P<event>[^@]+?)\s*(?:>=|≥)\s*(?P<count>\d+)\s*@\s*(?P<window>\d+)\s*(?:d|days?)\s*$"
)


def positive_int(value: object, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ParameterError(f"{name} must be a whole number, got {value!r}")
    if int(value) < 1:
        raise ParameterError(f"{name} must be at least 1, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class ActivationRule:
    """"Did ``event`` at least ``min_count`` times within ``window_days`` days of signup" (metrics.md §7).

    Seed 004's examples read as rules: Facebook's "7 friends in 10 days" is
    ``ActivationRule("add_friend", 7, 10)``. ``str(rule)`` gives the compact text
    form ``"add_friend>=7@10d"`` that :meth:`parse` reads back.
    """

    event: str
    min_count: int
    window_days: int

    def __post_init__(self) -> None:
        if not isinstance(self.event, str) or not self.event.strip():
            raise ParameterError(f"activation rule event must be a non-empty name, got {self.event!r}")
        object.__setattr__(self, "event", self.event.strip())
        object.__setattr__(self, "min_count", positive_int(self.min_count, "min_count"))
        object.__setattr__(self, "window_days", positive_int(self.window_days, "window_days"))

    def describe(self, lang: str = "en") -> str:
        """Human-readable text in ``lang``, e.g. ``"invite_teammate ≥ 3 within 14 days"`` /
        ``"14日以内にinvite_teammateが3回以上"`` (message ``onboarding.rule``)."""
        from saas_kit.i18n import message

        key = "onboarding.rule_one_day" if self.window_days == 1 else "onboarding.rule"
        return message(key, lang, event=self.event, count=self.min_count, days=self.window_days)

    def __str__(self) -> str:
        return f"{self.event}>={self.min_count}@{self.window_days}d"

    @classmethod
    def parse(cls, text: str) -> "ActivationRule":
        """Read ``"event>=count@Nd"`` (as passed in papermill parameters).

        Spaces around the parts, ``≥`` for ``>=`` and ``days`` for ``d`` are accepted:
        ``"invite_teammate >= 3 @ 14d"``. Anything else raises ParameterError.
        """
        if isinstance(text, cls):
            return text
        if not isinstance(text, str):
            raise ParameterError(f"activation rule must be text like 'invite_teammate>=3@14d', got {text!r}")
        m = _RULE_RE.match(text)
        if m is None:
            raise ParameterError(
                f"cannot read activation rule {text!r}: expected 'event>=count@<days>d', "
                "e.g. 'invite_teammate>=3@14d'"
            )
        return cls(m["event"], int(m["count"]), int(m["window"]))
