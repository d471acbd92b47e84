// tree_ensemble (docs/format.md §4.17): artifacts built here from scratch, checked against a
// plain reference walk written straight from the spec, plus every load-time refusal.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <functional>
#include <limits>
#include <random>

#include "artifact/artifact.hpp"
#include "artifact/tensor_data.hpp"
#include "models/compact_forest.hpp"
#include "support/test_support.hpp"

namespace ferry::detail {
namespace {

using nlohmann::json;
const double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Node {
  std::int64_t feature = -1;
  double threshold = 0.0;
  std::int64_t left = -1, right = -1;
  std::uint8_t default_left = 0;
  std::int64_t set = -1;  // category set, -1 for numeric splits and leaves
  std::vector<double> value;
  double cover = 1.0;
};
Node leaf(std::vector<double> v) { return Node{-1, 0.0, -1, -1, 0, -1, std::move(v), 1.0}; }
Node split(std::int64_t f, double t, std::int64_t l, std::int64_t r, std::uint8_t dl = 0, Index w = 1) {
  return Node{f, t, l, r, dl, -1, std::vector<double>(static_cast<std::size_t>(w), 0.0), 2.0};
}

struct Tree {
  std::vector<Node> nodes;
  std::int64_t group = 0;
};

// A hand-made tree_ensemble artifact: the fields of §4.17 plus a schema.
struct Ensemble {
  Index n_features = 2;
  std::vector<Tree> trees;
  Index w = 1, k = 1;
  std::string aggregation = "sum", comparison = "le_float64", missing = "error", accumulate = "float64";
  std::string link = "identity";
  json isolation;  // null: absent
  std::vector<double> base{0.0};
  std::vector<std::vector<std::uint8_t>> sets;  // present (possibly empty) iff categorical
  bool categorical = false;
  std::string task = "regression";
  json classes;  // null for regression
  bool nullable = false;
  // Last-minute edits of the header and tensors, for the refusal tests.
  std::function<void(json&, std::map<std::string, artifact::Tensor>&)> edit;

  std::vector<std::uint8_t> bytes() const {
    json inputs = json::array();
    for (Index j = 0; j < n_features; ++j)
      inputs.push_back(
          {{"name", "x" + std::to_string(j)}, {"kind", "numeric"}, {"nullable", nullable}, {"range", nullptr}});
    json schema = {
        {"inputs", inputs}, {"task", task}, {"n_outputs", task == "regression" ? k : Index(classes["values"].size())}};
    if (!classes.is_null()) schema["classes"] = classes;
    json params = {{"n_trees", trees.size()},
                   {"leaf_width", w},
                   {"aggregation", aggregation},
                   {"comparison", comparison},
                   {"missing", missing},
                   {"accumulate", accumulate},
                   {"link", link}};
    if (!isolation.is_null()) params["isolation"] = isolation;
    std::vector<std::int64_t> offsets{0}, group, feature, left, right, set;
    std::vector<double> threshold, cover, value;
    std::vector<std::uint8_t> dl;
    for (const Tree& t : trees) {
      offsets.push_back(offsets.back() + static_cast<std::int64_t>(t.nodes.size()));
      group.push_back(t.group);
      for (const Node& n : t.nodes) {
        feature.push_back(n.feature);
        threshold.push_back(n.threshold);
        left.push_back(n.left);
        right.push_back(n.right);
        dl.push_back(n.default_left);
        set.push_back(n.set);
        cover.push_back(n.cover);
        std::vector<double> v = n.value;
        v.resize(static_cast<std::size_t>(w), 0.0);
        value.insert(value.end(), v.begin(), v.end());
      }
    }
    const auto N = offsets.back();
    std::map<std::string, artifact::Tensor> tensors;
    json refs;
    auto i64 = [&](const char* role, std::vector<std::int64_t> shape, const std::vector<std::int64_t>& v) {
      tensors[std::string("e.") + role] = artifact::make_int64(std::move(shape), v.data());
      refs[role] = std::string("e.") + role;
    };
    auto f64 = [&](const char* role, std::vector<std::int64_t> shape, const std::vector<double>& v) {
      tensors[std::string("e.") + role] = artifact::make_float64(std::move(shape), v.data());
      refs[role] = std::string("e.") + role;
    };
    auto u8 = [&](const char* role, const std::vector<std::uint8_t>& v) {
      artifact::Tensor t;
      t.dtype = artifact::DType::kUInt8;
      t.shape = {static_cast<std::int64_t>(v.size())};
      t.bytes = v;
      tensors[std::string("e.") + role] = t;
      refs[role] = std::string("e.") + role;
    };
    i64("tree_offsets", {static_cast<std::int64_t>(offsets.size())}, offsets);
    i64("tree_group", {static_cast<std::int64_t>(group.size())}, group);
    i64("feature", {N}, feature);
    f64("threshold", {N}, threshold);
    i64("left", {N}, left);
    i64("right", {N}, right);
    f64("cover", {N}, cover);
    f64("value", {N, w}, value);
    f64("base_score", {k}, base);
    if (missing == "default_left") u8("default_left", dl);
    if (categorical) {
      i64("categorical", {N}, set);
      std::vector<std::int64_t> so{0};
      std::vector<std::uint8_t> bits;
      for (const auto& s : sets) {
        bits.insert(bits.end(), s.begin(), s.end());
        so.push_back(static_cast<std::int64_t>(bits.size()));
      }
      i64("category_offsets", {static_cast<std::int64_t>(so.size())}, so);
      u8("category_bits", bits);
    }
    json header = {{"metadata", {{"name", "trees"}, {"version", "1"}}},
                   {"schema", schema},
                   {"pipeline", json::array()},
                   {"estimator",
                    {{"type", "tree_ensemble"},
                     {"n_features_in", n_features},
                     {"n_features_out", k},
                     {"params", params},
                     {"tensors", refs}}}};
    if (edit) edit(header, tensors);
    return artifact::write(header, tensors);
  }
  Model load() const {
    const std::vector<std::uint8_t> b = bytes();
    return Model::from_bytes(b.data(), b.size());
  }

