"""The widget on a shop's page (another origin) in a real browser: without the shop in
CHAT_WIDGET_ORIGINS the frame explains what to configure; with it, the chat fits the small
frame (consent buttons, then Send, visible without scrolling)."""

import functools
import http.server
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.processes import ARTIFACTS, daphne_server, free_port

SHOP_PAGE = """<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>Shop</title>
</head><body><h1>Beispiel-Shop</h1><script src="{base}/static/bot/widget.js" async></script>
</body></html>"""


@contextmanager
def shop(tmp_path: Path):
    """A shop's web server on its own port (another origin); yields its origin."""
    port = free_port()
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "shop")
    )
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def shop_with_widget(tmp_path: Path, *, allowed: bool):
    (tmp_path / "shop").mkdir()
    with shop(tmp_path) as shop_origin:
        environment = {"CHAT_WIDGET_ORIGINS": shop_origin} if allowed else {}
        with daphne_server(tmp_path / "daphne.log", **environment) as base_url:
            (tmp_path / "shop" / "index.html").write_text(SHOP_PAGE.format(base=base_url))
            yield shop_origin


def _open_widget(browser, shop_origin: str):
    page = browser.new_page(locale="de-DE", viewport={"width": 1280, "height": 720})
    page.goto(f"{shop_origin}/index.html")
    page.get_by_role("button", name="Chat mit dem Kundenservice").click()
    return page, page.frame_locator("#supportdesk-chat-dialog iframe")


def _in_view(frame, locator) -> bool:
    """The element is inside the frame's viewport: seen without scrolling."""
    box = locator.evaluate(
        "e => { const r = e.getBoundingClientRect();"
        " return {top: r.top, bottom: r.bottom, height: window.innerHeight}; }"
    )
    return box["top"] >= 0 and box["bottom"] <= box["height"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_without_the_shops_origin_the_widget_says_what_to_configure(policies, tmp_path, browser):
    from playwright.sync_api import expect

    with shop_with_widget(tmp_path, allowed=False) as shop_origin:
        page, frame = _open_widget(browser, shop_origin)

        heading = frame.get_by_role("heading", level=1)
        expect(heading).to_have_text("Der Chat kann auf dieser Website noch nicht angezeigt werden")
        expect(frame.locator("code")).to_have_text(f"CHAT_WIDGET_ORIGINS={shop_origin}")
        page.screenshot(path=ARTIFACTS / "widget-unconfigured.png")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_embedded_chat_fits_the_widget_without_scrolling(
    policies, knowledge_base, tmp_path, browser
):
    from playwright.sync_api import expect

    with shop_with_widget(tmp_path, allowed=True) as shop_origin:
        page, frame = _open_widget(browser, shop_origin)

        accept = frame.get_by_role("button", name="Ich stimme zu")
        expect(accept).to_be_visible()
        expect(frame.locator("#chat-disclosure")).not_to_be_empty()
        page.screenshot(path=ARTIFACTS / "widget-consent.png")
        assert _in_view(frame, accept), "the consent buttons are below the frame's fold"
        accept.click()
        frame.locator("#identify-name").fill("Erika Mustermann")
        frame.locator("#identify-email").fill("erika@example.org")
        frame.get_by_role("button", name="Weiter").click()
        send = frame.get_by_role("button", name="Senden", exact=True)
        expect(send).to_be_visible()
        page.screenshot(path=ARTIFACTS / "widget-composer.png")
        assert _in_view(frame, send), "Send is below the frame's fold"
