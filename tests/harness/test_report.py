"""Reading a run: one transcript in the terminal, and the self-contained HTML report."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from collab_env.cli import main
from collab_env.harness.runner import BenchConfig, run_bench


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    args = ["bench", "--envs", "CollabQA-v0,CollabMath-v0", "--episodes", "3", "--out", str(out)]
    assert main(args) == 0
    return out


def test_show_renders_a_transcript_with_its_reward_parts(run_dir, capsys):
    assert main(["show", str(run_dir / "episodes.jsonl"), "--episode", "1"]) == 0
    out = capsys.readouterr().out
    assert "user" in out and "assistant" in out and "R*" in out and "token penalty" in out
    assert "engagement (R_eng, heuristic)" in out and "tokens read" in out
    assert main(["show", str(run_dir), "--episode", "12"]) == 2  # no such seed: a clear error
    assert "--episode 12: no such episode" in capsys.readouterr().out


def test_show_marks_a_lost_episode(tmp_path, capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(__import__("pathlib").Path(__file__).resolve().parents[2]))
    run_bench(BenchConfig(["CollabQA-v0"], ["tests.harness.sample_agents:crash"], 1, out=str(tmp_path)))
    assert main(["show", str(tmp_path / "episodes.jsonl")]) == 0
    assert "lost (not scored)" in capsys.readouterr().out


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.links, self.summary_rows, self.cells = [], [], 0, []
        self._in_summary = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        self.links += [v for k, v in attrs.items() if k in ("src", "href")]
        if tag == "table":
            self._in_summary = attrs.get("id") == "summary"
        self.summary_rows += tag == "tr" and self._in_summary

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_summary = False

    def handle_data(self, data):
        if self._in_summary:
            self.cells.append(data)


def test_html_report_is_one_self_contained_file(run_dir):
    assert main(["show", str(run_dir / "episodes.jsonl"), "--html"]) == 0
    page = _Page()
    page.feed((run_dir / "report.html").read_text())
    assert page.summary_rows == 1 + 4  # header + (2 envs x 2 agents)
    assert {"CollabQA-v0", "CollabMath-v0", "passive", "clarify", "accuracy"} <= set(page.cells)
    assert page.tags.count("details") == 12 and page.tags.count("img") == 3  # transcripts, plots
    assert page.links and all(
        link.startswith("data:image/png;base64,") for link in page.links
    )  # nothing to fetch
    assert "link" not in page.tags  # the sort/filter script is inline: nothing to fetch


def test_html_report_renders_in_headless_chromium(run_dir, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip(
            "Chromium is not installed (apt-get install chromium): the HTML is checked by parsing instead"
        )
    report = run_dir / "shown.html"
    assert main(["show", str(run_dir), "--html", str(report)]) == 0
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'p'}",
    ]
    dom = subprocess.run(
        [chromium, *flags, "--dump-dom", report.as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    summary = dom[dom.index('<table id="summary"') : dom.index("</table>")]
    assert summary.count("<tr>") == 5 and "CollabMath-v0" in summary and "±" in summary
    shot = tmp_path / "shot.png"
    subprocess.run(
        [chromium, *flags, "--window-size=1200,900", f"--screenshot={shot}", report.as_uri()],
        capture_output=True, timeout=60, check=True,
    )  # fmt: skip
    pixels = _png_pixels(shot)
    assert len(set(pixels)) > 50, "the screenshot is blank: the page did not render"


# Opens every transcript, then records what a reader at 1000 px sees: whether the page is wider
# than the window, and how transcripts are aligned and wrapped.
_PROBE = """<script>addEventListener('load', () => {
  document.querySelectorAll('details').forEach(d => d.open = true);
  const pre = getComputedStyle(document.querySelector('#episodes pre'));
  const probe = document.createElement('output'); probe.id = 'probe';
  probe.textContent = JSON.stringify({wide: document.documentElement.scrollWidth, window: innerWidth,
    align: pre.textAlign, wrap: pre.whiteSpace});
  document.body.appendChild(probe);
});</script>"""


def test_issue26_transcripts_are_left_aligned_wrapped_and_fit_1000_px(run_dir, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    report = tmp_path / "report.html"
    assert main(["show", str(run_dir), "--html", str(report)]) == 0
    report.write_text(report.read_text().replace("</body>", _PROBE + "</body>"))
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--window-size=1000,1400",
             f"--user-data-dir={tmp_path / 'p'}"]  # fmt: skip
    dom = subprocess.run(
        [chromium, *flags, "--dump-dom", report.as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    probe = json.loads(html.unescape(re.search(r'<output id="probe">(.*?)</output>', dom)[1]))
    assert probe["align"] in ("left", "start") and probe["wrap"] == "pre-wrap"
    assert probe["wide"] <= probe["window"], probe  # nothing pushes the page past the window
    shot = tmp_path / "shot-1000.png"  # to look at: every transcript open, at 1000 px
    subprocess.run([chromium, *flags, f"--screenshot={shot}", report.as_uri()], capture_output=True,
                   timeout=60, check=True)  # fmt: skip
    assert len(set(_png_pixels(shot))) > 50


def _png_pixels(path):
    """Distinct colours of a PNG's first rows, read with matplotlib (a [bench] dependency)."""
    image = pytest.importorskip("matplotlib.image").imread(path)
    return [tuple(px) for px in image[:400:4, ::4].reshape(-1, image.shape[2]).round(3).tolist()]


def test_html_report_compares_sorts_filters_and_lists_episodes_in_seed_order(run_dir):
    report = run_dir / "compare.html"
    assert main(["show", str(run_dir), "--html", str(report), "--compare", "passive"]) == 0
    page = report.read_text()
    assert "<table id='compare'" in page and "Against passive" in page and "%</td>" in page
    for name in ("env", "agent", "status", "score"):
        assert f"class='filter' name='{name}'" in page
    assert "addEventListener('click'" in page  # headers sort the episode table
    seeds = [
        int(s)
        for s in re.findall(
            r"<tr data-env='[^']*' data-agent='[^']*' data-status='\w+' data-score='[^']*'><td>(\d+)</td>",
            page,
        )
    ]
    assert len(seeds) == 12 and seeds == sorted(seeds)


def test_html_report_of_a_run_that_lost_everything_says_so(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(__import__("pathlib").Path(__file__).resolve().parents[2]))
    run_bench(BenchConfig(["CollabQA-v0"], ["tests.harness.sample_agents:outage"], 2, out=str(tmp_path)))
    assert main(["show", str(tmp_path), "--html"]) == 0
    page = (tmp_path / "report.html").read_text()
    assert "No episode was scored: all 2 were lost" in page and "2 × collab_env.errors.ModelCallError" in page
    assert "<img" not in page and not list(tmp_path.glob("*.png"))  # no empty axes


def test_the_turns_plot_of_a_run_with_the_reveal_control_draws_the_tables_condition_only(
    monkeypatch, tmp_path
):
    from collab_env.harness import plots

    drawn = []
    monkeypatch.setattr(plots, "_turns", lambda plt, scored, agents, path: drawn.extend(scored))
    args = ["bench", "--envs", "CollabQA-v0", "--agents", "clarify", "--episodes", "2", "--workers", "1"]
    main([*args, "--reveal", "default,all", "--out", str(tmp_path)])
    assert drawn and {r.get("reveal", "default") for r in drawn} == {"default"}