  // The spec, read literally: one row, one tree at a time.
  bool goes_left(const Node& n, double x) const {
    if (comparison != "le_float64" && !std::isnan(x)) x = static_cast<float>(x);  // the value as compared
    if (n.set >= 0) {
      const auto& s = sets[static_cast<std::size_t>(n.set)];
      if (x >= 0 && x < 8.0 * static_cast<double>(s.size())) {
        const auto c = static_cast<std::size_t>(std::floor(x));
        return (s[c / 8] >> (c % 8)) & 1;
      }
      return n.default_left != 0;
    }
    if (std::isnan(x)) return n.default_left != 0;
    if (comparison == "le_float64") return x <= n.threshold;
    const float xf = static_cast<float>(x);
    if (comparison == "le_float32") return static_cast<double>(xf) <= n.threshold;
    return xf < static_cast<float>(n.threshold);
  }
  std::vector<double> reference(const double* x) const {
    std::vector<double> sum(static_cast<std::size_t>(k), 0.0);
    std::vector<float> sum32(static_cast<std::size_t>(k));
    for (Index j = 0; j < k; ++j) {
      sum[static_cast<std::size_t>(j)] = aggregation == "sum" ? base[static_cast<std::size_t>(j)] : 0.0;
      sum32[static_cast<std::size_t>(j)] = static_cast<float>(base[static_cast<std::size_t>(j)]);
    }
    for (const Tree& t : trees) {
      std::size_t i = 0;
      while (t.nodes[i].left >= 0)
        i = static_cast<std::size_t>(goes_left(t.nodes[i], x[t.nodes[i].feature]) ? t.nodes[i].left : t.nodes[i].right);
      for (Index j = 0; j < w; ++j) {
        const auto o = static_cast<std::size_t>(t.group * w + j);
        sum[o] += t.nodes[i].value[static_cast<std::size_t>(j)];
        sum32[o] += static_cast<float>(t.nodes[i].value[static_cast<std::size_t>(j)]);
      }
    }
    for (Index j = 0; j < k; ++j) {
      auto u = static_cast<std::size_t>(j);
      if (accumulate == "float32")
        sum[u] = sum32[u];
      else if (aggregation == "mean")
        sum[u] = base[u] + sum[u] / static_cast<double>(trees.size());
    }
    return sum;
  }
};

// A random full-ish tree of the given depth over n features; thresholds drawn from `cuts`.
Tree random_tree(std::mt19937_64& rng, int depth, Index n_features, Index w, const std::vector<double>& cuts,
                 bool categorical, std::int64_t n_sets) {
  Tree t;
  std::uniform_real_distribution<double> u(-3, 3);
  std::function<std::int64_t(int)> grow = [&](int d) -> std::int64_t {
    const auto id = static_cast<std::int64_t>(t.nodes.size());
    if (d == depth || (d > 1 && rng() % 5 == 0)) {
      std::vector<double> v;
      for (Index j = 0; j < w; ++j) v.push_back(u(rng));
      t.nodes.push_back(leaf(v));
      return id;
    }
    Node n = split(static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(n_features)), cuts[rng() % cuts.size()],
                   0, 0, static_cast<std::uint8_t>(rng() % 2), w);
    if (categorical && rng() % 3 == 0) {
      n.set = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(n_sets));
      n.threshold = 0.0;
    }
    t.nodes.push_back(n);
    const std::int64_t l = grow(d + 1);
    const std::int64_t r = grow(d + 1);
    t.nodes[static_cast<std::size_t>(id)].left = l;
    t.nodes[static_cast<std::size_t>(id)].right = r;
    return id;
  };
  grow(0);
  // Training weights skewed from tree to tree (some leaves none at all), so that the laid-out
  // levels (CompactForest::top_levels) range from none to all and walks go on below them.
  std::exponential_distribution<double> weight(1.0);
  const double skew = 1.0 + static_cast<double>(rng() % 4);
  std::function<double(std::size_t)> cover = [&](std::size_t i) -> double {
    Node& n = t.nodes[i];
    if (n.left < 0) return n.cover = rng() % 6 == 0 ? 0.0 : std::pow(weight(rng), skew);
    return n.cover = cover(static_cast<std::size_t>(n.left)) + cover(static_cast<std::size_t>(n.right));
  };
  cover(0);
  return t;
}

