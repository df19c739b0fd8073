"""``jxc decode FILE...`` as a newcomer runs it: real image files, a real subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from scanner import interpret
from tests.server.test_cli import clean_env, jxc
from tools.make_labels import Label, code_sample


@pytest.fixture
def images(tmp_path: Path) -> dict[str, Path]:
    """Labelled frames from the committed generator, plus a blank and a broken file."""
    paths = {}
    for key, kind in (("ean", "ean13"), ("dm", "gs1-datamatrix")):
        sample = code_sample(kind, "clean", (640, 480), seed=11)
        paths[key] = tmp_path / f"{kind}.png"
        cv2.imwrite(str(paths[key]), sample.image)
        LABELS[key] = sample.label
    paths["blank"] = tmp_path / "blank.png"
    cv2.imwrite(str(paths["blank"]), np.full((240, 320), 200, np.uint8))
    paths["junk"] = tmp_path / "junk.png"
    paths["junk"].write_bytes(b"not a png at all")
    return paths


LABELS: dict[str, Label] = {}


async def test_decode_json_one_object_per_file(images: dict[str, Path]) -> None:
    run = await jxc(
        "decode",
        "--json",
        str(images["ean"]),
        str(images["dm"]),
        str(images["blank"]),
        env=clean_env(),
    )
    assert run.code == 0, run.err
    files = json.loads(run.out)
    assert [f["file"] for f in files] == [str(images[k]) for k in ("ean", "dm", "blank")]
    (ean,) = files[0]["reads"]
    assert (ean["text"], ean["symbology"], ean["aim"], ean["content_type"], ean["gs1"]) == (
        LABELS["ean"].text,
        "EAN13",
        "]E0",
        "plain",
        None,
    )
    (dm,) = files[1]["reads"]
    label = LABELS["dm"]
    assert (dm["text"], dm["symbology"], dm["aim"], dm["content_type"]) == (
        label.text,
        "DataMatrix",
        "]d2",
        "gs1",
    )
    _, expected = interpret(label.aim + label.text)
    assert expected is not None and dm["gs1"] == expected.as_dict()
    assert files[2]["reads"] == [] and "error" not in files[2]


async def test_decode_table_and_errors(images: dict[str, Path], tmp_path: Path) -> None:
    run = await jxc(
        "decode",
        str(images["dm"]),
        str(images["junk"]),
        str(tmp_path / "nope.png"),
        env=clean_env(),
    )
    assert run.code == 1  # some files could not be read
    lines = run.out.splitlines()
    assert lines[0].split()[:5] == ["FILE", "SYMBOLOGY", "AIM", "TYPE", "TEXT"]
    _, gs1 = interpret(LABELS["dm"].aim + LABELS["dm"].text)
    assert gs1 is not None
    assert "DataMatrix" in lines[1] and f"01{gs1.gtin}" in lines[1]
    assert f"gtin={gs1.gtin}" in lines[1]
    assert "junk.png" in lines[2] and "error" in lines[2]
    assert "nope.png" in lines[3] and "no such file" in lines[3]
    run = await jxc("decode", "--formats", "Bogus", str(images["ean"]), env=clean_env())
    assert run.code == 1 and "Bogus" in run.err
