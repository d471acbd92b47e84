"""The model and request bodies benchmarks/run_serve serves: the breast_cancer pipeline
(StandardScaler + LogisticRegression, 30 numeric columns), fitted here, exported with ferry and
pickled for scikit-learn, and JSON bodies of 1 and 10 rows taken from the data.

    /usr/bin/python3 benchmarks/serve_make_model.py OUT_DIR
"""

import json
import pathlib
import pickle
import sys

from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "python"))
import ferry  # noqa: E402

out = pathlib.Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
X, y = load_breast_cancer(return_X_y=True, as_frame=True)
pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)).fit(X, y)
ferry.export(pipe, out / "model.ferry", X_sample=X, name="breast_cancer", version="1.0.0",
             created="2026-01-01T00:00:00Z")
with open(out / "model.pkl", "wb") as f:
    pickle.dump(pipe, f)
for rows in (1, 10):
    body = {"rows": [{k: float(v) for k, v in r.items()} for r in X.iloc[:rows].to_dict(orient="records")]}
    (out / f"body_{rows}.json").write_text(json.dumps(body))
