"""Pages of the case loop, by page: the lists (lists.py), reporting a problem
(report.py), a case with its timeline and actions (detail.py), the pending extension
requests (extensions.py); what they share is in common.py."""

from gongzhi.cases.views.common import clock_of, place_label
from gongzhi.cases.views.detail import case_act, case_detail, case_reveal, case_reveal_text
from gongzhi.cases.views.extensions import extension_decide, extensions
from gongzhi.cases.views.lists import case_list, case_list_xlsx
from gongzhi.cases.views.report import case_new, case_new_buildings

__all__ = [
    "case_act",
    "case_detail",
    "case_list",
    "case_list_xlsx",
    "case_new",
    "case_new_buildings",
    "case_reveal",
    "case_reveal_text",
    "clock_of",
    "extension_decide",
    "extensions",
    "place_label",
]
