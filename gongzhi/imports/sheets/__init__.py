"""Per kind of import sheet (buildings, households, residents, premises): how a batch of
rows is checked (clean_batch) and written (write_batch). Named sheets, not kinds, so they
are not mistaken for the kinds of case (cases/kinds.py)."""

from gongzhi.imports.models import ImportKind
from gongzhi.imports.sheets.base import Result, Sheet
from gongzhi.imports.sheets.buildings import BuildingsSheet
from gongzhi.imports.sheets.households import HouseholdsSheet
from gongzhi.imports.sheets.premises import PremisesSheet
from gongzhi.imports.sheets.residents import ResidentsSheet

SHEETS: dict[str, type[Sheet]] = {
    ImportKind.BUILDINGS: BuildingsSheet,
    ImportKind.HOUSEHOLDS: HouseholdsSheet,
    ImportKind.RESIDENTS: ResidentsSheet,
    ImportKind.PREMISES: PremisesSheet,
}

__all__ = ["SHEETS", "Result", "Sheet"]
