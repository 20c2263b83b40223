"""The HTML report on a laptop: it fits 1280 px, carries the run's --compare, explains R*'s parts."""

from __future__ import annotations

import html
import json
import re
import shutil
import struct
import subprocess

import pytest

from collab_env.cli import main
from collab_env.harness.log import read_log
from collab_env.harness.parts import reward_parts

LAPTOP = 1280  # px: the width of the laptop screen the report must fit

# Opens every transcript, then writes into the page what Chromium measured: the document's width,
# the window's, and for each table that must fit, its width against its box's.
_PROBE = """<script>addEventListener('load', () => {
  document.querySelectorAll('details').forEach(d => d.open = true);
  const tables = [...document.querySelectorAll('table.fit')].map(
    t => [t.id, t.scrollWidth, t.parentElement.clientWidth]);
  const probe = document.createElement('output'); probe.id = 'probe';
  probe.textContent = JSON.stringify({wide: document.documentElement.scrollWidth, window: innerWidth, tables});
  document.body.appendChild(probe);
});</script>"""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A small bench run (2 episodes, 2 envs) compared with passive, and its report."""
    out = tmp_path_factory.mktemp("run")
    args = ["bench", "--envs", "CollabQA-v0,CollabCode-v0", "--episodes", "2", "--compare", "passive"]
    assert main([*args, "--out", str(out)]) == 0
    assert main(["show", str(out), "--html"]) == 0  # no --compare: the run's own is carried over
    return out


def test_show_html_carries_the_bench_runs_compare_into_the_report(run_dir):
    page = (run_dir / "report.html").read_text()
    assert "<table id='compare'" in page and "Against passive (relative change)" in page
    assert "clarify</td>" in page[page.index("id='compare'") :]


def test_report_shows_r_stars_parts_per_env_and_agent_that_add_up(run_dir):
    rows = reward_parts(read_log(run_dir)[1])
    assert {(r["env_id"], r["agent"]) for r in rows} == {
        (e, a) for e in ("CollabQA-v0", "CollabCode-v0") for a in ("passive", "clarify")
    }
    for r in rows:
        parts = r["w_ext"] * r["task_metric"] - r["token_penalty"] + r["w_eng"] * r["engagement"]
        assert parts == pytest.approx(r["total"], abs=1e-9)
        assert {"answered", "unanswered", "missed", "ignored"} <= set(r["counts"])
    page = (run_dir / "report.html").read_text()
    table = page[page.index("<table id='reward-parts'") :]
    table = table[: table.index("</table>")]
    for label in (
        "token penalty",
        "engagement (R_eng) × w_eng",
        "answered",
        "unanswered",
        "missed",
        "ignored",
    ):
        assert f"<th>{html.escape(label)}</th>" in table
    assert table.count("<tr>") == 1 + 4
    assert "answer the user had to repeat" in page  # what a count means, said in the report
    assert "engagement (heuristic):" in page  # each transcript explains its own R_eng


def test_report_fits_a_1280_px_laptop_screen_in_headless_chromium(run_dir, tmp_path):
    chromium = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
    if chromium is None:
        pytest.skip("no Chromium (chromium, chromium-browser or google-chrome) to render the report in")
    report = tmp_path / "report.html"
    report.write_text((run_dir / "report.html").read_text().replace("</body>", _PROBE + "</body>"))
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
        f"--window-size={LAPTOP},900",
    ]  # fmt: skip
    dom = subprocess.run(
        [chromium, *flags, "--dump-dom", report.as_uri()],
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
    ).stdout
    probe = json.loads(html.unescape(re.search(r'<output id="probe">(.*?)</output>', dom)[1]))
    assert probe["window"] == LAPTOP and probe["wide"] <= LAPTOP, probe  # no sideways scroll of the page
    assert {t[0] for t in probe["tables"]} == {"summary", "compare", "reward-parts"}
    for name, wide, box in probe["tables"]:
        assert wide <= box, f"the {name} table is cut at 1280 px: {wide} px in a {box} px box"
    shot = tmp_path / "report-1280.png"
    subprocess.run([chromium, *flags, f"--screenshot={shot}", report.as_uri()], capture_output=True,
                   timeout=90, check=True)  # fmt: skip
    width, height = _png_size(shot)
    assert (width, height) == (LAPTOP, 900)
    image = pytest.importorskip("matplotlib.image").imread(shot)
    assert len({tuple(px) for px in image[::8, ::8].reshape(-1, image.shape[2]).round(2).tolist()}) > 20


def _png_size(path):
    """A PNG's width and height in pixels, from its IHDR chunk."""
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_the_frontier_plots_labels_do_not_overlap(run_dir):
    plt = pytest.importorskip("matplotlib.pyplot")
    from collab_env.harness.plots import efficiency_figure
    from collab_env.harness.summary import summarise

    rows = summarise(read_log(run_dir)[1])
    fig = efficiency_figure(plt, rows, ["passive", "clarify"])
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    (ax,) = fig.axes
    assert not ax.texts  # no text at the points: a colour per agent, a marker per env, a legend
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["passive", "clarify", "QA", "Code"]
    boxes = [t.get_window_extent(renderer) for t in legend.get_texts()]
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    assert not legend.get_window_extent(renderer).overlaps(ax.get_window_extent(renderer))
    plt.close(fig)
