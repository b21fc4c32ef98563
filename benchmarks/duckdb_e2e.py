"""DuckDB doing what ``saas-kit movements FILE`` does, from the same file, as one process:
the end-to-end reference of benchmarks/e2e.py (issue 14).

    python benchmarks/duckdb_e2e.py FILE LAST_MONTH > bridge.csv

``FILE`` is the subscriptions CSV or Parquet; ``LAST_MONTH`` (``YYYY-MM``) the last complete
month before the as-of date. The SQL applies the same rules (metrics.md §2-§3): MRR per
subscription in exact ticks (``amount * 1200 / months in the billing period``, rounded half
up), month-end activity (``start_date <= last_day(M) < end_date``; open or 2100+ end dates run
to ``LAST_MONTH``), subscriptions expanded to customer-months and summed, then the window SQL of
benchmarks/duckdb_reference.py, opening and closing MRR and customer counts. It prints one CSV
row per month with every amount in ticks (benchmarks/e2e.py compares it with saas-kit's table).
It validates nothing: what an analytics engineer would run on a file already trusted.
"""
from __future__ import annotations

import sys

import duckdb

from duckdb_reference import MOVEMENT_SUMS, WINDOW_CTES  # the window SQL both references share

BRIDGE_SQL = """
WITH subs AS (
    SELECT customer_id,
           CAST(round(CAST(amount AS DOUBLE) * 1200) AS BIGINT) AS amount_ticks,
           CASE lower(trim(CAST(billing_period AS VARCHAR)))
                WHEN 'quarter' THEN 3 WHEN 'year' THEN 12 ELSE 1 END AS months,
           year(start_date) * 12 + month(start_date) - 1 AS first_m,
           CASE WHEN end_date IS NULL OR year(end_date) >= 2100 THEN $last_month
                ELSE least(year(end_date) * 12 + month(end_date) - 2, $last_month) END AS last_m
    FROM source
),
ticked AS (
    SELECT customer_id, first_m, last_m, (2 * amount_ticks + months) // (2 * months) AS ticks
    FROM subs WHERE last_m >= first_m AND amount_ticks > 0
),
cm AS (
    SELECT customer_id, m AS month_no, SUM(ticks) AS mrr_ticks
    FROM (SELECT customer_id, ticks, unnest(range(first_m, last_m + 1)) AS m FROM ticked)
    GROUP BY customer_id, m
    HAVING SUM(ticks) > 0
),
""" + WINDOW_CTES + ",\nmovement AS (" + MOVEMENT_SUMS + "),\n" + """
closing AS (SELECT month_no, SUM(mrr_ticks) AS closing_mrr, COUNT(*) AS customers FROM cm GROUP BY month_no),
months AS (SELECT unnest(range((SELECT min(month_no) FROM cm), $last_month + 1)) AS month_no)
SELECT months.month_no,
       coalesce(LAG(closing.closing_mrr) OVER (ORDER BY months.month_no), 0) AS opening_mrr,
       coalesce(new, 0) AS new, coalesce(expansion, 0) AS expansion, coalesce(reactivation, 0) AS reactivation,
       coalesce(contraction, 0) AS contraction, coalesce(churn, 0) AS churn,
       coalesce(closing.closing_mrr, 0) AS closing_mrr, coalesce(customers, 0) AS customers,
       coalesce(new_customers, 0) AS new_customers, coalesce(churned_customers, 0) AS churned_customers
FROM months LEFT JOIN movement USING (month_no) LEFT JOIN closing USING (month_no)
ORDER BY months.month_no
"""


def main(argv: list[str]) -> int:
    path, last_month = argv
    year, month = (int(x) for x in last_month.split("-"))
    con = duckdb.connect()
    reader = "read_parquet" if path.lower().endswith((".parquet", ".pq")) else "read_csv"
    con.execute(f"CREATE VIEW source AS SELECT * FROM {reader}('{path.replace(chr(39), chr(39) * 2)}')")
    rows = con.execute(BRIDGE_SQL, {"last_month": year * 12 + month - 1}).fetchall()
    out = ["month_no,opening_mrr,new,expansion,reactivation,contraction,churn,closing_mrr,customers,"
           "new_customers,churned_customers"]
    out += [",".join(str(int(v)) for v in row) for row in rows]
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
