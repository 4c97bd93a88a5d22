"""Reading résumé files for the matcher: every supported format, and clear errors."""

from __future__ import annotations

import logging
from pathlib import Path

import docx
import pytest
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from aggregator.core.errors import ConfigError
from aggregator.stages.resumes import read_resume

TEXT = "Python developer with Kubernetes and C# experience"


def write_pdf(path: Path, text: str) -> None:
    """A one-page PDF whose page draws ``text`` in Helvetica."""
    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    font = DictionaryObject({
        NameObject("/Type"): NameObject("/Font"),
        NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
    })
    fonts = DictionaryObject({NameObject("/F1"): writer._add_object(font)})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
    content = DecodedStreamObject()
    content.set_data(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1"))
    page[NameObject("/Contents")] = writer._add_object(content)
    with path.open("wb") as f:
        writer.write(f)


def test_plain_text_and_markdown(tmp_path: Path) -> None:
    (tmp_path / "cv.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "cv.md").write_text(f"# Zoë Adams\n\n- {TEXT}\n", encoding="utf-8")
    assert read_resume(tmp_path / "cv.txt") == TEXT
    assert "Zoë Adams" in read_resume(tmp_path / "cv.md")


def test_text_that_is_not_utf8_is_read_as_windows_1252(tmp_path: Path) -> None:
    (tmp_path / "cv.txt").write_bytes("Résumé: Zoë".encode("cp1252"))
    assert read_resume(tmp_path / "cv.txt") == "Résumé: Zoë"


def test_pdf(tmp_path: Path) -> None:
    write_pdf(tmp_path / "cv.pdf", TEXT)
    assert TEXT in read_resume(tmp_path / "cv.pdf")


def test_docx_paragraphs_and_tables(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph(TEXT)
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Skills"
    table.cell(0, 1).text = "Terraform"
    document.save(str(tmp_path / "cv.docx"))
    text = read_resume(tmp_path / "cv.docx")
    assert TEXT in text and "Terraform" in text


def test_a_missing_file_names_the_file_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cv\.pdf does not exist.*relative to the file"):
        read_resume(tmp_path / "cv.pdf")


@pytest.mark.parametrize("name", ["cv.pdf", "cv.docx"])
def test_a_damaged_file_is_a_config_error(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(b"\x00\x01 this is not a document at all \xff")
    with pytest.raises(ConfigError, match=rf"{name} cannot be read") as caught:
        read_resume(tmp_path / name)
    assert caught.value.file == str(tmp_path / name)


def test_an_unsupported_format_says_which_formats_work(tmp_path: Path) -> None:
    (tmp_path / "cv.rtf").write_text("{\\rtf1 hello}", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\.rtf file.*\.txt, \.md, \.pdf"):
        read_resume(tmp_path / "cv.rtf")


def test_a_file_without_text_is_refused(tmp_path: Path) -> None:
    write_pdf(tmp_path / "scan.pdf", "")
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    for name in ("scan.pdf", "empty.txt"):
        with pytest.raises(ConfigError, match="contains no text"):
            read_resume(tmp_path / name)


def test_pypdf_says_nothing_of_a_damaged_pdf_beside_our_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Seen: "WARNING pypdf._reader: invalid pdf header" on stderr without --verbose.
    logging.getLogger("pypdf").setLevel(logging.NOTSET)  # as before any résumé was read
    damaged = tmp_path / "fake.pdf"
    damaged.write_bytes(b"\x00\x01not a pdf at all" * 50)
    with caplog.at_level(logging.WARNING), pytest.raises(ConfigError, match="cannot be read"):
        read_resume(damaged)
    assert not [r for r in caplog.records if r.name.startswith("pypdf")]
