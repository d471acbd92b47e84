// scikit-learn's PolynomialFeatures: products of input columns, one output column per row of
// `powers` (docs/format.md §4, `polynomial_features`).
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "pipeline/registry.hpp"
#include "pipeline/step_inputs.hpp"
#include "spec_limits.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

constexpr std::int64_t kMaxDegree = spec::kMaxPolynomialDegree;

class PolynomialFeatures final : public Step {
 public:
  // One input column of a term, raised to `power` by repeated multiplication.
  struct Factor {
    std::int32_t column;
    std::int32_t power;
  };

  // Output column r multiplies the factors factors_[begin_[r] .. begin_[r + 1]), input columns
  // in descending order. At most one Factor per non-zero power: never more memory than the
  // `powers` tensor itself.
  PolynomialFeatures(Index n_out, std::vector<Index> begin, std::vector<Factor> factors)
      : n_out_(n_out), begin_(std::move(begin)), factors_(std::move(factors)) {}

  // scikit-learn's dense transform builds the term of x[c1] x[c2] ... x[cd] (c1 <= ... <= cd) as
  // (term of c2..cd) * x[c1], so its value is ((x[cd] * x[cd-1]) * ...) * x[c1]: the same
  // multiplications, in the same order, give the same bits. 1.0 * x is exactly x, so starting
  // from 1.0 changes nothing and gives the bias column for free.
  void transform(RowMatrixXd& X) const override {
    RowMatrixXd out(X.rows(), n_out_);
    const Factor* factors = factors_.data();
    const Index* begin = begin_.data();
    for (Index i = 0; i < X.rows(); ++i) {
      const double* x = X.row(i).data();
      double* y = out.row(i).data();
      for (Index r = 0; r < n_out_; ++r) {
        double v = 1.0;
        for (Index k = begin[r]; k < begin[r + 1]; ++k) {
          const double xc = x[factors[k].column];
          for (std::int32_t p = 0; p < factors[k].power; ++p) v *= xc;
        }
        y[r] = v;
      }
    }
    X = std::move(out);
  }

 private:
  Index n_out_;
  std::vector<Index> begin_;
  std::vector<Factor> factors_;
};

// scikit-learn's enumeration of the terms: the bias (empty term) first when include_bias, then
// for each degree d from max(1, min_degree) to max_degree, itertools.combinations (interaction
// only) or combinations_with_replacement of range(n) taken d at a time, in lexicographic order.
class TermEnumerator {
 public:
  TermEnumerator(Index n, std::int64_t min_degree, std::int64_t max_degree, bool interaction_only, bool include_bias)
      : n_(n), max_degree_(max_degree), interaction_only_(interaction_only) {
    if (include_bias) {
      degree_ = 0;  // the empty term, then on to max(1, min_degree)
      first_degree_ = std::max<std::int64_t>(1, min_degree);
      valid_ = true;
    } else {
      start_degree(std::max<std::int64_t>(1, min_degree));
    }
  }

  bool valid() const noexcept { return valid_; }
  // The current term as ascending column indices.
  const std::vector<Index>& term() const noexcept { return term_; }

  void next() {
    if (degree_ == 0) {
      start_degree(first_degree_);
      return;
    }
    const auto d = static_cast<Index>(term_.size());
    for (Index k = d - 1; k >= 0; --k) {
      const Index limit = interaction_only_ ? n_ - d + k : n_ - 1;
      if (term_[k] < limit) {
        ++term_[k];
        for (Index j = k + 1; j < d; ++j) term_[j] = interaction_only_ ? term_[j - 1] + 1 : term_[k];
        return;
      }
    }
    start_degree(degree_ + 1);
  }

 private:
  // The first term of degree d, or of the next degree that has one; invalid past max_degree.
  void start_degree(std::int64_t d) {
    for (; d <= max_degree_; ++d) {
      if (n_ == 0 || (interaction_only_ && d > n_)) continue;  // no term of this degree
      degree_ = d;
      term_.assign(static_cast<std::size_t>(d), 0);
      if (interaction_only_)
        for (Index j = 0; j < d; ++j) term_[j] = j;
      valid_ = true;
      return;
    }
    valid_ = false;
  }

  Index n_;
  std::int64_t max_degree_;
  bool interaction_only_;
  std::int64_t degree_ = 0;
  std::int64_t first_degree_ = 1;
  bool valid_ = false;
  std::vector<Index> term_;
};

std::string describe_term(const std::vector<Index>& term) {
  if (term.empty()) return "bias term";
  return fmt::format("term of columns [{}]", fmt::join(term, ", "));
}

}  // namespace

std::unique_ptr<Step> make_polynomial_features(const StepInputs& in) {
  const Index n = in.n_features_in();
  const Index n_out = in.n_features_out();
  const std::int64_t min_degree = in.params().int64("min_degree");
  const std::int64_t max_degree = in.params().int64("max_degree");
  const bool interaction_only = in.params().boolean("interaction_only");
  const bool include_bias = in.params().boolean("include_bias");
  if (min_degree < 0 || max_degree < min_degree || max_degree > kMaxDegree)
    in.invalid(fmt::format("params min_degree = {}, max_degree = {} must satisfy 0 <= min_degree <= max_degree <= {}",
                           min_degree, max_degree, kMaxDegree));
  if (max_degree == 0 && !include_bias) in.invalid("max_degree = 0 without include_bias leaves no output column");
  if (n_out < 1) in.invalid("n_features_out must be at least 1");

  // The shape is checked against the stored tensor before anything is allocated.
  const std::vector<std::int64_t> powers = in.int64_matrix("powers", n_out, n);
  // n <= 2^24 (StepInputs) and every power <= 64 once checked: both fit a Factor.
  std::vector<Index> begin{0};
  std::vector<PolynomialFeatures::Factor> factors;
  std::vector<std::int64_t> expected(static_cast<std::size_t>(n), 0);
  TermEnumerator terms(n, min_degree, max_degree, interaction_only, include_bias);
  for (Index r = 0; r < n_out; ++r, terms.next()) {
    if (!terms.valid())
      in.invalid(fmt::format("n_features_out = {} but the degrees give only {} terms", n_out, r));
    for (Index c : terms.term()) ++expected[static_cast<std::size_t>(c)];
    const std::int64_t* row = powers.data() + r * n;
    for (Index j = 0; j < n; ++j)
      if (row[j] != expected[static_cast<std::size_t>(j)])
        in.invalid(fmt::format("tensor role \"powers\" row {} is not scikit-learn's {} (power of column {} is "
                               "{}, expected {})",
                               r, describe_term(terms.term()), j, row[j], expected[static_cast<std::size_t>(j)]));
    for (Index c : terms.term()) expected[static_cast<std::size_t>(c)] = 0;
    // Multiplication order: the highest column first, then down.
    for (Index j = n - 1; j >= 0; --j)
      if (row[j] != 0) factors.push_back({static_cast<std::int32_t>(j), static_cast<std::int32_t>(row[j])});
    begin.push_back(static_cast<Index>(factors.size()));
  }
  if (terms.valid()) in.invalid(fmt::format("n_features_out = {} but the degrees give more terms", n_out));
  return std::make_unique<PolynomialFeatures>(n_out, std::move(begin), std::move(factors));
}

}  // namespace detail
FERRY_END_NAMESPACE
