"""Small helpers to drive gradio components by their elem_id in Playwright."""
from __future__ import annotations


def fill(page, elem_id: str, value: str) -> None:
    """Type a value and make sure it stuck: a field filled while gradio is still re-rendering its accordion can
    lose the value (a run then trained with the default max_steps)."""
    box = page.locator(f"#{elem_id} textarea, #{elem_id} input").first
    for _ in range(10):
        box.fill(str(value))
        box.blur()
        page.wait_for_timeout(100)
        if box.input_value() == str(value):
            return
    raise AssertionError(f"#{elem_id} would not keep the value {value!r}")


def choose(page, elem_id: str, option: str) -> None:
    """Pick an option of a (multi)select dropdown by typing it."""
    box = page.locator(f"#{elem_id} input").first
    box.click()
    box.fill(option)
    page.get_by_role("option", name=option, exact=True).first.click()
    box.blur()


def open_accordion(page, name: str) -> None:
    page.get_by_role("button", name=name).first.click()


def wait_text(page, elem_id: str, text: str, timeout_s: float = 240, fail_on: tuple[str, ...] = ()) -> str:
    """Wait until the element shows `text`; stop early (and fail) if it shows one of `fail_on`."""
    try:
        page.wait_for_function(
            "([id, t, bad]) => { const s = document.getElementById(id)?.innerText || '';"
            " return s.includes(t) || bad.some(b => s.includes(b)); }",
            arg=[elem_id, text, list(fail_on)], timeout=timeout_s * 1000)
    except Exception as exc:  # say what the page showed instead, not only that time ran out
        raise AssertionError(f"#{elem_id} never showed {text!r}; it shows: "
                             f"{page.locator(f'#{elem_id}').inner_text()[-800:]!r}") from exc
    shown = page.locator(f"#{elem_id}").inner_text()
    assert text in shown, shown
    return shown