// Rows hitting thresholds exactly, at their float32 neighbours and at float64 neighbours,
// plus NaN (when allowed) and small integers (categories).
RowMatrixXd adversarial_rows(std::mt19937_64& rng, Index rows, Index n_features, const std::vector<double>& cuts,
                             bool nan) {
  RowMatrixXd X(rows, n_features);
  for (Index i = 0; i < rows; ++i)
    for (Index j = 0; j < n_features; ++j) {
      const double c = cuts[rng() % cuts.size()];
      const float cf = static_cast<float>(c);
      switch (rng() % 8) {
        case 0:
          X(i, j) = c;
          break;
        case 1:
          X(i, j) = std::nextafter(cf, INFINITY);
          break;
        case 2:
          X(i, j) = std::nextafter(cf, -INFINITY);
          break;
        case 3:
          X(i, j) = cf;
          break;
        case 4:
          X(i, j) = std::nextafter(c, INFINITY);
          break;
        case 5:
          X(i, j) = nan ? kNaN : c;
          break;
        case 6:
          X(i, j) = static_cast<double>(rng() % 20) - 2.0;
          break;  // categories, incl. unseen and negative
        default:
          X(i, j) = std::uniform_real_distribution<double>(-3, 3)(rng);
      }
    }
  return X;
}

std::vector<double> cuts_for(std::mt19937_64& rng) {
  std::vector<double> cuts{0.1, 1.0 / 3.0, -0.7, 2.5, 1e-8, 0.0, 1.0, 16777217.0};
  for (int i = 0; i < 12; ++i) cuts.push_back(std::uniform_real_distribution<double>(-3, 3)(rng));
  return cuts;
}

void expect_matches_reference(const Ensemble& en, const RowMatrixXd& X, const RowMatrixXd& scores) {
  ASSERT_EQ(scores.rows(), X.rows());
  for (Index i = 0; i < X.rows(); ++i) {
    const std::vector<double> ref = en.reference(X.row(i).data());
    for (Index j = 0; j < en.k; ++j)
      ASSERT_EQ(scores(i, j), ref[static_cast<std::size_t>(j)]) << "row " << i << " score " << j;
  }
}

Ensemble stump_classifier(std::string link, Index k, std::vector<json> labels);

// Every combination of comparison, missing rule, accumulation, aggregation and categorical
// splits, on random trees and adversarial rows: bit-identical to the spec's literal reading.
TEST(TreeEnsemble, RandomEnsemblesMatchTheSpecExactly) {
  std::mt19937_64 rng(7);
  for (const char* comparison : {"le_float64", "le_float32", "lt_float32"})
    for (const char* missing : {"error", "default_left"})
      for (const char* accumulate : {"float64", "float32"})
        for (const char* aggregation : {"sum", "mean"})
          for (bool categorical : {false, true}) {
            if (std::string(accumulate) == "float32" && std::string(aggregation) == "mean") continue;
            if (categorical && std::string(missing) == "error") continue;  // unseen categories would be refused
            SCOPED_TRACE(std::string(comparison) + " " + missing + " " + accumulate + " " + aggregation +
                         (categorical ? " categorical" : ""));
            Ensemble en;
            en.n_features = 5;
            en.w = 2;
            en.k = 4;
            en.base = {0.5, -1.25, 3.0, 1e-3};
            en.comparison = comparison;
            en.missing = missing;
            en.accumulate = accumulate;
            en.aggregation = aggregation;
            en.nullable = std::string(missing) == "default_left";
            en.categorical = categorical;
            if (categorical) en.sets = {{0x5a}, {0xff, 0x01}, {}, {0x81, 0x00, 0x02}};
            const std::vector<double> cuts = cuts_for(rng);
            for (int t = 0; t < 40; ++t) {
              en.trees.push_back(random_tree(rng, t % 7 == 6 ? 14 : t % 9, en.n_features, en.w, cuts, categorical, 4));
              en.trees.back().group = t % 2;
            }
            const Model m = en.load();
            const RowMatrixXd X = adversarial_rows(rng, 300, en.n_features, cuts, en.nullable);
            const Prediction p = m.predict(X);
            expect_matches_reference(en, X, p.values);
            // float32 rows, read where they lie: the spec's answer for the same values.
            const RowMatrixXf Xf = X.cast<float>();
            expect_matches_reference(en, Xf.cast<double>(), m.predict(Xf).values);
            // A row alone gives the batch's scores (the single-row path walks trees, not rows).
            for (Index i = 0; i < 20; ++i) {
              const RowMatrixXd one = X.row(i);
              ASSERT_EQ(RowMatrixXd(m.predict(one).values), RowMatrixXd(p.values.row(i)));
            }
          }
}

