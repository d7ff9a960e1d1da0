"""Browser tests: Playwright drives Debian's chromium against pytest-django's live server.

One browser for the session, a fresh context (cookies, viewport) per test. Every
request a page makes is recorded so a test can prove nothing leaves the server.
"""

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# Playwright's sync API keeps an asyncio loop running in this thread; Django would
# otherwise refuse ORM calls made from it (fixtures, assertions that read the DB).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from django.conf import settings as django_settings
from django.utils import translation
from playwright.sync_api import Page, sync_playwright

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
DEMO_PASSWORD = "gongzhi2026"

_CJK = re.compile(r"[\u4e00-\u9fff]")
_CATALOG = REPO / "gongzhi" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"


def zh(msgid: str, **params) -> str:
    """What the user sees for `msgid` in the site's language (zh-hans), exactly.

    While the zh_Hans catalog is not compiled yet this is the English msgid; once a
    compiled catalog exists the text must be Chinese, so an untranslated string fails.
    """
    with translation.override(django_settings.LANGUAGE_CODE):
        text = translation.gettext(msgid)
    if _CATALOG.exists():
        assert _CJK.search(text), f"not translated to Chinese: {msgid!r}"
    return text % params if params else text


def photo_file(directory: Path, name: str = "现场.jpg") -> Path:
    """A small JPEG on disk for a file input: a dark block on a blue field, so the
    thumbnail shows something."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (480, 360), (90, 140, 200))
    ImageDraw.Draw(img).rectangle((120, 120, 360, 240), fill=(40, 60, 90))
    path = directory / name
    img.save(path, "JPEG", quality=80)
    return path


def photos_shown(page: Page) -> None:
    """Every thumbnail on the page has loaded (lazy ones too: a screenshot shows them)."""
    page.evaluate("document.querySelectorAll('.photos img').forEach(i => { i.loading = 'eager'; })")
    wait_until(
        page,
        "Array.from(document.querySelectorAll('.photos img'))"
        ".every(i => i.complete && i.naturalWidth > 0)",
    )


def wait_until(page: Page, expression: str, timeout: float = 10.0) -> None:
    """Poll `expression` in the page until it is truthy. Playwright's wait_for_function
    evaluates its predicate with eval() inside the page, which the site's
    Content-Security-Policy refuses; page.evaluate() is not subject to it."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {expression}"
        page.wait_for_timeout(100)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        # A developer's machine without Debian's chromium: say what to install and skip
        # the browser tests; CI (CI=true, set by .ci/run) must run them, so it fails.
        message = (
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium and a Chinese "
            "font (apt-get install chromium fonts-wqy-zenhei)."
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()
    pw.stop()


@pytest.fixture
def demo(transactional_db, django_db_serialized_rollback, small_demo):
    """The small demo district in the test database, visible to the live server thread
    (gongzhi/pytest_plugin.py builds it once per process and copies it in)."""


# Every Content-Security-Policy violation a page meets, kept on the page's window (the
# init script runs before the page's own, outside its policy).
_RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") +
    " at " + (e.sourceFile || location.pathname) + ":" + e.lineNumber);
});
"""


@dataclass
class Browsing:
    page: Page
    base_url: str
    requests: list[str] = field(default_factory=list)
    # Console errors, uncaught exceptions and CSP violations, as the browser reports them.
    console_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    def collect_violations(self) -> list[str]:
        """The CSP violations the current page has met so far (and remember them)."""
        try:
            found = self.page.evaluate("window.__cspViolations || []")
        except Exception:  # the page is navigating away
            found = []
        self.csp_violations += [v for v in found if v not in self.csp_violations]
        return found

    def url(self, path: str) -> str:
        return self.base_url + path

    def login(self, username: str, password: str = DEMO_PASSWORD) -> None:
        """Sign in through the real form at /login/."""
        page = self.page
        page.goto(self.url("/login/"))
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("form button[type=submit]")
        page.wait_for_load_state("load")

    def shoot(self, name: str, viewport: dict | None = None) -> Path:
        """Screenshot the whole page at this width (and leave the page at `viewport`).

        Playwright's full_page capture would paint the fixed bottom tab bar in the
        middle of a long page; instead the window is made as tall as the page, the
        way a user sees the bottom of it, and set back afterwards.
        """
        page = self.page
        if viewport:
            page.set_viewport_size(viewport)
        page.mouse.move(0, 0)  # no stray :hover where the last click was
        size = page.viewport_size
        height = page.evaluate("document.documentElement.scrollHeight")
        if height > size["height"]:
            page.set_viewport_size({"width": size["width"], "height": height})
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), animations="disabled")
        page.set_viewport_size(size)
        return path

    def assert_all_local(self) -> None:
        """Every request went to the live server (or was data:/about:/blob:)."""
        offenders = sorted(
            {
                u
                for u in self.requests
                if not (
                    u.startswith(self.base_url + "/")
                    or u == self.base_url
                    or u.startswith(("data:", "about:", "blob:"))
                )
            }
        )
        assert not offenders, "requests outside the server:\n  " + "\n  ".join(offenders)


@pytest.fixture
def web(browser, live_server, demo):
    context = browser.new_context(
        viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai", service_workers="block"
    )
    context.set_default_timeout(10_000)
    b = Browsing(page=context.new_page(), base_url=live_server.url.rstrip("/"))
    context.on("request", lambda request: b.requests.append(request.url))
    context.add_init_script(_RECORD_VIOLATIONS)
    b.page.on(
        "console",
        lambda message: (
            b.console_errors.append(f"{message.text} ({message.location.get('url')})")
            if message.type == "error"
            else None
        ),
    )
    b.page.on("pageerror", lambda error: b.console_errors.append(f"uncaught: {error}"))
    yield b
    # Whatever a browser test did, no page may break the Content-Security-Policy.
    b.collect_violations()
    refused = [e for e in b.console_errors if "Content Security Policy" in e] + b.csp_violations
    context.close()
    assert not refused, "Content-Security-Policy violations:\n  " + "\n  ".join(refused)
