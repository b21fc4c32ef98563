"""The five articles the report's definitions and figures come from, as the report cites them.

Each source keeps what its copy in the project's shared ``seeds/`` folder says about
itself (title, author or publisher, publication date); where the copy does not say, the
field is None and the references page says "not stated" rather than guessing. The
report numbers them [1]-[5] in seed order; :func:`citation` gives the marker and
:func:`references_table` the references page's rows.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Source:
    seed: str            # the file prefix in shared/seeds/ ("000" ... "004")
    title: str | None    # the article's own title, in Japanese (None: the copy has none)
    title_en: str        # our English rendering of the title
    author: str | None   # author or publisher, as the article names it
    published: str | None  # ISO date, as the article states it
    subjects: str        # what the report takes from it


SOURCES: tuple[Source, ...] = (
    Source("000", "NRRとは?計算方法・目安102%の意味と改善策を解説",
           "What is NRR? How to compute it, what the 102% benchmark means, and how to improve it",
           "B2Bデジタルプロダクト実践ガイド編集部 (B2B Digital Product Practice Guide, editorial team)",
           "2026-01-16", "NRR and GRR, the Japanese B2B average of 102.1%, GRR bands"),
    Source("001", "ARRとは?SaaSビジネスの年間経常収益の計算方法と改善施策",
           "What is ARR? Computing annual recurring revenue in a SaaS business, and how to raise it",
           "B2Bデジタルプロダクト実践ガイド編集部 (B2B Digital Product Practice Guide, editorial team)",
           "2025-12-17", "ARR and MRR, annual contracts, what ARR excludes, T2D3, growth stages, ARR multiples"),
    Source("002", "New ARRとは?計算方法・構成要素・成長戦略への活用を解説",
           "What is New ARR? Its computation, its components and its use in growth strategy",
           "B2Bデジタルプロダクト実践ガイド編集部 (B2B Digital Product Practice Guide, editorial team)",
           "2025-12-17", "New, Expansion, Contraction and Churn ARR, Net New ARR, the SaaS Quick Ratio, "
                         "ARR per employee, New ARR mix by stage"),
    Source("003", None,
           "An article on net dollar retention (NDR) and customer-success management (the copy has no title)",
           None, None, "net dollar retention as investors read it, US IPO medians, customer success"),
    Source("004", "サブスクビジネス完全攻略 第2回~「解約率5%」が1年後に半分の顧客を消す恐怖と、それを防ぐ科学",
           "Mastering subscription businesses, part 2: how a 5% churn rate removes half the customers in a "
           "year, and the science of preventing it",
           "Qualitegコンサルティング (Qualiteg Consulting)", None,
           "churn compounding, logo and revenue churn, LTV and CAC, onboarding and the magic moment, "
           "churn benchmarks"),
)

_BY_SEED = {s.seed: (i + 1, s) for i, s in enumerate(SOURCES)}


def citation_number(seed: str) -> int:
    """The reference number [n] of a seed ("000" -> 1)."""
    try:
        return _BY_SEED[seed][0]
    except KeyError:
        raise KeyError(f"unknown source {seed!r}; known: {', '.join(_BY_SEED)}") from None


def citation(*seeds: str) -> str:
    """The in-text marker for one or more seeds: ``citation("000", "003")`` -> "[1, 4]"."""
    return "[" + ", ".join(str(citation_number(s)) for s in seeds) + "]"


def references_table() -> pd.DataFrame:
    """One row per source in citation order: number, title, English title, author, date, subjects."""
    return pd.DataFrame([
        {"number": n, "title": s.title or "not stated", "title_en": s.title_en, "author": s.author or "not stated",
         "published": s.published or "not stated", "subjects": s.subjects}
        for n, s in (_BY_SEED[seed] for seed in _BY_SEED)
    ])
