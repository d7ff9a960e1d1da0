"""How pages answer a refused operation: the Chinese error page with the service's message."""

from django.shortcuts import render

from gongzhi.core.errors import DomainError

TITLES = {400: "请求有误", 403: "没有权限", 404: "页面不存在", 409: "操作冲突", 500: "系统出错"}


def domain_error_page(request, status: int, message: str):
    return render(
        request,
        "web/error.html",
        {"status": status, "title": TITLES.get(status, "出错了"), "message": message},
        status=status,
    )


class DomainErrorMiddleware:
    """Turns a DomainError escaping a view into its error page (404 for missing and not yours)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        if isinstance(exc, DomainError):
            return domain_error_page(request, exc.status, exc.message)
        return None
