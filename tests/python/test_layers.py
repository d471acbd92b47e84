"""The layers of src/ (DESIGN.md §10, docs/architecture.md) depend one way only.

A unit is a .cpp and the .hpp of the same name; unit A depends on unit B when one of A's files
includes one of B's headers. The dependencies must form no cycle, and each layer may only reach
the layers below it: a cycle among units is also how a call cycle would start (a call needs the
callee's declaration).
"""

from __future__ import annotations

import re
from collections import defaultdict

from conftest import ROOT

SRC = ROOT / "src"
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)

#: directory (or file stem) -> what it may not include: the layers above it
FORBIDDEN = {
    "artifact": ("engine", "explain", "models", "pipeline", "cli", "model", "c_api"),
    "pipeline": ("engine", "explain", "models", "cli", "model", "c_api"),
    "models": ("engine", "explain", "cli", "model", "c_api"),
    "engine": ("explain", "cli", "model", "c_api"),
    "engine_loader": ("explain", "cli", "model", "c_api"),
    "verify": ("explain", "cli", "model", "c_api"),
    "explain": ("cli", "model", "c_api"),
}


def unit_of(path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    return rel.as_posix()


def layer_of(unit: str) -> str:
    return unit.split("/")[0]


def dependencies():
    deps = defaultdict(set)
    for path in list(SRC.rglob("*.cpp")) + list(SRC.rglob("*.hpp")):
        a = unit_of(path)
        deps[a]
        for inc in INCLUDE.findall(path.read_text(encoding="utf-8")):
            if (SRC / inc).exists():
                b = unit_of(SRC / inc)
                if b != a:
                    deps[a].add(b)
    return deps


def find_cycle(deps):
    state, stack = {}, []

    def visit(u):
        state[u] = "open"
        stack.append(u)
        for v in sorted(deps[u]):
            if state.get(v) == "open":
                return stack[stack.index(v):] + [v]
            if v not in state:
                found = visit(v)
                if found:
                    return found
        stack.pop()
        state[u] = "done"
        return None

    for u in sorted(deps):
        if u not in state:
            found = visit(u)
            if found:
                return found
    return None


def test_the_graph_is_read():
    deps = dependencies()
    # Proves the check below reads real edges: the engine includes the estimator interface.
    assert "models/estimator" in deps["engine"]
    assert "engine" in deps["explain/attribution"]


def test_no_cycle_among_src_units():
    cycle = find_cycle(dependencies())
    assert cycle is None, " -> ".join(cycle)


def test_layers_depend_downwards_only():
    bad = []
    for a, bs in dependencies().items():
        forbidden = FORBIDDEN.get(layer_of(a), ())
        bad += [f"{a} includes {b}" for b in sorted(bs) if layer_of(b) in forbidden]
    assert not bad, "\n".join(bad)


def test_a_cycle_would_be_found():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
