// ferry::Model: a loaded, immutable pipeline that preprocesses and predicts.
#ifndef FERRY_MODEL_HPP
#define FERRY_MODEL_HPP

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ferry/detail/config.hpp"
#include "ferry/explanation.hpp"
#include "ferry/input.hpp"
#include "ferry/matrix.hpp"
#include "ferry/metadata.hpp"
#include "ferry/options.hpp"
#include "ferry/prediction.hpp"
#include "ferry/schema.hpp"
#include "ferry/table.hpp"
#include "ferry/validation.hpp"

FERRY_BEGIN_NAMESPACE

class Model;
namespace detail {
class Engine;  // the loaded pipeline and estimator (src/engine.hpp)
const Engine& engine_of(const Model& model) noexcept;
}  // namespace detail

enum class LogLevel { kDebug, kInfo, kWarning };

struct LoadOptions {
  // Re-run the test rows embedded by the exporter and throw Error(kVerification) when any
  // output differs from scikit-learn's beyond the tolerance stored with them.
  bool verify = false;
  // Resource limits against hostile files: each is checked before the bytes are inflated or
  // copied (docs/security.md).
  std::size_t max_header_bytes = std::size_t{16} << 20;
  std::uint64_t max_tensor_bytes = std::uint64_t{1} << 30;  // one tensor, as decoded
  std::uint64_t max_total_bytes = std::uint64_t{4} << 30;   // all tensors together, as decoded
  // Ed25519 public keys, 64 hexadecimal digits each (`ferry keygen` writes them). When any is
  // given, the file must be signed by one of them (`ferry sign`) and the signature is checked
  // over the whole file before anything in it is parsed: Error(kSignature) otherwise, and
  // Error(kUnsupported) from a ferry built without libsodium. docs/security.md.
  std::vector<std::string> trusted_keys;
  // Where the library reports things worth knowing (e.g. a newer format minor). By default
  // it prints nothing.
  std::function<void(LogLevel, const std::string&)> log;
};

// Always a valid loaded model: there is no default constructor. Copies share one immutable
// state, so copying is cheap and every const method may be called from many threads at once.
//
// Every entry point takes an Input: a dense double or float matrix (columns in
// schema().inputs order, all-numeric models only; float is widened exactly to double and the
// pipeline computes in double, as scikit-learn does by default), a Table of named columns or a
// Row. Named input is bound by name; fatal problems throw the Error that ValidationReport lists
// for them (kSchema: missing column, numbers for a text input, an extra column when strict;
// kValue: text that is not a number, a missing value the pipeline cannot take, an infinity, a
// value a step refuses), naming the column and the row. Dense input throws kShape for a wrong
// column count, kValue for NaN or infinity where not allowed, kSchema when the model has a
// text input.
class FERRY_API Model {
 public:
  // Throws Error: kIo, kFormat, kChecksum, kVersion, kUnsupported, kVerification.
  static Model load(const std::string& path, const LoadOptions& options = {});
  // For artifacts embedded in the host binary; the bytes are not referenced after return.
  static Model from_bytes(const void* data, std::size_t size, const LoadOptions& options = {});

  // Copies share the loaded state. There is deliberately no move: a moved-from Model would be
  // empty, and a Model is always valid; "moving" one copies a pointer.
  Model(const Model&) = default;
  Model& operator=(const Model&) = default;
  ~Model() = default;

  const Schema& schema() const noexcept;
  const Metadata& metadata() const noexcept;

  // Labels (classifiers) or values (regressors), with probabilities and raw scores. Named
  // input's counted problems (extra columns, values outside the training range, unseen
  // categories) go to Prediction::warnings.
  Prediction predict(const Input& input, const PredictOptions& options = {}) const;
  // The preprocessed matrix the estimator receives, as scikit-learn's pipeline[:-1].transform(X);
  // rows x transformed_feature_names().size().
  RowMatrixXd transform(const Input& input, const PredictOptions& options = {}) const;
  // Names of transform()'s columns, as scikit-learn's get_feature_names_out().
  const std::vector<std::string>& transformed_feature_names() const noexcept;
  // scikit-learn's predict_proba: rows x classes. Throws Error(kUnsupported) for regressors and
  // models without one (IsolationForest).
  RowMatrixXd predict_proba(const Input& input, const PredictOptions& options = {}) const;
  // scikit-learn's decision_function as rows x k (k = 1 for a binary classifier, where
  // scikit-learn returns a vector). Throws Error(kUnsupported) for regressors and models
  // without one (forests, whose scores are probabilities).
  RowMatrixXd decision_function(const Input& input, const PredictOptions& options = {}) const;
  // One output alone, as the C API's ferry_compute: what compute() writes per row.
  enum class Output {
    kPredict,           // regressor: one value per target; classifier: the class index (see classes)
    kPredictProba,      // one probability per class
    kDecisionFunction,  // the raw scores, as decision_function
  };
  // Values per row of `output`; 0 when the model has no such output (a regressor's
  // probabilities or decision function, a forest's decision function), as scikit-learn has none.
  Index output_width(Output output) const noexcept;
  // Computes `output` alone into the caller's rows x output_width(output) matrix (an
  // Eigen::Map over the caller's buffer does), so a caller that wants labels pays for no
  // probabilities and no Prediction. A dense batch into a tree ensemble without preprocessing
  // steps is read where it lies: float32 rows are compared as they are, without a widened
  // copy. Throws as predict, Error(kUnsupported) where output_width is 0, and Error(kShape)
  // when `out` is not rows x output_width(output); after a throw `out` may hold part of the
  // answer.
  void compute(Output output, const Input& input, Eigen::Ref<RowMatrixXd> out,
               const PredictOptions& options = {}) const;
  // Every problem predict would refuse or count, without throwing for them (named input; a
  // dense batch reports its first problem as the one issue).
  ValidationReport validate(const Input& input, const PredictOptions& options = {}) const;

  // SHAP values of the raw scores, per raw input column (see Explanation). Throws as predict,
  // and Error(kUnsupported) when no method applies (see ExplainOptions::Method).
  Explanation explain(const Input& input, const ExplainOptions& options = {}) const;
  // SHAP interaction values of the raw scores, per pair of raw input columns (see
  // InteractionExplanation), for tree ensembles by path-dependent TreeSHAP (as XGBoost's
  // pred_interactions); per row and tree it costs 2d runs of the TreeSHAP recursion, d the
  // tree's distinct split features. `method` must be kAuto, kExact or kPathDependent. Throws as
  // predict, and Error(kUnsupported) for other estimators (linear models, IsolationForest),
  // other methods, or when a preprocessing step mixes raw columns.
  InteractionExplanation explain_interactions(const Input& input, const ExplainOptions& options = {}) const;

  // Re-runs the embedded test rows (see LoadOptions::verify) and returns how many passed.
  // Throws Error(kVerification) naming the row, output and difference; Error(kUnsupported)
  // when the artifact has no test rows.
  std::size_t verify() const;

 private:
  friend const detail::Engine& detail::engine_of(const Model& model) noexcept;
  explicit Model(std::shared_ptr<const detail::Engine> engine) noexcept;
  std::shared_ptr<const detail::Engine> engine_;
};

FERRY_END_NAMESPACE

#endif  // FERRY_MODEL_HPP
