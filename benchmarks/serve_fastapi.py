"""The peer of `ferry serve` in benchmarks/run_serve: the same pickled scikit-learn pipeline
behind FastAPI + uvicorn, answering the same /v1/predict bodies with the same JSON shape
(model identity, one entry per row with the label and the probabilities by class).

    SERVE_MODEL=model.pkl /usr/bin/python3 -m uvicorn serve_fastapi:app --app-dir benchmarks \
        --host 127.0.0.1 --port 8001 --workers N
"""

import asyncio.base_events
import os
import pickle
import socket

import pandas as pd
from fastapi import FastAPI, HTTPException, Request

with open(os.environ["SERVE_MODEL"], "rb") as f:
    pipeline = pickle.load(f)
columns = list(pipeline.feature_names_in_)
labels = [c.item() if hasattr(c, "item") else c for c in pipeline.classes_]
identity = {"name": "breast_cancer", "version": "1.0.0"}

app = FastAPI()


# With --workers N > 1 uvicorn shares a listening socket made with protocol number 0, and asyncio
# sets TCP_NODELAY only on sockets whose protocol reads IPPROTO_TCP: every kept-alive answer then
# waits ~40 ms for the client's delayed ACK (46 requests/s). The peer is measured without that
# stall, as ferry serve is (it sets TCP_NODELAY itself).
def _set_nodelay(sock):
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


asyncio.base_events._set_nodelay = _set_nodelay


@app.post("/v1/predict")
async def predict(request: Request):
    try:
        rows = (await request.json())["rows"]
        frame = pd.DataFrame(rows, columns=columns)
    except (ValueError, KeyError, TypeError) as e:
        raise HTTPException(status_code=400, detail=str(e))
    proba = pipeline.predict_proba(frame)
    predicted = pipeline.classes_[proba.argmax(axis=1)]
    return {
        "model": identity,
        "predictions": [
            {"prediction": p.item(), "probabilities": {str(c): float(v) for c, v in zip(labels, row)}}
            for p, row in zip(predicted, proba)
        ],
    }