// le_float32 stores the largest float32 <= t; lt_float32 float32(t): the same decisions as the
// trainers' float32(x) <= t and float32(x) < float32(t), at every threshold's float32 neighbours.
TEST(TreeEnsemble, Float32ThresholdsDecideExactlyAsTheTrainers) {
  std::mt19937_64 rng(11);
  std::vector<double> ts{0.1, 1.0 / 3.0, -0.1, 1e-40, -1e-40, 16777217.0, 3.4e38, -3.4e38, 1e300, -1e300, 0.0, -0.0};
  for (int i = 0; i < 2000; ++i)
    ts.push_back(std::ldexp(std::uniform_real_distribution<double>(-1, 1)(rng), static_cast<int>(rng() % 200) - 100));
  for (const double t : ts) {
    const double le = CompactForest::compare_threshold(TreeCompare::kLeFloat32, t);
    const double lt = CompactForest::compare_threshold(TreeCompare::kLtFloat32, t);
    ASSERT_TRUE(std::isinf(le) || static_cast<double>(static_cast<float>(le)) == le) << t;
    const float tf = std::fabs(t) < 3.5e38 ? static_cast<float>(t) : (t > 0 ? INFINITY : -INFINITY);
    std::vector<float> xs{tf, std::nextafter(tf, INFINITY), std::nextafter(tf, -INFINITY), FLT_MAX, -FLT_MAX, 0.0f};
    for (int s = 0; s < 3; ++s) xs.push_back(std::nextafter(xs[static_cast<std::size_t>(s)], INFINITY));
    for (int s = 0; s < 3; ++s) xs.push_back(std::nextafter(xs[static_cast<std::size_t>(s)], -INFINITY));
    for (const float x : xs) {
      ASSERT_EQ(static_cast<double>(x) <= t, static_cast<double>(x) <= le) << "t=" << t << " x=" << x;
      ASSERT_EQ(x < tf, static_cast<double>(x) < lt) << "t=" << t << " x=" << x;
    }
  }
}

// End to end on a stump: x exactly at the threshold, at its float32 neighbours and at the
// float64 neighbours that round onto the float32 threshold.
TEST(TreeEnsemble, StumpAtThresholdBoundaries) {
  for (const char* comparison : {"le_float64", "le_float32", "lt_float32"}) {
    Ensemble en;
    en.n_features = 1;
    en.comparison = comparison;
    const double t = 0.1;  // not a float32
    en.trees = {{{split(0, t, 1, 2), leaf({-1.0}), leaf({1.0})}}};
    const float tf = static_cast<float>(t);
    const std::vector<double> xs{t,
                                 std::nextafter(t, 1.0),
                                 std::nextafter(t, 0.0),
                                 tf,
                                 std::nextafter(tf, 1.0f),
                                 std::nextafter(tf, 0.0f),
                                 std::nextafter(static_cast<double>(tf), 1.0),
                                 std::nextafter(static_cast<double>(tf), 0.0)};
    RowMatrixXd X(static_cast<Index>(xs.size()), 1);
    for (std::size_t i = 0; i < xs.size(); ++i) X(static_cast<Index>(i), 0) = xs[i];
    const Prediction p = en.load().predict(X);
    expect_matches_reference(en, X, p.values);
    // Spot-check the reference itself on the cases that tell the rules apart.
    const std::string c = comparison;
    // x = 0.1: float32(0.1) > 0.1, so the float32 rules send it right (scikit-learn's
    // DecisionTree does); for lt_float32, float32(x) == float32(t) is not "<".
    EXPECT_EQ(p.values(0, 0), c == "le_float64" ? -1.0 : 1.0) << c;
    EXPECT_EQ(p.values(5, 0), -1.0) << c;  // the float32 just below float32(0.1) goes left everywhere
  }
}

