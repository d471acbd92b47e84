// scikit-learn's OrdinalEncoder: each value becomes its category index. A NaN missing
// category gives encoded_missing_value; a None one its index, as scikit-learn (which only
// treats NaN specially) encodes it; an unknown value is refused or gives unknown_value
// (docs/format.md §4.19).
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ferry/error.hpp"
#include "pipeline/categories.hpp"
#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

class OrdinalEncoder final : public Step {
 public:
  OrdinalEncoder(Categories categories, bool refuse_unknown, double unknown_value, double encoded_missing_value,
                 std::vector<std::string> names, std::string where)
      : categories_(std::move(categories)),
        refuse_unknown_(refuse_unknown),
        unknown_value_(unknown_value),
        encoded_missing_value_(encoded_missing_value),
        names_(std::move(names)),
        where_(std::move(where)) {}

  void transform(RowMatrixXd& X) const override {
    const Index n = categories_.n_columns();
    for (Index i = 0; i < X.rows(); ++i) {
      double* row = X.row(i).data();
      for (Index j = 0; j < n; ++j) {
        const Index c = categories_.index(j, row[j]);
        if (c == Categories::kUnknown) {
          if (refuse_unknown_)
            throw Error(ErrorCode::kValue,
                        fmt::format("row {}, column \"{}\": unknown category: {} ({}; handle_unknown='error': "
                                    "scikit-learn refuses it too)",
                                    i, names_[static_cast<std::size_t>(j)], categories_.describe(j, row[j]), where_));
          row[j] = unknown_value_;
        } else if (c == categories_.count(j) - 1 && categories_.missing(j) == Categories::Missing::kNaN) {
          row[j] = encoded_missing_value_;
        } else {
          row[j] = static_cast<double>(c);
        }
      }
    }
  }

  std::vector<Index> source_columns(Index n_in) const override { return same_columns(n_in); }

 private:
  Categories categories_;
  bool refuse_unknown_;
  double unknown_value_;
  double encoded_missing_value_;
  std::vector<std::string> names_;
  std::string where_;
};

// A finite number, or null for NaN (JSON has no NaN).
double number_or_nan(const StepInputs& in, const char* key) {
  const nlohmann::json& v = in.params().any(key);
  if (v.is_null()) return std::numeric_limits<double>::quiet_NaN();
  if (!v.is_number()) in.invalid(fmt::format("params.{} is not a number or null", key));
  const double d = v.get<double>();
  if (!std::isfinite(d)) in.invalid(fmt::format("params.{} is not finite", key));
  return d;
}

}  // namespace

std::unique_ptr<Step> make_ordinal_encoder(const StepInputs& in) {
  if (in.n_features_out() != in.n_features_in()) in.invalid("n_features_out must equal n_features_in");
  const std::string handle = in.params().string("handle_unknown");
  if (handle != "error" && handle != "use_encoded_value")
    in.invalid(fmt::format("params.handle_unknown \"{}\" is not \"error\" or \"use_encoded_value\"", handle));
  const double unknown_value = number_or_nan(in, "unknown_value");
  if (handle == "error" && !in.params().any("unknown_value").is_null())
    in.invalid("params.unknown_value must be null with handle_unknown \"error\"");
  const double encoded_missing_value = number_or_nan(in, "encoded_missing_value");
  Categories categories(in);
  return std::make_unique<OrdinalEncoder>(std::move(categories), handle == "error", unknown_value,
                                          encoded_missing_value, in.names_in(), in.where());
}

}  // namespace detail
FERRY_END_NAMESPACE
