"""DuckDB doing what ``saas-kit metrics DATA_DIR --tables OUT_DIR`` writes, from the same
files, as one process: the end-to-end reference of the month analysis (issue 14).

    python benchmarks/duckdb_analysis.py DATA_DIR OUT_DIR [--threads N]

``DATA_DIR`` holds ``subscriptions``, ``customers`` and ``charges`` as CSV or Parquet and
``dataset.yml`` (its ``as_of``); the report month is the last complete month before the
as-of date (metrics.md §2). The SQL applies saas-kit's rules:

- MRR per subscription in exact ticks of 1/1200 (``amount * 1200 / months in the billing
  period``, rounded half up), month-end activity (``start_date <= last_day(M) < end_date``;
  open or 2100+ end dates run to the last month), summed per customer-month (metrics.md §2);
- one window pass over the customer-months (previous and next month, the customer's first
  month, the MRR twelve months later) feeds the movements of metrics.md §3, the bridge and
  its rates (§4), the twelve-month NRR/GRR (seed 003), the cohorts and, per value of
  customers' ``segment`` (``(unknown)`` for customers without one), the segment bridge and
  twelve-month retention, rolled up with GROUPING SETS;
- MRR by month, recurring revenue beside the one-off charges, MRR by billing period, the
  last twelve months' one-off charges by kind, and who moved in the report month (with the
  customer's name, segment and the plan of their last subscription started by month end).

It writes the same files as ``saas-kit metrics --tables`` (bridge.csv, ttm.csv,
mrr_by_month.csv, recurring_one_off.csv, billing_periods.csv, one_off_by_kind.csv,
segment_bridge_segment.csv, segment_ttm_segment.csv, cohorts.csv, movers.csv), the same
columns and rows, money as exact decimals of the tick counts, rates as ``repr`` floats.
It validates nothing: what an analytics engineer would run on files already trusted.
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

import duckdb

MOVEMENTS = ("new", "expansion", "reactivation", "contraction", "churn")
COUNTS = ("new_customers", "expansion_customers", "reactivated_customers", "contraction_customers",
          "churned_customers")
BRIDGE = ["month", "opening_mrr", *MOVEMENTS, "net_new_mrr", "closing_mrr", "opening_customers", "customers",
          *COUNTS]
RATES = ["nrr", "grr", "logo_churn", "revenue_churn", "revenue_churn_plain", "net_revenue_churn", "quick_ratio",
         "arr", "new_arr", "expansion_arr", "reactivation_arr", "contraction_arr", "churn_arr", "net_new_arr"]
TTM = ["month", "base_customers", "base_mrr", "retained_mrr", "retained_mrr_capped", "retained_customers",
       "nrr_ttm", "grr_ttm", "logo_retention_ttm"]
MOVER_ORDER = ("churn", "expansion", "contraction", "new", "reactivation")
#: Columns holding ticks (written as exact decimals of currency units).
MONEY = {"opening_mrr", *MOVEMENTS, "net_new_mrr", "closing_mrr", "arr", "new_arr", "expansion_arr",
         "reactivation_arr", "contraction_arr", "churn_arr", "net_new_arr", "mrr", "one_off", "billed_amount",
         "amount", "base_mrr", "retained_mrr", "retained_mrr_capped", "mrr_before", "mrr_after", "change"}

# --------------------------------------------------------------------------- the SQL

SUBSCRIPTIONS = """
CREATE TEMP TABLE subs AS
SELECT customer_id, plan, billing_period, amount_ticks, months, first_m,
       least(coalesce(end_m - 1, $last), $last) AS last_m,
       end_m,
       (2 * amount_ticks + months) // (2 * months) AS ticks,
       start_date, row_no
