"""The checklists the seeds describe (安全集中整治月, 餐饮燃气, 楼道, 防汛点 …): data only,
read by migration 0002 and by the demo (which must find them again after a test
database was flushed). Items: (key, text, severity, case category code, basis)."""

EXTINGUISHER = (
    "extinguisher",
    "灭火器配置齐全、在有效期内，压力表指针在绿区",
    "high",
    "0701",
    "《中华人民共和国消防法》第十六条",
)
EXITS = (
    "exits",
    "疏散通道、安全出口畅通，未堆放杂物、未上锁",
    "high",
    "0701",
    "《中华人民共和国消防法》第二十八条",
)
WIRING = (
    "wiring",
    "无私拉乱接电线、“飞线”充电",
    "high",
    "0703",
    "《电动自行车安全技术规范》及当地电动自行车管理规定",
)
SIGNS = ("signs", "应急照明、疏散指示标志完好有效", "medium", "0701", "《建筑设计防火规范》")
EBIKE = (
    "ebike",
    "室内无电动自行车停放、充电",
    "high",
    "0703",
    "《高层民用建筑消防安全管理规定》第三十七条",
)
THREE_IN_ONE = (
    "three_in_one",
    "无“三合一”（住宿与生产、经营、仓储合用）现象",
    "high",
    "0701",
    "《中华人民共和国消防法》第十九条",
)

TEMPLATES = [
    (
        "沿街门店检查表",
        "沿街门店",
        "0701",
        [EXTINGUISHER, EXITS, WIRING, EBIKE, SIGNS, THREE_IN_ONE],
    ),
    (
        "餐饮场所检查表",
        "餐饮场所",
        "0702",
        [
            (
                "gas_alarm",
                "安装可燃气体报警器及紧急切断装置",
                "high",
                "0702",
                "《城镇燃气管理条例》第二十八条",
            ),
            (
                "gas_hose",
                "燃气胶管无老化、龟裂，长度不超过2米，两端卡箍紧固",
                "high",
                "0702",
                "《城镇燃气设计规范》",
            ),
            (
                "cylinder",
                "液化气钢瓶在检验有效期内，使用与存放分开，不超量存放",
                "high",
                "0702",
                "《城镇燃气管理条例》",
            ),
            (
                "flue",
                "厨房排油烟管道定期清洗，无油垢堆积",
                "medium",
                "0701",
                "《饮食业环境保护技术规范》",
            ),
            EXTINGUISHER,
            EXITS,
        ],
    ),
    (
        "“九小”场所检查表",
        "九小场所",
        "0701",
        [
            EXTINGUISHER,
            EXITS,
            WIRING,
            THREE_IN_ONE,
            (
                "smoke_alarm",
                "安装独立式感烟火灾探测报警器",
                "medium",
                "0701",
                "《住宿与生产储存经营合用场所消防安全技术要求》",
            ),
        ],
    ),
    (
        "居民楼道检查表",
        "居民小区",
        "0701",
        [
            (
                "stair_flammables",
                "楼道、楼梯间无堆放易燃可燃物品",
                "high",
                "0701",
                "《中华人民共和国消防法》第二十八条",
            ),
            (
                "stair_charging",
                "无“飞线”充电、楼道内不给电动车充电",
                "high",
                "0703",
                "当地电动自行车管理规定",
            ),
            (
                "ebike_upstairs",
                "电动自行车不上楼、不入户",
                "high",
                "0703",
                "《高层民用建筑消防安全管理规定》第三十七条",
            ),
            (
                "hydrant",
                "消防栓能正常供水，水带、水枪齐全",
                "high",
                "0701",
                "《消防给水及消火栓系统技术规范》",
            ),
            (
                "fire_lane",
                "消防车通道畅通，未被占用",
                "high",
                "0701",
                "《中华人民共和国消防法》第二十八条",
            ),
            (
                "stair_extinguisher",
                "楼层公共区域灭火器在有效期内",
                "medium",
                "0701",
                "《建筑灭火器配置设计规范》",
            ),
        ],
    ),
    (
        "地下车库（防汛点）检查表",
        "地下停车场",
        "0705",
        [
            (
                "flood_barrier",
                "入口挡水板、沙袋等防汛物资到位",
                "high",
                "0705",
                "《中华人民共和国防洪法》",
            ),
            ("pump", "排水泵运行正常，集水井无淤堵", "high", "0705", "当地城市防汛应急预案"),
            ("water_depth", "积水深度（厘米）", "high", "0705", "当地城市防汛应急预案"),
            ("garage_ebike", "车库内无电动自行车充电", "high", "0703", "当地电动自行车管理规定"),
            EXTINGUISHER,
            SIGNS,
        ],
    ),
    (
        "商务楼宇检查表",
        "商务楼宇",
        "0701",
        [
            (
                "control_room",
                "消防控制室24小时双人值班、持证上岗",
                "high",
                "0701",
                "《消防控制室通用技术要求》",
            ),
            (
                "sprinkler",
                "自动喷水灭火、火灾自动报警系统运行正常",
                "high",
                "0701",
                "《中华人民共和国消防法》第十六条",
            ),
            (
                "fire_doors",
                "常闭式防火门保持关闭、闭门器完好",
                "medium",
                "0701",
                "《建筑设计防火规范》",
            ),
            EXTINGUISHER,
            EXITS,
            SIGNS,
        ],
    ),
]


def item(key, text, severity, category, basis):
    out = {
        "key": key,
        "text": text,
        "answer": "pass_fail",
        "required": True,
        "photo_on_fail": True,
        "severity": severity,
        "category": category,
        "basis": basis,
    }
    if key == "water_depth":  # a reading: over 5 cm of standing water fails
        out.update(answer="number", photo_on_fail=True, min=0, max=5)
    return out


def ensure_checklists(Template=None, Version=None, PremisesCategory=None, Category=None):
    """Create the seeded checklists that are missing (by name); the models default to
    the app's own (the migration passes its historical ones)."""
    if Template is None:
        from gongzhi.cases.models import Category
        from gongzhi.inspections.models import ChecklistTemplate as Template
        from gongzhi.inspections.models import ChecklistVersion as Version
        from gongzhi.registry.models import PremisesCategory
    for name, premises_category, code, items in TEMPLATES:
        case_category = Category.objects.filter(code=code).first()
        category, _ = PremisesCategory.objects.get_or_create(name=premises_category)
        if case_category is None or Template.objects.filter(name=name).exists():
            continue
        template = Template.objects.create(name=name, case_category=case_category)
        template.categories.add(category)
        Version.objects.create(template=template, number=1, items=[item(*i) for i in items])
