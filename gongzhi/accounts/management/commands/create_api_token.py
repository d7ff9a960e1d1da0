from django.core.management.base import BaseCommand, CommandError

from gongzhi.accounts.models import User
from gongzhi.accounts.services import api_token_create


class Command(BaseCommand):
    help = "为用户创建 API 令牌并只打印一次。Create an API token for USERNAME and print it once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="a label for the token, e.g. the machine")

    def handle(self, username, name, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户 {username} 不存在。No such user: {username}")
        if not user.is_active:
            raise CommandError(f"用户 {username} 已停用。User {username} is disabled.")
        token, raw = api_token_create(actor=None, user=user, name=name or f"{username} token")
        self.stderr.write(f"已为 {user.get_display_name()} 创建令牌 #{token.pk}（只显示这一次）：")
        self.stdout.write(raw)