FROM (
    SELECT CAST(customer_id AS VARCHAR) AS customer_id, {plan} AS plan,
           lower(trim(CAST(billing_period AS VARCHAR))) AS billing_period,
           CAST(round(CAST(amount AS DOUBLE) * 1200) AS BIGINT) AS amount_ticks,
           CASE lower(trim(CAST(billing_period AS VARCHAR))) WHEN 'quarter' THEN 3 WHEN 'year' THEN 12 ELSE 1 END
               AS months,
           CAST(start_date AS DATE) AS start_date,
           year(CAST(start_date AS DATE)) * 12 + month(CAST(start_date AS DATE)) - 1 AS first_m,
           CASE WHEN end_date IS NULL OR year(CAST(end_date AS DATE)) >= 2100 THEN NULL
                ELSE year(CAST(end_date AS DATE)) * 12 + month(CAST(end_date AS DATE)) - 1 END AS end_m,
           row_number() OVER () AS row_no
    FROM subs_source
)
"""

CUSTOMER_MONTHS = """
CREATE TEMP TABLE cm AS
SELECT customer_id, m AS month_no, SUM(ticks) AS mrr_ticks
FROM (SELECT customer_id, ticks, unnest(range(first_m, last_m + 1)) AS m FROM subs WHERE ticks <> 0)
GROUP BY customer_id, m
HAVING SUM(ticks) > 0
"""

# One window pass: the month and MRR before and after each customer-month, the customer's
# first month (cohort) and their MRR twelve months later (NULL when they had none then).
ROWS = """
CREATE TEMP TABLE rows AS
SELECT cm.customer_id, coalesce(seg.segment, '(unknown)') AS segment, month_no, mrr_ticks,
       CASE WHEN LAG(month_no) OVER w = month_no - 1 THEN LAG(mrr_ticks) OVER w ELSE 0 END AS prev_ticks,
       LEAD(month_no) OVER w AS next_m,
       MIN(month_no) OVER (PARTITION BY cm.customer_id) AS cohort,
       SUM(mrr_ticks) OVER (PARTITION BY cm.customer_id ORDER BY month_no
                            RANGE BETWEEN 12 FOLLOWING AND 12 FOLLOWING) AS later_ticks
FROM cm LEFT JOIN seg USING (customer_id)
WINDOW w AS (PARTITION BY cm.customer_id ORDER BY month_no)
"""

# Every movement of metrics.md §3 up to the report month, with its customer.
MOVES = """
CREATE TEMP TABLE moves AS
SELECT customer_id, segment, month_no, prev_ticks, mrr_ticks AS cur_ticks,
       CASE WHEN prev_ticks = 0 AND month_no = cohort THEN 'new'
            WHEN prev_ticks = 0 THEN 'reactivation'
            WHEN mrr_ticks > prev_ticks THEN 'expansion' ELSE 'contraction' END AS movement
FROM rows WHERE prev_ticks <> mrr_ticks AND month_no <= $month
UNION ALL
SELECT customer_id, segment, month_no + 1, mrr_ticks, 0, 'churn'
FROM rows WHERE (next_m IS NULL OR next_m <> month_no + 1) AND month_no + 1 <= $month
"""

BRIDGE_CELLS = """
WITH flows AS (
    SELECT segment, month_no,
           {flows}
    FROM moves GROUP BY GROUPING SETS ((segment, month_no), (month_no))
),
closing AS (
    SELECT segment, month_no, SUM(mrr_ticks) AS closing_mrr, COUNT(*) AS customers
    FROM rows WHERE month_no <= $month GROUP BY GROUPING SETS ((segment, month_no), (month_no))
),
grid AS (
    SELECT g.segment, m.month_no
    FROM (SELECT DISTINCT segment FROM rows UNION ALL SELECT NULL) g,
         (SELECT unnest(range((SELECT min(month_no) FROM rows), $month + 1)) AS month_no) m
)
SELECT grid.segment IS NULL AS whole, grid.segment, grid.month_no,
       coalesce(LAG(closing.closing_mrr) OVER w, 0) AS opening_mrr,
       {flow_cells},
       coalesce(closing.closing_mrr, 0) AS closing_mrr,
       coalesce(LAG(closing.customers) OVER w, 0) AS opening_customers,
       coalesce(closing.customers, 0) AS customers,
       {count_cells}
FROM grid
LEFT JOIN flows ON flows.segment IS NOT DISTINCT FROM grid.segment AND flows.month_no = grid.month_no
LEFT JOIN closing ON closing.segment IS NOT DISTINCT FROM grid.segment AND closing.month_no = grid.month_no
WINDOW w AS (PARTITION BY grid.segment ORDER BY grid.month_no)
ORDER BY whole DESC, grid.segment, grid.month_no
""".format(
    flows=",\n           ".join(
        [f"SUM(abs(cur_ticks - prev_ticks)) FILTER (WHERE movement = '{m}') AS {m}" for m in MOVEMENTS]
        + [f"COUNT(*) FILTER (WHERE movement = '{m}') AS {c}" for m, c in zip(MOVEMENTS, COUNTS)]),
    flow_cells=", ".join(f"coalesce(flows.{m}, 0) AS {m}" for m in MOVEMENTS),
    count_cells=", ".join(f"coalesce(flows.{c}, 0) AS {c}" for c in COUNTS))

TTM_CELLS = """
SELECT segment IS NULL AS whole, segment, month_no + 12 AS month_no,
       COUNT(*) AS base_customers, SUM(mrr_ticks) AS base_mrr, SUM(coalesce(later_ticks, 0)) AS retained_mrr,
       SUM(least(coalesce(later_ticks, 0), mrr_ticks)) AS retained_mrr_capped,
       COUNT(later_ticks) AS retained_customers
