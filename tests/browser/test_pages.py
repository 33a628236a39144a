"""The dashboard in a real browser: reading, searching, following links, switching language, safety."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from marsad.report.common import technique_definitions

HOSTILE = Path(__file__).resolve().parent / "hostile.jsonl"


def _html_attrs(page: Any) -> tuple[str, str]:
    attrs: list[str] = page.eval_on_selector("html", "e => [e.getAttribute('lang'), e.getAttribute('dir')]")
    return attrs[0], attrs[1]


def test_overview_reads_right_to_left(page: Any, server_url: str, shot_dir: Path) -> None:
    page.goto(server_url + "/")
    assert _html_attrs(page) == ("ar", "rtl")
    assert page.eval_on_selector("body", "e => getComputedStyle(e).direction") == "rtl"
    assert page.locator("h1").first.inner_text() == "نظرة عامة"
    assert page.locator("svg.chart").count() >= 2
    page.screenshot(path=str(shot_dir / "overview-ar.png"), full_page=True)


def test_search_open_an_article_see_spans_and_follow_an_actor(
    page: Any, server_url: str, shot_dir: Path, watch: Any
) -> None:
    page.goto(server_url + "/")
    page.fill(".quick-search input[name=q]", "روسيا")
    page.press(".quick-search input[name=q]", "Enter")
    page.wait_for_url("**/search?q=*")
    hits = page.locator("li.hit")
    assert hits.count() > 0
    assert page.locator("li.hit .snippet mark").first.is_visible()
    page.screenshot(path=str(shot_dir / "search-ar.png"), full_page=True)

    # Open the hit with the most highlights: an opinion piece about the great powers.
    page.goto(server_url + "/search?q=" + quote("الأخلاق المستعارة"))
    page.locator("li.hit h2 a").first.click()
    page.wait_for_url("**/article/*")
    marks = page.locator("mark.pz")
    assert marks.count() > 5
    tip = page.locator("mark.pz .tip").first
    assert not tip.is_visible()
    # Keyboard focus shows the technique, its definition and its score.
    marks.first.focus()
    assert tip.is_visible()
    assert "الدرجة" in tip.inner_text()
    page.screenshot(path=str(shot_dir / "article-focus-ar.png"))
    marks.first.blur()
    assert not tip.is_visible()
    # So does hovering another one.
    marks.nth(3).hover()
    assert page.locator("mark.pz").nth(3).locator(".tip").is_visible()

    actor_link = page.locator("a.ent").first
    target = actor_link.get_attribute("href")
    assert target is not None and target.startswith("/actor/")
    actor_link.click()
    page.wait_for_url("**" + target)
    assert page.locator("h1").first.is_visible()
    assert page.locator("svg.chart").count() >= 2
    page.screenshot(path=str(shot_dir / "actor-ar.png"), full_page=True)
    assert watch.errors == [] and watch.dialogs == []


def test_tooltips_work_without_javascript(browser: Any, server_url: str) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(server_url + "/search?q=" + quote("الأخلاق المستعارة") + "&lang=en")
    page.locator("li.hit h2 a").first.click()
    page.wait_for_url("**/article/*")
    first = page.locator("mark.pz").first
    first.focus()
    text = first.locator(".tip").inner_text()
    definitions = {info.definition_en for info in technique_definitions().values()}
    assert any(definition in text for definition in definitions)
    context.close()


def test_switching_language_keeps_the_page_and_the_choice(page: Any, server_url: str, shot_dir: Path) -> None:
    page.goto(server_url + "/search?q=" + quote("جنيف"))
    assert _html_attrs(page) == ("ar", "rtl")
    page.click("a.lang-switch")
    page.wait_for_url("**lang=en*")
    assert _html_attrs(page) == ("en", "ltr")
    assert page.eval_on_selector("body", "e => getComputedStyle(e).direction") == "ltr"
    assert page.input_value(".facets input[name=q]") == "جنيف"
    page.screenshot(path=str(shot_dir / "search-en.png"), full_page=True)
    # Links and forms keep English.
    page.locator("li.hit h2 a").first.click()
    page.wait_for_url("**/article/*lang=en")
    assert _html_attrs(page) == ("en", "ltr")
    page.screenshot(path=str(shot_dir / "article-en.png"), full_page=True)
    page.fill(".quick-search input[name=q]", "موسكو")
    page.press(".quick-search input[name=q]", "Enter")
    page.wait_for_url("**/search?*")
    assert _html_attrs(page) == ("en", "ltr")
    page.click("a.lang-switch")
    page.wait_for_load_state()
    assert _html_attrs(page) == ("ar", "rtl")
    assert "lang=en" not in page.url


_READS_LEFT_TO_RIGHT = """
els => els.filter(e => e.textContent.trim().length > 3).map(e => {
  const node = e.firstChild && e.firstChild.nodeType === 3 ? e.firstChild : e.querySelector('*')?.firstChild;
  if (!node) return null;
  const range = document.createRange();
  const text = node.textContent;
  range.setStart(node, 0); range.setEnd(node, 1);
  const first = range.getBoundingClientRect();
  range.setStart(node, text.length - 1); range.setEnd(node, text.length);
  const last = range.getBoundingClientRect();
  return {direction: getComputedStyle(e).direction, firstLeft: first.left, lastLeft: last.left, text};
}).filter(Boolean)
"""


def test_dates_and_numbers_read_left_to_right_in_arabic_pages(page: Any, server_url: str) -> None:
    page.goto(server_url + "/search?q=" + quote("الأخلاق المستعارة"))
    page.locator("li.hit h2 a").first.click()
    page.wait_for_url("**/article/*")
    assert page.eval_on_selector("main", "e => getComputedStyle(e).direction") == "rtl"
    measured = page.eval_on_selector_all("time, bdi.num", _READS_LEFT_TO_RIGHT)
    assert len(measured) >= 3
    for item in measured:
        assert item["direction"] == "ltr", item
        # The first character of "2026-04-16 08:00" or "0.93" is drawn left of the last one.
        if item["firstLeft"] != item["lastLeft"]:
            assert item["firstLeft"] < item["lastLeft"], item


def _hostile_urls(server_url: str) -> list[str]:
    rows = [json.loads(line) for line in HOSTILE.read_text(encoding="utf-8").splitlines()]
    urls = [server_url + "/", server_url + "/search", server_url + "/search?q=" + quote("خبيث")]
    urls += [server_url + "/outlet/" + quote(row["outlet"], safe="") for row in rows]
    return urls


def test_script_in_articles_never_runs(page: Any, server_url: str, shot_dir: Path, watch: Any) -> None:
    visited = 0
    for url in _hostile_urls(server_url):
        page.goto(url)
        visited += 1
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
            assert not href.strip().lower().startswith(("javascript:", "data:")), (url, href)
    # Open both hostile articles from the search page and poke every highlight and link.
    page.goto(server_url + "/search?q=" + quote("خبيث OR إعمار"))
    links = [
        page.locator("li.hit h2 a").nth(i).get_attribute("href")
        for i in range(page.locator("li.hit").count())
    ]
    assert len(links) >= 2
    titles = []
    for link in links:
        page.goto(server_url + str(link))
        visited += 1
        for index in range(page.locator("mark.pz").count()):
            page.locator("mark.pz").nth(index).focus()
        page.locator(".article-meta").hover()
        page.locator("h1").hover()
        titles.append(page.locator("h1").inner_text())
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
            assert not href.strip().lower().startswith(("javascript:", "data:")), (link, href)
        assert page.evaluate("() => typeof window.__pwned") == "undefined"
        assert page.title() != "PWNED"
        assert page.locator("script, iframe, object, embed").count() == 0
    page.screenshot(path=str(shot_dir / "hostile-article.png"), full_page=True)
    # The payloads were there, shown as text.
    assert any(title.startswith("<script>") for title in titles)
    assert any(title.startswith('"><svg onload=') for title in titles)
    assert visited >= 7
    assert watch.dialogs == []
    assert watch.errors == []
