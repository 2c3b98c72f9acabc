"""Imported HTML and plain text as sentences a voice can read: no tags, entities or web
addresses, paragraphs and list items ending as sentences, cut at a sentence when too long."""
from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

_BREAKS = {"p", "br", "li", "div", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "ul", "ol"}
_SKIP = {"script", "style"}
_URL = re.compile(r"(https?://|www\.)\S+|\S+@\S+\.\w+"
                  r"|\b[\w-]+(\.[\w-]+)*\.(fi|se|com|org|net|eu|info)(/\S*)?", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\u00a0]+")
_END = ".!?…:;"


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skipping += 1
        elif tag in _BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def _sentence(line: str) -> str:
    line = line.strip(" -–·•*|")
    line = re.sub(r"\s+([,.!?])", r"\1", line)  # a removed address leaves a gap before a stop
    line = line.strip(" ,")
    if not line or not any(ch.isalnum() for ch in line):
        return ""
    return line if line[-1] in _END else line + "."


def speakable(html: str | None, limit: int | None = None) -> str:
    """``html`` as plain sentences; at most ``limit`` characters, ending at a sentence (or a
    word, when the first sentence is already too long)."""
    if not html:
        return ""
    parser = _Text()
    parser.feed(html)
    parser.close()
    text = unescape("".join(parser.parts))
    text = _URL.sub("", text)
    lines = (_sentence(_SPACES.sub(" ", line)) for line in text.splitlines())
    out = " ".join(line for line in lines if line)
    if limit is None or len(out) <= limit:
        return out
    cut = out[:limit]
    stop = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    if stop > 0:
        return cut[:stop + 1]
    return cut.rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
