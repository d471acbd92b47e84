"""The model of benchmarks/mlp_benchmark.cpp, trained here with fixed seeds on synthetic data.

    /usr/bin/python3 benchmarks/make_mlp_models.py OUT_DIR

writes StandardScaler + MLPRegressor((64, 64), relu) on 32 features as ``mlp.ferry`` and, for the
ONNX Runtime peer, the same fitted weights as ``mlp.onnx``: the graph skl2onnx would build, in
float32 (Sub and Div for the scaler, MatMul + Add + Relu per hidden layer, MatMul + Add out),
made with the ``onnx`` package (Debian's python3-onnx; a benchmark dependency only).
"""
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import ferry  # noqa: E402

N_FEATURES = 32
HIDDEN = (64, 64)


def data(rows: int, seed: int):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, N_FEATURES)) * np.linspace(0.5, 20.0, N_FEATURES) + np.linspace(-5, 5, N_FEATURES)
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    y = np.sin(Z[:, 0]) * 2 + Z[:, 1] * Z[:, 2] + np.abs(Z[:, 3]) + 0.5 * Z[:, 4:].sum(axis=1) / 5
    return X, y + rng.normal(size=rows) * 0.1


def onnx_graph(model):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    scaler, mlp = model[0], model[-1]
    f32 = lambda a: np.asarray(a, dtype=np.float32)  # noqa: E731
    inits = [numpy_helper.from_array(f32(scaler.mean_), "mean"), numpy_helper.from_array(f32(scaler.scale_), "scale")]
    nodes = [helper.make_node("Sub", ["X", "mean"], ["centred"]), helper.make_node("Div", ["centred", "scale"], ["a0"])]
    last = len(mlp.coefs_) - 1
    for i, (W, b) in enumerate(zip(mlp.coefs_, mlp.intercepts_)):
        inits += [numpy_helper.from_array(f32(W), f"W{i}"), numpy_helper.from_array(f32(b), f"b{i}")]
        nodes.append(helper.make_node("MatMul", [f"a{i}", f"W{i}"], [f"m{i}"]))
        out = "variable" if i == last else f"z{i}"
        nodes.append(helper.make_node("Add", [f"m{i}", f"b{i}"], [out]))
        if i != last:
            nodes.append(helper.make_node("Relu", [out], [f"a{i + 1}"]))
    graph = helper.make_graph(
        nodes, "ferry_benchmark_mlp",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, N_FEATURES])],
        [helper.make_tensor_value_info("variable", TensorProto.FLOAT, [None, mlp.coefs_[-1].shape[1]])],
        inits)
    # opset 13 and IR version 8: within what every ONNX Runtime of the last years reads
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="ferry benchmarks")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def main(out: str) -> None:
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    os.makedirs(out, exist_ok=True)
    X, y = data(4000, 0)
    model = make_pipeline(StandardScaler(), MLPRegressor(HIDDEN, activation="relu", max_iter=40, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not converged after 40 epochs: its speed is what is measured
        model.fit(X, y)
    ferry.export(model, os.path.join(out, "mlp.ferry"), X_sample=X[:64], name="mlp_64x64")
    import onnx

    onnx.save(onnx_graph(model), os.path.join(out, "mlp.onnx"))
    print(f"wrote {out}: mlp.ferry, mlp.onnx (StandardScaler + MLPRegressor{HIDDEN}, {N_FEATURES} inputs)")


if __name__ == "__main__":
    main(sys.argv[1])
