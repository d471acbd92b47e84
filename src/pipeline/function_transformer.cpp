// scikit-learn's FunctionTransformer restricted to a few numpy ufuncs, applied element by
// element (docs/format.md §4, `function_transformer`).
#include <cmath>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "ferry/error.hpp"
#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

using Function = double (*)(double);

double apply_identity(double x) { return x; }
double apply_log(double x) { return std::log(x); }
double apply_log1p(double x) { return std::log1p(x); }
double apply_exp(double x) { return std::exp(x); }
double apply_expm1(double x) { return std::expm1(x); }
double apply_sqrt(double x) { return std::sqrt(x); }
double apply_abs(double x) { return std::fabs(x); }
double apply_square(double x) { return x * x; }  // numpy's square is x * x

struct Entry {
  std::string_view name;
  Function f;
};

// The `func` param -> the C library function with numpy's semantics for float64.
constexpr Entry kFunctions[] = {
    {"identity", apply_identity}, {"log", apply_log},   {"log1p", apply_log1p}, {"exp", apply_exp},
    {"expm1", apply_expm1},       {"sqrt", apply_sqrt}, {"abs", apply_abs},     {"square", apply_square},
};

const char* describe(double y) {
  if (std::isnan(y)) return "NaN";
  return y > 0 ? "+infinity" : "-infinity";
}

class FunctionTransformer final : public Step {
 public:
  FunctionTransformer(std::string name, Function f, std::vector<std::string> input_names, std::string where)
      : name_(std::move(name)), f_(f), input_names_(std::move(input_names)), where_(std::move(where)) {}

  // numpy gives NaN or an infinity where the function leaves its domain or overflows (log of
  // a negative number or of 0, sqrt of a negative number, exp of 710); scikit-learn's
  // FunctionTransformer passes it on and the estimator then refuses the row. ferry refuses it
  // here, naming the row and the column, instead of letting it reach the model. A value that
  // was already NaN or infinite comes out as numpy gives it.
  void transform(RowMatrixXd& X) const override {
    if (f_ == apply_identity) return;
    for (Index i = 0; i < X.rows(); ++i) {
      double* row = X.row(i).data();
      for (Index j = 0; j < X.cols(); ++j) {
        const double x = row[j];
        const double y = f_(x);
        if (!std::isfinite(y) && std::isfinite(x)) fail(i, j, x, y);
        row[j] = y;
      }
    }
  }

  std::vector<Index> source_columns(Index n_in) const override { return same_columns(n_in); }

 private:
  [[noreturn]] void fail(Index i, Index j, double x, double y) const {
    throw Error(ErrorCode::kValue,
                fmt::format("row {}, column \"{}\": {}({}) is {}, which the model cannot use ({}; scikit-learn's "
                            "estimator would refuse this row too)",
                            i, input_names_[static_cast<std::size_t>(j)], name_, x, describe(y), where_));
  }

  std::string name_;
  Function f_;
  std::vector<std::string> input_names_;
  std::string where_;
};

}  // namespace

std::unique_ptr<Step> make_function_transformer(const StepInputs& in) {
  const Index n = in.n_features_in();
  if (in.n_features_out() != n) in.invalid("n_features_out must equal n_features_in");
  const std::string func = in.params().string("func");
  for (const Entry& e : kFunctions) {
    if (e.name != func) continue;
    return std::make_unique<FunctionTransformer>(func, e.f, in.names_in(), in.where());
  }
  in.invalid(fmt::format("params.func \"{}\" is not one of identity, log, log1p, exp, expm1, sqrt, abs, square", func));
}

}  // namespace detail
FERRY_END_NAMESPACE
