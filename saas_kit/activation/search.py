"""The magic-moment search: every (event, threshold, window) rule ranked by how strongly
reaching it goes with retention (seed 004; correlation, not causation)."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd

from saas_kit.activation.frames import (CAUSATION_CAVEAT, SignupIndex, DAY_NS, check_event_names,
    check_events_frame, events_in_window, index_in, known_event_names, rank_within_groups, require_columns,
    sort_pairs, sorted_positive_ints)
from saas_kit.activation.rule import positive_int
from saas_kit.activation.stats import ratio
from saas_kit.errors import ParameterError
from saas_kit.rows import chunks


def magic_moment_search(
    events: pd.DataFrame,
    outcomes: pd.DataFrame,
    events_to_try: Sequence[str] | None = None,
    thresholds: Sequence[int] = (1, 2, 3, 5, 10),
    windows: Sequence[int] = (7, 14, 30),
    min_group_size: int = 30,
) -> pd.DataFrame:
    """Rank candidate activation rules by how well reaching them separates retained customers (metrics.md §7, seed 004).

    For every ``event × threshold × window``, a customer *reaches* the rule when they
    did the event at least ``threshold`` times in ``[signup, signup + window)``.
    Among observable customers (``outcomes.observable``; N customers, R retained) the
    2×2 table reached/not × retained/not gives:

    * ``share_reached = reached / N``; ``retention_reached``, ``retention_not_reached``;
      ``lift_difference`` and ``lift_ratio`` between them;
    * ``phi``: the **phi (Matthews) correlation** between "reached" and "retained",
      ``(n11·n00 − n10·n01) / sqrt(n1·n0·R·(N−R))``. This is the separation score the
      table is ranked by. It is high only when reaching the rule both splits retained
      from churned customers *and* covers a sizeable group: a rule reached by 5
      customers who all stayed scores low, unlike a plain retention difference. Since
      ``N·phi²`` is the 2×2 chi-square statistic, ranking by phi ranks by strength of
      evidence at a fixed N;
    * ``z = phi·sqrt(N)`` — exactly the pooled two-proportion z statistic — and its
      two-sided ``p_value``. Many rules are tried at once, so small p-values are
      expected by chance: read them as a screen, not proof.

    Rules where the reached or the not-reached group has fewer than ``min_group_size``
    customers are dropped. The rest are sorted by ``phi`` (highest first; ties go to
    the shorter window, then the lower threshold, then the event name) and numbered in
    ``rank``. ``events_to_try=None`` tries every event name in ``events``; an unknown
    name raises ParameterError. Reaching a rule is a correlation, not a cause:
    ``out.attrs["caveat"]`` says so for the report.

    Cost: one sort of the events (``O(E log E)``) and one ``bincount`` per window.
    """
    check_events_frame(events)
    thr = sorted_positive_ints(thresholds, "thresholds")
    win = sorted_positive_ints(windows, "windows")
    min_group_size = positive_int(min_group_size, "min_group_size")
    require_columns(outcomes, ("customer_id", "signup_date", "observable", "retained"), "outcomes")

    obs_mask = outcomes["observable"].to_numpy(dtype=bool, na_value=False) & outcomes["retained"].notna().to_numpy()
    obs = outcomes.loc[obs_mask, ["customer_id", "signup_date"]]
    cust = SignupIndex(obs)
    retained = outcomes.loc[obs_mask, "retained"].to_numpy(dtype=bool, na_value=False)
    n_total = cust.n
    r_total = int(retained.sum())

    if events_to_try is None:
        names = known_event_names(events) if len(events) else []
    else:
        if isinstance(events_to_try, str):
            events_to_try = [events_to_try]
        names = list(dict.fromkeys(str(e) for e in events_to_try))
        if not names:
            raise ParameterError("events_to_try must name at least one event (or be None for all)")
        check_event_names(names, events, "event")
    name_index = pd.Index(names, dtype=object)

    # (event name, customer) group and delay of every event inside the longest window.
    # Rows are taken a million at a time: the per-row temporaries then reuse memory
    # instead of being fresh arrays of the whole log's size, whose first touch (the
    # kernel zeroing new pages) would cost more than the work on them.
    per_event = max(cust.n, 1)
    groups, delays = [], []
    for rows in chunks(len(events)):
        part = events.iloc[rows]
        pos, codes, delay = events_in_window(part, cust, int(win[-1]))
        ev_codes = index_in(part["event"], name_index)[pos]
        ok = ev_codes >= 0
        groups.append(ev_codes[ok] * per_event + codes[ok])
        delays.append(delay[ok])
    group = np.concatenate(groups) if groups else np.empty(0, dtype="int64")
    delay = np.concatenate(delays) if delays else np.empty(0, dtype="int64")
    del groups, delays
    group, delay = sort_pairs(group, delay)
    ev_codes, codes = np.divmod(group, per_event)
    del group
    nth = rank_within_groups(ev_codes, codes) + 1  # this row is the customer's nth such event
    t_idx = np.searchsorted(thr, nth)
    is_thr = (t_idx < len(thr)) & (thr[np.minimum(t_idx, len(thr) - 1)] == nth)
    key = ev_codes[is_thr] * len(thr) + t_idx[is_thr]
    key_delay = delay[is_thr]
    key_ret = retained[codes[is_thr]].astype("float64")

    n_combo = len(names) * len(thr)
    blocks = []
    for w in win:
        inside = key_delay < w * DAY_NS
        n1 = np.bincount(key[inside], minlength=n_combo).astype("int64")
        r1 = np.rint(np.bincount(key[inside], weights=key_ret[inside], minlength=n_combo)).astype("int64")
        blocks.append(
            pd.DataFrame(
                {
                    "event": np.repeat(np.asarray(names, dtype=object), len(thr)),
                    "threshold": np.tile(thr, len(names)),
                    "window_days": int(w),
                    "reached": n1,
                    "retained_reached": r1,
                }
            )
        )
    return rank_rules(blocks, n_total, r_total, min_group_size)


#: The columns of the magic-moment table, in order.
RULE_COLUMNS = [
    "rank", "rule", "event", "threshold", "window_days", "customers", "reached", "share_reached",
    "retained_reached", "retention_reached", "not_reached", "retained_not_reached",
    "retention_not_reached", "lift_difference", "lift_ratio", "phi", "z", "p_value",
]


def rank_rules(blocks: list[pd.DataFrame], n_total: int, r_total: int, min_group_size: int) -> pd.DataFrame:
    """Score and rank candidate rules from their counts (the table of :func:`magic_moment_search`).

    ``blocks``: frames of ``event``, ``threshold``, ``window_days``, ``reached`` and
    ``retained_reached`` (one row per candidate); ``n_total`` observable customers of whom
    ``r_total`` were retained. Computes the 2×2 figures, ``phi``, ``z`` and ``p_value``
    as :func:`magic_moment_search` describes, drops rules whose reached or not-reached
    group is under ``min_group_size``, sorts and numbers them. Both engines count
    (pandas here, Spark in :mod:`saas_kit.spark.activation`) and rank with this.
    """
    if not blocks or sum(len(b) for b in blocks) == 0:
        out = pd.DataFrame({c: [] for c in RULE_COLUMNS})
        out.attrs["caveat"] = CAUSATION_CAVEAT
        return out
    res = pd.concat(blocks, ignore_index=True)
    n1 = res["reached"].to_numpy(dtype="float64")
    r1 = res["retained_reached"].to_numpy(dtype="float64")
    n0 = n_total - n1
    r0 = r_total - r1
    res["customers"] = n_total
    res["share_reached"] = ratio(n1, n_total)
    res["retention_reached"] = ratio(r1, n1)
    res["not_reached"] = n0.astype("int64")
    res["retained_not_reached"] = r0.astype("int64")
    res["retention_not_reached"] = ratio(r0, n0)
    res["lift_difference"] = res["retention_reached"] - res["retention_not_reached"]
    res["lift_ratio"] = ratio(res["retention_reached"].fillna(0.0), res["retention_not_reached"].fillna(0.0))
    res.loc[res["retention_reached"].isna() | res["retention_not_reached"].isna(), "lift_ratio"] = np.nan
    # phi = (n11 n00 - n10 n01) / sqrt(n1 n0 R (N - R)) with n11 = r1, n10 = n1 - r1, n01 = r0, n00 = n0 - r0
    num = r1 * (n0 - r0) - (n1 - r1) * r0
    den = np.sqrt(n1 * n0 * float(r_total) * float(n_total - r_total))
    res["phi"] = ratio(num, den)
    res["z"] = res["phi"] * math.sqrt(n_total)
    res["p_value"] = [math.erfc(abs(z) / math.sqrt(2)) if not math.isnan(z) else float("nan") for z in res["z"]]
    res["rule"] = [f"{e}>={t}@{w}d" for e, t, w in zip(res["event"], res["threshold"], res["window_days"])]

    res = res[(res["reached"] >= min_group_size) & (res["not_reached"] >= min_group_size)]
    res = res.sort_values(
        ["phi", "window_days", "threshold", "event"],
        ascending=[False, True, True, True],
        na_position="last",
        kind="mergesort",
    ).reset_index(drop=True)
    res["rank"] = np.arange(1, len(res) + 1)
    out = res[RULE_COLUMNS]
    out.attrs["caveat"] = CAUSATION_CAVEAT
    return out
