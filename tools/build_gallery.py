"""Refresh docs/gallery/: render the sample district's Grade 3 team report and screenshot it.

Runs ``plc report --team T-G3`` into a temporary folder, copies the team report and the
district overview (standalone HTML) into ``docs/gallery/``, and takes screenshots of the
report's first screen and of three sections with headless Chromium.  Run it after a change
to the reports' look::

    python tools/build_gallery.py          # needs chromium (or chromium-browser) on the PATH

The pictures are a snapshot of the sample district; the docs build does not run this.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
GALLERY = ROOT / "docs" / "gallery"
TEAM = ("S01", "T-G3")
WIDTH = 1280
#: (file stem, heading the picture starts at — None for the top of the page, height in pixels)
SHOTS = [
    ("team-report-top", None, 2400),
    ("team-report-comparison", "A basis of comparison", 1900),
    ("team-report-talking-points", "What to talk about", 1500),
    ("team-report-support", "3. How will we respond", 1300),
]

# Removes every notebook cell before the one holding the heading, so that the section is at the top.
SCROLL_TO = """<script>
window.addEventListener('load', () => {
  const heading = [...document.querySelectorAll('h2')].find(e => e.textContent.startsWith(%s));
  let cell = heading.closest('.jp-Cell').previousElementSibling;
  while (cell) {
    const before = cell.previousElementSibling;
    if (cell.classList.contains('jp-Cell')) cell.remove();
    cell = before;
  }
});
</script>"""


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        if found := shutil.which(name):
            return found
    sys.exit("chromium is not installed (apt-get install chromium)")


def screenshot(page: Path, heading: str | None, out: Path, height: int) -> None:
    """A ``WIDTH`` × ``height`` PNG of ``page`` from ``heading`` (a 256-colour palette keeps it small)."""
    shown = page
    if heading is not None:
        shown = page.with_name(f"_{out.stem}.html")
        html = page.read_text(encoding="utf-8")
        shown.write_text(html.replace("</body>", SCROLL_TO % json.dumps(heading) + "</body>"), encoding="utf-8")
    try:
        _chromium_screenshot(shown, out, height)
    finally:
        if shown != page:
            shown.unlink()
    Image.open(out).convert("RGB").quantize(256).save(out, optimize=True)


def _chromium_screenshot(page: Path, out: Path, height: int) -> None:
    subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--screenshot={out}",
            f"--window-size={WIDTH},{height}",
            page.resolve().as_uri(),
        ],
        check=True,
        stderr=subprocess.DEVNULL,
        timeout=180,
    )


def main() -> None:
    from plc_analysis.cli import main as plc

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        status = plc(["report", "--team", TEAM[1], "--jobs", "1", "--quiet", "--out", str(out)])
        if status != 0:
            sys.exit(f"plc report failed with exit code {status}")
        report = out / TEAM[0] / f"{TEAM[1]}.html"
        shutil.copyfile(report, GALLERY / "team-report.html")
        shutil.copyfile(out / "district_overview.html", GALLERY / "district-overview.html")
        for stem, heading, height in SHOTS:
            screenshot(report, heading, GALLERY / f"{stem}.png", height)
        screenshot(out / "district_overview.html", None, GALLERY / "district-overview-top.png", 1100)
    print(f"gallery written to {GALLERY.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
