// Every tree model: decision trees, forests, gradient boosting, HistGradientBoosting, XGBoost,
// IsolationForest (docs/format.md §4.17). The file's flat arrays are validated here, then
// re-laid out for prediction (models/compact_forest.hpp).
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "models/interventional.hpp"
#include "models/tree_shap.hpp"
#include "models/tree_shap_interventional.hpp"
#include "models/tree_shap_interactions.hpp"
#include "models/compact_forest.hpp"
#include "models/registry.hpp"
#include "pipeline/step_inputs.hpp"
#include "row_ranges.hpp"
#include "spec_limits.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

constexpr int kMaxDepth = spec::kMaxTreeDepth;
constexpr double kCoverSlack = 1.0 + spec::kCoverSlack;
constexpr std::int64_t kMaxNodes = spec::kMaxTreeNodes;

class TreeEnsemble final : public Estimator {
 public:
  TreeEnsemble(Link link, CompactForest forest, double isolation_offset, double isolation_scale)
      : Estimator(link),
        forest_(std::move(forest)),
        shap_(explain::tree_shap_tables(forest_)),
        offset_(isolation_offset),
        scale_(isolation_scale) {}

  void decision(const RowMatrixXd& X, RowMatrixXd& scores) const override {
    scores.resize(X.rows(), forest_.n_scores());
    forest_.predict(X.data(), X.rows(), X.cols(), scores.data());
    finish(scores);
  }

  // A row's scores do not depend on the range it falls in.
  void decision_threaded(const RowMatrixXd& X, RowMatrixXd& scores, Parallel parallel) const override {
    scores.resize(X.rows(), forest_.n_scores());
    predict_direct(X.data(), X.rows(), X.cols(), scores.data(), parallel);
  }

  void decision_direct(const double* X, Index rows, Index stride, double* scores, Parallel parallel) const override {
    predict_direct(X, rows, stride, scores, parallel);
  }
  void decision_direct(const float* X, Index rows, Index stride, double* scores, Parallel parallel) const override {
    predict_direct(X, rows, stride, scores, parallel);
  }

  Index n_scores() const noexcept override { return forest_.n_scores(); }
  // An IsolationForest's scores are -2^(-path length / c), not a sum over its trees: its tree
  // methods attribute the path length, which adds up to no score, so it declares none of them.
  Capabilities capabilities() const noexcept override {
    Capabilities c = Estimator::capabilities();
    c.direct_rows = true;
    if (link() != Link::kIsolation) {
      c.exact_shap = Explanation::Method::kTreePathDependent;
      c.interventional_shap = Explanation::Method::kTreeInterventional;
      c.interactions = true;
    }
    return c;
  }
  const CompactForest& forest() const noexcept { return forest_; }
  // The raw scores' path-dependent TreeSHAP; for the isolation link that is the mean path
  // length before the score_samples transform.
  void shap(const RowMatrixXd& X, RowMatrixXd& phi) const override {
    phi.resize(X.rows(), (forest_.settings().n_features + 1) * forest_.n_scores());
    explain::tree_shap(forest_, shap_, X.data(), X.rows(), X.cols(), phi.data());
  }
  void shap_interactions(const RowMatrixXd& X, RowMatrixXd& phi) const override {
    const Index n1 = forest_.settings().n_features + 1;
    phi.resize(X.rows(), n1 * n1 * forest_.n_scores());
    explain::tree_shap_interactions(forest_, shap_, X.data(), X.rows(), X.cols(), phi.data());
  }
  bool accepts_missing() const noexcept override { return !forest_.settings().missing_error; }
  // Of the raw scores too (as shap()), against the background, exactly (interventional TreeSHAP).
  void shap_interventional(const RowMatrixXd& X, const RowMatrixXd& background, const Eigen::VectorXd& weights,
                           const std::vector<Index>& group, Index n_groups, RowMatrixXd& phi) const override {
    explain::check_interventional_arguments(forest_.settings().n_features, X, background, weights, group, n_groups);
    phi.resize(X.rows(), (n_groups + 1) * forest_.n_scores());
    explain::tree_shap_interventional(forest_, X.data(), X.rows(), X.cols(), background.data(), background.rows(),
                                      background.cols(), weights.data(), group.data(), n_groups, phi.data());
  }

