"""The explorer page in a real browser (headless chromium, network off): paths light up, backprop steps, MathML lays out.

Screenshots go to a temporary folder, or to docs/ with SYMBP_SCREENSHOTS=docs (for the README).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

import symbp
from symbp.explorer import explorer_page
from test_explorer import POINT, SIGMOID_NET, edges_per_path, numpy_backprop, paths_above, union_of_edges

pytestmark = pytest.mark.browser

LECTURE = symbp.Network()
SMALL = symbp.Network([2, 3, 3, 2])
DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pages")
    paths = {}
    for name, net in (("lecture", LECTURE), ("small", SMALL)):
        paths[name] = folder / f"{name}.html"
        paths[name].write_text(explorer_page(net), encoding="utf-8")
    paths["point"] = folder / "point.html"
    paths["point"].write_text(explorer_page(SIGMOID_NET, point=POINT, lr=0.1), encoding="utf-8")
    return paths


def load(browser, page: Path) -> None:
    browser.get(page.as_uri())
    browser.get_log("browser")  # start each page with an empty console


def lit(browser, what: str) -> set[str]:
    return {e.get_attribute("id") for e in browser.find_elements(By.CSS_SELECTOR, f"svg g.{what}.on-path")}


def no_console_errors(browser) -> None:
    errors = [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
    assert errors == []


def test_lecture_W1_2_3_lights_exactly_its_two_paths(browser, pages):
    load(browser, pages["lecture"])
    # Keyboard: the weight is the arrow a0_3 -> z1_2; focus it and press Enter.
    arrow = browser.find_element(By.ID, "a0_3->z1_2")
    browser.execute_script("arguments[0].focus()", arrow)
    arrow.send_keys(Keys.ENTER)
    # The lecture's two paths: a0_3 -(W)-> z1_2 -> a1_2 -> z2_i -> a2_i -> z3 -> a3 -> C, i = 1, 2.
    expected = {"a0_3->z1_2", "z1_2->a1_2", "z3_1->a3_1", "a3_1->C"}
    for i in (1, 2):
        expected |= {f"a1_2->z2_{i}", f"z2_{i}->a2_{i}", f"a2_{i}->z3_1"}
    assert lit(browser, "edge") == expected
    assert lit(browser, "node") == {end for edge in expected for end in edge.split("->")}
    card = browser.find_element(By.CSS_SELECTOR, '.entry-card[data-entry="W1_2_3"]')
    assert "2 paths of 7 factors" in card.text
    no_console_errors(browser)


def test_the_two_exercises_share_the_lecture_deltas(browser, pages):
    load(browser, pages["lecture"])
    browser.find_element(By.CSS_SELECTOR, 'button[data-entry="W1_2_3"]').click()
    browser.find_element(By.CSS_SELECTOR, 'button[data-entry="W2_1_2"]').send_keys(Keys.SHIFT + Keys.ENTER)
    # The lecture's inefficiency slide: dC/da3 · da3/dz3 is computed 3 times (once on W2_1_2's path, once on each
    # of W1_2_3's two), the prefix down to z2_1 twice; backprop stores them as delta3 and delta2_1.
    shared = {e.get_attribute("data-node"): e.text for e in browser.find_elements(By.CSS_SELECTOR, ".shared-delta")}
    assert set(shared) == {"z3_1", "z2_1"}
    assert "naive: 3 times" in shared["z3_1"] and "naive: 2 times" in shared["z2_1"]
    card = browser.find_element(By.CSS_SELECTOR, '.entry-card[data-entry="W2_1_2"]')
    marks = {m.get_attribute("data-delta") for m in card.find_elements(By.CSS_SELECTOR, ".symbp-mark.shared")}
    assert marks == {"delta3_1", "delta2_1"}
    no_console_errors(browser)


def test_every_entry_lights_its_path_count_times_edges_per_path(browser, pages):
    load(browser, pages["small"])
    buttons = browser.find_elements(By.CSS_SELECTOR, "button.entry")
    assert len(buttons) == sum(SMALL.layers[m] * (SMALL.layers[m - 1] + 3) for m in range(1, SMALL.L + 1))
    for button in buttons:
        name = button.get_attribute("data-entry")
        kind, m = name[0], int(name[1])
        button.click()
        edges = browser.find_elements(By.CSS_SELECTOR, "svg g.edge.on-path")
        uses = sum(int(e.get_attribute("data-paths")) for e in edges)
        assert uses == paths_above(SMALL, m) * edges_per_path(SMALL, kind, m), name
        assert len(edges) == union_of_edges(SMALL, kind, m), name
    no_console_errors(browser)


def test_backward_pass_steps_from_the_output_layer_down(browser, pages):
    load(browser, pages["small"])
    stepper = browser.find_element(By.ID, "symbp-stepper")
    seen = []
    for _ in range(SMALL.L + 1):
        stepper.send_keys(Keys.ARROW_RIGHT)
        newest = browser.find_elements(By.CSS_SELECTOR, "svg g.node.delta-current")
        seen.append(sorted(e.get_attribute("id") for e in newest))
    # delta^{(3)} first, then layer 2, then layer 1; the last step gives the gradients and adds no delta.
    assert seen == [["z3_1", "z3_2"], ["z2_1", "z2_2", "z2_3"], ["z1_1", "z1_2", "z1_3"], []]
    labels = browser.find_elements(By.CSS_SELECTOR, "svg text.delta-label")
    assert len(labels) == 2 + 3 + 3 and "δ" in labels[0].text
    stepper.send_keys(Keys.ARROW_LEFT)
    assert "Step 3 of 4" in browser.find_element(By.ID, "symbp-step-status").text
    no_console_errors(browser)


def test_mathml_is_laid_out(browser, pages):
    load(browser, pages["lecture"])
    browser.find_element(By.CSS_SELECTOR, 'button[data-entry="W1_2_3"]').click()
    browser.find_element(By.ID, "symbp-next").click()
    sizes = browser.execute_script(
        "return [...document.querySelectorAll('.panel math')].map(m => m.getBoundingClientRect())"
        ".map(r => [r.width, r.height])"
    )
    assert len(sizes) >= 3 and all(w > 0 and h > 0 for w, h in sizes)
    # Laid out as mathematics, not as a line of text: a fraction stands taller than one letter.
    fraction, letter = browser.execute_script(
        "const m = document.querySelector('.entry-card .math-scroll math');"
        "return [m.querySelector('mfrac'), m.querySelector('mi')].map(e => e.getBoundingClientRect().height)"
    )
    assert fraction > 1.5 * letter > 0
    no_console_errors(browser)


def test_page_makes_no_requests_and_fits_a_phone(browser, pages):
    load(browser, pages["lecture"])
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    folder = DOCS if os.environ.get("SYMBP_SCREENSHOTS") == "docs" else pages["lecture"].parent
    browser.find_element(By.CSS_SELECTOR, 'button[data-entry="W1_2_3"]').click()
    browser.find_element(By.ID, "symbp-compare").click()
    browser.find_element(By.CSS_SELECTOR, 'button[data-entry="W2_1_2"]').click()
    browser.find_element(By.ID, "symbp-next").click()
    browser.find_element(By.ID, "symbp-next").click()
    try:
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 1300, "height": 1250, "deviceScaleFactor": 1, "mobile": False})
        browser.execute_script("window.scrollTo(0, 0)")
        browser.save_screenshot(str(folder / "explorer-lecture.png"))
        # A phone (390 CSS px), and a laptop at 200% zoom (650 CSS px at 2 device pixels each).
        for width, scale, name in ((390, 3, "explorer-phone.png"), (650, 2, "explorer-zoom200.png")):
            browser.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": 844, "deviceScaleFactor": scale, "mobile": width < 500},
            )
            browser.execute_script("window.scrollTo(0, 0)")
            overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{width} px wide: the page scrolls sideways by {overflow} px"
            browser.save_screenshot(str(folder / name))
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    no_console_errors(browser)


def test_numbers_at_a_point_appear_on_nodes_and_deltas(browser, pages):
    load(browser, pages["point"])
    hand = numpy_backprop(POINT)
    shown = {e.find_element(By.XPATH, "..").get_attribute("id"): float(e.text)
             for e in browser.find_elements(By.CSS_SELECTOR, "svg text.value-label")}
    assert shown["a1_2"] == pytest.approx(hand["a1"][1], rel=1e-3) and shown["z2_1"] == pytest.approx(hand["z2"][0], rel=1e-3)
    stepper = browser.find_element(By.ID, "symbp-stepper")
    stepper.send_keys(Keys.ARROW_RIGHT)
    label = browser.find_element(By.CSS_SELECTOR, "svg g#z2_1 text.delta-label").text
    assert float(label.split("=")[1]) == pytest.approx(hand["delta2"][0], rel=1e-3)
    browser.find_element(By.CSS_SELECTOR, 'button[data-entry="W1_2_1"]').click()
    text = browser.find_element(By.CSS_SELECTOR, ".entry-card .at-point").text
    gradient = hand["W1"][1, 0]
    assert f"= {float(f'{gradient:.4g}')}" in text and f"= {float(f'{0.3 - 0.1 * gradient:.4g}')}" in text
    no_console_errors(browser)
