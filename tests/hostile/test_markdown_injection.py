"""Names from the data cannot turn the page's prose into images, links or HTML."""

import pytest

from revlab.present import safe_markdown

HOSTILE = [
    "![b](http://127.0.0.1:9/x.png)",
    "[c](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    "<http://127.0.0.1:9/track>",
    "http://127.0.0.1:9/x.png",
]


def _html(markdown: str) -> str:
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return markdown2html_mistune(markdown)


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_channel_name_renders_as_text(name):
    page = _html(safe_markdown(f"The largest channel is **{name}**: 42% of new names."))
    assert "<img" not in page and "<a " not in page and "href" not in page
    assert "<strong>" in page  # revlab's own emphasis stays


def test_the_text_reads_as_written():
    page = _html(safe_markdown("Channel ![b](http://host/x.png) [2]"))
    assert "![b](http://host/x.png) [2]" in page.replace("&quot;", '"')
