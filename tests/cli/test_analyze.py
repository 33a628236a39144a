"""`marsad analyze` as a user calls it: formats, exit codes, and every kind of bad input."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from marsad.cli.main import app
from marsad.schema import validate

ARABIC = "قال وزير الخارجية إن المحادثات ستستأنف الأسبوع المقبل في عمّان.\n\nوأضاف أن الطرفين اتفقا على جدول الأعمال."

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.txt"
    path.write_text(ARABIC, encoding="utf-8")
    return path


def test_version() -> None:
    code, out, _ = run("--version")
    assert code == 0
    assert out.startswith("marsad ")


def test_json_output_is_one_valid_object(good: Path) -> None:
    code, out, _ = run("analyze", str(good), "--format", "json")
    assert code == 0
    data = json.loads(out)
    validate(data)
    assert data["text"] == ARABIC
    assert len(data["paragraphs"]) == 2
    assert len(data["sentences"]) == 2


def test_json_with_several_inputs_is_an_array(good: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.txt"
    other.write_text("خبر قصير عن الطقس اليوم.", encoding="utf-8")
    code, out, _ = run("analyze", str(good), str(other), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert isinstance(data, list) and len(data) == 2
    for item in data:
        validate(item)


def test_text_report_isolates_arabic(good: Path) -> None:
    code, out, _ = run("analyze", str(good), "--format", "text")
    assert code == 0
    assert "marsad report" in out
    assert "2 paragraphs, 2 sentences" in out
    for line in out.splitlines():
        assert line.count("\u2068") == line.count("\u2069")


def test_html_is_one_standalone_escaped_page(tmp_path: Path) -> None:
    hostile = tmp_path / "x.txt"
    hostile.write_text(
        'قال المتحدث في بيان رسمي <script>alert(1)</script> عن "الحدث" & غيره إن الاجتماع انتهى.',
        encoding="utf-8",
    )
    out_file = tmp_path / "page.html"
    code, _, _ = run("analyze", str(hostile), "--format", "html", "--output", str(out_file))
    assert code == 0
    page = out_file.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>")
    assert 'lang="ar" dir="rtl"' in page
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_output_file_and_jsonl(good: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "out.jsonl"
    code, out, _ = run("analyze", str(good), str(good), "--format", "jsonl", "--output", str(out_file))
    assert code == 0
    assert out == ""
    lines = out_file.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    for line in lines:
        validate(json.loads(line))


def test_inline_text_and_usage_errors() -> None:
    code, out, _ = run("analyze", "--text", "قال المتحدث إن الاجتماع انتهى.", "--format", "json")
    assert code == 0
    assert json.loads(out)["text"] == "قال المتحدث إن الاجتماع انتهى."
    code, _, err = run("analyze")
    assert code == 2
    assert "error[E301]" in err
    code, _, _ = run("analyze", "x.txt", "--format", "yaml")
    assert code == 2


def _bad_inputs(tmp_path: Path) -> dict[str, tuple[Path | str, str]]:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "blob.txt"
    binary.write_bytes(bytes(range(256)) * 8)
    truncated = tmp_path / "cut.jsonl.gz"
    # Varied lines so that the compressed stream is long and the cut falls well after the first ones.
    lines = (
        json.dumps({"text": f"خبر رقم {i * 7919 % 100003} عن {i * 104729 % 1000003}"}) for i in range(1_000)
    )
    whole = gzip.compress(b"".join(line.encode() + b"\n" for line in lines))
    truncated.write_bytes(whole[: len(whole) // 2])
    broken = tmp_path / "lines.jsonl"
    broken.write_text(
        json.dumps({"text": "خبر أول"}, ensure_ascii=False)
        + "\n{not json\n"
        + json.dumps({"text": "خبر ثالث"}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    no_body = tmp_path / "empty.html"
    no_body.write_text(
        "<html><head><title>t</title></head><body><nav>home</nav></body></html>", encoding="utf-8"
    )
    return {
        "empty": (empty, "E102"),
        "binary": (binary, "E103"),
        "truncated gzip": (truncated, "E105"),
        "broken jsonl line": (broken, "E106"),
        "50 MB text": (huge, "E109"),
        "html without body": (no_body, "E107"),
        "unreachable feed": ("http://127.0.0.1:9/feed.xml", "E108"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "empty",
        "binary",
        "truncated gzip",
        "broken jsonl line",
        "50 MB text",
        "html without body",
        "unreachable feed",
    ],
)
def test_bad_input_is_coded_and_the_rest_still_runs(case: str, tmp_path: Path, good: Path) -> None:
    path, expected = _bad_inputs(tmp_path)[case]
    code, out, err = run("analyze", str(path), str(good), "--format", "jsonl")
    assert code == 1, err
    assert f"marsad: error[{expected}]" in err
    assert "Traceback" not in err + out
    objects = [json.loads(line) for line in out.splitlines()]
    errors = [item for item in objects if item.get("schema") == "marsad.error/1"]
    articles = [item for item in objects if item.get("schema") == "marsad.article/1"]
    assert any(item["code"] == expected for item in errors)
    for item in errors:
        validate(item, name="error")
    assert any(item["text"] == ARABIC for item in articles), (
        "the good input after the bad one was not analysed"
    )
    if case == "broken jsonl line":
        assert "line 2" in err
        assert {item["text"] for item in articles} >= {"خبر أول", "خبر ثالث"}
    if case == "truncated gzip":
        assert len(articles) > 1, "articles before the cut must still be analysed"


def test_non_arabic_text_is_analysed_with_a_warning(tmp_path: Path, good: Path) -> None:
    english = tmp_path / "english.txt"
    english.write_text("The minister said talks would resume next week.", encoding="utf-8")
    code, out, err = run("analyze", str(english), str(good), "--format", "jsonl")
    assert code == 0
    first = json.loads(out.splitlines()[0])
    assert first["meta"]["language"] == "other"
    assert "warning[W101]: 1 article(s)" in err


def test_standard_input_through_the_installed_command(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "marsad.cli.main", "analyze", "-", "--format", "json"],
        input=ARABIC.encode("utf-8"),
        capture_output=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr.decode()
    assert json.loads(completed.stdout)["text"] == ARABIC


def test_jobs_give_the_same_output(tmp_path: Path) -> None:
    lines = tmp_path / "many.jsonl"
    lines.write_text(
        "".join(
            json.dumps(
                {"text": f"قال المتحدث رقم {i} إن الوضع مستقر. وأضاف أن الحوار مستمر."}, ensure_ascii=False
            )
            + "\n"
            for i in range(80)
        ),
        encoding="utf-8",
    )
    _, serial, _ = run("analyze", str(lines), "--format", "jsonl")
    _, parallel, _ = run("analyze", str(lines), "--format", "jsonl", "--jobs", "2")
    assert serial == parallel
    assert len(serial.splitlines()) == 80
