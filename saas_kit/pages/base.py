"""What every chapter's words start from (:class:`MonthBasis`: the month's facts, the
report month, the number style and the figures every chapter shares, computed once)
and what they produce (:class:`Page`: the texts a notebook glues, the tables it
displays and the series it plots). Issue 11: the package computes every figure a page
states; issues 12 and 14: the pages read numbers only from the month's facts
(:class:`saas_kit.facts.MonthFacts`), so either engine can feed them and several
languages word the same facts."""
from __future__ import annotations

import functools
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Callable

import pandas as pd

from saas_kit.errors import ParameterError
from saas_kit.facts import MonthFacts, SegmentFacts
from saas_kit.formatting import Formatter
from saas_kit.kpis import activation_kpi_row, headline_kpis, kpi_texts


@dataclass
class MonthBasis:
    """The figures every chapter of one report month shares.

    ``facts``: every number of the month (:class:`saas_kit.facts.MonthFacts`; the pages
    read nothing else); ``bridge``: :func:`saas_kit.rates.monthly_rates` of the MRR
    bridge up to the report month (metrics.md §2-§4) and ``ttm``: twelve-month retention
    per month (§3), both the facts' own; ``kpis``: the overview's headline table
    (:func:`saas_kit.kpis.headline_kpis`, plus the activation row when the data have
    events); ``activation``: that row in full (:func:`saas_kit.kpis.activation_kpi_row`:
    with its cohort, signups and rule) or None; ``requested_currency``: the currency
    parameter as given ("" = the data's own)."""

    facts: MonthFacts
    month: pd.Period
    style: str
    fmt: Formatter
    kpis: pd.DataFrame
    activation: pd.DataFrame | None = None
    requested_currency: str = ""

    @property
    def bridge(self) -> pd.DataFrame:
        return self.facts.ledger.bridge

    @property
    def ttm(self) -> pd.DataFrame:
        return self.facts.ledger.ttm

    @property
    def currency(self) -> str:
        return self.fmt.currency

    @property
    def lang(self) -> str:
        """The language of the report's words (``en`` or ``ja``; issue 13)."""
        return self.fmt.lang

    @property
    def month_label(self) -> str:
        return self.fmt.month(self.month)

    def common_texts(self) -> dict[str, str]:
        """``report_month`` and ``report_month_label``: every page glues them."""
        return {"report_month": str(self.month), "report_month_label": self.month_label}

    def kpi_texts(self, keys: list[str] | tuple[str, ...]) -> dict[str, str]:
        """``kpi_<key>``, ``_mom``, ``_yoy``, ``_band`` for the overview (:func:`saas_kit.kpis.kpi_texts`)."""
        return kpi_texts(self.kpis, keys)

    def segment(self, column: str) -> SegmentFacts | None:
        """The facts' bridge and twelve-month retention per value of ``column``; None when
        customers.csv has no such column (or there is no customers.csv). ParameterError
        when it has one but the facts were computed without it (other chapter parameters)."""
        if column not in self.facts.data.customer_columns:
            return None
        if column not in self.facts.ledger.segments:
            raise ParameterError(f"the month's facts have no figures per {column!r} (they were computed for "
                                 f"{', '.join(self.facts.ledger.segments) or 'no segment column'}): compute them "
                                 f"with segment_column={column!r}")
        return self.facts.ledger.segments[column]


def month_basis(facts: MonthFacts, style: str = "en", requested_currency: str = "", lang: str = "en") -> MonthBasis:
    """The shared figures of the facts' month in ``style`` and ``lang``: the headline KPIs
    (from the facts' KPI series) and, when the facts have activation figures, the
    activation row (the overview's rule) appended."""
    month = facts.month
    fmt = Formatter(style, facts.data.currency, lang)
    kpis = headline_kpis(None, month, facts.data.currency, style=style, series=facts.ledger.kpi_series, lang=lang)
    activation_rows = None
    if facts.activation is not None:
        activation_rows = activation_kpi_row(facts.activation.kpi_by_cohort, month, facts.activation.kpi_rule,
                                             style=style, lang=lang)
        kpis = pd.concat([kpis, activation_rows[kpis.columns]], ignore_index=True)
    return MonthBasis(facts=facts, month=month, style=style, fmt=fmt, kpis=kpis, activation=activation_rows,
                      requested_currency=requested_currency)


