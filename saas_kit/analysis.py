"""The month analysis: every figure of one report computed once per (dataset, month,
parameters), saved once, read by every notebook, the overview, ``saas-kit metrics`` and
the CSV downloads (issue 11).

``saas-kit report`` calls :func:`build_analysis`, :meth:`MonthAnalysis.save` into its
staging folder and passes the file's path to each notebook as the papermill parameter
``analysis``; a notebook calls :func:`open_page`, which loads it and checks that the
analysis was built with the notebook's own parameters. Run by hand (``analysis`` empty),
a notebook builds the analysis of its own chapter from ``data_dir``.

Several languages (issue 13, ``saas-kit report --lang en,ja``): the file holds one
analysis per language (:class:`EditionAnalyses`: the Japanese one in style ``ja``,
the others in the requested style, :func:`edition_style`); :func:`open_page` then
returns a :class:`saas_kit.pages.base.Pages` that glues and shows every language's
version, so one execution of the notebook carries every edition.
"""
from __future__ import annotations

import inspect
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from saas_kit.activation import ActivationRule
from saas_kit.errors import ParameterError
from saas_kit.facts import MonthFacts
from saas_kit.facts.embedded import ACTIVATION_CHAPTER, activation_parameters, embedded_facts, segment_columns
from saas_kit.facts.model import DEFAULT_ACTIVATION_RULE
from saas_kit.i18n import parse_languages
from saas_kit.loading import Dataset, load_dataset
from saas_kit.loading.dataset import check_report_month
from saas_kit.pages import CHAPTERS, MonthBasis, Page, month_basis
from saas_kit.pages.base import Pages, cite_page, pages_of

#: The parameters every notebook declares; the analysis itself is built from them.
COMMON_PARAMETERS = ("data_dir", "month", "style", "currency", "lang", "analysis")
STYLES = ("en", "ja")


def _plain(value: Any) -> Any:
    """Lists and tuples compare as lists (a notebook's ``[7, 14]`` is a chapter's ``(7, 14)``)."""
    return list(value) if isinstance(value, (list, tuple)) else value


def chapter_defaults(chapter: str) -> dict[str, Any]:
    """The chapter function's keyword defaults (the notebook's parameters besides the common ones)."""
    sig = inspect.signature(CHAPTERS[chapter])
    return {name: _plain(p.default) for name, p in list(sig.parameters.items())[1:]}


@dataclass
class MonthAnalysis:
    """The shared figures of one report month (:class:`MonthBasis`: bridge with rates,
    twelve-month retention, headline KPIs with their changes and bands) and the page of
    every chapter built, with the parameters each was built with."""

    basis: MonthBasis
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    pages: dict[str, Page] = field(default_factory=dict)

    @property
    def month(self) -> pd.Period:
        return self.basis.month

    @property
    def kpis(self) -> pd.DataFrame:
        """The overview table (one row per KPI, activation included when the data have events)."""
        return self.basis.kpis

    def page(self, chapter: str, **parameters: Any) -> Page:
        """The page of ``chapter``; ParameterError when it was built with other parameters."""
        if chapter not in self.pages:
            raise ParameterError(f"the analysis has no page '{chapter}' (it has: {', '.join(self.pages)})")
        built = self.parameters[chapter]
        wanted = {**chapter_defaults(chapter), **{k: _plain(v) for k, v in parameters.items()}}
        if differ := sorted(k for k in wanted if built.get(k) != wanted[k]):
            raise ParameterError(f"notebook {chapter}: the analysis was built with other parameters: " + ", ".join(
                f"{k}={built.get(k)!r} (notebook: {wanted[k]!r})" for k in differ))
        return self.pages[chapter]

    def save(self, path: str | Path) -> Path:
        """Write the analysis (pickle) to ``path``; a private file of the run."""
        path = Path(path)
        with open(path, "wb") as f:
            pickle.dump(self, f, protocol=pickle.HIGHEST_PROTOCOL)
        return path


