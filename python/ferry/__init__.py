"""ferry: export fitted scikit-learn pipelines to ``.ferry`` artifacts.

>>> import ferry
>>> ferry.export(pipeline, "model.ferry", X_sample=X)        # doctest: +SKIP
>>> art = ferry.read("model.ferry")                          # doctest: +SKIP
>>> art.header["schema"]["inputs"][0]["name"]                # doctest: +SKIP

The file format is specified in docs/format.md; supported estimators are
listed in docs/supported.md.

The C++ runtime, when its native module is built (docs/scale-out.md):

>>> model = ferry.Model.load("model.ferry")                  # doctest: +SKIP
>>> model.predict_proba(df)                                  # doctest: +SKIP

and batch scoring on Dask: ``ferry.dask.score`` (``import ferry.dask``).
"""

__version__ = "0.1.0"

from .format import Artifact, ArtifactError, read, write  # noqa: E402
from .exporter import UnsupportedModelError, export  # noqa: E402
from .errors import ErrorCode, FerryError  # noqa: E402
from .runtime import Model  # noqa: E402  (imports the native module on first use only)

__all__ = ["export", "read", "write", "Artifact", "UnsupportedModelError", "ArtifactError", "Model", "FerryError",
           "ErrorCode", "__version__"]
