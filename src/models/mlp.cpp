// MLPClassifier and MLPRegressor (docs/format.md §4.41): scikit-learn 1.2's _forward_pass_fast,
// a @ W + b per layer with the hidden activation after every layer but the last. The last
// layer's pre-activations are the scores; the output activation is the link (identity, logistic
// or softmax). Rows go through the layers a block at a time, so the activations of a block stay
// in cache.
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "models/dense_layer.hpp"
#include "models/registry.hpp"
#include "pipeline/step_inputs.hpp"
#include "spec_limits.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

enum class Activation { kIdentity, kLogistic, kTanh, kRelu };

struct Layer {
  RowMatrixXd weights;  // inputs x outputs, scikit-learn's coefs_[i]
  Eigen::VectorXd bias;  // intercepts_[i]
};

// In place, as scikit-learn's ACTIVATIONS: expit, np.tanh, np.maximum(a, 0) (NaN stays NaN).
void activate(Activation a, double* v, Index n) {
  switch (a) {
    case Activation::kIdentity:
      break;
    case Activation::kLogistic:
      for (Index j = 0; j < n; ++j) v[j] = 1.0 / (1.0 + std::exp(-v[j]));
      break;
    case Activation::kTanh:
      for (Index j = 0; j < n; ++j) v[j] = std::tanh(v[j]);
      break;
    case Activation::kRelu:
      for (Index j = 0; j < n; ++j) v[j] = v[j] < 0.0 ? 0.0 : v[j];
      break;
  }
}

class Mlp final : public Estimator {
 public:
  Mlp(Link link, Activation activation, std::vector<Layer> layers)
      : Estimator(link), activation_(activation), layers_(std::move(layers)) {
    for (const Layer& l : layers_) widest_ = std::max(widest_, l.weights.cols());
  }

  Capabilities capabilities() const noexcept override {
    Capabilities c = Estimator::capabilities();
    c.decision_function = false;  // neither MLPClassifier nor MLPRegressor has one
    return c;
  }

  void decision(const RowMatrixXd& X, RowMatrixXd& scores) const override {
    scores.resize(X.rows(), n_scores());
    forward(X, 0, X.rows(), scores);
  }
  void decision_threaded(const RowMatrixXd& X, RowMatrixXd& scores, Parallel parallel) const override {
    scores.resize(X.rows(), n_scores());
    run_row_ranges(X.rows(), parallel, [&](Index begin, Index end) { forward(X, begin, end, scores); }, kBlock);
  }
  Index n_scores() const noexcept override { return layers_.back().weights.cols(); }

 private:
  // 256 rows of the widest layer in two buffers: activations that stay in the L2 cache.
  static constexpr Index kBlock = 256;

  // Rows [begin, end) of X into the same rows of scores. dense_layer sums every output over
  // its inputs in their order whatever the rows around it, so a row alone, in a block or on
  // another thread gets the same bits.
  void forward(const RowMatrixXd& X, Index begin, Index end, RowMatrixXd& scores) const {
    const std::size_t n_layers = layers_.size();
    const Index block = std::min(kBlock, end - begin);
    thread_local std::vector<double> buffers;
    buffers.resize(static_cast<std::size_t>(2 * block * widest_));
    double* a = buffers.data();
    double* b = a + block * widest_;
    for (Index r0 = begin; r0 < end; r0 += kBlock) {
      const Index rows = std::min(kBlock, end - r0);
      const double* in = X.row(r0).data();
      Index ld_in = X.cols();
      for (std::size_t l = 0; l < n_layers; ++l) {
        const Layer& layer = layers_[l];
        const Index n_in = layer.weights.rows(), n_out = layer.weights.cols();
        const bool last = l + 1 == n_layers;
        double* out = last ? scores.row(r0).data() : b;
        const Index ld_out = last ? scores.cols() : n_out;
        const bool relu = !last && activation_ == Activation::kRelu;
        dense_layer(in, ld_in, rows, layer.weights.data(), n_in, n_out, layer.bias.data(), relu, out, ld_out);
        if (last) break;
        if (!relu) activate(activation_, out, rows * n_out);
        in = out;
        ld_in = n_out;
        std::swap(a, b);
      }
    }
  }

  Activation activation_;
  std::vector<Layer> layers_;
  Index widest_ = 0;
};

Activation parse_activation(const StepInputs& in) {
  const std::string a = in.params().string("activation");
  if (a == "identity") return Activation::kIdentity;
  if (a == "logistic") return Activation::kLogistic;
  if (a == "tanh") return Activation::kTanh;
  if (a == "relu") return Activation::kRelu;
  in.invalid(fmt::format("params.activation \"{}\" is not identity, logistic, tanh or relu", a));
}

}  // namespace

std::unique_ptr<Estimator> make_mlp(const StepInputs& in) {
  const Activation activation = parse_activation(in);
  const Link link = parse_link(in.params().string("link"), in.where());
  if (link != Link::kIdentity && link != Link::kLogistic && link != Link::kSoftmax)
    in.invalid("params.link must be identity, logistic or softmax");
  const nlohmann::json& hidden = in.params().array("hidden_sizes");
  std::vector<Index> widths{in.n_features_in()};
  for (std::size_t j = 0; j < hidden.size(); ++j) {
    const nlohmann::json& w = hidden[j];
    if (!w.is_number_integer() || w.get<std::int64_t>() < 1 || w.get<std::int64_t>() > spec::kMaxWidth)
      in.invalid(fmt::format("params.hidden_sizes[{}] must be an integer in [1, {}]", j, spec::kMaxWidth));
    widths.push_back(static_cast<Index>(w.get<std::int64_t>()));
  }
  widths.push_back(in.n_features_out());
  // Each product of two widths is below 2^48; the totals are checked against the tensors'
  // lengths layer by layer, so a sum that would overflow is refused first.
  const auto& weight_shape = in.tensor_shape("weights");
  const auto& bias_shape = in.tensor_shape("biases");
  if (weight_shape.size() != 1 || bias_shape.size() != 1)
    in.invalid("tensors weights and biases must be one-dimensional");
  Index n_weights = 0, n_biases = 0;
  for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
    n_weights += widths[l] * widths[l + 1];
    n_biases += widths[l + 1];
    if (n_weights > weight_shape[0] || n_biases > bias_shape[0]) break;
  }
  const Eigen::VectorXd weights = in.vector("weights", n_weights);
  const Eigen::VectorXd biases = in.vector("biases", n_biases);
  if (!weights.allFinite()) in.invalid("tensor weights has a value that is not finite");
  if (!biases.allFinite()) in.invalid("tensor biases has a value that is not finite");
  std::vector<Layer> layers;
  Index w0 = 0, b0 = 0;
  for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
    const Index rows = widths[l], cols = widths[l + 1];
    layers.push_back({Eigen::Map<const RowMatrixXd>(weights.data() + w0, rows, cols), biases.segment(b0, cols)});
    w0 += rows * cols;
    b0 += cols;
  }
  return std::make_unique<Mlp>(link, activation, std::move(layers));
}

}  // namespace detail
FERRY_END_NAMESPACE
