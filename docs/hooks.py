"""mkdocs hooks: what the built site shows differs from the tested sources in these ways.

- ``<BLANKLINE>`` is doctest's marker for an empty line of output.  The examples
  keep it, since pytest runs them, but a reader should see the empty line.
- Pages under ``zh/`` are Chinese: the theme gets its Chinese labels (search,
  table of contents, previous and next) and the page says ``lang="zh-CN"``,
  so browsers pick Chinese fonts and punctuation rather than Japanese ones.
- Each language has its own navigation: English pages list the English pages,
  Chinese pages the Chinese ones (the nav's 中文 section), and previous/next
  stay within the language.  The language selector (``extra.alternate``) moves
  between them.
- The copy button of a Python console block (``pycon``) copies its code only,
  without the ``>>>`` and ``...`` prompts and the output, so that what is
  pasted into Python runs (a blank line ends each compound statement).
- The theme's language selector reads a ``sitemap.xml`` at each language's
  root; ``zh/sitemap.xml`` (the Chinese pages of the site's sitemap) is
  written next to the site's own.
"""

from __future__ import annotations

import doctest
import gzip
import html as html_text
import re
from pathlib import Path
from typing import Any

from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page

CHINESE_DIR = "zh/"
CHINESE_LANG = "zh-CN"

# doctest's marker, as the highlighter leaves it in a code block: as generic
# output (<span class="go">) or as plain text.
_BLANKLINE = re.compile(r'(?:<span class="go">)?&lt;BLANKLINE&gt;(?:</span>)?')
_CODE = re.compile(r"<pre\b.*?</pre>", re.DOTALL)


def without_blanklines(html: str) -> str:
    """``html`` with doctest's ``<BLANKLINE>`` markers emptied in its code blocks.

    >>> marker = '<span class="go">&lt;BLANKLINE&gt;</span>'
    >>> without_blanklines(f"<pre><code>a\\n{marker}\\nb</code></pre>")
    '<pre><code>a\\n\\nb</code></pre>'
    >>> without_blanklines("<p>the marker &lt;BLANKLINE&gt; in prose stays</p>")
    '<p>the marker &lt;BLANKLINE&gt; in prose stays</p>'
    """
    return _CODE.sub(lambda block: _BLANKLINE.sub("", block.group(0)), html)


# A console block as pymdownx.highlight writes it; the theme's copy button copies
# the data-copy attribute of the code's closest element that has one.
_CONSOLE = re.compile(
    r'(<div class="language-pycon highlight")(><pre>.*?<code>)(.*?)(</code></pre>)', re.DOTALL
)
_TAG = re.compile(r"<[^>]*>")


def code_to_copy(console: str) -> str:
    """The code of a Python console session, as it should be pasted into Python.

    Read as doctest reads it: the ``>>>`` and ``...`` prompts and the output go,
    and a blank line follows every example of several lines (a compound
    statement, which the interactive prompt ends at a blank line).

    >>> print(code_to_copy(">>> x = 2\\n>>> for i in range(2):\\n...     x += i\\n>>> x\\n3\\n"))
    x = 2
    for i in range(2):
        x += i
    <BLANKLINE>
    x
    """
    parts = []
    for example in doctest.DocTestParser().get_examples(console):
        parts.append(example.source)
        if example.source.count("\n") > 1:
            parts.append("\n")
    return "".join(parts).rstrip("\n")


def with_code_to_copy(html: str) -> str:
    """``html`` with each console block's code to copy in its ``data-copy`` attribute.

    >>> block = ('<div class="language-pycon highlight"><pre><span></span><code>'
    ...          '<span class="gp">&gt;&gt;&gt; </span>1 + 1\\n<span class="go">2</span>\\n'
    ...          '</code></pre></div>')
    >>> with_code_to_copy(block)[:61]
    '<div class="language-pycon highlight" data-copy="1 + 1"><pre>'
    """

    def add(block: re.Match[str]) -> str:
        console = html_text.unescape(_TAG.sub("", block.group(3)))
        copied = html_text.escape(code_to_copy(console), quote=True)
        opening, rest = block.group(1), "".join(block.groups()[1:])
        return f'{opening} data-copy="{copied}"{rest}'

    return _CONSOLE.sub(add, html)


