import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from gongzhi.cases import rollups
from gongzhi.core import dates
from gongzhi.core.errors import DomainError


def _date(value: str) -> dt.date:
    try:
        return dates.parse_day(value, "date")
    except DomainError as exc:
        raise CommandError(f"{exc.message} {value}") from None


class Command(BaseCommand):
    help = (
        "从案件和时间线重算统计汇总（整月重算）。"
        "Recompute the case rollups of every month touching [--start, --end] (default: all)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--start", type=_date, help="first day, YYYY-MM-DD")
        parser.add_argument("--end", type=_date, help="last day, YYYY-MM-DD")

    def handle(self, start, end, **options):
        try:
            rows = rollups.rebuild_audited(actor=None, start=start, end=end)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(f"统计汇总已重算：{rows} 行。Rollups rebuilt: {rows} rows.")