FROM rows WHERE month_no + 12 <= (SELECT max(month_no) FROM rows)
GROUP BY GROUPING SETS ((segment, month_no), (month_no))
ORDER BY whole DESC, segment, month_no
"""

COHORTS = """
WITH cells AS (
    SELECT cohort, month_no - cohort AS age, COUNT(*) AS customers, SUM(mrr_ticks) AS mrr
    FROM rows WHERE month_no <= $month GROUP BY ALL
)
SELECT cohort, age, customers, mrr,
       customers / first_value(customers) OVER w AS logo_retention,
       CAST(mrr AS DOUBLE) / first_value(mrr) OVER w AS revenue_retention
FROM cells WINDOW w AS (PARTITION BY cohort ORDER BY age)
ORDER BY cohort, age
"""

MRR_BY_MONTH = """
WITH totals AS (SELECT month_no, SUM(mrr_ticks) AS mrr FROM cm GROUP BY month_no),
     months AS (SELECT unnest(range((SELECT min(month_no) FROM cm), (SELECT max(month_no) FROM cm) + 1)) AS month_no),
     one_off AS (SELECT year(CAST(date AS DATE)) * 12 + month(CAST(date AS DATE)) - 1 AS month_no,
                        SUM(CAST(round(CAST(amount AS DOUBLE) * 1200) AS BIGINT)) AS one_off
                 FROM charges_source GROUP BY 1)
SELECT months.month_no, coalesce(totals.mrr, 0) AS mrr, coalesce(one_off.one_off, 0) AS one_off
FROM months LEFT JOIN totals USING (month_no) LEFT JOIN one_off USING (month_no)
ORDER BY months.month_no
"""

BILLING_PERIODS = """
SELECT billing_period, COUNT(*) AS subscriptions, SUM(amount_ticks) AS billed, SUM(ticks) AS mrr
FROM subs WHERE first_m <= $month AND (end_m IS NULL OR end_m > $month)
GROUP BY billing_period
"""

ONE_OFF_BY_KIND = """
SELECT {kind} AS kind, COUNT(*) AS charges, SUM(CAST(round(CAST(amount AS DOUBLE) * 1200) AS BIGINT)) AS amount
FROM charges_source
WHERE year(CAST(date AS DATE)) * 12 + month(CAST(date AS DATE)) - 1 BETWEEN $month - 11 AND $month
GROUP BY ALL ORDER BY amount DESC, kind
"""

MOVERS = """
WITH moved AS (SELECT customer_id, movement, prev_ticks, cur_ticks FROM moves WHERE month_no = $month),
plans AS (
    SELECT customer_id, arg_max(plan, (start_date, row_no)) AS plan
    FROM subs WHERE first_m <= $month AND customer_id IN (SELECT customer_id FROM moved)
    GROUP BY customer_id
)
SELECT moved.movement, moved.customer_id,
       CASE WHEN trim(coalesce(c.name, '')) = '' THEN moved.customer_id ELSE c.name END AS name,
       coalesce(c.segment, '') AS segment, coalesce(plans.plan, '') AS plan,
       moved.prev_ticks, moved.cur_ticks, moved.cur_ticks - moved.prev_ticks AS change