 private:
  void finish(RowMatrixXd& scores) const {
    if (link() == Link::kIsolation) isolation_decision(offset_, scale_, scores.data(), scores.size());
  }
  template <typename T>
  void predict_direct(const T* X, Index rows, Index stride, double* scores, Parallel parallel) const {
    const Index k = forest_.n_scores();
    run_row_ranges(
        rows, parallel,
        [&](Index begin, Index end) {
          forest_.predict(X + begin * stride, end - begin, stride, scores + begin * k, begin);
        },
        256);
    if (link() == Link::kIsolation) isolation_decision(offset_, scale_, scores, rows * k);
  }

  CompactForest forest_;
  explain::TreeShapTables shap_;
  double offset_;
  double scale_;
};

std::string at(std::int64_t tree, std::int64_t node) { return fmt::format("tree {}, node {}: ", tree, node); }

template <typename T>
T choice(const StepInputs& in, const char* key, std::initializer_list<std::pair<const char*, T>> options) {
  const std::string v = in.params().string(key);
  for (const auto& [name, value] : options)
    if (v == name) return value;
  in.invalid(fmt::format("params.{} \"{}\" is not one of the allowed values", key, v));
}

}  // namespace

const CompactForest* tree_ensemble_forest(const Estimator& estimator) noexcept {
  const auto* trees = dynamic_cast<const TreeEnsemble*>(&estimator);
  return trees == nullptr ? nullptr : &trees->forest();
}

