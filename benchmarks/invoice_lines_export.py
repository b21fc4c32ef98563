"""A deterministic Stripe invoice-line export for N customers (issue 12, the import benchmark).

    PYTHONPATH=. .venv/bin/python benchmarks/invoice_lines_export.py --customers 100000 [--format parquet csv]
        [--seed 12] [--out benchmarks/data/invoice-lines]

Writes ``benchmarks/data/invoice-lines/c<N>.parquet`` (and ``c<N>.csv`` with ``--format csv``):
Stripe Sigma's ``invoice_line_items`` joined to the invoice's customer, the columns
``id, invoice_id, customer, subscription, type, amount, discount_amount, tax_amount, currency,
period_start, period_end, proration, quantity, description`` (amounts in cents as int64, the
periods as ISO dates ``YYYY-MM-DD``, ``proration`` as ``true``/``false``, everything else
text), what ``saas-kit import stripe-invoice-lines`` reads (metrics.md §8).

Its own simple model, not the generated company of ``saas-kit generate`` (which has
subscriptions, not invoices), vectorised with one seeded numpy generator, so the same N and
seed give the same file; as of 2026-11-01 (no line starts after it):

- 85% of the customers pay monthly: a signup month in 2023-11..2025-10, a life of 12-24
  months, one line per month of it (``subscription``, ``[anchor day of M, anchor day of M+1)``
  with the day clamped to the month, as Stripe does); the anchor day is the 1st for 60% of
  them, else the signup day (2-28; 29-31 for 3%, whose February lines end on the 28th/29th and
  the next ones start there: a line that is not a whole calendar month);
- 15% pay yearly: 12-month lines from a mid-month day (2026-01-15 -> 2027-01-15), renewed
  once with 80%;
- 5% of the customers (monthly, billed on the 1st, at least 3 lines) change plan in the
  middle of a month (70% up a tier, 30% down): two proration lines over ``[day, 1st of next
  month)``, ``-round(old x days_left / days_in_month)`` and ``+round(new x ...)`` in cents,
  the later lines at the new price;
- discounts for 10% (10/20/25/50%; half of them on every line, half on the first three),
  the proration lines discounted alike; tax for 30% (7, 19 or 20% of the net);
- a one-off setup fee (no subscription, start = end = the signup day) for 10%; a one-off
  credit (a negative ``invoiceitem`` without subscription) for 1% and a negative
  ``subscription`` line (a credit on the subscription) for 0.3%.

About 15 lines per customer; the lines in customer order, each customer's by period start.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "data" / "invoice-lines"
AS_OF = np.datetime64("2026-11-01", "D")
BASE = np.datetime64("2023-11", "M")  # month index 0
SIGNUP_MONTHS = 24  # 2023-11 .. 2025-10
PRICES = np.array([900, 1900, 2900, 4900, 9900, 19900, 49900], dtype=np.int64)  # cents a month
PRICE_WEIGHTS = np.array([0.12, 0.22, 0.22, 0.2, 0.14, 0.07, 0.03])
PLAN_NAMES = ["Starter", "Basic", "Team", "Pro", "Business", "Scale", "Enterprise"]
TYPES = ["subscription", "invoiceitem"]
DESCRIPTIONS = [*(f"{p} (monthly)" for p in PLAN_NAMES), *(f"{p} (yearly)" for p in PLAN_NAMES),
                "Unused time", "Remaining time", "Setup fee", "Credit", "Service credit"]
D_MONTHLY, D_YEARLY, D_UNUSED, D_REMAINING, D_SETUP, D_CREDIT, D_SUB_CREDIT = 0, 7, 14, 15, 16, 17, 18


def _days_in(month: np.ndarray) -> np.ndarray:
    return ((month + 1).astype("M8[D]") - month.astype("M8[D]")).astype(np.int64)


def _on_day(month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """The ``day`` of each month, clamped to its last day."""
    return month.astype("M8[D]") + (np.minimum(day, _days_in(month)) - 1)


def _ranks(counts: np.ndarray) -> np.ndarray:
    """0..count-1 for every group of ``counts`` (the k of a customer's k-th line)."""
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(counts.sum(), dtype=np.int64) - starts


def _round_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """round(a / b) of integers, halves away from zero (Stripe rounds prorations to the cent)."""
    q = (2 * np.abs(a) + b) // (2 * b)
    return np.where(a < 0, -q, q)


def generate(customers: int, seed: int = 12):
    """The export as a pyarrow Table."""
    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng(seed)
    n = customers
    tier = rng.choice(len(PRICES), n, p=PRICE_WEIGHTS)
    qty = np.where(rng.random(n) < 0.2, rng.integers(2, 11, n), 1).astype(np.int64)
    signup = rng.integers(0, SIGNUP_MONTHS, n)
    signup_day = rng.integers(2, 29, n)
    signup_day = np.where(rng.random(n) < 0.03, rng.integers(29, 32, n), signup_day)
    yearly = rng.random(n) < 0.15
    anchor = np.where(~yearly & (rng.random(n) < 0.6), 1, signup_day)
    life = rng.integers(12, 25, n)  # months (monthly customers)
    years = 1 + (rng.random(n) < 0.8)  # yearly customers
    discount_pct = np.where(rng.random(n) < 0.10, rng.choice([10, 20, 25, 50], n), 0)
    discount_lines = np.where(rng.random(n) < 0.5, 3, 10**6)  # a repeating coupon, else forever
    tax_pct = np.where(rng.random(n) < 0.30, rng.choice([7, 19, 20], n), 0)

    # lines of the plan: monthly periods, or yearly ones
    months_per_line = np.where(yearly, 12, 1)
    last_start = (AS_OF.astype("M8[M]") - BASE).astype(np.int64)  # month index of the as-of
    # periods k = 0.. start in month signup + k * months_per_line, on the anchor day; none after the as-of
    fits = (last_start - signup) // months_per_line + 1  # the period starting in the as-of month counts if on the 1st
    starts_in_as_of = (last_start - signup) % months_per_line == 0
    fits = np.where(starts_in_as_of & (anchor > 1), fits - 1, fits)
    count = np.minimum(np.where(yearly, years, life), fits)
    c = np.repeat(np.arange(n), count)
    k = _ranks(count)
    month = BASE + (signup[c] + k * months_per_line[c])
    start = _on_day(month, anchor[c])
    end = _on_day(month + months_per_line[c], anchor[c])

    # plan changes: monthly customers billed on the 1st with at least 3 lines
    eligible = np.flatnonzero(~yearly & (anchor == 1) & (count >= 3))
    movers = eligible[rng.random(len(eligible)) < min(1.0, 0.05 * n / max(len(eligible), 1))]
    at = rng.integers(1, count[movers] - 1)  # the line in whose month the change happens (a later one exists)
    up = rng.random(len(movers)) < 0.7
    new_tier = np.clip(tier[movers] + np.where(up, 1, -1), 0, len(PRICES) - 1)
    new_tier = np.where(new_tier == tier[movers], tier[movers] + np.where(up, -1, 1), new_tier)
    change_at = np.full(n, 10**6)
    change_at[movers] = at
    tier_after = tier.copy()
    tier_after[movers] = new_tier
    line_tier = np.where(k > change_at[c], tier_after[c], tier[c])
    amount = PRICES[line_tier] * qty[c] * np.where(yearly[c], 10, 1)
    discount = np.where(k < discount_lines[c], _round_div(amount * discount_pct[c], np.int64(100)), 0)
    plan = {"c": c, "sub": np.ones(len(c), bool), "type": np.zeros(len(c), np.int8), "amount": amount,
                      "discount": discount, "start": start, "end": end, "proration": np.zeros(len(c), bool),
                      "qty": qty[c], "desc": (line_tier + np.where(yearly[c], D_YEARLY, D_MONTHLY)).astype(np.int8),
                      "k": k}

    # the two proration lines of each plan change
    m_month = BASE + (signup[movers] + at)
    day = rng.integers(2, 29, len(movers))
    dim = _days_in(m_month)
    left = dim - day + 1
    p_start = m_month.astype("M8[D]") + (day - 1)
    p_end = (m_month + 1).astype("M8[D]")
    old_amount, new_amount = PRICES[tier[movers]] * qty[movers], PRICES[new_tier] * qty[movers]
    unused = -_round_div(old_amount * left, dim)
    remaining = _round_div(new_amount * left, dim)
    p_amount = np.concatenate([unused, remaining])
    pc_ = np.concatenate([movers, movers])
    p_at = np.concatenate([at, at])
    prorations = {"c": pc_, "sub": np.ones(len(pc_), bool), "type": np.ones(len(pc_), np.int8), "amount": p_amount,
                  "discount": np.where(p_at < discount_lines[pc_], _round_div(p_amount * discount_pct[pc_], np.int64(100)), 0),
                  "start": np.concatenate([p_start, p_start]), "end": np.concatenate([p_end, p_end]),
                  "proration": np.ones(len(pc_), bool), "qty": qty[pc_],
                  "desc": np.repeat(np.int8([D_UNUSED, D_REMAINING]), len(movers)), "k": p_at}

    # one-offs: setup fees, credits
    setup = np.flatnonzero(rng.random(n) < 0.10)
    signup_date = _on_day(BASE + signup, signup_day)
    credit = np.flatnonzero(rng.random(n) < 0.01)
    credit_month = BASE + np.minimum(signup[credit] + rng.integers(0, 12, len(credit)), last_start - 1)
    credit_day = _on_day(credit_month, rng.integers(1, 29, len(credit)))
    one_c = np.concatenate([setup, credit])
    one_day = np.concatenate([signup_date[setup], credit_day])
    one_offs = {"c": one_c, "sub": np.zeros(len(one_c), bool), "type": np.ones(len(one_c), np.int8),
                "amount": np.concatenate([rng.choice(np.int64([5000, 10000, 25000]), len(setup)),
                                          -rng.integers(5, 51, len(credit)) * 100]),
                "discount": np.zeros(len(one_c), np.int64), "start": one_day, "end": one_day,
                "proration": np.zeros(len(one_c), bool), "qty": np.ones(len(one_c), np.int64),
                "desc": np.concatenate([np.full(len(setup), D_SETUP), np.full(len(credit), D_CREDIT)]).astype(np.int8),
                "k": np.full(len(one_c), -1)}
    # credits on the subscription: a negative subscription line over the customer's first month
    sub_credit = np.flatnonzero((rng.random(n) < 0.003) & ~yearly & (count > 0))
    sc_month = BASE + signup[sub_credit]
    credits = {"c": sub_credit, "sub": np.ones(len(sub_credit), bool),
               "type": np.zeros(len(sub_credit), np.int8), "amount": -rng.integers(1, 11, len(sub_credit)) * 100,
               "discount": np.zeros(len(sub_credit), np.int64),
               "start": _on_day(sc_month, anchor[sub_credit]), "end": _on_day(sc_month + 1, anchor[sub_credit]),
               "proration": np.zeros(len(sub_credit), bool), "qty": np.ones(len(sub_credit), np.int64),
               "desc": np.full(len(sub_credit), D_SUB_CREDIT, np.int8), "k": np.zeros(len(sub_credit), np.int64)}

    parts = [plan, prorations, one_offs, credits]
    cols = {key: np.concatenate([p[key] for p in parts]) for key in plan}
    order = np.lexsort((cols["desc"], cols["start"].astype(np.int64), cols["c"]))
    cols = {key: v[order] for key, v in cols.items()}
    del parts, plan, prorations, one_offs, credits
    net = cols["amount"] - cols["discount"]
    tax = np.where(net > 0, _round_div(net * tax_pct[cols["c"]], np.int64(100)), 0)

    rows = len(cols["c"])
    cust = pa.array(cols["c"]).cast(pa.string())
    period_month = (cols["start"].astype("M8[M]") - BASE).astype(np.int64)

    def prefixed(prefix: str, values) -> "pa.Array":
        return pc.binary_join_element_wise(pa.scalar(prefix), values.cast(pa.string()) if not
                                           pa.types.is_string(values.type) else values, "")

    def iso(days: np.ndarray) -> "pa.Array":
        return pc.strftime(pa.array(days.astype("M8[s]")), format="%Y-%m-%d")

    customer = prefixed("cus_", cust)
    subscription = pc.if_else(pa.array(cols["sub"]), prefixed("sub_", cust), pa.scalar(""))
    invoice = pc.binary_join_element_wise(pa.scalar("in_"), cust, pa.array(period_month).cast(pa.string()), "_")
    table = pa.table({
        "id": prefixed("il_", pa.array(np.arange(1, rows + 1))),
        "invoice_id": invoice,
        "customer": customer,
        "subscription": subscription,
        "type": pa.DictionaryArray.from_arrays(pa.array(cols["type"]), pa.array(TYPES)).cast(pa.string()),
        "amount": pa.array(cols["amount"], pa.int64()),
        "discount_amount": pa.array(cols["discount"], pa.int64()),
        "tax_amount": pa.array(tax, pa.int64()),
        "currency": pa.DictionaryArray.from_arrays(pa.array(np.zeros(rows, np.int8)), pa.array(["usd"]))
        .cast(pa.string()),
        "period_start": iso(cols["start"]),
        "period_end": iso(cols["end"]),
        "proration": pc.if_else(pa.array(cols["proration"]), pa.scalar("true"), pa.scalar("false")),
        "quantity": pa.array(cols["qty"], pa.int64()),
        "description": pa.DictionaryArray.from_arrays(pa.array(cols["desc"]), pa.array(DESCRIPTIONS)).cast(pa.string()),
    })
    return table


def write_export(customers: int, formats=("parquet",), seed: int = 12, out: Path = OUT) -> dict[str, Path]:
    """``out/c<N>.<fmt>`` for every format, made once (kept when present)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    paths = {fmt: out / f"c{customers}.{fmt}" for fmt in formats}
    if all(p.exists() for p in paths.values()):
        return paths
    t = time.perf_counter()
    table = generate(customers, seed)
    for fmt, path in paths.items():
        staging = path.with_name(path.name + ".tmp")
        if fmt == "parquet":
            pq.write_table(table, staging, row_group_size=1_000_000)
        else:
            pacsv.write_csv(table, staging, pacsv.WriteOptions(quoting_style="needed"))
        staging.replace(path)
    print(f"{customers:,} customers: {table.num_rows:,} lines in {time.perf_counter() - t:.1f} s -> "
          f"{', '.join(str(p) for p in paths.values())}", flush=True)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", required=True)
    parser.add_argument("--format", nargs="+", choices=["parquet", "csv"], default=["parquet"])
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    for n in args.customers:
        write_export(n, tuple(args.format), args.seed, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
