"""The compiled catalogues (.mo) the app reads, built from the .po files when missing or older
(`make setup` builds them too; they are not committed)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "consult" / "translations"


def compile_catalogues() -> list[Path]:
    """Compile every stale catalogue; the .mo files written."""
    written = []
    for po in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=po.parent.parent.name)
        with mo.open("wb") as handle:
            write_mo(handle, catalog)
        written.append(mo)
    return written
