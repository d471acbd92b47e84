"""scikit-learn tree models -> estimator type ``tree_ensemble`` (placeholder)."""
