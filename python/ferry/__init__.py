"""ferry: export fitted scikit-learn pipelines to ``.ferry`` artifacts.

>>> import ferry
>>> ferry.export(pipeline, "model.ferry", X_sample=X)        # doctest: +SKIP
>>> art = ferry.read("model.ferry")                          # doctest: +SKIP
>>> art.header["schema"]["inputs"][0]["name"]                # doctest: +SKIP

The file format is specified in docs/format.md; supported estimators are
listed in docs/supported.md.
"""

__version__ = "0.1.0"

from .format import Artifact, ArtifactError, read, write  # noqa: E402
from .exporter import UnsupportedModelError, export  # noqa: E402

__all__ = ["export", "read", "write", "Artifact", "UnsupportedModelError", "ArtifactError", "__version__"]
