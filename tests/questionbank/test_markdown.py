from __future__ import annotations

from questionbank.markdown import render_inline_markdown, render_markdown


def test_script_tags_are_removed():
    html = render_markdown("Hello <script>alert(1)</script> world")
    assert "<script" not in html
    assert "alert(1)" not in html or "&lt;" in html


def test_event_handler_attributes_are_removed():
    html = render_markdown('<img src="x" onerror="alert(1)"> <a href="/" onclick="x()">a</a>')
    assert "onerror" not in html
    assert "onclick" not in html


def test_javascript_links_are_removed():
    html = render_markdown("[click](javascript:alert(1))")
    assert "javascript:" not in html


def test_fenced_code_blocks_render():
    html = render_markdown("```python\nprint('hi')\n```")
    assert "<pre>" in html and "<code" in html and "print(" in html


def test_tables_render():
    html = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<table>" in html and "<td>1</td>" in html


def test_inline_markdown_keeps_code_and_emphasis_only():
    html = render_inline_markdown(
        'Send `PATCH /users/7` with `{"email": "a@x.io"}` **now**, if a < b '
        "<script>alert(1)</script> [link](javascript:alert(1)) <b onclick=x()>bold</b>"
    )
    assert html.startswith("Send <code>PATCH /users/7</code>")
    assert '<code>{"email": "a@x.io"}</code>' in html
    assert "<strong>now</strong>" in html and "a &lt; b" in html
    assert "<p>" not in html and "<a" not in html and "<script" not in html
    assert "alert(1)</" not in html and "onclick" not in html and "<b>bold</b>" in html