TEST(TreeEnsemble, DeepTreesAndLopsidedTrees) {
  // A chain of depth 40 (right spine) and a balanced tree of depth 12 in one ensemble.
  Ensemble en;
  en.n_features = 3;
  Tree chain;
  for (int d = 0; d < 40; ++d) {
    chain.nodes.push_back(split(d % 3, 40.0 - d, 2 * d + 1, 2 * d + 2));
    chain.nodes.push_back(leaf({static_cast<double>(d)}));
  }
  chain.nodes.push_back(leaf({100.0}));
  std::mt19937_64 rng(3);
  const std::vector<double> cuts = cuts_for(rng);
  en.trees = {chain, random_tree(rng, 12, 3, 1, cuts, false, 0)};
  // Fix the chain's right children: node 2d has left 2d+1 (leaf) and right 2d+2 (next split).
  const Model m = en.load();
  RowMatrixXd X(100, 3);
  for (Index i = 0; i < X.size(); ++i) X.data()[i] = std::uniform_real_distribution<double>(-1, 45)(rng);
  expect_matches_reference(en, X, m.predict(X).values);
  for (Index i = 0; i < 10; ++i) expect_matches_reference(en, X.row(i), m.predict(RowMatrixXd(X.row(i))).values);
}

TEST(TreeEnsemble, ThreadsGiveIdenticalResults) {
  std::mt19937_64 rng(5);
  Ensemble en;
  en.n_features = 6;
  en.comparison = "lt_float32";
  en.accumulate = "float32";
  en.missing = "default_left";
  en.nullable = true;
  const std::vector<double> cuts = cuts_for(rng);
  for (int t = 0; t < 60; ++t) en.trees.push_back(random_tree(rng, 6, en.n_features, 1, cuts, false, 0));
  const Model m = en.load();
  const RowMatrixXd X = adversarial_rows(rng, 5000, en.n_features, cuts, true);
  const RowMatrixXd one = m.predict(X).values;
  for (int threads : {2, 3, 8}) EXPECT_EQ(RowMatrixXd(m.predict(X, PredictOptions{threads}).values), one);
  const RowMatrixXf Xf = X.cast<float>();
  EXPECT_EQ(RowMatrixXd(m.predict(Xf, PredictOptions{2}).values), RowMatrixXd(m.predict(Xf).values));
  // The classifier entry points too.
  Ensemble c = stump_classifier("softmax", 3, {0, 1, 2});
  c.n_features = 6;
  const Model mc = c.load();
  const RowMatrixXd Xc = X.unaryExpr([](double v) { return std::isnan(v) ? 0.0 : v; });
  EXPECT_EQ(mc.predict_proba(Xc, PredictOptions{2}), mc.predict_proba(Xc));
  EXPECT_EQ(mc.decision_function(Xc, PredictOptions{2}), mc.decision_function(Xc));
  expect_matches_reference(en, X, one);
  // The error a thread meets is the one the single thread meets first.
  en.missing = "error";
  en.nullable = true;
  RowMatrixXd bad = X;
  for (Index i = 0; i < bad.size(); ++i)
    if (std::isnan(bad.data()[i])) bad.data()[i] = 0.0;
  bad(3000, 4) = kNaN;
  bad(4500, 1) = kNaN;
  const Model strict = en.load();
  EXPECT_FERRY_ERROR(strict.predict(bad, PredictOptions{4}), ErrorCode::kValue, "row 3000");
}

Ensemble stump_classifier(std::string link, Index k, std::vector<json> labels) {
  Ensemble en;
  en.n_features = 2;
  en.task = "classification";
  en.link = std::move(link);
  en.k = k;
  en.w = k;
  en.classes = {{"dtype", "int64"}, {"values", labels}};
  en.base.assign(static_cast<std::size_t>(k), 0.0);
  std::vector<double> a, b;
  for (Index j = 0; j < k; ++j) {
    a.push_back(0.1 * static_cast<double>(j + 1));
    b.push_back(0.9 - 0.2 * static_cast<double>(j));
  }
  en.trees = {{{split(0, 0.0, 1, 2, 0, k), leaf(a), leaf(b)}}};
  return en;
}

