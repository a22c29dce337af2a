"""The Chromium helper itself: it starts, reports console errors, and closes what it started."""

from __future__ import annotations

from peers.browser import Browser


def test_page_runs_script_and_console_errors_are_collected(browser: Browser) -> None:
    page = browser.new_page()
    page.set_content(
        "<p id=x></p><script>document.getElementById('x').textContent = 6 * 7;"
        "console.error('boom')</script>"
    )
    assert page.inner_text("#x") == "42"
    assert any("boom" in e for e in browser.console_errors)
    browser.console_errors.clear()
    page.context.close()
