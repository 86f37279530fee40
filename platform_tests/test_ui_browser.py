"""The Dagster UI as a user sees it after the demo, driven in headless Chromium (Debian's `chromium`).

A small demo is built in a fresh home, `dagster-webserver` serves it on a free port, and Playwright checks
what a user would: the layer groups, the lineage from a RAW asset down to a mart, the materialized
partitions of a partitioned asset, an asset's checks with their results, and the automation page listing
the sensors and schedules. Screenshots go to test-artifacts/ui/ (kept by CI as artifacts).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts" / "ui"
CHROMIUM = os.environ.get("STRATAFLOW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LAYER_GROUPS = ["raw", "src", "vin", "vlt", "ain", "ana", "mrt"]
RAW_ASSET = "raw/shop/orders"
# Long: on a busy 2-core machine the code location takes a minute to load (dbt manifest, definitions).
LOAD_TIMEOUT_MS = 240_000

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (.ci/run installs it)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "STRATAFLOW_HOME": str(home),
        "DAGSTER_HOME": str(home / "dagster"),
        "STRATAFLOW_ENV": "local",
    }


@pytest.fixture(scope="module")
def demo_home(request: pytest.FixtureRequest) -> Path:
    """The session's small demo (conftest.built_demo: five day partitions, built as `strataflow demo` builds
    them). STRATAFLOW_UI_TEST_HOME reuses a demo home built before (to iterate on the UI checks)."""
    if reuse := os.environ.get("STRATAFLOW_UI_TEST_HOME"):
        return Path(reuse)
    outcome, _ = request.getfixturevalue("built_demo")
    return outcome.settings.home


@pytest.fixture(scope="module")
def webserver(demo_home: Path) -> Iterator[str]:
    port = _free_port()
    webserver = Path(sys.executable).with_name("dagster-webserver")
    log = (demo_home / "webserver.log").open("w")
    proc = subprocess.Popen(
        [str(webserver), "-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml"],
        cwd=REPO,
        env=_env(demo_home),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + LOAD_TIMEOUT_MS / 1000
        while True:
            try:
                urllib.request.urlopen(f"{url}/server_info", timeout=5).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"dagster-webserver did not start: {demo_home / 'webserver.log'}") from None
                time.sleep(1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def page(webserver: str) -> Iterator:
    from playwright.sync_api import sync_playwright

    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000}, base_url=webserver)
        page.set_default_timeout(LOAD_TIMEOUT_MS)
        yield page
        browser.close()


def _open(page, path: str, wait_for: str) -> list[str]:
    """Go to `path`, dismiss the first-visit community dialog, wait for `wait_for`; the page's text lines."""
    page.goto(path)
    page.get_by_text(wait_for, exact=True).filter(visible=True).first.wait_for()
    page.wait_for_timeout(1500)  # let the graph layout settle before the screenshot
    _dismiss_dialogs(page)
    return [line.strip() for line in page.inner_text("body").splitlines() if line.strip()]


def _dismiss_dialogs(page) -> None:
    """Close what the UI pops up over the page (the first-visit community dialog, notices): an open
    overlay's backdrop takes every click meant for the page below."""
    for _ in range(5):
        skip = page.get_by_role("button", name="Skip")
        if skip.count() and skip.first.is_visible():
            skip.first.click()
        elif page.locator(".bp5-overlay-backdrop").filter(visible=True).count():
            page.keyboard.press("Escape")
        else:
            return
        page.wait_for_timeout(500)


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


@pytest.fixture(scope="module")
def definitions():
    from strataflow.config import load_project
    from strataflow.definitions import build_definitions

    return build_definitions(load_project(REPO / "configs", "local"))


def test_the_layers_are_asset_groups(page) -> None:
    lines = _open(page, "/asset-groups", "mrt")
    _shot(page, "1-global-lineage")
    missing = [g for g in [*LAYER_GROUPS, "source"] if g not in lines]
    assert not missing, f"asset groups missing from the lineage page: {missing}"


def test_lineage_from_a_raw_asset_reaches_a_mart(page) -> None:
    lines = _open(page, f"/assets/{RAW_ASSET}?view=lineage&lineageScope=downstream&lineageDepth=20", "orders")
    page.get_by_text(re.compile(r"^mrt_")).filter(visible=True).first.wait_for()
    _shot(page, "2-lineage-raw-to-marts")
    lines = [line.strip() for line in page.inner_text("body").splitlines() if line.strip()]
    assert any(line.startswith("mrt_") for line in lines), f"no mart downstream of {RAW_ASSET}: {lines}"
    assert set(LAYER_GROUPS) <= set(lines), "the downstream graph does not show every layer as a group"


def test_a_partitioned_asset_shows_its_materialized_partitions(page, demo_home: Path) -> None:
    from dagster import AssetKey, DagsterInstance

    with DagsterInstance.from_config(str(demo_home / "dagster")) as instance:
        materialized = instance.get_materialized_partitions(AssetKey(RAW_ASSET.split("/")))
    assert materialized, "the demo materialized no partition"
    lines = _open(page, f"/assets/{RAW_ASSET}?view=partitions", "Partitions")
    shown = next((line for line in lines if re.fullmatch(r"Materialized \(\d+\)", line)), None)
    assert shown == f"Materialized ({len(materialized)})", f"{shown!r} vs {sorted(materialized)}"
    assert "Failed (0)" in lines
    _dismiss_dialogs(page)
    page.get_by_text(re.compile(r"^Missing \(\d+\)$")).click(timeout=30_000)  # list only the materialized ones
    latest = max(materialized)
    page.get_by_text(latest, exact=True).filter(visible=True).first.click()
    page.get_by_text("rows_out", exact=True).filter(visible=True).first.wait_for()
    page.wait_for_timeout(1000)
    _shot(page, "3-partitions")
    lines = [line.strip() for line in page.inner_text("body").splitlines() if line.strip()]
    for key in materialized:
        assert key in lines, f"partition {key} not listed"


def test_an_assets_checks_are_listed_with_their_results(page, definitions) -> None:
    graph = definitions.resolve_asset_graph()
    checked = sorted({k.asset_key.to_user_string() for k in graph.asset_check_keys})
    # The SRC gate (Great Expectations) where it exists, else the first dbt model with tests.
    asset = next((a for a in checked if a.startswith("src/")), None) or next(a for a in checked if a.startswith("vin/"))
    names = sorted(k.name for k in graph.asset_check_keys if k.asset_key.to_user_string() == asset)
    lines = _open(page, f"/assets/{asset}?view=checks", names[0])
    _shot(page, "4-checks")
    assert f"Checks ({len(names)})" in lines
    for name in names:
        assert name in lines, f"check {name} of {asset} not listed"
    assert "Succeeded" in lines or "Passed" in lines, f"no check result shown for {asset}"
    assert any("Severity" in line or "Expect" in line for line in lines), "the selected check has no description"


def test_the_automation_page_lists_sensors_and_schedules(page, definitions) -> None:
    names = [s.name for s in definitions.sensors or []] + [s.name for s in definitions.schedules or []]
    assert names
    lines = _open(page, "/automation", names[0])
    _shot(page, "5-automation")
    missing = [n for n in names if n not in lines]
    assert not missing, f"not listed on the automation page: {missing}"
