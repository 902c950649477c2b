"""Reading the workspace as its person sees it: one text per list, by task."""

from __future__ import annotations

import html as html_module
import re

SECTION = re.compile(r'<section class="workspace-list" aria-labelledby="task-(\w+)">(.*?)</section>', re.DOTALL)


def as_text(html: str) -> str:
    return " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def workspace(client) -> dict[str, str]:
    """The lists on the person's home page: {task: its text}; the page must be the workspace."""
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>What needs you</h1>" in html, "not the workspace"
    return {task: as_text(body) for task, body in SECTION.findall(html)}


def progress(client) -> str:
    html = client.get("/").get_data(as_text=True)
    found = re.search(r'<section aria-labelledby="progress-heading">(.*?)</section>', html, re.DOTALL)
    return as_text(found.group(1)) if found else ""
