"""The JSON API at /api/v1/, assembled from each app's router."""

from ninja import Swagger

from gongzhi.accounts.api import router as accounts_router
from gongzhi.api.auth import ActiveSessionAuth, TokenAuth
from gongzhi.campaigns.api import router as campaigns_router
from gongzhi.cases.api import router as cases_router
from gongzhi.cases.kpi_api import router as kpi_router
from gongzhi.command.api import router as command_router
from gongzhi.core.http import api_errors
from gongzhi.core.http.guard import GuardedParser
from gongzhi.core.manifest import api_routers
from gongzhi.imports.api import router as imports_router
from gongzhi.notifications.api import router as notifications_router
from gongzhi.orgs.api import router as orgs_router
from gongzhi.registry.api import router as registry_router

api = api_errors.ErrorDocumentingAPI(
    title="共治 gongzhi API",
    version="1",
    description=(
        "社区网格化治理平台接口。认证：浏览器会话（需 CSRF）或 `Authorization: Bearer <token>`。"
        '错误统一为 `{"code", "message", "details"}`，各接口列出可能的状态码'
        "（400、401、403、404、409、413、415、422；未知路径 404，不支持的方法 405）；"
        "列表用游标分页（`limit`、`cursor` → `items`、`next_cursor`）。"
        "日期为 2000-01-01 至 2100-12-31，id 为 1 至 2^63−1，请求体最大 30 MB。"
        "数据库暂时不可用时任何接口都可能返回 503（`code` 为 `unavailable`，带 `Retry-After`）："
        "5xx 或连接中断并不表示请求未被保存，请在 `Retry-After` 之后用同一个 "
        "`Idempotency-Key` 重发，同一请求不会被保存两次。"
    ),
    auth=[TokenAuth(), ActiveSessionAuth()],
    docs=Swagger(settings={"persistAuthorization": True}),
    docs_url="/docs",
    openapi_url="/openapi.json",
    urls_namespace="api",
    parser=GuardedParser(),
)
api_errors.install(api)
api.add_router("", accounts_router)
api.add_router("/orgs", orgs_router)
api.add_router("/registry", registry_router)
api.add_router("/imports", imports_router)
api.add_router("/notifications", notifications_router)
api.add_router("/cases", cases_router)
api.add_router("/kpis", kpi_router)
api.add_router("/command", command_router)
api.add_router("/campaigns", campaigns_router)
# The routers of apps that register their own (core.manifest.register_api_router): the kinds.
for mounted in api_routers():
    api.add_router(f"/{mounted.prefix}", mounted.router)
