"""mkdocs hooks: what the built site shows differs from the tested sources in two ways.

- ``<BLANKLINE>`` is doctest's marker for an empty line of output.  The examples
  keep it, since pytest runs them, but a reader should see the empty line.
- Pages under ``zh/`` are Chinese: the theme gets its Chinese labels (search,
  table of contents, previous and next) and the page says ``lang="zh-CN"``,
  so browsers pick Chinese fonts and punctuation rather than Japanese ones.
"""

from __future__ import annotations

import re
from typing import Any

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


def _is_chinese(page: Any) -> bool:
    return bool(page.file.src_uri.startswith(CHINESE_DIR))


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    # Before the search plugin indexes the page, so search shows no marker either.
    return without_blanklines(html)


_site_language = "en"  # the configured theme.language, read in on_config


def on_config(config: Any) -> Any:
    global _site_language
    _site_language = config.theme["language"]
    return config


def on_page_context(context: Any, page: Any, config: Any, nav: Any) -> Any:
    # The theme picks its labels from theme.language as each page is rendered.
    config.theme["language"] = "zh" if _is_chinese(page) else _site_language
    return context


def on_post_build(config: Any) -> None:
    # Leave the configuration as it was read (mkdocs serve builds again from it).
    config.theme["language"] = _site_language


def on_post_page(output: str, page: Any, config: Any) -> str:
    if _is_chinese(page):
        # The theme's Chinese labels say lang="zh"; the pages are Simplified
        # Chinese as written in mainland China.
        output = output.replace('<html lang="zh"', f'<html lang="{CHINESE_LANG}"', 1)
    return output