TEST(TreeEnsemble, Links) {
  RowMatrixXd X(3, 2);
  X << -1, 0, 1, 0, 0.0, 5;
  {  // regression exp and logistic
    Ensemble en;
    en.trees = {{{split(0, 0.0, 1, 2), leaf({-0.75}), leaf({2.5})}}};
    en.base = {0.25};
    for (const char* link : {"exp", "logistic"}) {
      en.link = link;
      const Prediction p = en.load().predict(X);
      for (Index i = 0; i < 3; ++i) {
        const double s = en.reference(X.row(i).data())[0];
        EXPECT_EQ(p.scores(i, 0), s);
        EXPECT_EQ(p.values(i, 0), std::string(link) == "exp" ? std::exp(s) : 1.0 / (1.0 + std::exp(-s)));
      }
    }
    en.link = "softmax";
    EXPECT_FERRY_ERROR(en.load(), ErrorCode::kFormat, "softmax link takes one score per class");
  }
  {  // probability: scores are the probabilities; first maximum; no decision_function
    Ensemble en = stump_classifier("probability", 3, {10, 20, 30});
    en.trees[0].nodes[1].value = {0.25, 0.5, 0.25};
    en.trees[0].nodes[2].value = {0.4, 0.2, 0.4};  // a tie: the first maximum wins
    const Model m = en.load();
    const Prediction p = m.predict(X);
    EXPECT_EQ(p.probabilities, p.scores);
    EXPECT_EQ(p.class_index, (std::vector<Index>{1, 0, 1}));
    EXPECT_FERRY_ERROR(m.decision_function(X), ErrorCode::kUnsupported, "has no decision_function");
  }
  {  // softmax over 3 scores, logistic over 1
    const Model m = stump_classifier("softmax", 3, {0, 1, 2}).load();
    const Prediction p = m.predict(X);
    for (Index i = 0; i < 3; ++i) {
      const Eigen::RowVectorXd s = p.scores.row(i);
      double ex[3], sum = 0.0;
      for (Index j = 0; j < 3; ++j) sum += (ex[j] = std::exp(s[j] - s.maxCoeff()));
      for (Index j = 0; j < 3; ++j) EXPECT_EQ(p.probabilities(i, j), ex[j] / sum);
    }
    const Prediction b = stump_classifier("logistic", 1, {0, 1}).load().predict(X);
    for (Index i = 0; i < 3; ++i) {
      EXPECT_EQ(b.probabilities(i, 1), 1.0 / (1.0 + std::exp(-b.scores(i, 0))));
      EXPECT_EQ(b.class_index[static_cast<std::size_t>(i)], b.scores(i, 0) > 0 ? 1 : 0);
    }
  }
  {  // isolation: score_samples = -2^(-s/scale), decision = score_samples - offset
    Ensemble en = stump_classifier("isolation", 1, {-1, 1});
    en.trees[0].nodes[1].value = {2.0};
    en.trees[0].nodes[2].value = {7.5};
    en.isolation = {{"offset", -0.5}, {"scale", 5.0}};
    const Model m = en.load();
    const RowMatrixXd d = m.decision_function(X);
    const Prediction p = m.predict(X);
    for (Index i = 0; i < 3; ++i) {
      const double s = en.reference(X.row(i).data())[0];
      EXPECT_EQ(d(i, 0), -std::pow(2.0, -s / 5.0) - -0.5);
      EXPECT_EQ(p.class_index[static_cast<std::size_t>(i)], d(i, 0) >= 0 ? 1 : 0);
    }
    EXPECT_EQ(p.class_index, (std::vector<Index>{0, 1, 0}));  // s = 2: -0.758 + 0.5 < 0; s = 7.5: -0.354 + 0.5 >= 0
    EXPECT_FERRY_ERROR(m.predict_proba(X), ErrorCode::kUnsupported, "has no predict_proba");
    en.isolation = {{"offset", -0.5}, {"scale", 0.0}};
    EXPECT_FERRY_ERROR(en.load(), ErrorCode::kFormat, "scale > 0");
    en.isolation = nullptr;
    EXPECT_FERRY_ERROR(en.load(), ErrorCode::kFormat, "isolation");
    en = stump_classifier("isolation", 1, {0, 1});
    en.isolation = {{"offset", -0.5}, {"scale", 5.0}};
    EXPECT_FERRY_ERROR(en.load(), ErrorCode::kFormat, "classes int64 [-1, 1]");
    en.classes = {{"dtype", "float64"}, {"values", {-1.0, 1.0}}};
    EXPECT_FERRY_ERROR(en.load(), ErrorCode::kFormat, "classes int64 [-1, 1]");
  }
}

TEST(TreeEnsemble, MissingValues) {
  Ensemble en;
  en.n_features = 3;
  en.trees = {{{split(2, 0.5, 1, 2, 1), leaf({1.0}), leaf({2.0})}}};
  RowMatrixXd X(2, 3);
  X << 0, 0, 1, 0, 0, kNaN;
  // missing: error, nullable input without imputer: the model's own safety net names the column.
  en.nullable = true;
  EXPECT_FERRY_ERROR(en.load().predict(X), ErrorCode::kValue,
                     "row 1: a missing value reached the estimator in column \"x2\"");
  // missing: default_left: NaN follows default_left (here left).
  en.missing = "default_left";
  const Prediction p = en.load().predict(X);
  EXPECT_EQ(p.values(0, 0), 2.0);
  EXPECT_EQ(p.values(1, 0), 1.0);
  // Infinities are still refused at the input.
  X(1, 2) = INFINITY;
  EXPECT_FERRY_ERROR(en.load().predict(X), ErrorCode::kValue, "+infinity");
}

