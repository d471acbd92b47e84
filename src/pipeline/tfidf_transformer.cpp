// scikit-learn's TfidfTransformer (docs/format.md §4.46): each row's nonzero values weighted
// as term counts.
#include <vector>

#include "pipeline/step.hpp"
#include "pipeline/step_inputs.hpp"
#include "pipeline/text_weighting.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class TfidfTransformer final : public Step {
 public:
  explicit TfidfTransformer(TermWeighting w) : w_(std::move(w)) {}

  void transform(RowMatrixXd& X) const override {
    std::vector<std::pair<Index, double>> terms;
    for (Index i = 0; i < X.rows(); ++i) {
      double* row = X.row(i).data();
      terms.clear();
      for (Index j = 0; j < X.cols(); ++j)
        if (row[j] != 0.0) {
          terms.emplace_back(j, row[j]);
          row[j] = 0.0;
        }
      w_.apply(terms);
      for (const auto& t : terms) row[t.first] = t.second;
    }
  }

  void transform_rows(StepRows& X, const TextBatch* /*text*/) const override {
    if (!X.sparse) return transform(X.dense);
    const SparseRows& S = *X.sparse;
    SparseRows out;
    out.cols = S.cols;
    out.reserve(S.rows(), static_cast<Index>(S.values.size()));
    std::vector<std::pair<Index, double>> terms;
    for (Index i = 0; i < S.rows(); ++i) {
      terms.clear();
      for (Index k = S.begin(i); k < S.end(i); ++k)
        terms.emplace_back(S.indices[static_cast<std::size_t>(k)], S.values[static_cast<std::size_t>(k)]);
      w_.apply(terms);  // may drop entries (zero products)
      for (const auto& t : terms) out.push(t.first, t.second);
      out.end_row();
    }
    X.set_sparse(std::move(out));
  }

  std::vector<Index> source_columns(Index n_in) const override {
    // The norm mixes a row's columns.
    return w_.norm == TermWeighting::Norm::kNone ? same_columns(n_in) : std::vector<Index>(static_cast<std::size_t>(n_in), -1);
  }

 private:
  TermWeighting w_;
};

}  // namespace

std::unique_ptr<Step> make_tfidf_transformer(const StepInputs& in) {
  if (in.n_features_out() != in.n_features_in()) in.invalid("n_features_out must equal n_features_in");
  return std::make_unique<TfidfTransformer>(TermWeighting::from(in, in.n_features_in()));
}

}  // namespace detail
FERRY_END_NAMESPACE
