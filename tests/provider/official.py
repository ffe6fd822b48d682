"""Checks against the models of Infobip's official Python client (infobip-api-python-client 6.0.0).

The generated ``from_dict`` silently drops unknown keys, so a body is faithful only if ``to_dict()`` of the parsed
model gives back every key and value of the body: a renamed or mistyped field disappears and fails the comparison.
Keys the model adds on its own (its defaults, such as ``preserveRecipients``) are not ours and are not compared.
"""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import TypeAdapter

_DATETIME = TypeAdapter(datetime)


def _compare(dumped: object, original: object, path: str) -> list[str]:
    if isinstance(dumped, enum.Enum):
        dumped = dumped.value
    if isinstance(dumped, datetime):
        same = isinstance(original, str) and _DATETIME.validate_python(original) == dumped
        return [] if same else [f"{path}: {original!r} parsed as {dumped!r}"]
    if isinstance(original, dict):
        if not isinstance(dumped, dict):
            return [f"{path}: expected an object, model gave {dumped!r}"]
        problems = [f"{path}.{key}: unknown to the official model (dropped)" for key in original if key not in dumped]
        for key in original.keys() & dumped.keys():
            problems += _compare(dumped[key], original[key], f"{path}.{key}")
        return problems
    if isinstance(original, list):
        if not isinstance(dumped, list) or len(dumped) != len(original):
            return [f"{path}: list differs"]
        return [
            problem
            for i, (a, b) in enumerate(zip(dumped, original, strict=True))
            for problem in _compare(a, b, f"{path}[{i}]")
        ]
    return [] if dumped == original else [f"{path}: {original!r} became {dumped!r}"]


def faithfulness_problems(model_class: type, body: dict) -> list[str]:
    """Every difference between ``body`` and the official model's reading of it (empty when faithful)."""
    model = model_class.from_dict(body)
    return _compare(model.to_dict(), body, "$")


def assert_faithful(model_class: type, body: dict) -> None:
    problems = faithfulness_problems(model_class, body)
    assert not problems, f"{model_class.__name__}: " + "; ".join(problems[:10])
