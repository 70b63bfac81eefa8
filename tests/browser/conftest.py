"""A headless Debian chromium driven by Selenium, with networking off, for the explorer page's tests."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest

# The README's test command does not install Selenium; .ci/browser-and-notebook does, then runs these.
collect_ignore_glob = [] if importlib.util.find_spec("selenium") else ["test_*.py"]

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the oracles of tests/test_explorer.py

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
DRIVER = shutil.which("chromedriver")


def _missing(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing under CI: .ci/browser-and-notebook must install it")
    pytest.skip(f"{what} is not installed (apt-get install chromium chromium-driver; pip install selenium)")


@pytest.fixture(scope="session")
def browser():
    try:
        from selenium import webdriver
    except ImportError:
        _missing("Selenium")
    if CHROMIUM is None or DRIVER is None:
        _missing("Debian's chromium and chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1300,900", "--host-resolver-rules=MAP * ~NOTFOUND"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=webdriver.ChromeService(DRIVER), options=options)
    # The page must need no network: turn it off for everything the browser does.
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0},
    )
    yield driver
    driver.quit()
