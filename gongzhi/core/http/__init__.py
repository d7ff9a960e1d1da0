"""The shared kit of every way in over HTTP, below the apps that use it.

- `pagination` — the API's keyset (cursor) lists: `keyset_page`;
- `schemas` — `ErrorOut`, the one error body of the API;
- `api_errors` — the handlers that turn errors into that body (`install(api)`);
- `error_page` — the Chinese error page of the pages (`DomainErrorMiddleware`).

`gongzhi/api/` only assembles the routers (and authenticates); `gongzhi/web/` is the shell
of the pages.
"""
