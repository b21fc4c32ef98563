"""MRR movements and the monthly bridge in Spark (metrics.md §3; the embedded :mod:`saas_kit.movements`).

Per customer, ordered by month (a window), a row's previous month is the previous row
when it is exactly one month earlier: then the row is expansion (cur > prev),
contraction (cur < prev) or nothing; otherwise it is new (the customer's first row) or
a reactivation. A row whose next month is missing churns in the month after it when
that month is ``<= last_month``. Amounts are exact BIGINT ticks. The bridge sums them
per (group, month) in Spark; only those sums come back, and the pandas frame is built
with the same arithmetic and in the same shape as :func:`saas_kit.movements.mrr_movements`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from saas_kit.money import from_ticks
from saas_kit.movements import MOVEMENTS, bridge_frame, empty_bridge
from saas_kit.mrr import number_to_period, period_to_number

CODE = {name: i for i, name in enumerate(MOVEMENTS)}


def customer_movements(cm, last_month: int, attributes: tuple[str, ...] = ()):
    """Spark DataFrame of movements: ``customer_id``, ``month``, ``kind`` (index into
    MOVEMENTS), ``prev_ticks``, ``cur_ticks``, ``amount_ticks`` (+ ``attributes``)."""
    from pyspark.sql import Window, functions as F

    w = Window.partitionBy("customer_id").orderBy("month")
    rows = cm.select("customer_id", "month", "mrr_ticks", *attributes,
                     F.lag("month").over(w).alias("prev_month"), F.lag("mrr_ticks").over(w).alias("prev_ticks"),
                     F.lead("month").over(w).alias("next_month"))
    consecutive = F.col("prev_month") == F.col("month") - 1
    kind = (F.when(F.col("prev_month").isNull(), CODE["new"])
            .when(~consecutive, CODE["reactivation"])
            .when(F.col("mrr_ticks") > F.col("prev_ticks"), CODE["expansion"])
            .when(F.col("mrr_ticks") < F.col("prev_ticks"), CODE["contraction"]))
    prev = F.when(consecutive, F.col("prev_ticks")).otherwise(F.lit(0).cast("long"))
    moves = rows.select("customer_id", "month", kind.alias("kind"), prev.alias("prev_ticks"),
                        F.col("mrr_ticks").alias("cur_ticks"), *attributes).where(F.col("kind").isNotNull())
    ends = (F.col("next_month").isNull() | (F.col("next_month") != F.col("month") + 1)) & (F.col("month") < last_month)
    churns = rows.where(ends).select("customer_id", (F.col("month") + 1).alias("month"),
                                     F.lit(CODE["churn"]).alias("kind"), F.col("mrr_ticks").alias("prev_ticks"),
                                     F.lit(0).cast("long").alias("cur_ticks"), *attributes)
    both = moves.unionByName(churns)
    amount = F.when(F.col("kind") == CODE["churn"], F.col("prev_ticks")).otherwise(
        F.abs(F.col("cur_ticks") - F.col("prev_ticks")))
    return both.withColumn("amount_ticks", amount)


def month_range(cm) -> tuple[int, int] | None:
    from pyspark.sql import functions as F

    row = cm.agg(F.min("month").alias("lo"), F.max("month").alias("hi")).collect()[0]
    return None if row["lo"] is None else (int(row["lo"]), int(row["hi"]))


def mrr_movements(cm, start_month=None, last_month=None, by: str | None = None,
                  span: tuple[int, int] | None = None) -> pd.DataFrame:
    """The MRR bridge per month, equal to :func:`saas_kit.movements.mrr_movements` on the
    same customer-months (``by``: a column of ``cm`` constant per customer). ``span`` is
    the (first, last) month of ``cm`` when the caller knows it (saves a pass)."""
    from pyspark.sql import functions as F

    span = span or month_range(cm)
    if span is None:
        return empty_bridge(by)
    hi = period_to_number(last_month) if last_month is not None else span[1]
    lo = span[0] if start_month is None else period_to_number(start_month)
    if hi < lo:
        return empty_bridge(by)
    keys = [by] if by else []
    moves = customer_movements(cm, hi, tuple(keys)).where(F.col("month").between(lo, hi))
    flows = (moves.groupBy(*keys, "month", "kind")
             .agg(F.sum("amount_ticks").alias("ticks"), F.count(F.lit(1)).alias("n")).collect())
    closing = (cm.where(F.col("month") <= hi).groupBy(*keys, F.greatest(F.col("month"), F.lit(lo - 1)).alias("m"))
               .agg(F.sum(F.when(F.col("month") >= lo - 1, F.col("mrr_ticks"))).alias("ticks"),
                    F.count(F.when(F.col("month") >= lo - 1, 1)).alias("n")).collect())
    groups = sorted({r[by] for r in closing} | {r[by] for r in flows}) if by else [None]
    return assemble_bridge(groups, by, lo, hi, flows, closing)


def assemble_bridge(groups: list, by: str | None, lo: int, hi: int, flows, closing) -> pd.DataFrame:
    """The pandas bridge from the per-(group, month, kind) sums and the closing sums."""
    n_groups, span = len(groups), hi - lo + 1
    gi = {g: i for i, g in enumerate(groups)}
    cols = {name: np.zeros(n_groups * span, dtype="int64") for name in MOVEMENTS}
    counts = {name: np.zeros(n_groups * span, dtype="int64") for name in MOVEMENTS}
    for r in flows:
        i = gi[r[by] if by else None] * span + (r["month"] - lo)
        name = MOVEMENTS[r["kind"]]
        cols[name][i] += r["ticks"]
        counts[name][i] += r["n"]
    cells = np.zeros((n_groups, span + 1), dtype="int64")
    custs = np.zeros((n_groups, span + 1), dtype="int64")
    for r in closing:
        g = gi[r[by] if by else None]
        cells[g, r["m"] - (lo - 1)] += r["ticks"] or 0
        custs[g, r["m"] - (lo - 1)] += r["n"]
    closing_t, customers = cells[:, 1:].ravel(), custs[:, 1:].ravel()
    opening = np.concatenate([cells[:, :1], cells[:, 1:-1]], axis=1).ravel()
    opening_n = np.concatenate([custs[:, :1], custs[:, 1:-1]], axis=1).ravel()
    return bridge_frame(groups, by, lo, hi, opening, opening_n, closing_t, customers, cols, counts)


def top_movers(movements, month, n: int = 10, attributes: tuple[str, ...] = ()) -> pd.DataFrame:
    """The "who moved" lists of one month: per movement (in the order new, expansion,
    reactivation, contraction, churn) the ``n`` customers with the largest amounts
    (ties: customer id ascending). Columns ``movement``, ``rank``, ``customer_id``,
    ``prev_mrr``, ``mrr``, ``amount`` (+ ``attributes``). ``month=None``: the lists of
    every month at once, with a leading ``month`` column."""
    from pyspark.sql import Window, functions as F

    keys = ["month"] if month is None else []
    w = Window.partitionBy(*keys, "kind").orderBy(F.col("amount_ticks").desc(), F.col("customer_id"))
    chosen = movements if month is None else movements.where(F.col("month") == period_to_number(month))
    rows = (chosen.withColumn("rank", F.row_number().over(w))
            .where(F.col("rank") <= n).orderBy(*keys, "kind", "rank").collect())
    out = pd.DataFrame({
        "movement": pd.Categorical.from_codes([r["kind"] for r in rows], categories=list(MOVEMENTS)),
        "rank": np.asarray([r["rank"] for r in rows], dtype="int64"),
        "customer_id": np.asarray([r["customer_id"] for r in rows], dtype=object),
        "prev_mrr": from_ticks(np.asarray([r["prev_ticks"] for r in rows], dtype="int64")),
        "mrr": from_ticks(np.asarray([r["cur_ticks"] for r in rows], dtype="int64")),
        "amount": from_ticks(np.asarray([r["amount_ticks"] for r in rows], dtype="int64")),
    })
    for a in attributes:
        out[a] = np.asarray([r[a] for r in rows], dtype=object)
    if month is None:
        out.insert(0, "month", number_to_period(np.asarray([r["month"] for r in rows], dtype="int64"))
                   if rows else pd.PeriodIndex([], freq="M"))
    return out


def top_movers_pandas(movements: pd.DataFrame, month, n: int = 10) -> pd.DataFrame:
    """The same lists from the embedded :func:`saas_kit.movements.customer_movements`
    frame (the reference the Spark lists are tested against)."""
    from saas_kit.money import to_ticks

    sel = movements if month is None else movements[movements["month"] == pd.Period(month, freq="M")]
    sel = sel.copy()
    sel["_t"] = to_ticks(sel["amount"])
    sel["_k"] = sel["movement"].cat.codes
    keys = ["month"] if month is None else []
    sel = sel.sort_values([*keys, "_k", "_t", "customer_id"], ascending=[True] * len(keys) + [True, False, True],
                          kind="mergesort")
    sel["rank"] = sel.groupby([*keys, "_k"]).cumcount() + 1
    sel = sel[sel["rank"] <= n]
    out = pd.DataFrame({
        "movement": pd.Categorical.from_codes(sel["_k"].to_numpy(), categories=list(MOVEMENTS)),
        "rank": sel["rank"].to_numpy(dtype="int64"),
        "customer_id": sel["customer_id"].to_numpy(dtype=object),
        "prev_mrr": sel["prev_mrr"].to_numpy(), "mrr": sel["mrr"].to_numpy(), "amount": sel["amount"].to_numpy(),
    })
    if month is None:
        out.insert(0, "month", pd.PeriodIndex(sel["month"].to_numpy(), freq="M"))
    return out
