// scikit-learn's TransformedTargetRegressor (docs/format.md §4.39): the regressor sub-model's
// predictions through the inverse of the target transform.
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "models/composition.hpp"
#include "models/registry.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

enum class Inverse { kIdentity, kAffine, kExp, kExpm1, kLog, kLog1p, kSqrt, kSquare, kAbs };

class TransformedTarget final : public Estimator {
 public:
  TransformedTarget(SubModel regressor, Inverse inverse, Eigen::RowVectorXd scale, Eigen::RowVectorXd offset)
      : Estimator(Link::kIdentity), regressor_(std::move(regressor)), inverse_(inverse), scale_(std::move(scale)),
        offset_(std::move(offset)) {}

  Capabilities capabilities() const noexcept override { return {}; }

  void decision(const RowMatrixXd& X, RowMatrixXd& scores) const override {
    RowMatrixXd s;
    regressor_.scores(X, s);
    regressor_.values(s, scores);
    for (Index i = 0; i < scores.rows(); ++i)
      for (Index j = 0; j < scores.cols(); ++j) {
        double& y = scores(i, j);
        switch (inverse_) {
          case Inverse::kIdentity: break;
          case Inverse::kAffine: y = y * scale_[j] + offset_[j]; break;  // StandardScaler.inverse_transform
          case Inverse::kExp: y = std::exp(y); break;
          case Inverse::kExpm1: y = std::expm1(y); break;
          case Inverse::kLog: y = std::log(y); break;
          case Inverse::kLog1p: y = std::log1p(y); break;
          case Inverse::kSqrt: y = std::sqrt(y); break;
          case Inverse::kSquare: y = y * y; break;
          case Inverse::kAbs: y = std::abs(y); break;
        }
      }
  }
  Index n_scores() const noexcept override { return regressor_.n_outputs; }

 private:
  SubModel regressor_;
  Inverse inverse_;
  Eigen::RowVectorXd scale_, offset_;
};

}  // namespace

std::unique_ptr<Estimator> make_transformed_target(const StepInputs& in) {
  const std::string name = in.params().string("inverse");
  const std::vector<std::pair<const char*, Inverse>> known = {
      {"identity", Inverse::kIdentity}, {"affine", Inverse::kAffine}, {"exp", Inverse::kExp},
      {"expm1", Inverse::kExpm1},       {"log", Inverse::kLog},       {"log1p", Inverse::kLog1p},
      {"sqrt", Inverse::kSqrt},         {"square", Inverse::kSquare}, {"abs", Inverse::kAbs}};
  Inverse inverse = Inverse::kIdentity;
  bool found = false;
  for (const auto& [n, v] : known)
    if (name == n) inverse = v, found = true;
  if (!found) in.invalid(fmt::format("params.inverse \"{}\" is not a known inverse transform", name));
  std::vector<SubModel> subs = build_sub_models(in, "estimators");
  if (subs.size() != 1) in.invalid("params.estimators must hold exactly one regressor");
  const Index k = in.n_features_out();
  require_sub_model(in, subs[0], Task::kRegression, k);
  Eigen::RowVectorXd scale, offset;
  if (inverse == Inverse::kAffine) {
    scale = in.vector("scale", k).transpose();
    offset = in.vector("offset", k).transpose();
  } else if (in.has_tensor("scale") || in.has_tensor("offset")) {
    in.invalid("tensors scale and offset are present only with params.inverse affine");
  }
  return std::make_unique<TransformedTarget>(std::move(subs[0]), inverse, std::move(scale), std::move(offset));
}

}  // namespace detail
FERRY_END_NAMESPACE
