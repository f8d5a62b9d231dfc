"""The coach's path in a real browser: JupyterLab, explore.ipynb, run it, change the team, the table follows.

JupyterLab serves a copy of the bundled ``explore.ipynb`` (from a temporary folder, with its own
configuration, settings and workspaces) on a free local port; headless Chromium, driven by Playwright,
opens it, runs all cells, and picks other schools and teams in the explorer's dropdowns.  After each
change the proficiency table in the page must hold the rows :meth:`Explorer.compute` gives for the
team now chosen.  Playwright drives the system's Chromium (``make test`` installs Debian's with apt
when it can); it never downloads a browser.  The test skips, saying why, without Chromium or Playwright.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from plc_analysis.bundled import NOTEBOOK_DIR
from plc_analysis.loading import load_sample
from plc_analysis.widgets import Explorer, ExplorerState

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Chromium without anything that reaches the network or a screen.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Longest wait for one step (server start, kernel and first render, an update after a change), in ms.
STEP_MS = 45_000


def _chromium() -> str | None:
    for candidate in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        found = shutil.which(candidate)
        if found:
            return found
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def jupyterlab(tmp_path: Path) -> Iterator[str]:
    """JupyterLab serving a copy of explore.ipynb; yields the notebook's URL (token included)."""
    work = tmp_path / "notebooks"
    work.mkdir()
    shutil.copyfile(NOTEBOOK_DIR / "explore.ipynb", work / "explore.ipynb")  # the browser may save its copy
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "IPYTHONDIR": str(tmp_path / "ipython"),
    }
    args = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        "--allow-root",  # CI containers run as root
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={work}",
        f"--LabApp.user_settings_dir={tmp_path / 'settings'}",
        f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: run the notebook's commands
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",  # no PyPI queries
    ]
    log = (tmp_path / "jupyterlab.log").open("w")
    server = subprocess.Popen(args, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        status = f"http://127.0.0.1:{port}/api/status?token={token}"
        deadline = time.monotonic() + STEP_MS / 1000
        while True:
            try:
                with urllib.request.urlopen(status, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"JupyterLab did not start:\n{(tmp_path / 'jupyterlab.log').read_text()[-3000:]}")
            time.sleep(0.25)
        yield f"http://127.0.0.1:{port}/lab/tree/explore.ipynb?token={token}&reset"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _expected_rows(explorer: Explorer, team_id: str) -> list[list[str]]:
    """Skill, students proficient and students assessed, as the table shows them for ``team_id``."""
    skills = explorer.compute(ExplorerState(team_id))["skills"]
    return [
        [str(s), str(p), str(n)] for s, p, n in zip(skills["description"], skills["n_proficient"], skills["n_assessed"])
    ]


def test_explorer_table_follows_the_team_dropdown_in_jupyterlab(jupyterlab):
    browser_path = _chromium()
    if browser_path is None:
        pytest.skip("headless Chromium not installed (make test installs Debian's chromium with apt when run as root)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright not installed (pip install -e '.[dev]')")
    explorer = Explorer(load_sample())
    schools = explorer.schools()
    (first_school, first_id), (second_school, second_id) = schools[0], schools[1]
    teams = explorer.teams(second_id)
    assert len(teams) >= 2, "the sample's second school should have several teams"

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(STEP_MS)
            page.goto(jupyterlab)
            page.wait_for_function("window.jupyterapp && window.jupyterapp.shell.currentWidget")
            page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for()
            page.wait_for_function(  # the kernel is up before the cells are run
                "window.jupyterapp.shell.currentWidget.sessionContext?.session?.kernel?.status === 'idle'"
            )
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")

            table = page.locator("table.plc-table", has=page.locator("caption", has_text="Students proficient on"))

            def dropdown(label: str):
                return page.locator(".widget-dropdown", has=page.locator("label", has_text=re.compile(f"^{label}$")))

            def shown_rows() -> list[list[str]]:
                rows = table.locator("tbody tr").all()
                return [[cell.inner_text().strip() for cell in row.locator("td").all()[1:4]] for row in rows]

            def table_shows(team_id: str) -> None:
                expected = _expected_rows(explorer, team_id)
                deadline = time.monotonic() + STEP_MS / 1000
                while True:
                    rows = shown_rows() if table.count() == 1 else []
                    if rows == expected:
                        return
                    assert time.monotonic() < deadline, f"the table does not show {team_id}: {rows[:3]} ..."
                    page.wait_for_timeout(200)

            def options(label: str) -> list[str]:  # ipywidgets writes the labels' spaces as no-break spaces
                texts = dropdown(label).locator("select").evaluate("s => Array.from(s.options, o => o.text)")
                return [text.replace("\xa0", " ") for text in texts]

            def chosen(label: str) -> str:
                index = dropdown(label).locator("select").evaluate("s => s.selectedIndex")
                return options(label)[index]

            def choose(label: str, option: str) -> None:
                dropdown(label).locator("select").select_option(index=options(label).index(option))

            dropdown("Team").locator("select").wait_for()
            assert chosen("School") == first_school
            table_shows(explorer.teams(first_id)[0][1])

            choose("School", second_school)
            table_shows(teams[0][1])  # the school's first team
            for label, team_id in teams[1:3]:
                choose("Team", label)
                assert chosen("Team") == label
                table_shows(team_id)
            assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
        finally:
            browser.close()
