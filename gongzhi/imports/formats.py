"""The spreadsheet formats: one per kind, the same for the template, the import and the export.

Headers are fixed Chinese text, not translated: they are the file format that people
fill in and that other systems produce, so matching them must not depend on the
interface language. The notes explaining each column are translated.

An export carries the import columns plus a few read-only ones (`extra`), which an
import recognises and ignores, so a file exported in full can be edited and imported
back.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from gongzhi.imports.models import ImportKind
from gongzhi.registry.models import Relationship, ResidenceType


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    note: str
    example: str = ""
    required: bool = False
    # Formatted as text in the template; a number in the cell is refused when Excel
    # cannot have kept every digit (an 18-digit 身份证号 typed as a number is rounded).
    text: bool = False
    width: int = 14
    # The name of a list of allowed values offered as a drop-down in the template.
    choices: str = ""


@dataclass(frozen=True)
class Format:
    kind: str
    columns: tuple[Column, ...]
    extra: tuple[Column, ...] = ()

    @property
    def label(self) -> str:
        return str(ImportKind(self.kind).label)

    @property
    def sheet_name(self) -> str:
        return SHEET_NAMES[self.kind]

    def header_map(self) -> dict[str, Column]:
        return {c.header: c for c in (*self.columns, *self.extra)}

    def column(self, key: str) -> Column:
        return next(c for c in (*self.columns, *self.extra) if c.key == key)

    def example_row(self) -> dict[str, str]:
        return {c.key: c.example for c in self.columns}


SHEET_NAMES = {
    ImportKind.BUILDINGS: "楼栋",
    ImportKind.HOUSEHOLDS: "户",
    ImportKind.RESIDENTS: "居民",
    ImportKind.PREMISES: "场所",
}
NOTES_SHEET = "填写说明"
CHOICES_SHEET = "选项"

EXAMPLE_GRID = "990101001001001"

# Values accepted in the 居住类型 and 与户主关系 columns (the first of each is what the
# template offers); the codes themselves are accepted too.
RESIDENCE_TYPES = {
    "户籍": ResidenceType.REGISTERED,
    "户籍人口": ResidenceType.REGISTERED,
    "常住": ResidenceType.RESIDENT,
    "常住人口": ResidenceType.RESIDENT,
    "流动": ResidenceType.FLOATING,
    "流动人口": ResidenceType.FLOATING,
    **{v: v for v in ResidenceType.values},
}
RESIDENCE_TYPE_NAMES = {
    ResidenceType.REGISTERED: "户籍",
    ResidenceType.RESIDENT: "常住",
    ResidenceType.FLOATING: "流动",
}
RELATIONSHIPS = {
    "户主": Relationship.HEAD,
    "本人": Relationship.HEAD,
    "配偶": Relationship.SPOUSE,
    "夫": Relationship.SPOUSE,
    "妻": Relationship.SPOUSE,
    "子女": Relationship.CHILD,
    "子": Relationship.CHILD,
    "女": Relationship.CHILD,
    "儿子": Relationship.CHILD,
    "女儿": Relationship.CHILD,
    "父母": Relationship.PARENT,
    "父亲": Relationship.PARENT,
    "母亲": Relationship.PARENT,
    "孙子女": Relationship.GRANDCHILD,
    "孙子": Relationship.GRANDCHILD,
    "孙女": Relationship.GRANDCHILD,
    "兄弟姐妹": Relationship.SIBLING,
    "租户": Relationship.TENANT,
    "租客": Relationship.TENANT,
    "其他": Relationship.OTHER,
    **{v: v for v in Relationship.values},
}
RELATIONSHIP_NAMES = {
    Relationship.HEAD: "户主",
    Relationship.SPOUSE: "配偶",
    Relationship.CHILD: "子女",
    Relationship.PARENT: "父母",
    Relationship.GRANDCHILD: "孙子女",
    Relationship.SIBLING: "兄弟姐妹",
    Relationship.TENANT: "租户",
    Relationship.OTHER: "其他",
}
# Coordinate systems: the stored codes and the names people use for them.
CRS_NAMES = {
    "wgs84": "wgs84",
    "wgs-84": "wgs84",
    "cgcs2000": "wgs84",
    "gps": "wgs84",
    "天地图": "wgs84",
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "高德": "gcj02",
    "腾讯": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
    "百度": "bd09",
}
TAG_SEPARATORS = "、,，;；"

_GRID = Column(
    "grid",
    "网格编码",
    _(
        "The code of the grid or micro-grid (网格/微网格编码), as shown under My area, "
        "e.g. 990101001001001. It must be a grid in your area."
    ),
    EXAMPLE_GRID,
    required=True,
    text=True,
    width=20,
)
# Buildings and premises, like the registry's forms, may be placed by location alone.
_GRID_OR_LOCATION = Column(
    "grid",
    "网格编码",
    _(
        "The code of the grid or micro-grid (网格/微网格编码), e.g. 990101001001001; it "
        "must be a grid in your area. May be left empty when 经度 and 纬度 are filled "
        "in: the grid is then the one the location lies in."
    ),
    EXAMPLE_GRID,
    text=True,
    width=20,
)
_GRID_NAME = Column("grid_name", "网格名称", _("Exported for reading; ignored on import."))
_ADDRESS = Column("address", "地址", _("Up to 200 characters."), "明德路 18 号", width=24)
_LNG = Column(
    "lng",
    "经度",
    _("Longitude, e.g. 112.4538. Leave 经度 and 纬度 empty when unknown."),
    "112.4538",
)
_LAT = Column("lat", "纬度", _("Latitude, e.g. 34.6197."), "34.6197")
_CRS = Column(
    "crs",
    "坐标系",
    _(
        "The coordinate system of 经度/纬度: wgs84 (GPS, 天地图, CGCS2000), gcj02 (高德, "
        "腾讯) or bd09 (百度). Empty means wgs84."
    ),
    "wgs84",
    choices="crs",
)
_BUILDING = Column(
    "building",
    "楼栋名称",
    _(
        "The name of a building registered in the grid or one of its micro-grids (import "
        "buildings first)."
    ),
    "六安公寓3号楼",
    required=True,
    width=18,
)
_UNIT = Column("unit_name", "单元", _("The unit (单元), e.g. 1单元; may be empty."), "1单元")
_ROOM = Column("room", "房号", _("The room number, e.g. 301."), "301", required=True, text=True)

BUILDINGS = Format(
    ImportKind.BUILDINGS,
    (
        _GRID_OR_LOCATION,
        Column(
            "name",
            "楼栋名称",
            _("Unique within the grid: the same name updates the registered building."),
            "六安公寓3号楼",
            required=True,
            width=18,
        ),
        _ADDRESS,
        Column("floors", "层数", _("A number from 1 to 200."), "6", width=8),
        _LNG,
        _LAT,
        _CRS,
    ),
    extra=(_GRID_NAME,),
)

HOUSEHOLDS = Format(
    ImportKind.HOUSEHOLDS,
    (_GRID, _BUILDING, _UNIT, _ROOM),
    extra=(_GRID_NAME,),
)

RESIDENTS = Format(
    ImportKind.RESIDENTS,
    (
        _GRID,
        Column("name", "姓名", _("Up to 50 characters."), "张三", required=True, width=10),
        Column(
            "id_number",
            "身份证号",
            _(
                "The 18-character resident ID number (身份证号), typed as text; the check "
                "digit and the birth date are verified. A number already registered in "
                "your area updates that person instead of adding another."
            ),
            "110101199003074477",
            required=True,
            text=True,
            width=22,
        ),
        Column(
            "phone",
            "手机",
            _(
                "A mobile number, or a landline with its area code (0379-62345678). Left "
                "empty, a stored number is kept."
            ),
            "13912345678",
            text=True,
        ),
        Column(
            "residence_type",
            "居住类型",
            _("户籍, 常住 or 流动; empty means 户籍."),
            "户籍",
            choices="residence_type",
            width=10,
        ),
        Column(
            "relationship",
            "与户主关系",
            _("户主, 配偶, 子女, 父母, 孙子女, 兄弟姐妹, 租户 or 其他; may be empty."),
            "户主",
            choices="relationship",
            width=12,
        ),
        Column(
            "building",
            "楼栋名称",
            _(
                "The building the household is in: a building already registered in the "
                "same grid. Empty when the person has no household here."
            ),
            "六安公寓3号楼",
            width=18,
        ),
        _UNIT,
        Column(
            "room",
            "房号",
            _("The room number, e.g. 301; required when 楼栋名称 is filled in."),
            "301",
            text=True,
        ),
        Column(
            "tags",
            "标签",
            _(
                "Groups from the tag list, separated by 、 e.g. 老年人、党员. The cell "
                "replaces the person's tags; an empty cell removes them."
            ),
            "老年人、党员",
            width=18,
        ),
        Column("note", "备注", _("Up to 200 characters."), "", width=20),
    ),
    extra=(
        _GRID_NAME,
        Column("gender", "性别", _("Exported for reading; ignored on import.")),
        Column("birth_date", "出生日期", _("Exported for reading; ignored on import.")),
    ),
)

PREMISES = Format(
    ImportKind.PREMISES,
    (
        _GRID_OR_LOCATION,
        Column(
            "name", "场所名称", _("Up to 100 characters."), "明德便利店", required=True, width=18
        ),
        Column(
            "category",
            "场所类别",
            _("One of the premises categories (see the list on the options sheet)."),
            "沿街门店",
            required=True,
            choices="category",
        ),
        _ADDRESS,
        Column("responsible_name", "负责人", _("Up to 50 characters."), "李四", width=10),
        Column(
            "phone",
            "联系电话",
            _(
                "A mobile number, or a landline with its area code. Left empty, a stored "
                "number is kept."
            ),
            "0379-62345678",
            text=True,
        ),
        Column(
            "uscc",
            "统一社会信用代码",
            _(
                "The 18-character unified social credit code (统一社会信用代码), typed as "
                "text. When filled in, the same code updates the registered premises; "
                "otherwise grid, name and address identify it."
            ),
            "91410300MA44ABCD1R",
            text=True,
            width=22,
        ),
        _LNG,
        _LAT,
        _CRS,
    ),
    extra=(_GRID_NAME,),
)

FORMATS: dict[str, Format] = {f.kind: f for f in (BUILDINGS, HOUSEHOLDS, RESIDENTS, PREMISES)}
