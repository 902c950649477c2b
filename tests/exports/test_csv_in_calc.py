"""The CSV export opened in a real spreadsheet (LibreOffice Calc, headless) with each common
separator: no field becomes a formula cell and no field is cut (issue 11: `a;=1+1*cmd...` was
exported unquoted and a spreadsheet splitting on `;` made `=1+1*cmd...` a formula)."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess

import openpyxl
import pytest

from consult.exports.services import neutralise
from consult.rounds.models import Phase, Preset
from tests import factories
from tests.support.clients import sign_in

pytestmark = [pytest.mark.office, pytest.mark.slow]

PAYLOADS = [
    "a;=1+1*cmd|' /C calc'!A0",
    "a,=1+1*cmd|' /C calc'!A0",
    "a\t=1+1*cmd|' /C calc'!A0",
    "=1+1*cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1,2)",
    'line one\n=HYPERLINK("http://example.org")',
]
SEPARATORS = {",": 44, ";": 59, "\t": 9}


def _calc_cells(csv_bytes: bytes, separator: str, workdir) -> list:
    """Every cell of the CSV as LibreOffice Calc reads it with `separator`: (value, type)."""
    source = workdir / f"export-{SEPARATORS[separator]}.csv"
    source.write_bytes(csv_bytes)
    out = workdir / "out"
    subprocess.run(
        [
            shutil.which("soffice"),
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{workdir / 'profile'}",
            f"--infilter=CSV:{SEPARATORS[separator]},34,76,1",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    sheet = openpyxl.load_workbook(out / source.with_suffix(".xlsx").name).active
    return [(cell.value, cell.data_type) for row in sheet.iter_rows() for cell in row]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice Calc is installed by make browser-setup")
def test_the_csv_export_makes_no_formula_in_calc_with_any_separator(app, session, people, login_as, tmp_path):
    round_ = factories.make_round(session, Phase.OPEN, Preset.OPEN_DIALOGUE)
    for payload in PAYLOADS:
        factories.make_comment(session, round_, people["participant:industry"], body=payload, proposed_change=payload)
    session.commit()
    client = sign_in(app, login_as, session, people, "participant:governments")
    exported = client.get(f"/rounds/{round_.id}/comments.csv").get_data()
    # Read back as CSV, every text is whole: only a quote before each formula lead that could
    # begin a cell is added.
    parsed = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    texts = {cell for row in parsed for cell in row}
    for payload in PAYLOADS:
        assert neutralise(payload) in texts
        assert neutralise(payload).replace("'", "") == payload.replace("'", "")
    for separator in SEPARATORS:
        cells = _calc_cells(exported, separator, tmp_path)
        formulas = [value for value, kind in cells if kind == "f"]
        assert not formulas, f"separator {separator!r}: formula cells {formulas}"
        assert any(value and "cmd|" in str(value) for value, _kind in cells)
