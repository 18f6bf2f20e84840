"""The documentation site builds strictly and offline, and its examples are runnable.

The examples themselves are executed by pytest's doctest collection of every
``*.md`` under ``docs/``; these tests check the site around them.
"""

from __future__ import annotations

import base64
import doctest
import functools
import html
import http.server
import importlib.util
import json
import math
import os
import re
import struct
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import numpy as np
import pytest

import graphgrad

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

# Fenced code blocks (possibly indented): language tag, rest of the fence line, body.
FENCE = re.compile(r"^ *```([\w+-]*)([^\n]*)\n(.*?)^ *```", re.MULTILINE | re.DOTALL)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built once with ``mkdocs build --strict`` and no network."""
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ)
    # Any attempt to reach the network (fonts, inventories, social cards) goes to
    # a closed local port and fails, so a build that passes here needs none.
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        env[var] = "http://127.0.0.1:9"
    env["NO_PROXY"] = env["no_proxy"] = ""
    env["NO_MKDOCS_2_WARNING"] = "1"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # mkdocs only logs (at INFO) text that Markdown took for a link to no file,
    # such as W[2](W[1] x): here it fails the build as a warning does.
    log = result.stdout + result.stderr
    assert "unrecognized relative link" not in log, log
    return out


@pytest.mark.parametrize(
    "page",
    [
        "index.html",
        "tutorial/index.html",
        "api/index.html",
        "zh/index.html",
        "zh/tutorial/index.html",
        "neural_networks/index.html",
        "zh/neural_networks/index.html",
        "networks/index.html",
        "classifier/index.html",
    ],
)
def test_key_pages_are_built(site: Path, page: str) -> None:
    html = (site / page).read_text(encoding="utf-8")
    assert "<h1" in html


def test_every_link_in_the_site_leads_to_a_page_or_file(site: Path) -> None:
    dead = []
    for page in site.rglob("*.html"):
        for href in re.findall(r'<a\b[^>]*\bhref="([^"]*)"', page.read_text(encoding="utf-8")):
            parts = urlsplit(html.unescape(href))
            if parts.scheme or not parts.path:
                continue  # another site, or a heading of this page
            path = unquote(parts.path)
            target = site / path.lstrip("/") if path.startswith("/") else page.parent / path
            if path.endswith("/"):
                target = target / "index.html"
            if not target.exists():
                dead.append(f"{page.relative_to(site)}: {href}")
    assert dead == []


def test_api_reference_is_generated_from_docstrings(site: Path) -> None:
    html = (site / "api" / "index.html").read_text(encoding="utf-8")
    # Phrases that appear only in the docstrings, not in api.md itself.
    for phrase in (
        "Every node reachable from",
        "Central-difference estimates",
        "One entry of the op table",
    ):
        assert phrase in html, phrase
    # Docstring doctests are shown as highlighted console code, not as the
    # nested quotes Markdown would make of their ">>>" lines.
    assert 'class="language-pycon' in html
    assert "<blockquote>" not in html
    assert ":func:" not in html and ":class:" not in html  # Sphinx roles shown as code


def test_doctest_blank_line_markers_are_shown_as_blank_lines(site: Path) -> None:
    # The sources keep <BLANKLINE> for doctest (pictures, command, and the API
    # page's docstrings) ...
    assert "<BLANKLINE>" in (DOCS / "pictures.md").read_text(encoding="utf-8")
    assert "<BLANKLINE>" in (DOCS / "command.md").read_text(encoding="utf-8")
    # ... and the site shows an empty line, in pages and in the search index alike.
    pages = [*site.rglob("*.html"), site / "search" / "search_index.json"]
    assert [
        p.relative_to(site) for p in pages if "BLANKLINE" in p.read_text(encoding="utf-8")
    ] == []
    html = (site / "command" / "index.html").read_text(encoding="utf-8")
    assert re.search(r"J  = 3·v2 = 33</span>\n\n<span", html)


@pytest.mark.parametrize(
    ("page", "lang", "labels"),
    [
        ("zh/index.html", "zh-CN", ['placeholder="搜索"', "目录"]),
        ("zh/tutorial/index.html", "zh-CN", ['placeholder="搜索"', "目录", "上一页"]),
        ("tutorial/index.html", "en", ['placeholder="Search"', "Table of contents", "Previous"]),
        ("index.html", "en", ['placeholder="Search"', "Table of contents"]),
    ],
)
def test_chinese_pages_are_served_as_chinese(
    site: Path, page: str, lang: str, labels: list[str]
) -> None:
    html = (site / page).read_text(encoding="utf-8")
    assert f'<html lang="{lang}"' in html
    for label in labels:
        assert label in html, label


def test_chinese_pages_use_the_notes_terms(site: Path) -> None:
    text = (site / "zh" / "tutorial" / "index.html").read_text(encoding="utf-8")
    terms = ("神经元", "二分类", "逻辑回归", "损失函数", "代价函数", "梯度下降", "学习率")
    terms += ("导数", "计算图", "链式法则", "局部导数", "反向传播", "向量化")
    for term in terms:
        assert term in text, term
    # Ng's Chinese course says 代价函数 for the cost function.
    assert "成本函数" not in text


def test_the_chinese_networks_chapter_uses_the_course_terms(site: Path) -> None:
    text = (site / "zh" / "neural_networks" / "index.html").read_text(encoding="utf-8")
    for term in ("神经网络", "隐藏层", "激活函数", "前向传播", "反向传播", "随机初始化",
                 "对称", "代价函数", "梯度下降", "决策边界"):  # fmt: skip
        assert term in text, term


def chinese_prose(path: Path) -> str:
    """A page's text outside code, link targets and attribute lists."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"^ *```.*?^ *```", "", text, flags=re.MULTILINE | re.DOTALL)
    text = re.sub(r"`[^`\n]*`", "", text)
    text = re.sub(r"\]\([^)\s]*\)", "]", text)
    return re.sub(r"\{[^}\n]*\}", "", text)


