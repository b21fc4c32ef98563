"""The MRR movement classification of metrics.md §3 as window-function SQL in DuckDB.

A benchmark-only reference: the same input (customer-month MRR) and the same rules,
written the way an analytics engineer would in a warehouse. ``saas_kit`` must agree
with it on every month and be no slower than 1.5× on the largest ledger.
"""
from __future__ import annotations

import duckdb
import pandas as pd

#: The window part (shared with duckdb_e2e.py): each customer-month against the month before,
#: plus a churn row for the month after a customer's last month (up to $last_month).
WINDOW_CTES = """
lagged AS (
    SELECT customer_id, month_no, mrr_ticks,
           LAG(month_no) OVER w AS prev_month_no,
           LAG(mrr_ticks) OVER w AS prev_row_ticks,
           LEAD(month_no) OVER w AS next_month_no,
           ROW_NUMBER() OVER w AS rn
    FROM cm
    WINDOW w AS (PARTITION BY customer_id ORDER BY month_no)
),
moves AS (
    SELECT month_no,
           CASE WHEN prev_month_no = month_no - 1 THEN prev_row_ticks ELSE 0 END AS prev_ticks,
           mrr_ticks AS cur_ticks, rn
    FROM lagged
    UNION ALL
    -- churn: the month after a month that has no successor month
    SELECT month_no + 1, mrr_ticks, 0, 2
    FROM lagged
    WHERE (next_month_no IS NULL OR next_month_no <> month_no + 1) AND month_no + 1 <= $last_month
)
"""

#: The movement sums per month over ``moves`` (shared with duckdb_e2e.py).
MOVEMENT_SUMS = """
SELECT month_no,
       SUM(CASE WHEN prev_ticks = 0 AND cur_ticks > 0 AND rn = 1 THEN cur_ticks ELSE 0 END) AS new,
       SUM(CASE WHEN prev_ticks > 0 AND cur_ticks > prev_ticks THEN cur_ticks - prev_ticks ELSE 0 END) AS expansion,
       SUM(CASE WHEN prev_ticks = 0 AND cur_ticks > 0 AND rn > 1 THEN cur_ticks ELSE 0 END) AS reactivation,
       SUM(CASE WHEN prev_ticks > 0 AND cur_ticks > 0 AND cur_ticks < prev_ticks THEN prev_ticks - cur_ticks ELSE 0 END) AS contraction,
       SUM(CASE WHEN prev_ticks > 0 AND cur_ticks = 0 THEN prev_ticks ELSE 0 END) AS churn,
       SUM(CASE WHEN prev_ticks > 0 AND cur_ticks = 0 THEN 1 ELSE 0 END) AS churned_customers,
       SUM(CASE WHEN prev_ticks = 0 AND cur_ticks > 0 AND rn = 1 THEN 1 ELSE 0 END) AS new_customers
FROM moves
GROUP BY month_no
"""

MOVEMENTS_SQL = ("WITH cm AS (SELECT customer_id, month_no, mrr_ticks FROM customer_months WHERE mrr_ticks > 0),\n"
                 + WINDOW_CTES + MOVEMENT_SUMS + "ORDER BY month_no\n")


def duckdb_movements(customer_months: pd.DataFrame, last_month_no: int,
                     connection: duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
    """Movement totals per month (in ticks) from a frame with integer columns
    ``customer_id`` (codes), ``month_no`` and ``mrr_ticks``."""
    con = connection or duckdb.connect()
    con.register("customer_months", customer_months)
    return con.execute(MOVEMENTS_SQL, {"last_month": last_month_no}).df()
