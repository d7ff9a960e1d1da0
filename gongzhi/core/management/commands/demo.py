import inspect

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from gongzhi.core.manifest import demo_steps


class Command(BaseCommand):
    help = "载入演示区数据（可重复运行，不会重复创建）。Load the demo district; safe to run again."

    def add_arguments(self, parser):
        parser.add_argument(
            "--small",
            action="store_true",
            help="少量人房数据（供浏览器测试）。Few places and people, for browser tests.",
        )

    def handle(self, small=False, **options):
        if settings.PRODUCTION:
            raise CommandError(
                "生产模式下不能载入演示数据。The demo refuses to run in production mode."
            )
        with transaction.atomic():
            for step in demo_steps():
                kwargs = (
                    {"small": small} if "small" in inspect.signature(step.run).parameters else {}
                )
                step.run(lambda msg: self.stdout.write(msg), **kwargs)