TEST(TreeEnsemble, Float32OverflowIsAValueError) {
  Ensemble en;
  en.trees = {{{split(1, 0.5, 1, 2), leaf({1.0}), leaf({2.0})}}};
  RowMatrixXd X(3, 2);
  X << 0, 3.4028235e38, 0, 0, 0, -1e39;  // FLT_MAX rounds to itself; -1e39 overflows
  en.comparison = "le_float64";
  EXPECT_NO_THROW(en.load().predict(X));
  for (const char* c : {"le_float32", "lt_float32"}) {
    en.comparison = c;
    EXPECT_FERRY_ERROR(en.load().predict(X), ErrorCode::kValue,
                       "row 2, column \"x1\": -1e+39 is too large for float32");
  }
  // Exactly the float32 rounding boundary: just below rounds to FLT_MAX, the boundary to infinity.
  const double edge = std::ldexp(1.0, 128) - std::ldexp(1.0, 103);
  RowMatrixXd Y(1, 2);
  Y << std::nextafter(edge, 0.0), 0.0;
  EXPECT_NO_THROW(en.load().predict(Y));
  Y(0, 0) = edge;
  EXPECT_FERRY_ERROR(en.load().predict(Y), ErrorCode::kValue, "too large for float32");
}

TEST(TreeEnsemble, CategoricalSplits) {
  Ensemble en;
  en.n_features = 2;
  en.missing = "default_left";
  en.nullable = true;
  en.categorical = true;
  en.sets = {{0x00, 0x00, 0x00, 0x00, 0x01}};  // only category 32 goes left: beyond a 32-bit mask
  Node n = split(1, 0.0, 1, 2, 0);             // missing goes right
  n.set = 0;
  en.trees = {{{n, leaf({-1.0}), leaf({1.0})}}};
  RowMatrixXd X(7, 2);
  X.col(0).setZero();
  X.col(1) << 32, 31, 33, 40, -1, 32.5, kNaN;
  const Prediction p = en.load().predict(X);
  EXPECT_EQ(p.values.col(0).transpose(), (Eigen::RowVectorXd(7) << -1, 1, 1, 1, 1, -1, 1).finished());
  // 40 is beyond the set, -1 negative, NaN missing: the missing way (right); 32.5 is category 32.
  en.missing = "error";
  en.nullable = false;
  RowMatrixXd Y = X.topRows(4);
  EXPECT_FERRY_ERROR(en.load().predict(Y), ErrorCode::kValue, "row 3, column \"x1\"");
}