FROM moved LEFT JOIN customers_source c USING (customer_id) LEFT JOIN plans USING (customer_id)
ORDER BY CASE moved.movement {order} END, abs(moved.cur_ticks - moved.prev_ticks) DESC, moved.customer_id
""".replace("{order}", " ".join(f"WHEN '{m}' THEN {i}" for i, m in enumerate(MOVER_ORDER)))


# --------------------------------------------------------------------------- cells


def money(ticks: int | None) -> str:
    """Exact decimal text of a tick count (saas_kit.money.ticks_to_text: up to 4 decimals)."""
    if ticks is None:
        return ""
    ticks = int(ticks)
    sign = "-" if ticks < 0 else ""
    whole, rest = divmod(abs(ticks), 1200)
    if rest == 0:
        return f"{sign}{whole}"
    frac, remainder = divmod(rest * 10_000, 1200)
    if 2 * remainder >= 1200:
        frac += 1
        if frac == 10_000:
            return f"{sign}{whole + 1}"
    return f"{sign}{whole}." + f"{frac:04d}".rstrip("0")


def rate(num: float, den: float) -> str:
    """``repr(num / den)``; empty when the denominator is 0 (undefined)."""
    return "" if den == 0 else repr(float(num) / float(den))


def month_text(month_no: int) -> str:
    return f"{month_no // 12:04d}-{month_no % 12 + 1:02d}"


def bridge_rates(r: dict) -> list[str]:
    """The rates of metrics.md §4 of one bridge row in ticks (saas_kit.rates.monthly_rates)."""
    o, e, c, ch, n, re_ = (r["opening_mrr"], r["expansion"], r["contraction"], r["churn"], r["new"],
                           r["reactivation"])
    net = n + re_ + e - c - ch
    cells = [rate(o + e - c - ch, o), rate(o - c - ch, o), rate(r["churned_customers"], r["opening_customers"]),
             rate(ch + c, o), rate(ch, o), rate(ch + c - e, o), rate(n + re_ + e, c + ch),
             money(r["closing_mrr"] * 12)]
    cells += [money(r[m] * 12) for m in MOVEMENTS] + [money(net * 12)]
    return cells


def bridge_row(r: dict) -> list[str]:
    net = r["new"] + r["reactivation"] + r["expansion"] - r["contraction"] - r["churn"]
    assert r["opening_mrr"] + net == r["closing_mrr"], f"bridge does not reconcile in {month_text(r['month_no'])}"
    return ([month_text(r["month_no"]), money(r["opening_mrr"])] + [money(r[m]) for m in MOVEMENTS]
            + [money(net), money(r["closing_mrr"]), str(r["opening_customers"]), str(r["customers"])]
            + [str(r[c]) for c in COUNTS])


def ttm_row(r: dict) -> list[str]:
    return [month_text(r["month_no"]), str(r["base_customers"]), money(r["base_mrr"]), money(r["retained_mrr"]),
            money(r["retained_mrr_capped"]), str(r["retained_customers"]),
            rate(r["retained_mrr"], r["base_mrr"]), rate(r["retained_mrr_capped"], r["base_mrr"]),
            rate(r["retained_customers"], r["base_customers"])]


def records(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> list[dict]:
    cursor = con.execute(sql, {k: v for k, v in params.items() if "$" + k in sql})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def text(value) -> str:
    """A text cell, with the formula-injection guard of saas_kit.csv_cells.safe_cell."""
    value = "" if value is None else str(value)
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


# --------------------------------------------------------------------------- the run


def last_complete_month(folder: Path) -> int:
    """The month number of the last complete month before dataset.yml's ``as_of`` (metrics.md §2)."""
    for line in (folder / "dataset.yml").read_text(encoding="utf-8").splitlines():
        if line.startswith("as_of:"):
            year, month = (int(x) for x in line.split(":", 1)[1].strip().strip("'\"")[:7].split("-"))
            return year * 12 + month - 2
    raise SystemExit(f"{folder}/dataset.yml has no as_of")


def source(folder: Path, kind: str) -> str | None:
    """The scan of ``<kind>.csv`` or ``<kind>.parquet`` (customer ids always as text)."""
    for suffix in (".csv", ".parquet"):
        path = folder / f"{kind}{suffix}"
        if path.exists():
            quoted = str(path).replace("'", "''")
            if suffix == ".csv":
                return f"read_csv('{quoted}', types={{'customer_id': 'VARCHAR'}})"
            return f"read_parquet('{quoted}')"
    return None