@dataclass
class Page:
    """The facts of one chapter: ``texts`` (glue key -> text, every sentence's figures),
    ``tables`` (name -> a display-ready DataFrame, or a one-line note when the table
    cannot be shown), ``data`` (name -> what a chart plots) and the number style."""

    chapter: str
    fmt: Formatter
    month: pd.Period
    texts: dict[str, str] = field(default_factory=dict)
    tables: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)

    def glue(self, lang: str | None = None) -> None:
        """Glue every text (myst-nb ``glue``, not displayed). Call from a notebook.
        ``lang``: glue under the language's key (:func:`saas_kit.i18n.lang_key`:
        ``key`` for English, ``key__ja`` for Japanese) for a multi-language notebook."""
        from myst_nb import glue

        for key, text in self.texts.items():
            glue(_glue_key(key, lang), str(text), display=False)

    def show(self, name: str, lang: str | None = None) -> None:
        """Display a table, or print its note when there is no table. Call from a notebook.

        A table shows its index as an ordinary first column (no row numbers, no
        index-name row) and every cell in full, wrapped rather than cut with "...".
        ``lang``: the output carries the metadata ``{"saas_kit": {"lang": lang}}``
        (:func:`output_metadata`), so that only that language's edition shows it."""
        from IPython.display import HTML, display

        table = self.tables[name]
        if isinstance(table, str):
            display(HTML(f'<p class="page-note">{_escape(table)}</p>'), metadata=output_metadata(lang))
        else:
            display(HTML(table_html(table)), metadata=output_metadata(lang))

    def glue_html(self, name: str, lang: str | None = None) -> None:
        """Glue the HTML table ``name`` (a str of HTML, or a DataFrame) for a page that
        embeds it (the overview), under the language's key with ``lang``. Call from a notebook."""
        from IPython.display import HTML
        from myst_nb import glue

        table = self.tables[name]
        glue(_glue_key(name, lang), HTML(table if isinstance(table, str) else table_html(table)), display=False)


#: The output metadata key naming the language of a displayed output (issue 13).
OUTPUT_METADATA_KEY = "saas_kit"


def output_metadata(lang: str | None) -> dict[str, Any] | None:
    """``{"saas_kit": {"lang": lang}}``, the metadata of an output shown only in the
    ``lang`` edition (:mod:`saas_kit.book_i18n` drops it from the others); None
    (no metadata) for a single-language notebook."""
    return None if lang is None else {OUTPUT_METADATA_KEY: {"lang": lang}}


def _glue_key(key: str, lang: str | None) -> str:
    from saas_kit.i18n import lang_key

    return key if lang is None else lang_key(key, lang)


class Pages:
    """The page of one chapter in several languages (``pages``: language -> :class:`Page`,
    the first one the primary), with :class:`Page`'s interface, so that a notebook's
    cells stay the same for one language or several (issue 13): :meth:`glue` glues
    every language's texts (``key``, ``key__ja``), :meth:`show` displays a table once
    per language, each output marked with its language (:func:`output_metadata`);
    anything else (``fmt``, ``data``, ``texts``, ``tables``, ...) is the primary page's."""

    def __init__(self, pages: dict[str, Page]):
        if not pages:
            raise ValueError("Pages needs at least one language's page")
        self.pages = dict(pages)

    @property
    def primary(self) -> Page:
        return next(iter(self.pages.values()))

    @property
    def languages(self) -> list[str]:
        return list(self.pages)

    def __getattr__(self, name: str) -> Any:
        if name == "pages":  # not set yet (e.g. while unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.primary, name)

    def glue(self) -> None:
        for lang, page in self.pages.items():
            page.glue(lang)

    def show(self, name: str) -> None:
        for lang, page in self.pages.items():
            page.show(name, lang)

    def glue_html(self, name: str) -> None:
        for lang, page in self.pages.items():
            page.glue_html(name, lang)

    def __repr__(self) -> str:
        return f"Pages({self.primary.chapter!r}, languages={self.languages})"


def page_editions(page: Page | Pages) -> list[tuple[str | None, Page]]:
    """``(language, page)`` of every language ``page`` carries: each of a :class:`Pages`,
    ``(None, page)`` for a single :class:`Page` (its outputs carry no language)."""
    if isinstance(page, Pages):
        return list(page.pages.items())
    return [(None, page)]


#: The language of the figures being drawn (None: a single-language page, today's plain output).
_FIGURE_LANG: ContextVar[str | None] = ContextVar("saas_kit_figure_lang", default=None)


