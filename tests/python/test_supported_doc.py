"""docs/supported.md and the exporter's registry name the same classes.

Every class ``ferry.export`` accepts (``PREPROCESSORS``, ``ESTIMATORS`` and the lazily
registered families such as XGBoost) has a row in the "Preprocessing" or "Estimators" table of
docs/supported.md, and every class those tables name is accepted.
"""

from __future__ import annotations

import importlib
import pathlib
import re

import pytest

from ferry import converters

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "supported.md").read_text(encoding="utf-8")


def _table_classes(section: str) -> set:
    """The backticked class names (capitalised, optionally after a module prefix such as
    ``xgboost.``) in the first column of the section's table."""
    m = re.search(rf"^## {section}\n(.*?)(?=^## )", DOC, re.M | re.S)
    assert m, f"docs/supported.md has no section {section!r}"
    names = set()
    for line in m.group(1).splitlines():
        if not line.startswith("| ") or line.startswith("| ---") or line.startswith("| class "):
            continue
        first = line.split(" | ")[0][2:]
        names |= set(re.findall(r"`((?:[a-z_][a-z0-9_]*\.)?[A-Z][A-Za-z0-9_]*)`", first))
    return names


def _doc_name(cls: type) -> str:
    top = cls.__module__.split(".")[0]
    return cls.__name__ if top == "sklearn" else f"{top}.{cls.__name__}"


def _registered():
    preprocessors = {_doc_name(c) for c in converters.PREPROCESSORS}
    estimators = {_doc_name(c) for c in converters.ESTIMATORS}
    for top, family in converters._LAZY_FAMILIES.items():
        try:
            importlib.import_module(top)
        except ImportError:
            continue
        module = importlib.import_module(f"ferry.converters.{family}")
        estimators |= {_doc_name(c) for c in module.converters()}
    return preprocessors, estimators


def test_every_registered_estimator_has_a_row_and_back():
    _, estimators = _registered()
    documented = _table_classes("Estimators")
    assert sorted(estimators - documented) == [], "registered but not in docs/supported.md"
    assert sorted(documented - estimators) == [], "in docs/supported.md but not registered"


def test_every_registered_preprocessor_has_a_row_and_back():
    preprocessors, _ = _registered()
    documented = _table_classes("Preprocessing")
    assert sorted(preprocessors - documented) == [], "registered but not in docs/supported.md"
    assert sorted(documented - preprocessors) == [], "in docs/supported.md but not registered"


@pytest.mark.parametrize("section", ["Preprocessing", "Estimators"])
def test_the_tables_are_found(section):
    assert len(_table_classes(section)) > 10
