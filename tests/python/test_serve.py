"""`ferry serve` over HTTP on 127.0.0.1, `ferry compare` and `ferry inspect`'s content id.

Models are fitted here by scikit-learn and exported with ferry; every answer the server gives
is compared with scikit-learn's own predict / predict_proba for the model version the answer
names, within the tolerance the artifacts state for their own test rows (rtol 1e-9,
atol 1e-10: ferry computes in double like scikit-learn but not in the same order). Each
server is started on a port the OS picks (--port 0), is bounded in requests and time, and is
stopped by the test with SIGTERM.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import re
import selectors
import shutil
import signal
import subprocess
import threading
import urllib.error
import urllib.request

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import ferry

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLI = ROOT / "build" / "release" / "bin" / "ferry"
RTOL, ATOL = 1e-9, 1e-10
CREATED = "2026-01-01T00:00:00Z"

pytestmark = pytest.mark.skipif(not CLI.exists(), reason=f"{CLI} is not built")


@pytest.fixture(scope="module")
def iris():
    data = load_iris(as_frame=True)
    X = data.data
    y = data.target_names[data.target]
    return X, y


@pytest.fixture(scope="module")
def models(iris, tmp_path_factory):
    """Three exported versions of an iris classifier: 1.0.0 and 2.0.0 answer differently on the
    same four columns, 3.0.0 takes only three columns."""
    X, y = iris
    out = tmp_path_factory.mktemp("serve_models")
    fitted = {
        "1.0.0": (make_pipeline(StandardScaler(), LogisticRegression(C=0.05, max_iter=2000)).fit(X, y), X),
        "2.0.0": (LogisticRegression(max_iter=2000).fit(X, y), X),
        "3.0.0": (LogisticRegression(max_iter=2000).fit(X.iloc[:, :3], y), X.iloc[:, :3]),
    }
    models = {}
    for version, (pipe, X_sample) in fitted.items():
        path = out / f"iris-{version}.ferry"
        ferry.export(pipe, path, X_sample=X_sample, name="iris", version=version, created=CREATED)
        models[version] = {
            "path": path,
            "pipeline": pipe,
            "content_id": hashlib.sha256(path.read_bytes()).hexdigest(),
        }
    return models


def rows_json(X) -> list:
    return [{k: float(v) for k, v in row.items()} for row in X.to_dict(orient="records")]


class Server:
    """A `ferry serve` process on 127.0.0.1 and a small urllib client for it."""

    def __init__(self, tmp_path: pathlib.Path, source, *args: str):
        self.stderr_path = tmp_path / f"serve-{os.getpid()}-{id(self)}.stderr"
        self._stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen([str(CLI), "serve", str(source), "--host", "127.0.0.1", "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=self._stderr, text=True)
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout=60):
            self.stop()
            raise AssertionError(f"ferry serve printed nothing within 60 s: {self.stderr_path.read_text()}")
        line = self.proc.stdout.readline()
        m = re.fullmatch(r"listening on http://127\.0\.0\.1:(\d+)\n", line)
        if m is None:
            self.stop()
            raise AssertionError(f"unexpected first line {line!r}: {self.stderr_path.read_text()}")
        self.base = f"http://127.0.0.1:{m.group(1)}"

    def call(self, path: str, body=None, *, content_type: str = "application/json", method=None, headers=None):
        data = body if body is None or isinstance(body, bytes) else (
            body.encode() if isinstance(body, str) else json.dumps(body).encode())
        req = urllib.request.Request(self.base + path, data=data, method=method or ("POST" if data is not None else "GET"))
        if data is not None:
            req.add_header("Content-Type", content_type)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read(), dict(e.headers)

    def json(self, path: str, body=None, **kw):
        status, raw, _ = self.call(path, body, **kw)
        return status, json.loads(raw)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        self._stderr.close()
        return code


@pytest.fixture
def serve(tmp_path):
    started = []

    def start(source, *args):
        s = Server(tmp_path, source, *args)
        started.append(s)
        return s

    yield start
    for s in started:
        if s.proc.poll() is None:
            s.stop()


def check_answer(answer: dict, models: dict, X) -> str:
    """Checks one /v1/predict answer against scikit-learn for the version it names; returns it."""
    version = answer["model"]["version"]
    m = models[version]
    assert answer["model"] == {"name": "iris", "version": version, "content_id": m["content_id"]}
    pipe = m["pipeline"]
    want_labels = pipe.predict(X)
    want_proba = pipe.predict_proba(X)
    got = answer["predictions"]
    assert [p["prediction"] for p in got] == list(want_labels)
    got_proba = np.array([[p["probabilities"][c] for c in pipe.classes_] for p in got])
    np.testing.assert_allclose(got_proba, want_proba, rtol=RTOL, atol=ATOL)
    return version


def test_inspect_prints_the_sha256_of_the_file(models):
    m = models["1.0.0"]
    out = subprocess.run([str(CLI), "inspect", str(m["path"])], capture_output=True, text=True, check=True).stdout
    assert out.startswith(f"model iris version 1.0.0\ncontent id {m['content_id']}\n")


def test_predict_explain_and_refusals(models, iris, serve, tmp_path):
    X, _ = iris
    log = tmp_path / "predictions.jsonl"
    s = serve(models["1.0.0"]["path"], "--threads", "2", "--log", str(log), "--max-rows", "50",
              "--max-body-bytes", "20000")
    status, health = s.json("/health")
    assert status == 200 and health["model"]["content_id"] == models["1.0.0"]["content_id"]

    batch = X.iloc[::15]
    status, answer = s.json("/v1/predict", {"rows": rows_json(batch)}, headers={"X-Request-Id": "test-42"})
    assert status == 200, answer
    assert answer["request_id"] == "test-42"
    check_answer(answer, models, batch)
    assert "warnings" not in answer

    # The same rows as CSV.
    status, from_csv = s.json("/v1/predict", batch.to_csv(index=False), content_type="text/csv")
    assert status == 200, from_csv
    check_answer(from_csv, models, batch)

    # A missing value where the pipeline takes none is the model's refusal, naming the column.
    rows = rows_json(batch.iloc[:2])
    rows[1]["petal width (cm)"] = None
    status, refused = s.json("/v1/predict", {"rows": rows})
    assert status == 422 and "petal width (cm)" in refused["error"]["message"], refused

    # Explanations add up to the raw scores scikit-learn's decision_function gives.
    status, explained = s.json("/v1/explain", {"rows": rows_json(batch.iloc[:4])})
    assert status == 200, explained
    pipe = models["1.0.0"]["pipeline"]
    scores = pipe.decision_function(batch.iloc[:4])
    for r, e in enumerate(explained["explanations"]):
        for o, label in enumerate(pipe.classes_):
            total = e["base_values"][label] + sum(e["values"][label].values())
            assert total == pytest.approx(scores[r, o], rel=1e-9, abs=1e-9)

    missing_column = [{k: v for k, v in row.items() if k != "sepal width (cm)"} for row in rows_json(batch)]
    text_for_number = [dict(row, **{"sepal length (cm)": "abc"}) for row in rows_json(batch)]
    mixed = rows_json(batch.iloc[:2])
    mixed[1]["sepal length (cm)"] = "5.0"
    boolean = rows_json(batch.iloc[:1])
    boolean[0]["sepal length (cm)"] = True
    cases = [
        ("/v1/predict", '{"rows": [', "application/json", 400, "not valid JSON"),
        ("/v1/predict", {"table": []}, "application/json", 400, "\"rows\""),
        ("/v1/predict", {"rows": missing_column}, "application/json", 422, "sepal width (cm)"),
        ("/v1/predict", {"rows": text_for_number}, "application/json", 422, "sepal length (cm)"),
        ("/v1/predict", {"rows": mixed}, "application/json", 400, "mixes numbers"),
        ("/v1/predict", {"rows": boolean}, "application/json", 400, "a boolean"),
        ("/v1/predict", {"rows": rows_json(X.iloc[:51])}, "application/json", 413, "at most 50"),
        ("/v1/predict", "x" * 25000, "application/json", 413, "larger than"),
        ("/v1/predict", "a,b\n1\n", "text/csv", 400, "line"),
        ("/v1/predict", "<rows/>", "application/xml", 415, "text/csv"),
        ("/v1/nothing", {"rows": []}, "application/json", 404, "no route"),
    ]
    for path, body, content_type, want_status, want_text in cases:
        status, raw, _ = s.call(path, body, content_type=content_type)
        assert status == want_status, (path, body if len(str(body)) < 200 else "...", raw)
        err = json.loads(raw)["error"]
        assert want_text in err["message"], err
    status, health = s.json("/health")
    assert status == 200  # none of that hurt the server

    status, model = s.json("/v1/model")
    assert status == 200
    assert [c["name"] for c in model["schema"]["inputs"]] == list(X.columns)
    assert model["schema"]["classes"] == list(pipe.classes_)

    status, raw, headers = s.call("/metrics")
    metrics = raw.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert 'ferry_http_requests_total{route="/v1/predict",status="200"} 2' in metrics
    assert 'ferry_http_requests_total{route="/v1/predict",status="413"} 2' in metrics
    assert f'ferry_rows_scored_total{{route="/v1/predict"}} {2 * len(batch)}' in metrics
    assert re.search(r'ferry_request_duration_seconds_count\{route="/v1/predict"\} \d+', metrics)

    assert s.stop() == 0
    # One log line per answered scoring request, naming the model that answered.
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["route"] for line in lines] == ["/v1/predict", "/v1/predict", "/v1/explain"]
    first = lines[0]
    assert first["request_id"] == "test-42"
    assert first["model"]["content_id"] == models["1.0.0"]["content_id"]
    assert first["inputs"] == rows_json(batch)
    assert first["outputs"] == answer["predictions"]


def test_reload_and_rollback_under_load(models, iris, serve, tmp_path):
    X, _ = iris
    registry = tmp_path / "registry"
    registry.mkdir()
    shutil.copy(models["1.0.0"]["path"], registry)
    s = serve(registry, "--threads", "6")
    batch = X.iloc[::10]
    body = {"rows": rows_json(batch)}

    status, r = s.json("/v1/admin/rollback", {})
    assert status == 409 and "no earlier model" in r["error"]["message"]
    status, r = s.json("/v1/admin/reload", {})
    assert status == 200 and r["changed"] is False  # 1.0.0 is still the latest

    shutil.copy(models["2.0.0"]["path"], registry)
    answers, failures = [], []

    def client():
        for _ in range(30):
            status, raw, _ = s.call("/v1/predict", body)
            (answers if status == 200 else failures).append((status, raw))

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    served = []
    for i in range(10):
        status, r = s.json("/v1/admin/reload" if i % 2 == 0 else "/v1/admin/rollback", {})
        assert status == 200, r
        served.append(r["model"]["version"])
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert served == ["2.0.0", "1.0.0"] * 5
    assert not failures, failures[:3]
    assert len(answers) == 120
    seen = {check_answer(json.loads(raw), models, batch) for _, raw in answers}
    assert seen <= {"1.0.0", "2.0.0"}

    # A candidate with other columns is refused and the serving model keeps answering.
    shutil.copy(models["3.0.0"]["path"], registry)
    status, r = s.json("/v1/admin/reload", {})
    assert status == 409 and r["error"]["code"] == "schema", r
    assert "swap refused" in r["error"]["message"]
    status, answer = s.json("/v1/predict", body)
    assert status == 200 and check_answer(answer, models, batch) == "1.0.0"
    # Any version by name.
    status, r = s.json("/v1/admin/reload", {"version": "2.0.0"})
    assert status == 200 and r["model"]["version"] == "2.0.0"
    status, r = s.json("/v1/admin/reload", {"version": "9.9"})
    assert status == 409 and "no artifact of version" in r["error"]["message"]

    status, raw, _ = s.call("/metrics")
    assert 'ferry_model_swaps_total{outcome="refused"} 2' in raw.decode()
    assert 'ferry_model_info{name="iris",version="2.0.0"' in raw.decode()
    assert s.stop() == 0


def test_shadow_mode_admin_token_and_status_page(models, iris, serve, tmp_path):
    X, _ = iris
    s = serve(models["1.0.0"]["path"], "--shadow", str(models["2.0.0"]["path"]), "--admin-token", "s3cret")
    for part in range(3):
        status, answer = s.json("/v1/predict", {"rows": rows_json(X.iloc[part * 50:(part + 1) * 50])})
        assert status == 200 and check_answer(answer, models, X.iloc[part * 50:(part + 1) * 50]) == "1.0.0"

    a, b = models["1.0.0"]["pipeline"], models["2.0.0"]["pipeline"]
    same = int((a.predict(X) == b.predict(X)).sum())
    diff = np.abs(a.predict_proba(X) - b.predict_proba(X))
    status, raw, _ = s.call("/metrics")
    metrics = raw.decode()
    values = dict(re.findall(r"^(ferry_shadow_[^ ]+) (\S+)$", metrics, re.M))
    assert values["ferry_shadow_rows_total"] == "150"
    assert int(values["ferry_shadow_same_label_total"]) == same
    assert same < 150  # the two versions do disagree somewhere
    assert float(values['ferry_shadow_score_abs_difference{stat="max",score="probabilities"}']) == pytest.approx(
        diff.max(), rel=1e-9, abs=1e-10)
    assert float(values['ferry_shadow_score_abs_difference{stat="mean",score="probabilities"}']) == pytest.approx(
        diff.mean(), rel=1e-9, abs=1e-10)

    assert s.call("/v1/admin/rollback", {})[0] == 401
    assert s.call("/v1/admin/reload", {}, headers={"Authorization": "Bearer wrong"})[0] == 401
    status, r = s.json("/v1/admin/reload", {}, headers={"Authorization": "Bearer s3cret"})
    assert status == 200 and r["model"]["version"] == "1.0.0"

    status, raw, headers = s.call("/")
    page = raw.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert '<span id="model-version">1.0.0</span>' in page
    assert models["1.0.0"]["content_id"] in page
    assert not re.search(r"<script|<link|<img|src=|href=|https?:", page)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium:
        home = tmp_path / "chromium"
        home.mkdir()
        dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                              "--disable-extensions", f"--user-data-dir={home / 'profile'}", "--dump-dom", s.base + "/"],
                             capture_output=True, text=True, timeout=180, env=dict(os.environ, HOME=str(home)))
        assert dom.returncode == 0, dom.stderr[-2000:]
        assert '<span id="model-version">1.0.0</span>' in dom.stdout
        assert 'id="shadow"' in dom.stdout
    assert s.stop() == 0


def test_compare_offline_matches_scikit_learn(models, iris, tmp_path):
    X, _ = iris
    csv_path = tmp_path / "input.csv"
    X.to_csv(csv_path, index=False)
    out = subprocess.run([str(CLI), "compare", str(models["1.0.0"]["path"]), str(models["2.0.0"]["path"]),
                          str(csv_path), "--json"], capture_output=True, text=True, check=True).stdout
    report = json.loads(out)
    a, b = models["1.0.0"]["pipeline"], models["2.0.0"]["pipeline"]
    la, lb = a.predict(X), b.predict(X)
    assert report["model_a"]["content_id"] == models["1.0.0"]["content_id"]
    agreement = report["agreement"]
    assert agreement["rows"] == 150
    assert agreement["same_label"] == int((la == lb).sum())
    for x in a.classes_:
        for y in a.classes_:
            assert agreement["confusion"].get(x, {}).get(y, 0) == int(((la == x) & (lb == y)).sum())
    diff = np.abs(a.predict_proba(X) - b.predict_proba(X))
    assert agreement["score"] == "probabilities"
    assert agreement["max_abs_score_difference"] == pytest.approx(diff.max(), rel=1e-9, abs=1e-10)
    assert agreement["mean_abs_score_difference"] == pytest.approx(diff.mean(), rel=1e-9, abs=1e-10)
    text = subprocess.run([str(CLI), "compare", str(models["1.0.0"]["path"]), str(models["2.0.0"]["path"]),
                           str(csv_path)], capture_output=True, text=True, check=True).stdout
    assert f"same label: {int((la == lb).sum())} of 150" in text


def chromium_dom(url: str, tmp_path: pathlib.Path):
    """The page as headless Chromium renders it, or None when Chromium is not installed."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        return None
    home = tmp_path / "chromium"
    home.mkdir(exist_ok=True)
    dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          "--disable-extensions", f"--user-data-dir={home / 'profile'}", "--dump-dom", url],
                         capture_output=True, text=True, timeout=180, env=dict(os.environ, HOME=str(home)))
    assert dom.returncode == 0, dom.stderr[-2000:]
    return dom.stdout