@dataclass
class EditionAnalyses:
    """The month analysis of every language of one report (issue 13): ``by_lang``
    maps each language, in the order of the editions (the first is the default),
    to its :class:`MonthAnalysis` (same figures, that language's words)."""

    by_lang: dict[str, MonthAnalysis]

    @property
    def languages(self) -> list[str]:
        return list(self.by_lang)

    @property
    def first(self) -> MonthAnalysis:
        return next(iter(self.by_lang.values()))

    def save(self, path: str | Path) -> Path:
        """Write every language's analysis into the one file (pickle) the notebooks receive."""
        path = Path(path)
        with open(path, "wb") as f:
            pickle.dump(self, f, protocol=pickle.HIGHEST_PROTOCOL)
        return path


def edition_style(lang: str, style: str) -> str:
    """The number style of the ``lang`` edition: ``ja`` for Japanese, else the requested ``style``."""
    return "ja" if lang == "ja" else style


def build_editions_analysis(dataset: Dataset | None, month: pd.Period | str | None, style: str, langs: list[str],
                            chapters: dict[str, dict[str, Any]] | None = None, requested_currency: str = "",
                            activation_rule: str | None = None, facts: MonthFacts | None = None) -> EditionAnalyses:
    """The analysis of every language of ``langs`` (style: :func:`edition_style`) from
    one computation of the month's facts (:func:`saas_kit.facts.embedded.embedded_facts`,
    or ``facts`` when given, e.g. the Spark engine's): each language only words them."""
    if facts is None:
        facts = month_facts(dataset, month, chapter_parameters(chapters), activation_rule)
    return EditionAnalyses({lang: build_analysis_from_facts(facts, edition_style(lang, style), chapters,
                                                            requested_currency, lang, month, activation_rule)
                            for lang in langs})


def _read(path: str | Path) -> Any:
    with open(path, "rb") as f:
        return pickle.load(f)  # noqa: S301 - written by this run into its private staging folder


def load_analysis(path: str | Path) -> MonthAnalysis:
    """Read an analysis written by :meth:`MonthAnalysis.save` (a file this run wrote
    itself); of a file with several languages, the first language's."""
    analysis = _read(path)
    if isinstance(analysis, EditionAnalyses):
        return analysis.first
    if not isinstance(analysis, MonthAnalysis):
        raise ParameterError(f"{path} does not hold a month analysis")
    return analysis


def load_analyses(path: str | Path) -> dict[str, MonthAnalysis]:
    """Language -> analysis of a file written by :meth:`EditionAnalyses.save` or
    :meth:`MonthAnalysis.save` (one language: its ``basis.lang``)."""
    analysis = _read(path)
    if isinstance(analysis, EditionAnalyses):
        return dict(analysis.by_lang)
    if not isinstance(analysis, MonthAnalysis):
        raise ParameterError(f"{path} does not hold a month analysis")
    return {analysis.basis.lang: analysis}


