"""``file:label`` trajectory arguments."""

from pathlib import Path

import pytest

from latentcv.data.specs import TrajectorySpec, parse_spec
from latentcv.errors import InputError


@pytest.mark.parametrize(
    "text, path, label",
    [
        ("melt.dcd", "melt.dcd", None),
        ("runs/melt.dcd:melt", "runs/melt.dcd", "melt"),
        ("a.xtc:ice-Ih_270K", "a.xtc", "ice-Ih_270K"),
        ("run:1/melt.dcd", "run:1/melt.dcd", None),
        ("a:b.dcd:crystal", "a:b.dcd", "crystal"),
    ],
)
def test_parse(text, path, label):
    assert parse_spec(text) == TrajectorySpec(Path(path), label)


def test_existing_file_with_colon_is_taken_whole(tmp_path):
    odd = tmp_path / "frames:2.dcd"
    odd.write_bytes(b"")
    assert parse_spec(str(odd)) == TrajectorySpec(odd, None)


@pytest.mark.parametrize(
    "text", ["melt.dcd:", ":melt", "melt.dcd:two words", "melt.dcd:-x", "m.dcd:a;b"]
)
def test_labels_that_do_not_parse(text):
    with pytest.raises(InputError, match="cannot parse trajectory argument"):
        parse_spec(text)