// One refusal per rule of §4.17, each naming tree and node where there is one.
TEST(TreeEnsemble, LoadRefusesEveryBrokenRule) {
  auto base = [] {
    Ensemble en;
    en.n_features = 2;
    en.trees = {{{split(0, 0.5, 1, 2), leaf({1.0}), split(1, 1.5, 3, 4), leaf({2.0}), leaf({3.0})}},
                {{split(1, 0.0, 1, 2), leaf({4.0}), leaf({5.0})}}};
    return en;
  };
  EXPECT_NO_THROW(base().load());
  auto expect = [](const Ensemble& en, const char* substring) {
    EXPECT_FERRY_ERROR(en.load(), ErrorCode::kFormat, substring);
  };
  Ensemble en = base();
  en.trees[0].nodes[2].right = 9;
  expect(en, "tree 0, node 2: children (3, 9) must both be -1");
  en = base();
  en.trees[0].nodes[2].left = 1;  // node 1 gets two parents, and points backwards
  expect(en, "tree 0, node 2: children (1, 4)");
  en = base();
  en.trees[0].nodes[2].left = 4;
  expect(en, "tree 0, node 4: node has more than one parent");
  en = base();
  en.trees[0].nodes[0].right = 3;  // node 2 orphaned
  expect(en, "tree 0, node 2: every node but the root must be the child of exactly one node");
  en = base();
  en.trees[1].nodes[0].left = 0;
  expect(en, "tree 1, node 0: children (0, 2)");
  en = base();
  en.trees[0].nodes[1].left = 2;  // a leaf with one child
  expect(en, "tree 0, node 1: children (2, -1)");
  en = base();
  en.trees[1].nodes[0].feature = 2;
  expect(en, "tree 1, node 0: feature 2 is outside [0, 2)");
  en = base();
  en.trees[1].nodes[0].feature = -1;
  expect(en, "tree 1, node 0: feature -1 is outside");
  en = base();
  en.trees[1].nodes[2].feature = 0;
  expect(en, "tree 1, node 2: a leaf must have feature -1");
  en = base();
  en.trees[0].nodes[2].threshold = INFINITY;
  expect(en, "tree 0, node 2: threshold is not finite");
  en = base();
  en.trees[0].nodes[3].value = {kNaN};
  expect(en, "tree 0, node 3: value[0] is not finite");
  en = base();
  en.trees[1].nodes[1].cover = -1.0;
  expect(en, "tree 1, node 1: cover must be finite and >= 0");
  en = base();
  en.trees[1].nodes[1].cover = INFINITY;
  expect(en, "tree 1, node 1: cover must be finite");
  en = base();
  en.trees[1].nodes[1].cover = 2 * en.trees[1].nodes[0].cover + 1;
  expect(en, "tree 1, node 1: cover");
  expect(en, "exceeds its parent's");
  en = base();
  en.missing = "default_left";
  en.trees[0].nodes[2].default_left = 2;
  expect(en, "tree 0, node 2: default_left must be 0 or 1");
  en = base();
  en.trees[1].group = 1;
  expect(en, "tree 1: tree_group 1 is outside [0, 1)");
  en = base();
  en.w = 2;
  expect(en, "leaf_width = 2 does not divide");
  en = base();
  en.edit = [](json& h, auto&) { h["estimator"]["params"]["n_trees"] = 3; };
  expect(en, "tensor \"e.tree_offsets\" (tree_offsets) has shape [3], expected [4]");
  en = base();
  en.edit = [](json&, std::map<std::string, artifact::Tensor>& t) {
    const std::int64_t off[] = {0, 5, 5};
    t["e.tree_offsets"] = artifact::make_int64({3}, off);
  };
  expect(en, "tree 1: tree_offsets must increase strictly");
  en = base();
  en.edit = [](json&, std::map<std::string, artifact::Tensor>& t) {
    const std::int64_t off[] = {1, 5, 8};
    t["e.tree_offsets"] = artifact::make_int64({3}, off);
  };
  expect(en, "tree_offsets[0] must be 0");
  en = base();
  en.edit = [](json& h, auto&) { h["estimator"]["params"]["comparison"] = "lt_float64"; };
  expect(en, "params.comparison \"lt_float64\"");
  en = base();
  en.edit = [](json& h, auto&) {
    h["estimator"]["params"]["accumulate"] = "float32";
    h["estimator"]["params"]["aggregation"] = "mean";
  };
  expect(en, "accumulate float32 needs aggregation sum");
  en = base();
  en.missing = "default_left";
  en.edit = [](json& h, auto&) { h["estimator"]["params"]["missing"] = "error"; };
  expect(en, "\"default_left\" must be present exactly when");
  en = base();
  en.isolation = {{"offset", 0.0}, {"scale", 1.0}};
  expect(en, "params.isolation is only allowed with the isolation link");
  en = base();
  en.link = "ovr";
  expect(en, "cannot use the ovr link");
  en = base();
  en.link = "probability";
  expect(en, "a regressor must use the identity link");
  // Depth: a chain 1025 levels deep.
  en = base();
  Tree chain;
  for (int d = 0; d < 1025; ++d) {
    chain.nodes.push_back(split(0, 0.0, 2 * d + 1, 2 * d + 2));
    chain.nodes.push_back(leaf({0.0}));
  }
  chain.nodes.push_back(leaf({0.0}));
  en.trees = {chain};
  expect(en, "tree 0, node 2049: tree is deeper than 1024");
  chain.nodes.resize(2049);
  chain.nodes.back() = leaf({0.0});
  en.trees = {chain};
  EXPECT_NO_THROW(en.load());  // exactly 1024 levels
  // Category sets.
  en = base();
  en.missing = "default_left";
  en.categorical = true;
  en.sets = {{0x01}};
  en.trees[1].nodes[0].set = 1;
  expect(en, "tree 1, node 0: categorical 1 is neither -1 nor a category set in [0, 1)");
  en.trees[1].nodes[0].set = -1;
  en.trees[1].nodes[1].set = 0;
  expect(en, "tree 1, node 1: a leaf must have categorical -1");
  en.trees[1].nodes[1].set = -1;
  en.edit = [](json&, std::map<std::string, artifact::Tensor>& t) {
    const std::int64_t off[] = {0, 2};
    t["e.category_offsets"] = artifact::make_int64({2}, off);
  };
  expect(en, "category_offsets[1] = 2 is decreasing or outside [0, 1]");
  en.edit = [](json& h, auto&) { h["estimator"]["tensors"].erase("category_bits"); };
  expect(en, "must be present exactly with \"categorical\"");
}

}  // namespace
}  // namespace ferry::detail
