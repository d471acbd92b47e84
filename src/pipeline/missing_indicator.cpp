// scikit-learn's MissingIndicator (missing_values=np.nan): one 0/1 column per indicated
// input column (1.0 where the value is NaN). scikit-learn returns bools; the next step of a
// Pipeline computes with them as 0.0 / 1.0, which is what this step gives.
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ferry/error.hpp"
#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class MissingIndicator final : public Step {
 public:
  MissingIndicator(std::vector<Index> features, bool error_on_new, std::vector<std::string> names, Index n_in,
                   std::string where)
      : features_(std::move(features)),
        error_on_new_(error_on_new),
        names_(std::move(names)),
        indicated_(static_cast<std::size_t>(n_in), false),
        where_(std::move(where)) {
    for (Index j : features_) indicated_[static_cast<std::size_t>(j)] = true;
  }

  void transform(RowMatrixXd& X) const override {
    // scikit-learn (error_on_new=True) refuses a batch with a missing value in a column
    // that had none at fit.
    if (error_on_new_ && features_.size() != indicated_.size()) {
      for (Index i = 0; i < X.rows(); ++i) {
        const double* in = X.row(i).data();
        for (Index j = 0; j < X.cols(); ++j)
          if (std::isnan(in[j]) && !indicated_[static_cast<std::size_t>(j)])
            throw Error(ErrorCode::kValue,
                        fmt::format("row {}, column \"{}\": a missing value where MissingIndicator saw none at fit "
                                    "({}; error_on_new=True: scikit-learn refuses it too)",
                                    i, names_[static_cast<std::size_t>(j)], where_));
      }
    }
    const Index k = static_cast<Index>(features_.size());
    RowMatrixXd Y(X.rows(), k);
    for (Index i = 0; i < X.rows(); ++i) {
      const double* in = X.row(i).data();
      double* out = Y.row(i).data();
      for (Index t = 0; t < k; ++t) out[t] = std::isnan(in[features_[static_cast<std::size_t>(t)]]) ? 1.0 : 0.0;
    }
    X.swap(Y);
  }

  std::vector<Index> source_columns(Index /*n_in*/) const override { return features_; }

 private:
  std::vector<Index> features_;
  bool error_on_new_;
  std::vector<std::string> names_;
  std::vector<bool> indicated_;
  std::string where_;
};

}  // namespace

std::unique_ptr<Step> make_missing_indicator(const StepInputs& in) {
  const Index n = in.n_features_in();
  const bool error_on_new = in.params().boolean("error_on_new");
  if (in.n_features_out() > n) in.invalid("n_features_out must not exceed n_features_in");
  std::vector<Index> features = in.column_indices("features", in.n_features_out(), n);
  return std::make_unique<MissingIndicator>(std::move(features), error_on_new, in.names_in(), n, in.where());
}

}  // namespace detail
FERRY_END_NAMESPACE
