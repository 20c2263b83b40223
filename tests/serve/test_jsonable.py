"""``info`` as both contracts send it: orjson's fast conversion gives what the Python walk gives."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import math
import uuid

import numpy as np
import pytest

from collab_env.serve.session import _jsonable, _jsonable_walk


@dataclasses.dataclass
class _Point:
    x: int = 1


class _Kind(enum.Enum):
    A = "a"


VALUES = [
    np.float64(0.1), np.float32(0.1), np.int64(3), np.bool_(True), np.array([[1.5, np.nan], [2.0, np.inf]]),
    float("nan"), float("-inf"), -0.0, 5e-324, (1, (2, 3)), {1, 2}, b"x", _Point(), _Kind.A, uuid.UUID(int=5),
    datetime.datetime(2020, 1, 1, 12, 30), datetime.date(2020, 1, 2), 2**63 - 1, 2**70, object(),
    "é\u2028", {"nested": [{"a": np.float32(0.2)}, (None, True)], "n": 1},
    {1: "int key", None: "none key", (1, 2): "tuple key"},  # orjson refuses these keys: the walk serves
]  # fmt: skip


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_fast_conversion_equals_the_walk(value):
    fast, walk = _jsonable(value), _jsonable_walk(value)
    if isinstance(walk, float) and math.isnan(walk):
        assert math.isnan(fast)
    else:
        assert fast == walk and type(fast) is type(walk)


def test_non_finite_floats_become_null_and_numpy_python():
    out = _jsonable({"r": np.float32(0.5), "xs": np.array([1, 2]), "bad": float("nan")})
    assert out == {"r": 0.5, "xs": [1, 2], "bad": None}
    assert type(out["r"]) is float and type(out["xs"][0]) is int
