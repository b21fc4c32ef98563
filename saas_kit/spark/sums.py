"""The month's ledger sums in **one pass** over the customer-months (metrics.md §2-§4).

The customer-month frame (``customer_id``, ``month``, ``mrr_ticks`` and the segment
columns; hash-partitioned by customer and sorted by customer and month, see
:func:`saas_kit.spark.ledger.customer_mrr`) is read once: one window over each
customer's months gives the previous month and MRR, the next month, the MRR twelve
months later and the first month; each row then yields a few *sum records*, summed
per key in one aggregation:

====  ===================================  ==========================================
kind  key                                  sums
====  ===================================  ==========================================
0     (column, group, month, movement)     customers, closing MRR, movement amount
1     (column, group, month + 1, churn)    customers, churned MRR (the month after a
                                           customer's last row, ``<= report month``)
2     (column, group, month + 12)          base customers, base MRR, MRR 12 months
                                           later, capped at the base, retained count
3     (cohort, age)                        customers, MRR (months ``<= report month``)
4     (customer, report month, movement)   1, MRR before, MRR after: one record per
                                           customer whose MRR moved in the report month
====  ===================================  ==========================================

Movement codes are those of :data:`saas_kit.movements.MOVEMENTS` (-1: the MRR did not
move). Only these sums come back (a few thousand rows); the bridge, the twelve-month
retention, the cohorts and MRR per month are built from them in pandas with the
embedded engine's own functions and arithmetic (exact BIGINT ticks, the same
float64 ratios), so every frame equals the embedded one to the tick. The totals are
the sums over the groups of the first column (each customer has one group).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from saas_kit.calendar import months_from_numbers
from saas_kit.money import from_ticks
from saas_kit.movements import MOVEMENTS, bridge_frame, empty_bridge
from saas_kit.rates import ratio

CODE = {name: i for i, name in enumerate(MOVEMENTS)}
TTM_COLUMNS = ["month", "base_customers", "base_mrr", "retained_mrr", "retained_mrr_capped",
               "retained_customers", "nrr_ttm", "grr_ttm", "logo_retention_ttm"]
ALL = "\u0000all"  # the one group of the totals when no segment column is asked for


@dataclass
class LedgerSums:
    """The collected sums (pandas) and the month span they cover."""

    records: pd.DataFrame      # kind, column, group, month, code, n, x, y, z, k
    columns: tuple[str | None, ...]
    first: int                 # first month with MRR
    last_mrr: int              # latest month with MRR
    report: int                # the report month

    def of(self, kind: int, column: int | None = None) -> pd.DataFrame:
        r = self.records
        sel = r["kind"] == kind
        if column is not None:
            sel &= r["column"] == column
        return r[sel]


def ledger_sums(cm, columns: tuple[str, ...], report: int, span: tuple[int, int], months: int = 12,
                bridge_only: bool = False) -> LedgerSums:
    """The sum records of ``cm`` for the report month ``report`` (month number);
    ``span`` = (first, latest) month with MRR; ``columns``: the segment columns of
    ``cm`` (none: one group for everything). ``bridge_only``: the records of the bridge
    (kinds 0 and 1) alone, for ``saas-kit movements``."""
    from pyspark.sql import Window, functions as F

    first, last_mrr = span
    cols = list(columns) or [None]
    w = Window.partitionBy("customer_id").orderBy("month")
    rows = cm.select(
        "customer_id", "month", "mrr_ticks", *[F.col(f"`{c}`") for c in columns],
        F.lag("month").over(w).alias("pm"), F.lag("mrr_ticks").over(w).alias("pt"),
        F.lead("month").over(w).alias("nm"),
        F.max("mrr_ticks").over(w.rangeBetween(months, months)).alias("later"),
        F.min("month").over(w.rowsBetween(Window.unboundedPreceding, Window.currentRow)).alias("cohort"))
    month, mrr = F.col("month"), F.col("mrr_ticks")
    consecutive = F.col("pm") == month - 1
    code = (F.when(F.col("pm").isNull(), CODE["new"])
            .when(~consecutive, CODE["reactivation"])
            .when(mrr > F.col("pt"), CODE["expansion"])
            .when(mrr < F.col("pt"), CODE["contraction"])
            .otherwise(-1))
    amount = F.when(code == -1, 0).when(consecutive, F.abs(mrr - F.col("pt"))).otherwise(mrr)
    ends = (F.col("nm").isNull() | (F.col("nm") != month + 1)) & (month < report)
    later = F.coalesce(F.col("later"), F.lit(0).cast("long"))
    zero = F.lit(0).cast("long")

    def record(kind, ci, group, m, c, n, x, y=zero, z=zero, k=zero):
        return F.struct(F.lit(kind).alias("kind"), F.lit(ci).alias("column"), group.cast("string").alias("group"),
                        m.cast("int").alias("month"), F.lit(c).cast("int").alias("code") if isinstance(c, int)
                        else c.cast("int").alias("code"), n.cast("long").alias("n"), x.cast("long").alias("x"),
                        y.cast("long").alias("y"), z.cast("long").alias("z"), k.cast("long").alias("k"))

    one = F.lit(1).cast("long")
    nothing = F.lit(None).cast("struct<kind:int,column:int,group:string,month:int,code:int,n:bigint,x:bigint,"
                                "y:bigint,z:bigint,k:bigint>")
    records = []
    for ci, c in enumerate(cols):
        group = F.lit(ALL) if c is None else F.col(f"`{c}`")
        records.append(F.when(month <= report, record(0, ci, group, month, code, one, mrr, amount))
                       .otherwise(record(0, ci, group, month, -1, one, mrr)))
        records.append(F.when(ends, record(1, ci, group, month + 1, CODE["churn"], one, mrr)).otherwise(nothing))
        if bridge_only:
            continue
        records.append(F.when(month + months <= last_mrr,
                              record(2, ci, group, month + months, -1, one, mrr, later, F.least(later, mrr),
                                     F.col("later").isNotNull().cast("long"))).otherwise(nothing))
    before = F.when(consecutive, F.col("pt")).otherwise(zero)
    if not bridge_only:
        records.append(F.when(month <= report, record(3, -1, F.lit(None), F.col("cohort"), month - F.col("cohort"),
                                                      one, mrr)).otherwise(nothing))
        records.append(F.when((month == report) & (code >= 0),
                              record(4, -1, F.col("customer_id"), month, code, one, before, mrr))
                       .when(ends & (month == report - 1),
                             record(4, -1, F.col("customer_id"), month + 1, CODE["churn"], one, mrr, zero))
                       .otherwise(nothing))
    exploded = rows.select(F.explode(F.array(*records)).alias("r")).where(F.col("r").isNotNull()).select("r.*")
    sums = (exploded.groupBy("kind", "column", "group", "month", "code")
            .agg(*[F.sum(v).alias(v) for v in ("n", "x", "y", "z", "k")]).collect())
    frame = pd.DataFrame([r.asDict() for r in sums],
                         columns=["kind", "column", "group", "month", "code", "n", "x", "y", "z", "k"])
    for name in ("kind", "column", "month", "code", "n", "x", "y", "z", "k"):
        frame[name] = frame[name].astype("int64")
    return LedgerSums(frame, tuple(cols), first, last_mrr, report)


def groups_of(sums: LedgerSums, column: int) -> list:
    """The sorted groups of a column (every customer has closing rows, so all appear)."""
    return sorted(set(sums.of(0, column)["group"]))


def _cells(frame: pd.DataFrame, groups: list, lo: int, hi: int, value: str) -> np.ndarray:
    """Sum of ``value`` per (group, month lo..hi), flattened group-major."""
    gi = {g: i for i, g in enumerate(groups)}
    span = hi - lo + 1
    out = np.zeros(len(groups) * span, dtype="int64")
    sel = frame[(frame["month"] >= lo) & (frame["month"] <= hi)]
    if len(sel):
        idx = sel["group"].map(gi).to_numpy(dtype="int64") * span + (sel["month"].to_numpy() - lo)
        np.add.at(out, idx, sel[value].to_numpy(dtype="int64"))
    return out


def bridge(sums: LedgerSums, by: str | None = None, column: int = 0) -> pd.DataFrame:
    """The bridge of :func:`saas_kit.movements.mrr_movements` with ``last_month`` the
    report month: per group of ``column`` (``by`` its name), or the totals (``by`` None)."""
    lo, hi = sums.first, sums.report
    if hi < lo:
        return empty_bridge(by)
    groups = groups_of(sums, column)
    closing_rows = sums.of(0, column)
    flows = pd.concat([closing_rows[closing_rows["code"] >= 0], sums.of(1, column)])
    amounts, counts = {}, {}
    for name in MOVEMENTS:
        sel = flows[flows["code"] == CODE[name]]
        amounts[name] = _cells(sel.assign(v=np.where(sel["code"] == CODE["churn"], sel["x"], sel["y"])),
                               groups, lo, hi, "v")
        counts[name] = _cells(sel, groups, lo, hi, "n")
    closing = _cells(closing_rows, groups, lo, hi, "x")
    customers = _cells(closing_rows, groups, lo, hi, "n")
    if by is None:
        groups = [None]
        amounts = {k: _total(v, hi - lo + 1) for k, v in amounts.items()}
        counts = {k: _total(v, hi - lo + 1) for k, v in counts.items()}
        closing, customers = _total(closing, hi - lo + 1), _total(customers, hi - lo + 1)
    span = hi - lo + 1
    closing_2d, customers_2d = closing.reshape(len(groups), span), customers.reshape(len(groups), span)
    zeros = np.zeros((len(groups), 1), dtype="int64")  # nobody has MRR before the first month
    opening = np.concatenate([zeros, closing_2d[:, :-1]], axis=1).ravel()
    opening_n = np.concatenate([zeros, customers_2d[:, :-1]], axis=1).ravel()
    return bridge_frame(groups, by, lo, hi, opening, opening_n, closing, customers, amounts, counts)


def _total(cells: np.ndarray, span: int) -> np.ndarray:
    return cells.reshape(-1, span).sum(axis=0)


def trailing_retention(sums: LedgerSums, by: str | None = None, column: int = 0, months: int = 12) -> pd.DataFrame:
    """:func:`saas_kit.rates.trailing_retention` (per group of ``column`` with ``by``)."""
    empty = pd.DataFrame(columns=([by] if by else []) + TTM_COLUMNS)
    m0, last = sums.first, sums.last_mrr
    if last - m0 < months:
        return empty
    groups = groups_of(sums, column)
    lo, n_months = m0 + months, last - (m0 + months) + 1
    recs = sums.of(2, column)
    arrays = {name: _cells(recs, groups, lo, last, src)
              for name, src in (("base_n", "n"), ("base", "x"), ("cur", "y"), ("capped", "z"), ("kept_n", "k"))}
    if by is None:
        groups = [None]
        arrays = {k: _total(v, n_months) for k, v in arrays.items()}
    present = arrays["base_n"] > 0
    out = pd.DataFrame()
    if by is not None:
        out[by] = np.repeat(np.asarray(groups, dtype=object), n_months)[present]
    out["month"] = months_from_numbers(np.tile(np.arange(lo, last + 1), len(groups))[present])
    out["base_customers"] = arrays["base_n"][present]
    out["base_mrr"] = from_ticks(arrays["base"][present])
    out["retained_mrr"] = from_ticks(arrays["cur"][present])
    out["retained_mrr_capped"] = from_ticks(arrays["capped"][present])
    out["retained_customers"] = arrays["kept_n"][present]
    out["nrr_ttm"] = ratio(arrays["cur"][present], arrays["base"][present])
    out["grr_ttm"] = ratio(arrays["capped"][present], arrays["base"][present])
    out["logo_retention_ttm"] = ratio(arrays["kept_n"][present], arrays["base_n"][present])
    return out.reset_index(drop=True)


def cohort_long(sums: LedgerSums) -> pd.DataFrame:
    """:func:`saas_kit.cohorts.cohort_long` of the customer-months up to the report month
    (every age)."""
    columns = ["cohort", "age", "customers", "mrr", "logo_retention", "revenue_retention"]
    recs = sums.of(3).sort_values(["month", "code"], kind="stable")
    if recs.empty:
        return pd.DataFrame(columns=columns)
    cohort_no = recs["month"].to_numpy(dtype="int64")
    age_no = recs["code"].to_numpy(dtype="int64")
    customers = recs["n"].to_numpy(dtype="int64")
    ticks = recs["x"].to_numpy(dtype="int64")
    start = {int(c): (n, t) for c, a, n, t in zip(cohort_no, age_no, customers, ticks) if a == 0}
    start_customers = np.asarray([start[int(c)][0] for c in cohort_no], dtype="int64")
    start_ticks = np.asarray([start[int(c)][1] for c in cohort_no], dtype="int64")
    return pd.DataFrame({
        "cohort": months_from_numbers(cohort_no),
        "age": age_no,
        "customers": customers,
        "mrr": from_ticks(ticks),
        "logo_retention": customers / start_customers,
        "revenue_retention": ticks / start_ticks,
    })


def mrr_by_month(sums: LedgerSums) -> pd.Series:
    """:func:`saas_kit.mrr.mrr_by_month`: total MRR of every month with MRR in range."""
    lo, hi = sums.first, sums.last_mrr
    closing = _total(_cells(sums.of(0, 0), groups_of(sums, 0), lo, hi, "x"), hi - lo + 1)
    return pd.Series(from_ticks(closing), index=pd.period_range(months_from_numbers(np.asarray([lo]))[0],
                                                                periods=hi - lo + 1, freq="M"), name="mrr")