def _is_chinese(page: Any) -> bool:
    return bool(page.file.src_uri.startswith(CHINESE_DIR))


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    # Before the search plugin indexes the page, so search shows no marker either.
    return with_code_to_copy(without_blanklines(html))


_site_language = "en"  # the configured theme.language, read in on_config


def on_config(config: Any) -> Any:
    global _site_language
    _site_language = config.theme["language"]
    return config


def _pages(item: Any) -> list[Page]:
    if isinstance(item, Page):
        return [item]
    if isinstance(item, Section):
        return [page for child in item.children for page in _pages(child)]
    return []  # a link


def split_navigation(nav: Navigation) -> dict[bool, Navigation]:
    """The site's navigation as two, by language: {is Chinese: its navigation}.

    A top-level section of Chinese pages only (the 中文 section) gives the
    Chinese navigation its items; everything else is the English navigation.
    Previous and next links are set within each.
    """
    english: list[Any] = []
    chinese: list[Any] = []
    for item in nav.items:
        pages = _pages(item)
        if pages and all(page.file.src_uri.startswith(CHINESE_DIR) for page in pages):
            chinese += item.children if isinstance(item, Section) else [item]
        else:
            english.append(item)
    navigations = {}
    for is_chinese, items in ((False, english), (True, chinese)):
        pages = [page for item in items for page in _pages(item)]
        for i, page in enumerate(pages):
            page.previous_page = pages[i - 1] if i > 0 else None
            page.next_page = pages[i + 1] if i + 1 < len(pages) else None
        language = Navigation(items, pages)
        if language.homepage is None and pages:
            language.homepage = pages[0]  # the Chinese home, zh/index.md
        navigations[is_chinese] = language
    return navigations


_navigations: dict[bool, Navigation] = {}


def on_nav(nav: Navigation, config: Any, files: Any) -> Navigation:
    _navigations.clear()
    _navigations.update(split_navigation(nav))
    return nav


def on_page_context(context: Any, page: Any, config: Any, nav: Any) -> Any:
    # The theme picks its labels from theme.language as each page is rendered.
    config.theme["language"] = "zh" if _is_chinese(page) else _site_language
    if _navigations:
        context["nav"] = _navigations[_is_chinese(page)]
    return context


def on_template_context(context: Any, template_name: str, config: Any) -> Any:
    # 404.html and the like: English, as the site's root is.
    if _navigations:
        context["nav"] = _navigations[False]
    return context


_URL = re.compile(r"<url>.*?</url>\s*", re.DOTALL)


def chinese_sitemap(sitemap: str) -> str:
    """The site's ``sitemap.xml`` with only the pages under ``zh/``.

    >>> site = ('<urlset>\\n<url><loc>https://x.org/a/</loc></url>\\n'
    ...         '<url><loc>https://x.org/zh/a/</loc></url>\\n</urlset>')
    >>> chinese_sitemap(site)
    '<urlset>\\n<url><loc>https://x.org/zh/a/</loc></url>\\n</urlset>'
    """

    def keep(entry: re.Match[str]) -> str:
        loc = re.search(r"<loc>([^<]*)</loc>", entry.group(0))
        return entry.group(0) if loc is not None and f"/{CHINESE_DIR}" in loc.group(1) else ""

    return _URL.sub(keep, sitemap)


def on_post_build(config: Any) -> None:
    # Leave the configuration as it was read (mkdocs serve builds again from it).
    config.theme["language"] = _site_language
    site = Path(config.site_dir)
    source = site / "sitemap.xml"
    if source.exists():
        text = chinese_sitemap(source.read_text(encoding="utf-8"))
        (site / CHINESE_DIR / "sitemap.xml").write_text(text, encoding="utf-8")
        # mtime=0: the same bytes on every build.
        (site / CHINESE_DIR / "sitemap.xml.gz").write_bytes(
            gzip.compress(text.encode("utf-8"), mtime=0)
        )


def on_post_page(output: str, page: Any, config: Any) -> str:
    if _is_chinese(page):
        # The theme's Chinese labels say lang="zh"; the pages are Simplified
        # Chinese as written in mainland China.
        output = output.replace('<html lang="zh"', f'<html lang="{CHINESE_LANG}"', 1)
    return output
