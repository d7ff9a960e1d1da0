"""API authentication: the browser's session (with CSRF) or a machine's bearer token."""

from ninja.security import HttpBearer, SessionAuth

from gongzhi.accounts.services import api_token_authenticate


class TokenAuth(HttpBearer):
    openapi_description = "API token: `Authorization: Bearer gz_…` (create with create_api_token)"

    def authenticate(self, request, token):
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None