@pytest.mark.parametrize("sample, level", [("drifted", "alert"), ("undrifted", "ok")])
def test_metrics_and_status_page_show_drift_against_the_baselines(serve, tmp_path, sample, level):
    """Served rows feed a ferry::Monitor: /metrics gives the PSI per input column, output and
    predicted class that scripts/make_drift_cases computed with numpy for the same 2,000 rows
    (tests/data/drift_churn/psi.csv), whatever the request sizes they came in; the drifted
    sample (monthly_fee shifted, new regions) is an alert, the undrifted one of the same size
    is not flagged."""
    case = ROOT / "tests" / "data" / "drift_churn"
    lines = (case / f"{sample}.csv").read_text().splitlines()
    header, rows = lines[0], lines[1:]
    s = serve(case / "model.ferry", "--drift-window", "0")
    for start, end in ((0, 700), (700, 1300), (1300, len(rows))):
        status, _, _ = s.call("/v1/predict", "\n".join([header, *rows[start:end]]) + "\n", content_type="text/csv")
        assert status == 200

    status, raw, _ = s.call("/metrics")
    metrics = raw.decode()
    assert re.search(r"^ferry_drift_rows 2000$", metrics, re.M)
    assert re.search(rf"^ferry_drift_level {dict(ok=0, warn=1, alert=2)[level]}$", metrics, re.M)
    got = dict(re.findall(r'^ferry_drift_psi\{kind="\w+",column="([^"]+)"\} (\S+)$', metrics, re.M))
    want = {}
    for line in (case / "psi.csv").read_text().splitlines()[1:]:
        which, column, psi = line.split(",")
        if which == sample:
            want[column] = float(psi)
    assert set(got) == set(want)
    for column, psi in want.items():
        # Sums of a few dozen bin terms, in another order than numpy's.
        assert float(got[column]) == pytest.approx(psi, rel=1e-9, abs=1e-12), column

    status, raw, _ = s.call("/")
    page = raw.decode()
    assert status == 200 and f'<strong id="drift-level">{level}</strong>' in page
    dom = chromium_dom(s.base + "/", tmp_path) if level == "alert" else None
    if dom is not None:
        assert '<table id="drift">' in dom and "monthly_fee" in dom
    assert s.stop() == 0