CHINESE_PAGES = sorted((DOCS / "zh").glob("*.md"))
HAN = "\u3400-\u4dbf\u4e00-\u9fff"


def separators_outside_brackets(line: str) -> list[int]:
    """Where , or ; separates parts of a sentence rather than a formula's arguments."""
    depth, found = 0, []
    for i, ch in enumerate(line):
        if ch in "(（[":
            depth += 1
        elif ch in ")）]":
            depth = max(0, depth - 1)
        elif ch in ",;" and depth == 0:
            found.append(i)
    return found


@pytest.mark.parametrize("path", CHINESE_PAGES, ids=lambda p: p.name)
def test_chinese_sentences_use_full_width_punctuation(path: Path) -> None:
    # Half-width punctuation next to a Chinese character, or separating the parts
    # of a Chinese sentence (a = 5, b = 3); a formula's own f(a, b) is fine.
    next_to_chinese = re.compile(rf"[{HAN}][,.:;?!()]|[,.:;?!()][{HAN}]")
    found = []
    for line in chinese_prose(path).splitlines():
        if re.search(rf"[{HAN}]", line):
            found += [
                line[max(0, m.start() - 10) : m.end() + 10] for m in next_to_chinese.finditer(line)
            ]
            found += [line[max(0, i - 10) : i + 10] for i in separators_outside_brackets(line)]
    assert found == [], f"use ，。：；？！（）、 in Chinese sentences: {found}"


def test_chinese_tutorial_wording() -> None:
    text = chinese_prose(DOCS / "zh" / "tutorial.md")
    # The change of J is three times the change of a (not "three times a").
    assert "J 的变化量是 a 的变化量的三倍" in text
    assert "变化量是 a 的三倍" not in text
    assert "精确到小数点后六位" in text
    for heading in re.findall(r"^#+ .*$", text, flags=re.MULTILINE):
        assert heading.count("求导数") <= 1, heading


def test_pages_load_nothing_from_other_sites(site: Path) -> None:
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "fonts.googleapis.com" not in html, page
        assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?://", html), page


