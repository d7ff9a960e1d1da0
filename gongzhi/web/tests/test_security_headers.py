"""The headers every response carries (core/http/security_headers.py and Django's own),
and the templates that let the Content-Security-Policy stay strict."""

import re
from pathlib import Path

import pytest
from django.test import Client

from gongzhi.core.http.security_headers import content_security_policy, tile_source

STRICT = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
EVERYWHERE = {
    "Content-Security-Policy": STRICT,
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _check(response):
    for name, value in EVERYWHERE.items():
        assert response.headers.get(name) == value, (name, response.headers.get(name))
    policy = response.headers["Permissions-Policy"]
    assert "geolocation=(self)" in policy and "camera=(self)" in policy
    assert "microphone=()" in policy and "payment=()" in policy


@pytest.mark.parametrize(
    "path",
    [
        "/",  # a page
        "/api/v1/cases/queues",  # the API
        "/api/v1/nowhere",  # an API error
        "/open311/v2/discovery.json",  # Open311
        "/cases/987654321/",  # the error page
        "/static/css/app.css",  # a static file (whitenoise)
        "/static/vendor/htmx.min.js",
    ],
)
def test_headers__on_pages_api_errors_and_static_files(people, login, path):
    response = login(people.op_sub).get(path)
    assert response.status_code in (200, 404), response.status_code
    _check(response)
    if not path.startswith("/static/"):
        assert response.headers["X-Frame-Options"] == "DENY"


def test_headers__anonymous_login_page(db):
    _check(Client().get("/login/"))


def test_csp__allows_the_tile_server_when_one_is_set(people, login, settings):
    settings.MAP_TILE_URL = "https://t{s}.tianditu.gov.cn/img_w/wmts?x={x}&y={y}&l={z}"
    policy = login(people.op_sub).get("/").headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob: https://*.tianditu.gov.cn;" in policy
    assert "script-src 'self';" in policy and "connect-src 'self';" in policy


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("", ""),
        ("/tiles/{z}/{x}/{y}.png", ""),  # served by the site itself: 'self'
        ("http://10.1.2.3:8080/tiles/{z}/{x}/{y}.png", "http://10.1.2.3:8080"),
        ("https://{s}.tile.example.cn/{z}/{x}/{y}.png", "https://*.tile.example.cn"),
        ("https://tiles.{env}.example.cn/{z}.png", "https:"),
    ],
)
def test_tile_source(url, source):
    assert tile_source(url) == source


def test_csp__a_nonce_only_for_the_page_that_uses_it(tree, login, people):
    """The monthly report's print header is an inline <style> with the request's nonce."""
    client = login(people.op_district)
    page = client.get("/command/monthly/")
    nonce = re.search(r'<style nonce="([^"]+)">@page', page.content.decode()).group(1)
    assert page.headers["Content-Security-Policy"] == content_security_policy(nonce)
    assert f"style-src 'self' 'nonce-{nonce}';" in page.headers["Content-Security-Policy"]
    again = client.get("/command/monthly/")
    assert nonce not in again.headers["Content-Security-Policy"]  # a new one each time
    assert "nonce-" not in client.get("/").headers["Content-Security-Policy"]


TEMPLATES = sorted(Path(__file__).resolve().parents[2].glob("*/templates/**/*.html"))
SCRIPTS = sorted(
    p
    for p in Path(__file__).resolve().parents[2].glob("*/static/**/*.js")
    if "vendor" not in p.parts
)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p).split("gongzhi/")[-1])
def test_templates__no_inline_script_handler_or_style(path):
    text = path.read_text(encoding="utf-8")
    inline_scripts = [
        tag
        for tag in re.findall(r"<script\b[^>]*>", text)
        if "src=" not in tag and 'type="application/json"' not in tag
    ]
    assert inline_scripts == []
    assert re.findall(r"\son[a-z]+\s*=", text) == []  # onclick=, onchange= …
    assert re.findall(r"\shx-on[:\-]", text) == []  # htmx's eval'd handlers
    assert "javascript:" not in text
    assert re.findall(r"\sstyle\s*=", text) == []
    # An inline <style> only with the request's nonce.
    for tag in re.findall(r"<style\b[^>]*>", text):
        assert 'nonce="{{ request.csp_nonce }}"' in tag


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p).split("gongzhi/")[-1])
def test_scripts__build_no_markup_the_policy_refuses(path):
    text = path.read_text(encoding="utf-8")
    assert re.findall(r"style=|\son[a-z]+=|eval\(|new Function", text) == []