def chapter_parameters(chapters: dict[str, dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """Chapter -> its parameters with the chapter function's defaults filled in (None:
    every chapter with its defaults; ``{}``: none). ParameterError for an unknown chapter."""
    chapters = {name: {} for name in CHAPTERS} if chapters is None else chapters
    if unknown := sorted(set(chapters) - set(CHAPTERS)):
        raise ParameterError(f"unknown chapter(s): {', '.join(unknown)} (known: {', '.join(CHAPTERS)})")
    return {name: {**chapter_defaults(name), **{k: _plain(v) for k, v in params.items()}}
            for name, params in chapters.items()}


def month_facts(dataset: Dataset, month: pd.Period | str | None, parameters: dict[str, dict[str, Any]],
                activation_rule: str | None = None) -> MonthFacts:
    """The month's facts of ``dataset`` for the chapters' ``parameters`` (:func:`chapter_parameters`),
    by the embedded engine; ``month`` None = the latest month in the data."""
    month = dataset.check_month(month or None)
    return embedded_facts(dataset, month, parameters, overview_rule(parameters, activation_rule))


def metrics_chapters(activation: bool, has_events: bool, activation_rule: str, where: str) -> dict[str, dict]:
    """The chapters ``saas-kit metrics`` computes beyond the headline figures: the activation
    chapter with ``--activation`` (``activation``; its rule is ``activation_rule``), else none.
    ParameterError when it is asked of data without events and customers (``where``: the data)."""
    if not activation:
        return {}
    if not has_events:
        raise ParameterError(f"--activation needs onboarding events and customers (events.csv and customers.csv, "
                             f"or .parquet) in {where}")
    return chapter_parameters({ACTIVATION_CHAPTER: {"activation_rule": activation_rule}})


def overview_rule(parameters: dict[str, dict[str, Any]], activation_rule: str | None = None) -> str:
    """The overview's activation rule: ``activation_rule``, else the activation chapter's, else the default."""
    return activation_rule or parameters.get(ACTIVATION_CHAPTER, {}).get("activation_rule", DEFAULT_ACTIVATION_RULE)


def build_analysis(dataset: Dataset | None, month: pd.Period | str | None = None, style: str = "en",
                   chapters: dict[str, dict[str, Any]] | None = None, requested_currency: str = "",
                   activation_rule: str | None = None, lang: str = "en", facts: MonthFacts | None = None
                   ) -> MonthAnalysis:
    """Compute the analysis of ``month`` (None = the latest month in the data) once.

    ``chapters`` maps each chapter to build (a notebook name such as ``01_nrr``) to its
    parameters (defaults filled in from the chapter function); None builds every
    chapter with its defaults, ``{}`` only the shared figures. ``activation_rule`` (for
    the overview's activation row) defaults to the activation chapter's rule. ``lang``
    is the language of the pages' words (``en`` or ``ja``; ``ja`` needs style ``ja``).
    ``facts``: the month's facts already computed (e.g. by the Spark engine); then
    ``dataset`` may be None (see :func:`build_analysis_from_facts`).
    """
    if style not in STYLES:
        raise ParameterError(f"style must be one of {', '.join(STYLES)}, got {style!r}")
    if facts is None:
        if dataset is None:
            raise ParameterError("build_analysis needs a dataset or the month's facts")
        facts = month_facts(dataset, month, chapter_parameters(chapters), activation_rule)
    return build_analysis_from_facts(facts, style, chapters, requested_currency, lang, month, activation_rule)


def build_analysis_from_facts(facts: MonthFacts, style: str = "en", chapters: dict[str, dict[str, Any]] | None = None,
                              requested_currency: str = "", lang: str = "en", month: pd.Period | str | None = None,
                              activation_rule: str | None = None) -> MonthAnalysis:
    """The analysis of the facts' month in ``style`` and ``lang``: the chapters' pages
    worded from ``facts`` alone (no dataset). ``month`` and ``activation_rule``, when
    given, must be those of the facts; the facts must hold what the chapters ask for
    (their segment columns, the activation chapter's parameters): ParameterError otherwise."""
    if style not in STYLES:
        raise ParameterError(f"style must be one of {', '.join(STYLES)}, got {style!r}")
    parameters = chapter_parameters(chapters)
    check_facts(facts, parameters, month, overview_rule(parameters, activation_rule))
    basis = month_basis(facts, style, requested_currency or "", lang)
    pages = {name: cite_page(CHAPTERS[name](basis, **params)) for name, params in parameters.items()}
    return MonthAnalysis(basis=basis, parameters=parameters, pages=pages)


def check_facts(facts: MonthFacts, parameters: dict[str, dict[str, Any]], month: pd.Period | str | None = None,
                activation_rule: str | None = None) -> None:
    """The facts answer the report: its month (a month outside the data is refused as
    :meth:`Dataset.check_month` does), the overview's activation rule, every segment
    column the chapters ask for that customers.csv has, and the activation chapter's parameters."""
    data = facts.data
    wanted = check_report_month(month or None, data.first_month, data.latest_month, data.as_of)
    if month and wanted != facts.month:
        raise ParameterError(f"the month's facts are for {facts.month}, the report asks for {wanted}")
    missing = [c for c in segment_columns(parameters, data.customer_columns) if c not in facts.ledger.segments]
    if missing:
        raise ParameterError(f"the month's facts have no figures per {', '.join(missing)}")
    act = facts.activation
    if act is None:
        return
    if activation_rule and act.kpi_rule != str(ActivationRule.parse(activation_rule)):
        raise ParameterError(f"the month's facts hold the activation rate of {act.kpi_rule}, "
                             f"the report asks for {activation_rule}")
    if ACTIVATION_CHAPTER in parameters and act.parameters != activation_parameters(parameters[ACTIVATION_CHAPTER]):
        raise ParameterError(f"the month's activation facts were computed with {act.parameters or 'no chapter'}, "
                             f"the report asks for {activation_parameters(parameters[ACTIVATION_CHAPTER])}")


def check_notebook_parameters(data_dir: Any, month: Any, style: Any, currency: Any) -> None:
    """The common notebook parameters, checked with a clear message."""
    if not isinstance(data_dir, (str, Path)) or not str(data_dir).strip():
        raise ParameterError(f"data_dir must be a folder path, got {data_dir!r}")
    if style not in STYLES:
        raise ParameterError(f"style must be one of {', '.join(STYLES)}, got {style!r}")
    if month is not None and not isinstance(month, str):
        raise ParameterError(f"month must be text like '2026-10', got {month!r}")
    if currency not in (None, "") and (not isinstance(currency, str) or len(currency.strip()) != 3):
        raise ParameterError(f"currency must be a three-letter code such as JPY, got {currency!r}")


def open_page(analysis: str | Path | None, chapter: str, data_dir: str | Path, month: str | None = "",
              style: str = "en", currency: str | None = "", lang: str = "en", **parameters: Any) -> Page | Pages:
    """What a notebook does first: the page of ``chapter`` from the analysis file the
    report passed (``analysis``), checked against the notebook's parameters; or, when
    ``analysis`` is empty (a notebook run by hand), built here from ``data_dir``.
    ``lang``: the languages (``"en"``, ``"ja"`` or ``"en,ja"``); with several, a
    :class:`Pages` (the same interface) that glues and shows every language's version.
    Also sets up the report's chart style."""
    check_notebook_parameters(data_dir, month, style, currency)
    langs = parse_languages(lang, "lang")
    if analysis:
        results = load_analyses(analysis)
        if sorted(results) != sorted(langs):
            raise ParameterError(f"the analysis holds the language(s) {', '.join(results)}, "
                                 f"the notebook asks for {', '.join(langs)}")
        for result in results.values():
            _check_analysis(result.basis, month, edition_style(result.basis.lang, style), currency)
    else:
        dataset = load_dataset(data_dir, None, currency.strip().upper() if currency else None)
        results = build_editions_analysis(dataset, month or None, style, langs, {chapter: parameters},
                                          currency or "").by_lang
    from saas_kit import charts

    charts.use_report_style()
    return pages_of({code: result.page(chapter, **parameters) for code, result in results.items()})


def _check_analysis(basis: MonthBasis, month: str | None, style: str, currency: str | None) -> None:
    """The analysis was built for the notebook's month, style and currency."""
    if month and str(basis.month) != str(pd.Period(month, freq="M")):
        raise ParameterError(f"the analysis is for {basis.month}, the notebook asks for {month}")
    if style != basis.style:
        raise ParameterError(f"the analysis is in style {basis.style!r}, the notebook asks for {style!r}")
    if (currency or "").strip().upper() != (basis.requested_currency or "").strip().upper():
        raise ParameterError(f"the analysis was built for currency {basis.requested_currency!r}, "
                             f"the notebook asks for {currency!r}")