def analysis_tables(folder: Path, threads: int | None = None) -> dict[str, list[list[str]]]:
    """File name -> header and rows of every table (see the module docstring)."""
    con = duckdb.connect(config={"threads": threads} if threads else {})
    last = last_complete_month(folder)
    params = {"last": last, "month": last}
    con.execute(f"CREATE VIEW subs_source AS SELECT * FROM {source(folder, 'subscriptions')}")
    customers = source(folder, "customers")
    charges = source(folder, "charges")
    con.execute(f"CREATE VIEW customers_source AS SELECT * FROM {customers}" if customers else
                "CREATE VIEW customers_source AS SELECT NULL::VARCHAR AS customer_id, NULL::VARCHAR AS name, "
                "NULL::VARCHAR AS segment WHERE false")
    con.execute(f"CREATE VIEW charges_source AS SELECT * FROM {charges}" if charges else
                "CREATE VIEW charges_source AS SELECT NULL::VARCHAR AS customer_id, NULL::DATE AS date, "
                "NULL::DOUBLE AS amount, NULL::VARCHAR AS kind WHERE false")
    sub_columns = {row[0] for row in con.execute("DESCRIBE subs_source").fetchall()}
    charge_columns = {row[0] for row in con.execute("DESCRIBE charges_source").fetchall()}
    con.execute(SUBSCRIPTIONS.replace("{plan}", "CAST(plan AS VARCHAR)" if "plan" in sub_columns
                                      else "NULL::VARCHAR"), {"last": last})
    con.execute(CUSTOMER_MONTHS)
    con.execute("CREATE TEMP TABLE seg AS SELECT CAST(customer_id AS VARCHAR) AS customer_id, "
                "CAST(segment AS VARCHAR) AS segment FROM customers_source")
    con.execute(ROWS)
    con.execute(MOVES, {"month": last})
    tables: dict[str, list[list[str]]] = {}

    cells = records(con, BRIDGE_CELLS, params)
    whole = [r for r in cells if r["whole"]]
    tables["bridge.csv"] = [BRIDGE + RATES] + [bridge_row(r) + bridge_rates(r) for r in whole]
    ttm = records(con, TTM_CELLS, params)
    tables["ttm.csv"] = [TTM] + [ttm_row(r) for r in ttm if r["whole"]]

    by_month = records(con, MRR_BY_MONTH, params)
    tables["mrr_by_month.csv"] = [["month", "mrr"]] + [[month_text(r["month_no"]), money(r["mrr"])] for r in by_month]
    tables["recurring_one_off.csv"] = [["month", "mrr", "arr", "one_off", "one_off_share"]] + [
        [month_text(r["month_no"]), money(r["mrr"]), money(r["mrr"] * 12), money(r["one_off"]),
         rate(r["one_off"], r["mrr"] + r["one_off"])] for r in by_month if r["month_no"] <= last]

    periods = {r["billing_period"]: r for r in records(con, BILLING_PERIODS, params)}
    total = sum(r["mrr"] for r in periods.values())
    tables["billing_periods.csv"] = [["billing_period", "subscriptions", "billed_amount", "mrr", "arr", "mrr_share"]]
    for name in ("month", "quarter", "year"):
        r = periods.get(name, {"subscriptions": 0, "billed": 0, "mrr": 0})
        tables["billing_periods.csv"].append([name, str(r["subscriptions"]), money(r["billed"]), money(r["mrr"]),
                                              money(r["mrr"] * 12), rate(r["mrr"], total)])
    kind = "CAST(kind AS VARCHAR)" if "kind" in charge_columns else "'one-off'"
    tables["one_off_by_kind.csv"] = [["kind", "charges", "amount"]] + [
        [text(r["kind"]), str(r["charges"]), money(r["amount"])]
        for r in records(con, ONE_OFF_BY_KIND.replace("{kind}", kind), params)]

    tables["segment_bridge_segment.csv"] = [["segment"] + BRIDGE] + [
        [text(r["segment"])] + bridge_row(r) for r in cells if not r["whole"]]
    tables["segment_ttm_segment.csv"] = [["segment"] + TTM] + [
        [text(r["segment"])] + ttm_row(r) for r in ttm if not r["whole"]]

    tables["cohorts.csv"] = [["cohort", "age", "customers", "mrr", "logo_retention", "revenue_retention"]] + [
        [month_text(r["cohort"]), str(r["age"]), str(r["customers"]), money(r["mrr"]), repr(r["logo_retention"]),
         repr(r["revenue_retention"])] for r in records(con, COHORTS, params)]
    tables["movers.csv"] = [["movement", "customer_id", "name", "segment", "plan", "mrr_before", "mrr_after",
                             "change"]] + [
        [r["movement"], text(r["customer_id"]), text(r["name"]), text(r["segment"]), text(r["plan"]),
         money(r["prev_ticks"]), money(r["cur_ticks"]), money(r["change"])] for r in records(con, MOVERS, params)]
    return tables


def main(argv: list[str]) -> int:
    threads = None
    if "--threads" in argv:
        i = argv.index("--threads")
        threads = int(argv[i + 1])
        argv = argv[:i] + argv[i + 2:]
    folder, out = Path(argv[0]), Path(argv[1])
    tables = analysis_tables(folder, threads)
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        with open(out / name, "w", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