std::unique_ptr<Estimator> make_tree_ensemble(const StepInputs& in) {
  const auto& p = in.params();
  const std::int64_t T = p.int64("n_trees");
  if (T < 1 || T > kMaxNodes) in.invalid(fmt::format("params.n_trees = {} is out of range", T));
  const std::int64_t w = p.int64("leaf_width");
  const Index k = in.n_features_out();
  if (w < 1 || k < 1 || k % w != 0)
    in.invalid(fmt::format("params.leaf_width = {} does not divide the number of scores n_features_out = {}", w, k));
  const std::int64_t G = k / w;
  if (in.n_features_in() < 1) in.invalid("n_features_in must be at least 1");

  CompactForest::Settings s;
  s.compare = choice<TreeCompare>(in, "comparison",
                                  {{"le_float32", TreeCompare::kLeFloat32},
                                   {"le_float64", TreeCompare::kLeFloat64},
                                   {"lt_float32", TreeCompare::kLtFloat32}});
  s.missing_error = choice<bool>(in, "missing", {{"error", true}, {"default_left", false}});
  s.mean = choice<bool>(in, "aggregation", {{"sum", false}, {"mean", true}});
  s.float32_sum = choice<bool>(in, "accumulate", {{"float64", false}, {"float32", true}});
  if (s.float32_sum && s.mean) in.invalid("accumulate float32 needs aggregation sum");
  s.leaf_width = static_cast<Index>(w);
  s.n_scores = k;
  s.n_features = in.n_features_in();
  s.feature_names = in.names_in();

  const Link link = parse_link(p.string("link"), in.where());
  switch (link) {
    case Link::kIdentity:
    case Link::kProbability:
      break;
    case Link::kLogistic:
    case Link::kExp:
    case Link::kIsolation:
      if (k != 1) in.invalid("the logistic, exp and isolation links take one score (n_features_out = 1)");
      break;
    case Link::kSoftmax:
      if (k < 3) in.invalid("the softmax link takes one score per class, at least 3 (n_features_out)");
      break;
    case Link::kOvr:
    case Link::kModifiedHuber:
    case Link::kNone:
    case Link::kSoftmaxPair:
    case Link::kOvoVotes:
    case Link::kOvrVotes:
    case Link::kLogSumExp:
      in.invalid("a tree_ensemble cannot use the " + p.string("link") + " link");
  }
  double offset = 0.0, scale = 1.0;
  if (link == Link::kIsolation) {
    const artifact::Fields iso = p.object("isolation");
    offset = iso.number("offset");
    scale = iso.number("scale");
    if (!std::isfinite(offset) || !std::isfinite(scale) || !(scale > 0))
      in.invalid("params.isolation needs a finite offset and a finite scale > 0");
  } else if (p.has("isolation")) {
    in.invalid("params.isolation is only allowed with the isolation link");
  }

  const std::vector<std::int64_t> offsets = in.int64_vector("tree_offsets", static_cast<Index>(T + 1));
  if (offsets[0] != 0) in.invalid("tree_offsets[0] must be 0");
  for (std::int64_t t = 0; t < T; ++t)
    if (offsets[static_cast<std::size_t>(t + 1)] <= offsets[static_cast<std::size_t>(t)] ||
        offsets[static_cast<std::size_t>(t + 1)] > kMaxNodes)
      in.invalid(
          fmt::format("tree {}: tree_offsets must increase strictly (each tree has a node) and stay below 2^31", t));
  const std::int64_t N = offsets.back();
  const auto n = static_cast<Index>(N);

  const std::vector<std::int64_t> group = in.int64_vector("tree_group", static_cast<Index>(T));
  for (std::int64_t t = 0; t < T; ++t)
    if (group[static_cast<std::size_t>(t)] < 0 || group[static_cast<std::size_t>(t)] >= G)
      in.invalid(fmt::format("tree {}: tree_group {} is outside [0, {})", t, group[static_cast<std::size_t>(t)], G));
  const std::vector<std::int64_t> feature = in.int64_vector("feature", n);
  const std::vector<double> threshold = in.float64_values("threshold", {n});
  const std::vector<std::int64_t> left = in.int64_vector("left", n);
  const std::vector<std::int64_t> right = in.int64_vector("right", n);
  const std::vector<double> cover = in.float64_values("cover", {n});
  const std::vector<double> value = in.float64_values("value", {n, static_cast<Index>(w)});
  const Eigen::VectorXd base = in.vector("base_score", k);

  std::vector<std::uint8_t> default_left;
  if (in.has_tensor("default_left") != !s.missing_error)
    in.invalid("tensor role \"default_left\" must be present exactly when params.missing is default_left");
  if (!s.missing_error) default_left = in.uint8_vector("default_left", n);

  std::vector<std::int64_t> categorical, set_offsets;
  std::vector<std::uint8_t> bits;
  const bool has_categories = in.has_tensor("categorical");
  if (in.has_tensor("category_offsets") != has_categories || in.has_tensor("category_bits") != has_categories)
    in.invalid("tensor roles \"category_offsets\" and \"category_bits\" must be present exactly with \"categorical\"");
  std::int64_t n_sets = 0;
  if (has_categories) {
    categorical = in.int64_vector("categorical", n);
    const std::vector<std::int64_t>& off_shape = in.tensor_shape("category_offsets");
    const std::vector<std::int64_t>& bits_shape = in.tensor_shape("category_bits");
    if (off_shape.size() != 1 || off_shape[0] < 1 || bits_shape.size() != 1)
      in.invalid("category_offsets must have shape [C+1] and category_bits shape [B]");
    n_sets = off_shape[0] - 1;
    set_offsets = in.int64_vector("category_offsets", static_cast<Index>(off_shape[0]));
    bits = in.uint8_vector("category_bits", static_cast<Index>(bits_shape[0]));
    for (std::int64_t c = 0; c <= n_sets; ++c) {
      const std::int64_t o = set_offsets[static_cast<std::size_t>(c)];
      if (o < 0 || o > bits_shape[0] || (c > 0 && o < set_offsets[static_cast<std::size_t>(c - 1)]))
        in.invalid(fmt::format("category_offsets[{}] = {} is decreasing or outside [0, {}]", c, o, bits_shape[0]));
    }
  }

  for (std::int64_t i = 0; i < N; ++i) {
    const std::size_t u = static_cast<std::size_t>(i);
    if (!std::isfinite(cover[u]) || cover[u] < 0.0) {
      const auto t =
          static_cast<std::int64_t>(std::upper_bound(offsets.begin(), offsets.end(), i) - offsets.begin()) - 1;
      in.invalid(at(t, i - offsets[static_cast<std::size_t>(t)]) + "cover must be finite and >= 0");
    }
  }

  CompactForest forest(s, std::vector<double>(base.data(), base.data() + k), std::move(bits), set_offsets, T, N);
  // Per-tree scratch, reused: no allocation per node.
  std::vector<std::uint8_t> parents;
  std::vector<std::int16_t> depth;
  for (std::int64_t t = 0; t < T; ++t) {
    const std::int64_t first = offsets[static_cast<std::size_t>(t)];
    const std::int64_t size = offsets[static_cast<std::size_t>(t + 1)] - first;
    const auto F = static_cast<std::size_t>(first);
    parents.assign(static_cast<std::size_t>(size), 0);
    depth.assign(static_cast<std::size_t>(size), 0);
    int max_depth = 0;
    for (std::int64_t j = 0; j < size; ++j) {
      const std::size_t g = F + static_cast<std::size_t>(j);
      auto fail = [&](const std::string& what) { in.invalid(at(t, j) + what); };
      const std::int64_t l = left[g], r = right[g];
      if (j > 0 && parents[static_cast<std::size_t>(j)] != 1)
        fail("every node but the root must be the child of exactly one node (this one has none)");
      for (std::int64_t col = 0; col < static_cast<std::int64_t>(w); ++col)
        if (!std::isfinite(value[g * static_cast<std::size_t>(w) + static_cast<std::size_t>(col)]))
          fail(fmt::format("value[{}] is not finite", col));
      if (!std::isfinite(threshold[g])) fail("threshold is not finite");
      if (!default_left.empty() && default_left[g] > 1) fail("default_left must be 0 or 1");
      const std::int64_t set = has_categories ? categorical[g] : -1;
      if (l == -1 && r == -1) {
        if (feature[g] != -1) fail("a leaf must have feature -1");
        if (set != -1) fail("a leaf must have categorical -1");
        continue;
      }
      if (l <= j || r <= j || l >= size || r >= size)
        fail(
            fmt::format("children ({}, {}) must both be -1, or greater than {} and less than the tree's "
                        "{} nodes",
                        l, r, j, size));
      if (feature[g] < 0 || feature[g] >= in.n_features_in())
        fail(fmt::format("feature {} is outside [0, {})", feature[g], in.n_features_in()));
      if (set < -1 || set >= n_sets)
        fail(fmt::format("categorical {} is neither -1 nor a category set in [0, {})", set, n_sets));
      for (const std::int64_t c : {l, r}) {
        const auto uc = static_cast<std::size_t>(c);
        if (++parents[uc] > 1) in.invalid(at(t, c) + "node has more than one parent");
        // TreeSHAP weighs paths by cover ratios; a child heavier than its parent would push
        // them past 1 and the attributions towards overflow.
        if (cover[F + uc] > cover[g] * kCoverSlack)
          in.invalid(at(t, c) + fmt::format("cover {} exceeds its parent's {}", cover[F + uc], cover[g]));
        depth[uc] = static_cast<std::int16_t>(depth[static_cast<std::size_t>(j)] + 1);
        if (depth[uc] > kMaxDepth) in.invalid(at(t, c) + fmt::format("tree is deeper than {}", kMaxDepth));
        max_depth = std::max<int>(max_depth, depth[uc]);
      }
    }
    TreeArrays tree{feature.data() + F,
                    threshold.data() + F,
                    left.data() + F,
                    right.data() + F,
                    default_left.empty() ? nullptr : default_left.data() + F,
                    categorical.empty() ? nullptr : categorical.data() + F,
                    value.data() + F * static_cast<std::size_t>(w),
                    cover.data() + F,
                    size,
                    max_depth,
                    static_cast<int>(group[static_cast<std::size_t>(t)])};
    forest.add_tree(tree);
  }
  return std::make_unique<TreeEnsemble>(link, std::move(forest), offset, scale);
}

}  // namespace detail
FERRY_END_NAMESPACE
