"""The step and estimator spec (spec/steps.json), as the Python reader uses it.

The same file holds the limits the C++ reader compiles in (src/spec_limits.hpp; a test
keeps the two equal), so that both readers refuse the same files.
"""

from __future__ import annotations

import ast
import json
import os
from typing import Any, Dict, Mapping

_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "steps.json")

with open(_PATH, encoding="utf-8") as _f:
    SPEC: Dict[str, Any] = json.load(_f)

#: limit name -> value (docs/format.md section 6)
LIMITS: Dict[str, Any] = {name: entry["value"] for name, entry in SPEC["limits"].items()}
#: step type -> its entry: kind, section, width, flags, params, tensors
STEPS: Dict[str, dict] = SPEC["steps"]

PREPROCESSING_TYPES = tuple(t for t, s in STEPS.items() if s["kind"] == "preprocessing")
ESTIMATOR_TYPES = tuple(t for t, s in STEPS.items() if s["kind"] == "estimator")
TEXT_STEP_TYPES = tuple(t for t in PREPROCESSING_TYPES if STEPS[t]["flags"]["text_input"])


def flag(step_type: str, name: str, params: Mapping[str, Any]) -> bool:
    """A step's flag for these params: the spec writes true, false, or
    ``{"param": p, "equals": v}`` for a flag that holds when parameter p is v."""
    rule = STEPS[step_type]["flags"][name]
    if isinstance(rule, dict):
        return params.get(rule["param"]) == rule["equals"]
    return bool(rule)


def limit(value: Any) -> Any:
    """A bound written in the spec: a number, or the name of a limit."""
    return LIMITS[value] if isinstance(value, str) else value


_NODES = (ast.Expression, ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Name, ast.Load, ast.Constant, ast.Call)


def shape_of(rule: list, env: Mapping[str, Any]) -> list:
    """A tensor's shape from its spec rule: expressions over n_in, n_out and params.

    ``sum(name)`` adds up an array parameter; only + - * are allowed, so a spec can never
    run code.
    """
    return [_eval(ast.parse(str(e), mode="eval"), env) for e in rule]


def _eval(node, env):
    if not isinstance(node, _NODES):
        raise ValueError(f"spec shape rule uses {type(node).__name__}")
    if isinstance(node, ast.Expression):
        return _eval(node.body, env)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name) and node.func.id == "sum" and len(node.args) == 1
        return sum(_eval(node.args[0], env))
    a, b = _eval(node.left, env), _eval(node.right, env)
    return a + b if isinstance(node.op, ast.Add) else a - b if isinstance(node.op, ast.Sub) else a * b
