// The batch passed from step to step: dense, or sparse where scikit-learn's was (a text
// vectorizer's output, a ColumnTransformer whose sparse_output_ was set), so that a row of
// text costs its terms, not the vocabulary's width (docs/format.md §4.45).
#ifndef FERRY_SRC_PIPELINE_STEP_ROWS_HPP
#define FERRY_SRC_PIPELINE_STEP_ROWS_HPP

#include <algorithm>
#include <cstddef>
#include <memory>
#include <vector>

#include "ferry/matrix.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

// Rows in compressed sparse row form, as scipy's csr_matrix: row i's values are
// values[indptr[i], indptr[i + 1]) in columns indices[...]. A row keeps the order scikit-learn's
// matrix holds it in (not always ascending: a TfidfVectorizer's rows come out descending),
// because the sums over a row (norms, dot products) run in that order there.
struct SparseRows {
  Index cols = 0;
  std::vector<Index> indptr{0};
  std::vector<Index> indices;
  std::vector<double> values;

  Index rows() const noexcept { return static_cast<Index>(indptr.size()) - 1; }
  Index begin(Index i) const noexcept { return indptr[static_cast<std::size_t>(i)]; }
  Index end(Index i) const noexcept { return indptr[static_cast<std::size_t>(i) + 1]; }
  void reserve(Index rows, Index nonzeros) {
    indptr.reserve(static_cast<std::size_t>(rows) + 1);
    indices.reserve(static_cast<std::size_t>(nonzeros));
    values.reserve(static_cast<std::size_t>(nonzeros));
  }
  void push(Index column, double value) {
    indices.push_back(column);
    values.push_back(value);
  }
  void end_row() { indptr.push_back(static_cast<Index>(indices.size())); }

  // Rows [first, last) written densely into `out` (resized to last - first x cols).
  void to_dense(Index first, Index last, RowMatrixXd& out) const {
    out.setZero(last - first, cols);
    for (Index i = first; i < last; ++i)
      for (Index k = begin(i); k < end(i); ++k)
        out(i - first, indices[static_cast<std::size_t>(k)]) += values[static_cast<std::size_t>(k)];
  }
  // The nonzero values of a dense matrix, each row's in ascending columns: scipy's csr_matrix of
  // a dense array.
  static SparseRows from_dense(const RowMatrixXd& X) {
    SparseRows s;
    s.cols = X.cols();
    s.indptr.reserve(static_cast<std::size_t>(X.rows()) + 1);
    for (Index i = 0; i < X.rows(); ++i) {
      for (Index j = 0; j < X.cols(); ++j)
        if (X(i, j) != 0.0) s.push(j, X(i, j));
      s.end_row();
    }
    return s;
  }
};

// Dense, unless `sparse` holds the batch.
struct StepRows {
  RowMatrixXd dense;
  std::unique_ptr<SparseRows> sparse;

  StepRows() = default;
  explicit StepRows(RowMatrixXd X) : dense(std::move(X)) {}
  Index rows() const noexcept { return sparse ? sparse->rows() : dense.rows(); }
  Index cols() const noexcept { return sparse ? sparse->cols : dense.cols(); }
  // The batch as a dense matrix, converted in place: for the steps and estimators that take
  // only dense rows.
  RowMatrixXd& densify() {
    if (sparse) {
      sparse->to_dense(0, sparse->rows(), dense);
      sparse.reset();
    }
    return dense;
  }
  // The batch as a sparse matrix, converted in place.
  SparseRows& sparsify() {
    if (!sparse) set_sparse(SparseRows::from_dense(dense));
    return *sparse;
  }
  void set_sparse(SparseRows rows) {
    sparse = std::make_unique<SparseRows>(std::move(rows));
    dense.resize(0, 0);
  }
};

}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_PIPELINE_STEP_ROWS_HPP
