import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gongzhi.core.audit import audit_record
from gongzhi.core.errors import DomainError
from gongzhi.orgs import basemap, geo


class Command(BaseCommand):
    help = (
        "导入离线底图（道路、水系、绿地、建筑轮廓）：一个 GeoJSON FeatureCollection，"
        "替换同一来源的要素。"
        "Import the offline basemap from a GeoJSON FeatureCollection (e.g. an OpenStreetMap "
        "export): replaces the features of the same source."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .geojson file")
        parser.add_argument("--source", help="the features' source (default: the file's name)")
        parser.add_argument(
            "--crs", default=geo.Crs.WGS84, choices=geo.Crs.values,
            help="the file's coordinates: wgs84 (GPS, 天地图), gcj02 (高德, 腾讯), bd09 (百度)",
        )  # fmt: skip

    def handle(self, file, source, crs, **options):
        path = Path(file)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"无法读取 {file}：{exc}") from None
        try:
            done = basemap.import_geojson(data, source=source or path.stem, crs=crs)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        audit_record(actor=None, action="orgs.basemap_imported", object_type="orgs.mapfeature",
                     changes={"source": done.source, "features": done.created,
                              "skipped": done.skipped})  # fmt: skip
        self.stdout.write(
            f"已导入 {done.created} 个要素（来源 {done.source}），跳过 {done.skipped} 个。"
        )