def doc_files() -> list[Path]:
    return [*sorted(DOCS.rglob("*.md")), ROOT / "README.md"]


@pytest.mark.parametrize("path", doc_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_python_examples_are_executed_console_sessions(path: Path) -> None:
    """Python in the docs is written as ``pycon`` with prompts, which doctest runs;
    a plain ``python`` block would never be executed or checked.  The exception is
    a listing of a source file, marked with the file's name as its title."""
    for lang, fence_line, body in FENCE.findall(path.read_text(encoding="utf-8")):
        if lang in ("python", "py", "python3"):
            assert "title=" in fence_line, f"{path.name}: use ```pycon with >>> prompts"
        if lang == "pycon":
            assert body.lstrip().startswith(">>>"), f"{path.name}: pycon block without >>>"


def picture_script() -> Any:
    spec = importlib.util.spec_from_file_location(
        "docs_generate_pictures", DOCS / "generate_pictures.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_picture_in_the_docs_comes_from_the_script() -> None:
    names = set(picture_script().picture_names())
    on_disk = {p.name for p in (DOCS / "images").iterdir()}
    assert on_disk == names, (
        "docs/images must hold exactly what docs/generate_pictures.py writes: add the "
        "picture's generator (a demo run or a drawing function) to that script"
    )
    for path in doc_files():
        for shown in re.findall(r"images/([\w.-]+)", path.read_text(encoding="utf-8")):
            assert shown in names, f"{path.name} shows {shown}, which no script generates"


# Roughly the width of the text column the site (and GitHub's README) shows a
# picture in, in CSS pixels; an SVG's pt is 4/3 of a pixel.
PAGE_WIDTH_PX = 800
# Shrunk further, the 10 pt labels of a graph are too small to read.
MIN_SCALE = 0.6


def natural_width_px(path: Path) -> float:
    if path.suffix == ".png":
        return png_size(path.read_bytes())[0]
    width = ET.fromstring(path.read_bytes()).get("width", "")
    assert width.endswith("pt"), (path.name, width)
    return float(width[:-2]) * 4 / 3


@pytest.mark.parametrize("path", doc_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_pictures_are_shown_large_enough_to_read(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for match in re.finditer(r"!\[[^\]]*\]\(([^)]*images/[\w.-]+)\)(\{[^}]*\})?", text):
        picture = (path.parent / match.group(1)).resolve()
        natural = natural_width_px(picture)
        given = re.search(r'width="(\d+)"', match.group(2) or "")
        shown = min(float(given.group(1)) if given else natural, PAGE_WIDTH_PX)
        assert shown / natural >= MIN_SCALE, (
            f"{path.name} shows {picture.name} at {shown / natural:.0%} of its size: "
            "draw it top to bottom (direction='TB') or smaller"
        )


def svg_texts(svg: bytes) -> list[str]:
    """The words and numbers of a picture, in a layout-independent order."""
    root = ET.fromstring(svg)
    return sorted("".join(e.itertext()) for e in root.iter() if e.tag.endswith("}text"))


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_every_page_in_the_docs_comes_from_the_script() -> None:
    on_disk = {p.name for p in (DOCS / "explore").iterdir()}
    assert on_disk == set(picture_script().page_names())


def page_parts(page: str) -> tuple[str, list[str], list[str], Any]:
    """A page as text without its picture and data, the picture's texts and part ids,
    and the page's data.

    The picture is compared by what it shows, as the committed pictures are:
    another Graphviz release may place the same parts a little differently.
    The data is compared by :func:`same_data`.
    """
    match = re.search(r"<svg\b.*?</svg>", page, re.DOTALL)
    assert match is not None
    svg = match.group(0).encode("utf-8")
    ids = sorted(e.get("id", "") for e in ET.fromstring(svg).iter() if e.get("id"))
    data = re.search(r'(<script type="application/json" id="gg-data">)(.*?)(</script>)', page, re.S)
    assert data is not None
    rest = page.replace(match.group(0), "<svg/>").replace(data.group(2), "{}")
    return rest, svg_texts(svg), ids, json.loads(data.group(2))


def differences(fresh: Any, committed: Any, where: str = "data") -> list[str]:
    """Where two pages' data differ by more than another machine's arithmetic can make
    them: texts, counts and structure exactly; numbers to a part in a thousand (a page
    stores them to 4 digits, whose last may round either way); the probability grids
    (one byte a point) to one step."""
    if isinstance(fresh, dict) and isinstance(committed, dict):
        if fresh.keys() != committed.keys():
            return [f"{where}: keys {sorted(fresh)} != {sorted(committed)}"]
        return [d for k in fresh for d in differences(fresh[k], committed[k], f"{where}.{k}")]
    if isinstance(fresh, list) and isinstance(committed, list):
        if len(fresh) != len(committed):
            return [f"{where}: {len(fresh)} items != {len(committed)}"]
        pairs = zip(fresh, committed, strict=True)
        return [d for i, (a, b) in enumerate(pairs) for d in differences(a, b, f"{where}[{i}]")]
    if where.endswith(".grid") and isinstance(fresh, str) and isinstance(committed, str):
        a, b = (
            np.frombuffer(base64.b64decode(g), dtype=np.uint8).astype(int)
            for g in (fresh, committed)
        )
        if a.shape != b.shape or np.max(np.abs(a - b), initial=0) > 1:
            return [f"{where}: the probability grids differ by more than one step"]
        return []
    both_numbers = all(
        isinstance(x, (int, float)) and not isinstance(x, bool) for x in (fresh, committed)
    )
    if both_numbers and math.isclose(fresh, committed, rel_tol=1e-3, abs_tol=1e-12):
        return []
    return [] if fresh == committed else [f"{where}: {fresh!r} != {committed!r}"]


def test_page_data_is_compared_up_to_rounding() -> None:
    committed = {
        "curve": [[1, 0.6931]],
        "text": "J = 0.6931",
        "grid": base64.b64encode(bytes([7, 200])).decode(),
    }
    near = {
        "curve": [[1, 0.6932]],
        "text": "J = 0.6931",
        "grid": base64.b64encode(bytes([8, 199])).decode(),
    }
    assert differences(near, committed) == []
    far = {
        "curve": [[1, 0.7]],
        "text": "J = 0.6932",
        "grid": base64.b64encode(bytes([9, 200])).decode(),
    }
    assert len(differences(far, committed)) == 3


def test_the_script_regenerates_the_committed_pictures_and_pages(tmp_path: Path) -> None:
    written = picture_script().generate(tmp_path, tmp_path / "explore")
    pages = [path for path in written if path.parent.name == "explore"]
    assert {p.name for p in pages} == {p.name for p in (DOCS / "explore").iterdir()}
    for path in pages:
        *fresh, fresh_data = page_parts(path.read_text(encoding="utf-8"))
        *committed, committed_data = page_parts((DOCS / "explore" / path.name).read_text("utf-8"))
        changed = differences(fresh_data, committed_data)
        assert fresh == committed and changed == [], (
            f"docs/explore/{path.name} is not what docs/generate_pictures.py writes now "
            f"(beyond what rounding on another machine can change: {changed[:3]}); after "
            "changing what a page shows, run python docs/generate_pictures.py and commit its pages"
        )
    written = [path for path in written if path not in pages]
    assert {p.name for p in written} == {p.name for p in (DOCS / "images").iterdir()}
    for path in written:
        fresh, committed = path.read_bytes(), (DOCS / "images" / path.name).read_bytes()
        if path.suffix == ".svg":
            assert svg_texts(fresh) == svg_texts(committed), (
                f"docs/images/{path.name} is out of date: run python docs/generate_pictures.py"
            )
            assert svg_texts(fresh), path.name
        else:
            assert png_size(fresh) == png_size(committed), path.name


def test_the_readme_picture_is_the_graph_its_lines_build() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = next(body for lang, _, body in FENCE.findall(readme) if lang == "pycon")
    namespace: dict[str, Any] = {}
    for example in doctest.DocTestParser().get_examples(block):
        exec(compile(example.source, "README.md", "single"), namespace)
    picture = re.search(r"!\[[^\]]*\]\((docs/images/[\w.-]+\.svg)\)", readme)
    assert picture is not None
    made = graphgrad.to_svg(namespace["J"], renderer="embedded").encode("utf-8")
    assert svg_texts(made) == svg_texts((ROOT / picture.group(1)).read_bytes())


# --- each language's navigation, and the site in a browser ------------------------------------

HAN_CHARACTER = re.compile(f"[{HAN}]")


def navigation_labels(page: str) -> list[str]:
    """The labels of a built page's site navigation (the primary nav), in order."""
    start = page.index('<nav class="md-nav md-nav--primary"')
    end = page.index('<div class="md-sidebar md-sidebar--secondary"', start)
    return re.findall(r'<span class="md-ellipsis">\s*(.*?)\s*</span>', page[start:end], re.S)


def footer_links(page: str) -> list[str]:
    return re.findall(r'class="md-footer__link md-footer__link--\w+" aria-label="([^"]*)"', page)


@pytest.mark.parametrize(
    "page", ["index.html", "tutorial/index.html", "performance/index.html", "404.html"]
)
def test_english_pages_show_the_english_navigation(site: Path, page: str) -> None:
    built = (site / page).read_text(encoding="utf-8")
    labels = navigation_labels(built)
    assert {"Home", "Tutorial", "How-to guides", "Reference"} <= set(labels)
    assert [label for label in labels if HAN_CHARACTER.search(label)] == []
    assert [link for link in footer_links(built) if HAN_CHARACTER.search(link)] == []


@pytest.mark.parametrize(
    "page", ["zh/index.html", "zh/tutorial/index.html", "zh/neural_networks/index.html"]
)
def test_chinese_pages_show_the_chinese_navigation(site: Path, page: str) -> None:
    built = (site / page).read_text(encoding="utf-8")
    labels = navigation_labels(built)
    assert {"首页", "教程", "浅层神经网络"} <= set(labels)
    assert [label for label in labels if not HAN_CHARACTER.search(label)] == []
    # Previous and next stay among the Chinese pages.
    assert all(HAN_CHARACTER.search(link) for link in footer_links(built)), footer_links(built)


def test_the_chinese_home_starts_and_the_english_reference_ends_its_language(site: Path) -> None:
    assert footer_links((site / "zh" / "index.html").read_text(encoding="utf-8")) == [
        "下一页: 教程"
    ]
    last = footer_links((site / "performance" / "index.html").read_text(encoding="utf-8"))
    assert last == ["Previous: Design"]


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    """The built site served over HTTP on this machine, as `mkdocs serve` or a host would."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize("page", ["tutorial/", "zh/"])
def test_pages_ask_for_nothing_that_is_missing(browser: Any, served: str, page: str) -> None:
    context = browser.new_context()
    failed: list[str] = []
    try:
        tab = context.new_page()

        def on_response(response: Any) -> None:
            if response.status >= 400:
                failed.append(f"{response.status} {response.url}")

        tab.on("response", on_response)
        tab.on("requestfailed", lambda request: failed.append(f"failed {request.url}"))
        tab.goto(served + page, wait_until="networkidle")
        assert tab.locator("h1").count() >= 1
    finally:
        context.close()
    assert failed == []


def test_the_copy_button_copies_code_a_python_prompt_runs(browser: Any, served: str) -> None:
    """Each block's copy button on the tutorial: the code, without prompts or output;
    all of it pasted into a plain `python -i` runs without an error."""
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=served.rstrip("/"))
    copied = []
    try:
        tab = context.new_page()
        tab.goto(served + "tutorial/", wait_until="networkidle")
        buttons = tab.locator('button.md-code__button[data-md-type="copy"]')
        blocks = tab.locator("div.language-pycon").count()
        assert buttons.count() == blocks > 20
        for i in range(buttons.count()):
            buttons.nth(i).click()
            copied.append(tab.evaluate("navigator.clipboard.readText()"))
    finally:
        context.close()
    for text in copied:
        assert not re.search(r"^(>>>|\.\.\.)( |$)", text, re.M), text
    assert copied[0] == "from graphgrad import Value"
    assert copied[2] == (  # a for loop, its output gone
        "for s in (0.2, 0.5, 1.0, 2.0, 3.0):\n    print(s, Value(250.0 * s - 150.0).relu().data)"
    )
    # One block pasted at a time, and Enter pressed (twice after a compound statement).
    pasted = "\n\n".join(copied) + "\n\n"
    done = subprocess.run(
        [sys.executable, "-i", "-q"],
        input=pasted,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    errors = [line for line in done.stderr.splitlines() if "Error" in line or "Traceback" in line]
    assert errors == [], done.stderr[-2000:]
    assert "(2.0, 1.0, 250.0)" in done.stdout  # the tutorial's w.grad, b.grad, size.grad


@pytest.mark.parametrize(
    ("path", "first", "then", "terms"),
    [
        (
            DOCS / "tutorial.md",
            "## 2. Supervised learning with neural networks",
            "## 3. Binary classification and logistic regression",
            ["structured data", "unstructured data", "convolutional", "recurrent",
             "Why deep learning is taking off", "computation", "algorithms", "ReLU"],
        ),
        (
            DOCS / "zh" / "tutorial.md",
            "## 2. 用神经网络做监督学习",
            "## 3. 二分类与逻辑回归",
            ["结构化数据", "非结构化数据", "卷积神经网络", "循环神经网络", "深度学习为什么会兴起",
             "数据", "计算", "算法", "ReLU"],
        ),
    ],
)  # fmt: skip
def test_the_tutorial_starts_with_supervised_learning_before_logistic_regression(
    path: Path, first: str, then: str, terms: list[str]
) -> None:
    text = path.read_text(encoding="utf-8")
    assert first in text and then in text and text.index(first) < text.index(then)
    section = text[text.index(first) : text.index(then)]
    for term in terms:
        assert term in section, term
    # The notes' six applications, one table row each, and the two pictures the
    # demos draw: the house-price network and the measured scale curves.
    assert len(re.findall(r"^\|(?! ---).*\|$", section, re.M)) == 1 + 6
    assert "images/house_network.png" in section and "images/scale.png" in section
    assert "demos/scale.py" in section and "demos/house_network.py" in section


SVG = "{http://www.w3.org/2000/svg}"


def test_the_tutorial_loss_picture_names_the_learners_data() -> None:
    """Section 9's picture: x1, x2 and y drawn by name, and 1 − y a node computed from y,
    not five unlabelled numbers (2, 1, 1, 1, 0)."""
    texts = svg_texts((DOCS / "images" / "tutorial_logistic_loss.svg").read_bytes())
    assert {"x1 = 1", "x2 = 2", "y = 1"} <= set(texts)
    assert not any(t.startswith(("dx1", "dx2", "dy ")) or t == "dy = 0" for t in texts)
    numbers = [t for t in texts if re.fullmatch(r"-?[\d.]+", t)]
    assert sorted(numbers) == ["1", "1"]  # only the 1s of 1 − a and 1 − y
    # Graphviz names each part by its title: a node n3 or op7, an edge n3->op7.
    root = ET.fromstring((DOCS / "images" / "tutorial_logistic_loss.svg").read_bytes())
    parts = {}
    for group in root.iter(f"{SVG}g"):
        title = group.find(f"{SVG}title")
        if title is not None and title.text:
            parts[title.text] = ["".join(e.itertext()) for e in group.iter(f"{SVG}text")]
    edges = [name.split("->") for name in parts if "->" in name]
    (y,) = [name for name, shown in parts.items() if shown == ["y = 1"]]
    ops_of_y = [head for tail, head in edges if tail == y]
    subtractions = [op for op in ops_of_y if parts[op] == ["-"]]
    assert len(subtractions) == 1  # 1 - y: an op that reads y
    (result,) = [head for tail, head in edges if tail == subtractions[0]]
    assert parts[result][0].endswith(" = 0")  # its value, 1 - y = 0
