"""English words left in a text of the Japanese edition (issue 13): every run of Latin
letters that is not a metric acronym or name the glossary keeps in English, not code
(``customer_id``, ``events.csv``, ``invite_teammate>=3@14d``) and not a single letter.
Callers remove the data's own names (customers, plans, segments, events) first."""
from __future__ import annotations

import re

#: Acronyms and names kept in English in the Japanese edition (JA.md, glossary.yml).
ALLOWED = {"MRR", "ARR", "NRR", "GRR", "SaaS", "CAC", "LTV", "ARPA", "PMF", "YoY", "MoM", "B2B", "B2C", "SMB",
           "IPO", "KPI", "CSV", "PDF", "Parquet", "Quick", "Ratio", "Net", "New", "T2D3", "APE", "ID", "A4", "p", "phi"}
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[_.@>=/-][A-Za-z0-9_.@>=/-]*)?")


def english_words(text: str) -> list[str]:
    """The English words of ``text``: ``english_words("解約率 is 2.1%")`` -> ``["is"]``."""
    return [t for t in _TOKEN.findall(str(text))
            if not re.search(r"[_.@>=]|\d", t) and t not in ALLOWED and len(t) > 1]