def per_language(draw: Callable[..., None]) -> Callable[..., None]:
    """Decorator of a chart function of a page (saas_kit.charts): drawn once per
    language the page carries (issue 13). A :class:`Pages` draws with each language's
    page in turn, and each figure shown (:func:`show_figures`) or glued
    (:func:`figure_glue_key`) is marked with that language; a single :class:`Page`
    draws once, as before."""
    @functools.wraps(draw)
    def draw_each(page: Page | Pages, *args: Any, **kwargs: Any) -> None:
        for lang, one in page_editions(page):
            token = _FIGURE_LANG.set(lang)
            try:
                draw(one, *args, **kwargs)
            finally:
                _FIGURE_LANG.reset(token)

    return draw_each


def show_figures() -> None:
    """Show the open matplotlib figures: ``plt.show()`` for a single-language page;
    while one language of several is drawn (:func:`per_language`), each figure
    displayed with the output metadata ``{"saas_kit": {"lang": L}}``
    (:func:`output_metadata`; :mod:`saas_kit.book_i18n` keeps it in the ``L`` edition
    only), then closed."""
    import matplotlib.pyplot as plt

    lang = _FIGURE_LANG.get()
    if lang is None:
        plt.show()
        return
    from IPython.display import display

    for number in plt.get_fignums():
        fig = plt.figure(number)
        display(fig, metadata=output_metadata(lang))
        plt.close(fig)


def figure_glue_key(key: str) -> str:
    """The glue key of a glued figure in the language being drawn (``key``, ``key__ja``)."""
    return _glue_key(key, _FIGURE_LANG.get())


def pages_of(pages: dict[str, Page]) -> Page | Pages:
    """What a notebook gets: the :class:`Page` itself for one language, :class:`Pages` for several."""
    return next(iter(pages.values())) if len(pages) == 1 else Pages(pages)


def _escape(text: str) -> str:
    import html

    return html.escape(str(text))


def table_html(table: pd.DataFrame) -> str:
    """``table`` as an HTML table: a named or non-numeric index becomes the first column,
    a plain row number is dropped, column-name rows are left out, nothing is truncated."""
    frame = table
    index = frame.index
    if not (isinstance(index, pd.RangeIndex) and index.name is None):
        frame = frame.reset_index()
        first = frame.columns[0]
        if first == "index":
            frame = frame.rename(columns={first: ""})
    frame = frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    with pd.option_context("display.max_colwidth", None):
        return frame.to_html(index=False, border=0, classes="dataframe page-table", na_rep="—", escape=True)


_SEED_NUMBERS = r"[0-9]{3}(?:(?:, | and |, and )[0-9]{3})*"


def cite_sources(text: str) -> str:
    """Reader-facing references to the source articles: "[seed 000]" and "[seeds 000,
    003]" become numbered citations "[1]" and "[1, 4]" (:func:`saas_kit.sources.citation`,
    the references page numbers them), "seed 004" in a sentence becomes "source [5]"
    and "seeds 001 and 002" "sources [2] and [3]". Internal labels stay out of the report."""
    import re

    from saas_kit.sources import citation

    def numbers(group: str) -> list[str]:
        return re.findall(r"[0-9]{3}", group)

    text = re.sub(r"\[seeds? (" + _SEED_NUMBERS + r")\]", lambda m: citation(*numbers(m.group(1))), text)
    text = re.sub(r"\b([Ss])eeds (" + _SEED_NUMBERS + r")",
                  lambda m: ("S" if m.group(1) == "S" else "s") + "ources " + " and ".join(
                      citation(n) for n in numbers(m.group(2))), text)
    return re.sub(r"\b([Ss])eed ([0-9]{3})\b",
                  lambda m: ("S" if m.group(1) == "S" else "s") + "ource " + citation(m.group(2)), text)


def cite_page(page: Page) -> Page:
    """:func:`cite_sources` over every text, table cell, column and index label of ``page``."""
    page.texts = {k: cite_sources(v) if isinstance(v, str) else v for k, v in page.texts.items()}
    for name, table in list(page.tables.items()):
        if isinstance(table, str):
            page.tables[name] = cite_sources(table)
        elif isinstance(table, pd.DataFrame):
            out = table.map(lambda v: cite_sources(v) if isinstance(v, str) else v)
            out.columns = [cite_sources(c) if isinstance(c, str) else c for c in out.columns]
            if out.index.dtype == object or pd.api.types.is_string_dtype(out.index.dtype):
                out.index = [cite_sources(i) if isinstance(i, str) else i for i in out.index]
                out.index.name = table.index.name
            page.tables[name] = out
    return page
