"""One module per report chapter: each computes every fact its notebook narrates
(the glued texts, the tables and the series its charts plot) from a
:class:`~saas_kit.pages.base.MonthBasis`. Notebooks only glue, display and draw."""
from saas_kit.pages.arr import arr_page
from saas_kit.pages.base import MonthBasis, Page, month_basis
from saas_kit.pages.churn import churn_page
from saas_kit.pages.data_quality import data_quality_page
from saas_kit.pages.new_arr_mix import new_arr_mix_page
from saas_kit.pages.nrr import nrr_page
from saas_kit.pages.onboarding import activation_page

#: Notebook name (without .ipynb) -> the function computing its page.
CHAPTERS = {
    "00_data_quality": data_quality_page,
    "01_nrr": nrr_page,
    "02_arr_t2d3": arr_page,
    "03_new_arr_mix": new_arr_mix_page,
    "04_churn_compounding": churn_page,
    "05_activation": activation_page,
}

__all__ = ["CHAPTERS", "MonthBasis", "Page", "month_basis", "arr_page", "churn_page", "data_quality_page",
           "new_arr_mix_page", "nrr_page", "activation_page"]
