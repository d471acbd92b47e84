// scikit-learn's KernelCenterer as a step (docs/format.md §4.47): the input row is a kernel
// row against the m rows the centerer was fitted on, centred with the fitted K_fit_rows_ and
// K_fit_all_ in scikit-learn 1.2.1's order (pipeline/kernel_centering.hpp).
#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "pipeline/kernel_centering.hpp"
#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class KernelCenterer final : public Step {
 public:
  KernelCenterer(Eigen::VectorXd fit_rows, double fit_all) : fit_rows_(std::move(fit_rows)), fit_all_(fit_all) {}

  void transform(RowMatrixXd& X) const override {
    const Index m = fit_rows_.size();
    for (Index i = 0; i < X.rows(); ++i) center_kernel_row(X.row(i).data(), m, fit_rows_.data(), fit_all_);
  }

  // Every output subtracts the mean of its whole row: each mixes every input column.
  std::vector<Index> source_columns(Index n_in) const override {
    return std::vector<Index>(static_cast<std::size_t>(n_in), -1);
  }

 private:
  Eigen::VectorXd fit_rows_;  // K_fit_rows_: the column means of the fitted kernel
  double fit_all_;            // K_fit_all_: their mean
};

}  // namespace

std::unique_ptr<Step> make_kernel_centerer(const StepInputs& in) {
  const Index m = in.n_features_in();
  if (m < 1) in.invalid("n_features_in must be at least 1");
  if (in.n_features_out() != m) in.invalid("n_features_out must equal n_features_in");
  const double fit_all = in.params().number("k_fit_all");
  if (!std::isfinite(fit_all)) in.invalid(fmt::format("params.k_fit_all is {}; it must be finite", fit_all));
  Eigen::VectorXd fit_rows = in.vector("k_fit_rows", m);
  return std::make_unique<KernelCenterer>(std::move(fit_rows), fit_all);
}

}  // namespace detail
FERRY_END_NAMESPACE
