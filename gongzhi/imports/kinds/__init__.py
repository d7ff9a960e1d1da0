"""Per kind: how a batch of rows is checked (clean_batch) and written (write_batch)."""

from gongzhi.imports.kinds.base import Kind, Result
from gongzhi.imports.kinds.buildings import BuildingsKind
from gongzhi.imports.kinds.households import HouseholdsKind
from gongzhi.imports.kinds.premises import PremisesKind
from gongzhi.imports.kinds.residents import ResidentsKind
from gongzhi.imports.models import ImportKind

KINDS: dict[str, type[Kind]] = {
    ImportKind.BUILDINGS: BuildingsKind,
    ImportKind.HOUSEHOLDS: HouseholdsKind,
    ImportKind.RESIDENTS: ResidentsKind,
    ImportKind.PREMISES: PremisesKind,
}

__all__ = ["KINDS", "Kind", "Result"]
