// Term weighting shared by text_vectorizer and tfidf_transformer (docs/format.md §4.46):
// a row's nonzero counts -> (log + 1) -> times idf -> divided by their l1 / l2 norm, in
// scikit-learn's order of operations and of summation.
#ifndef FERRY_SRC_PIPELINE_TEXT_WEIGHTING_HPP
#define FERRY_SRC_PIPELINE_TEXT_WEIGHTING_HPP

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "pipeline/step_inputs.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

struct TermWeighting {
  enum class Norm { kNone, kL1, kL2 };
  bool sublinear_tf = false;
  bool use_idf = false;
  Norm norm = Norm::kNone;
  Eigen::VectorXd idf;  // n, when use_idf

  // From a step's params `sublinear_tf`, `use_idf`, `norm` and tensor `idf` (n values > 0).
  static TermWeighting from(const StepInputs& in, Index n) {
    TermWeighting w;
    const artifact::Fields& p = in.params();
    w.sublinear_tf = p.boolean("sublinear_tf");
    w.use_idf = p.boolean("use_idf");
    w.norm = read_norm(in);
    if (w.use_idf != in.has_tensor("idf")) in.invalid("tensor \"idf\" must be present exactly when params.use_idf");
    if (w.use_idf) {
      w.idf = in.vector("idf", n);
      for (Index j = 0; j < n; ++j)
        if (!(w.idf[j] > 0)) in.invalid("tensor \"idf\" holds a value that is not > 0");
    }
    return w;
  }

  // params.norm: null, "l1" or "l2".
  static Norm read_norm(const StepInputs& in) {
    const nlohmann::json& norm = in.params().any("norm");
    if (norm.is_null()) return Norm::kNone;
    if (norm == "l1") return Norm::kL1;
    if (norm == "l2") return Norm::kL2;
    in.invalid("params.norm must be null, \"l1\" or \"l2\"");
  }

  // terms: (column, value) of one row's nonzero values, in the order scikit-learn's sparse row
  // holds them; weighs the values in place, leaving them in the order the weighted row holds them.
  void apply(std::vector<std::pair<Index, double>>& terms) const {
    if (sublinear_tf)
      for (auto& t : terms) t.second = std::log(t.second) + 1.0;
    if (use_idf) {
      for (auto& t : terms) t.second *= idf[t.first];
      // scikit-learn multiplies by a sparse diagonal, whose product (scipy's csr_matmat) lists
      // a row's columns in the reverse of their order, without the products that are 0 (a
      // hashed row's explicit zeros): the norm sums them in that order, and so does any dot
      // product after it.
      terms.erase(std::remove_if(terms.begin(), terms.end(), [](const auto& t) { return t.second == 0.0; }),
                  terms.end());
      std::reverse(terms.begin(), terms.end());
    }
    if (norm != Norm::kNone) {
      double s = 0.0;
      if (norm == Norm::kL1)
        for (const auto& t : terms) s += std::abs(t.second);
      else
        for (const auto& t : terms) s += t.second * t.second;
      if (s != 0.0) {
        if (norm == Norm::kL2) s = std::sqrt(s);
        for (auto& t : terms) t.second /= s;
      }
    }
  }
};

}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_PIPELINE_TEXT_WEIGHTING_HPP
