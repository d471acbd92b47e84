// Gives an artifact's header its meaning (docs/format.md §3-4): metadata, schema, steps,
// estimator, verification rows. Every cross-reference is checked here, once, so the
// prediction path can trust the state it runs on.
#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "artifact/json_fields.hpp"
#include "artifact/tensor_data.hpp"
#include "ferry/error.hpp"
#include "ferry/version.hpp"
#include "engine.hpp"
#include "pipeline/step_inputs.hpp"
#include "pipeline/step_sequence.hpp"
#include "pipeline/text_vocabulary.hpp"
#include "spec_limits.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

using artifact::Fields;
using nlohmann::json;

[[noreturn]] void invalid(const std::string& message) { throw Error(ErrorCode::kFormat, message); }
using spec::kMaxBackgroundRows;

Metadata parse_metadata(const Fields& f, const artifact::Artifact& a) {
  Metadata m;
  m.name = f.string("name");
  m.version = f.string("version");
  m.description = f.string_or("description", "");
  m.created = f.string_or("created", "");
  if (f.has("producer")) {
    const Fields producer = f.object("producer");
    for (const auto& [tool, version] : f.any("producer").items()) {
      if (!version.is_string()) invalid(fmt::format("header: {}.{} must be a string", producer.path(), tool));
      m.producer.emplace(tool, version.get<std::string>());
    }
  }
  if (f.has("training")) {
    const Fields t = f.object("training");
    if (t.has("n_rows")) m.training_rows = t.int64("n_rows");
    if (t.has("sample_rows")) m.sample_rows = t.int64("sample_rows");
    m.sample_sha256 = t.string_or("sample_sha256", "");
  }
  m.format_major = a.major;
  m.format_minor = a.minor;
  return m;
}

ClassLabels parse_classes(const Fields& f) {
  const std::string dtype = f.string("dtype");
  const json& values = f.array("values");
  auto each = [&](auto check, const char* what) {
    for (std::size_t i = 0; i < values.size(); ++i)
      if (!check(values[i])) invalid(fmt::format("header: {}.values[{}] must be {}", f.path(), i, what));
  };
  ClassLabels labels;
  if (dtype == "int64") {
    each([](const json& v) { return v.is_number_integer() && !(v.is_number_unsigned() && v.get<std::uint64_t>() > INT64_MAX); },
         "an integer");
    labels = ClassLabels::from_int64(values.get<std::vector<std::int64_t>>());
  } else if (dtype == "float64") {
    each([](const json& v) { return v.is_number(); }, "a number");
    labels = ClassLabels::from_float64(values.get<std::vector<double>>());
  } else if (dtype == "str") {
    each([](const json& v) { return v.is_string(); }, "a string");
    labels = ClassLabels::from_string(values.get<std::vector<std::string>>());
  } else if (dtype == "bool") {
    each([](const json& v) { return v.is_boolean(); }, "true or false");
    labels = ClassLabels::from_bool(values.get<std::vector<bool>>());
  } else {
    invalid(fmt::format("header: {}.dtype \"{}\" is not int64, float64, str or bool", f.path(), dtype));
  }
  const std::set<json> distinct(values.begin(), values.end());
  if (distinct.size() != values.size()) invalid(fmt::format("header: {}.values has duplicate labels", f.path()));
  return labels;
}

Schema parse_schema(const Fields& f) {
  Schema s;
  const json& inputs = f.array("inputs");
  if (inputs.empty()) invalid("header: schema.inputs is empty");
  std::set<std::string> names;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Fields c(inputs[i], fmt::format("{}[{}]", f.child("inputs"), i));
    InputColumn col;
    col.name = c.string("name");
    if (col.name.empty()) invalid(fmt::format("header: {}.name is empty", c.path()));
    if (!names.insert(col.name).second) invalid(fmt::format("header: input column \"{}\" appears twice", col.name));
    const std::string kind = c.string("kind");
    if (kind == "categorical") {
      col.kind = ColumnKind::kCategorical;
      const json& categories = c.array("categories");
      for (std::size_t k = 0; k < categories.size(); ++k) {
        if (!categories[k].is_string()) invalid(fmt::format("header: {}.categories[{}] must be a string", c.path(), k));
        col.categories.push_back(categories[k].get<std::string>());
        if (k > 0 && !(col.categories[k - 1] < col.categories[k]))
          invalid(fmt::format("header: {}.categories must be distinct and sorted", c.path()));
      }
    } else if (kind == "text") {
      col.kind = ColumnKind::kText;
    } else if (kind != "numeric") {
      throw Error(ErrorCode::kUnsupported, fmt::format("{}: input kind \"{}\" is not supported", c.path(), kind));
    }
    col.nullable = c.boolean("nullable");
    // A NaN in a nullable column passes the input check; if no step replaces it, the check
    // after the preprocessing (Engine::check_transformed) refuses the row.
    if (c.has("range") && col.kind == ColumnKind::kNumeric) {
      const json& r = c.array("range");
      if (r.size() != 2 || !r[0].is_number() || !r[1].is_number() || r[0].get<double>() > r[1].get<double>())
        invalid(fmt::format("header: {}.range must be [min, max]", c.path()));
      col.min = r[0].get<double>();
      col.max = r[1].get<double>();
    }
    s.inputs.push_back(std::move(col));
  }
  const std::string task = f.string("task");
  if (task == "regression")
    s.task = Task::kRegression;
  else if (task == "classification")
    s.task = Task::kClassification;
  else
    invalid(fmt::format("header: schema.task \"{}\" is not regression or classification", task));
  const std::int64_t n_outputs = f.int64("n_outputs");
  if (n_outputs < 1 || n_outputs > spec::kMaxWidth) invalid("header: schema.n_outputs is out of range");
  s.n_outputs = static_cast<Index>(n_outputs);
  if (s.task == Task::kClassification) {
    s.classes = parse_classes(f.object("classes"));
    if (static_cast<Index>(s.classes.size()) != s.n_outputs || s.n_outputs < 2)
      invalid("header: schema.classes must list n_outputs (at least 2) labels");
  }
  else if (f.has("classes"))
    invalid("header: schema.classes must be null for a regression task");
  s.target = f.string_or("target", "");
  return s;
}

// The estimator's link must produce what the task promises.
void check_estimator_matches_schema(const Estimator& e, const Schema& s, const StepInputs& in) {
  const Link link = e.link();
  if (s.task == Task::kRegression) {
    // logistic regressors exist only among tree ensembles (docs/format.md §4.17) and multilabel
    // MLPs (§4.41, one logistic output per label), exp ones also among linear models (§4.2).
    const bool multilabel = in.type() == "mlp" && link == Link::kLogistic;
    if (link != Link::kIdentity && link != Link::kExp && !multilabel &&
        (in.type() != "tree_ensemble" || link != Link::kLogistic))
      in.invalid(
          "a regressor must use the identity link (a linear model also exp, a tree_ensemble also exp or logistic, "
          "an mlp also logistic)");
    if (e.n_scores() != s.n_outputs) in.invalid("number of scores does not match schema.n_outputs");
    if (link != Link::kIdentity && !multilabel && e.n_scores() != 1)
      in.invalid("the exp and logistic links take one score");
  } else {
    if (link == Link::kIdentity || link == Link::kExp) in.invalid("a classifier cannot use the identity link or the exp link");
    if (in.type() == "mlp" && (link == Link::kLogistic) != (e.n_scores() == 1))
      in.invalid("an mlp classifier has one logistic score (two classes) or softmax scores (one per class)");
    if (n_probabilities(link, e.n_scores()) != s.n_outputs)
      in.invalid("number of scores does not match the number of classes");
    if (link == Link::kIsolation &&
        (s.classes.type() != LabelType::kInt64 || s.classes.int64() != std::vector<std::int64_t>{-1, 1}))
      in.invalid("the isolation link needs schema.classes int64 [-1, 1]");
  }
}

const artifact::Tensor& verification_tensor(const artifact::Artifact& a, const std::string& name,
                                            artifact::DType dtype, std::vector<std::int64_t> shape,
                                            std::set<std::string>& used) {
  auto it = a.tensors.find(name);
  if (it == a.tensors.end()) invalid(fmt::format("verification refers to missing tensor \"{}\"", name));
  if (it->second.dtype != dtype || it->second.shape != shape)
    invalid(fmt::format("verification tensor \"{}\" is {} of rank {}, expected {} of shape [{}]", name,
                        artifact::dtype_name(it->second.dtype), it->second.shape.size(), artifact::dtype_name(dtype),
                        fmt::join(shape, ", ")));
  used.insert(name);
  return it->second;
}

RowMatrixXd float64_matrix(const artifact::Tensor& t, Index rows, Index cols) {
  RowMatrixXd m(rows, cols);
  artifact::copy_float64(t, m.data());
  return m;
}

Verification parse_verification(const Fields& f, const artifact::Artifact& a, const Engine& model,
                                std::set<std::string>& used) {
  Verification v;
  const std::int64_t rows = f.int64("rows");
  if (rows < 1 || rows > spec::kMaxVerificationRows) invalid("header: verification.rows is out of range");
  const auto n_in = static_cast<std::int64_t>(model.schema.inputs.size());
  v.input = float64_matrix(verification_tensor(a, f.string("input"), artifact::DType::kFloat64, {rows, n_in}, used),
                           rows, n_in);
  // Free-text inputs: the rows' texts, which the input holds as row indices (§3.4).
  v.text.inputs.resize(static_cast<std::size_t>(n_in));
  const json* texts = f.has("texts") ? &f.any("texts") : nullptr;
  if (texts != nullptr && !texts->is_object()) invalid("header: verification.texts must be an object");
  for (std::int64_t j = 0; j < n_in; ++j) {
    const InputColumn& c = model.schema.inputs[static_cast<std::size_t>(j)];
    if (c.kind != ColumnKind::kText) continue;
    const auto it = texts != nullptr ? texts->find(c.name) : json::const_iterator();
    if (texts == nullptr || it == texts->end() || !it->is_array() || static_cast<std::int64_t>(it->size()) != rows)
      invalid(fmt::format("header: verification.texts.{} must hold the {} rows' texts of input \"{}\"", c.name, rows,
                          c.name));
    auto& out = v.text.inputs[static_cast<std::size_t>(j)];
    for (std::int64_t r = 0; r < rows; ++r) {
      const json& t = (*it)[static_cast<std::size_t>(r)];
      const bool missing = t.is_null() && c.nullable;  // a nullable input's missing text
      if (!t.is_string() && !missing)
        invalid(fmt::format("header: verification.texts.{}[{}] must be a string{}", c.name, r,
                            c.nullable ? " or null" : ""));
      if (missing ? !std::isnan(v.input(r, j)) : v.input(r, j) != static_cast<double>(r))
        invalid(fmt::format("header: verification input column {} (\"{}\") must hold each row's index into "
                            "verification.texts (NaN where it is null)",
                            j, c.name));
      out.push_back(missing ? std::string() : t.get<std::string>());
    }
  }
  if (texts != nullptr)
    for (const auto& [name, value] : texts->items()) {
      const Index j = model.schema.find_input(name);
      if (j < 0 || model.schema.inputs[static_cast<std::size_t>(j)].kind != ColumnKind::kText)
        invalid(fmt::format("header: verification.texts.{}: no input of kind \"text\" has this name", name));
    }
  v.rtol = f.number("rtol");
  v.atol = f.number("atol");
  if (!(v.rtol >= 0) || !(v.atol >= 0)) invalid("header: verification tolerances must be non-negative");
  const Fields outputs = f.object("outputs");
  const bool classifier = model.schema.task == Task::kClassification;
  const Index k = model.estimator->n_scores();
  for (const auto& [output, ref] : f.any("outputs").items()) {
    if (!ref.is_string()) invalid(fmt::format("header: {}.{} must be a tensor name", outputs.path(), output));
    const std::string name = ref.get<std::string>();
    if (output == "predict" && classifier) {
      const auto& t = verification_tensor(a, name, artifact::DType::kInt64, {rows}, used);
      std::vector<std::int64_t> classes(static_cast<std::size_t>(rows));
      artifact::copy_int64(t, classes.data());
      for (std::int64_t c : classes)
        if (c < 0 || c >= model.schema.n_outputs) invalid(fmt::format("verification class index {} is out of range", c));
      v.predict_classes = std::move(classes);
    } else if (output == "predict") {
      v.predict_values = float64_matrix(
          verification_tensor(a, name, artifact::DType::kFloat64, {rows, model.schema.n_outputs}, used), rows,
          model.schema.n_outputs);
    } else if (output == "predict_proba" && classifier) {
      if (!model.capabilities.probabilities)
        invalid(fmt::format("header: {}.predict_proba: this model has no predict_proba", outputs.path()));
      v.predict_proba = float64_matrix(
          verification_tensor(a, name, artifact::DType::kFloat64, {rows, model.schema.n_outputs}, used), rows,
          model.schema.n_outputs);
    } else if (output == "decision_function" && classifier) {
      if (!model.capabilities.decision_function)
        invalid(fmt::format("header: {}.decision_function: this model has no decision_function", outputs.path()));
      v.decision_function =
          float64_matrix(verification_tensor(a, name, artifact::DType::kFloat64, {rows, k}, used), rows, k);
    } else if (output == "predict_proba" || output == "decision_function") {
      invalid(fmt::format("header: {}.{} is not an output of a regressor", outputs.path(), output));
    } else if (a.tensors.count(name) != 0) {
      used.insert(name);  // an output this reader does not know (docs/format.md §5): ignored
    } else {
      invalid(fmt::format("verification output \"{}\" refers to missing tensor \"{}\"", output, name));
    }
  }
  if (!v.predict_classes && !v.predict_values) invalid("header: verification.outputs has no \"predict\"");
  if (classifier && !v.predict_proba && model.capabilities.probabilities)
    invalid("header: verification.outputs has no \"predict_proba\"");
  return v;
}

// The optional `explain` section (docs/format.md §3.5): what explanations need beyond the
// steps, in the estimator's input space.
// The background rows (§3.5) in raw input space; a categorical input's category index is its
// code in the input's vocabulary (codes 0 .. n_seen-1 are the categories in order).
Background parse_background(const Fields& f, const artifact::Artifact& a, const Schema& schema,
                            std::set<std::string>& used) {
  if (f.has("background") != f.has("background_weights"))
    invalid("explain: background and background_weights come together");
  const auto m = static_cast<std::int64_t>(schema.inputs.size());
  for (const InputColumn& c : schema.inputs)
    if (c.kind == ColumnKind::kText)
      invalid(fmt::format("explain.background: background rows cannot hold free text (input \"{}\" is of kind "
                          "\"text\")",
                          c.name));
  const std::string name = f.string("background"), weights_name = f.string("background_weights");
  const auto it = a.tensors.find(name), wit = a.tensors.find(weights_name);
  if (it == a.tensors.end() || wit == a.tensors.end())
    invalid(fmt::format("explain.background refers to missing tensor \"{}\"", it == a.tensors.end() ? name : weights_name));
  const std::vector<std::int64_t>& shape = it->second.shape;
  if (it->second.dtype != artifact::DType::kFloat64 || shape.size() != 2 || shape[0] < 1 ||
      shape[0] > kMaxBackgroundRows || shape[1] != m)
    invalid(fmt::format("explain.background tensor \"{}\" must be float64 of shape [B, {}] with 1 <= B <= {}", name,
                        m, kMaxBackgroundRows));
  const std::int64_t rows = shape[0];
  if (wit->second.dtype != artifact::DType::kFloat64 || wit->second.shape != std::vector<std::int64_t>{rows})
    invalid(fmt::format("explain.background_weights tensor \"{}\" must be float64 of shape [{}]", weights_name, rows));
  used.insert(name);
  used.insert(weights_name);
  Background b;
  b.raw.resize(rows, m);
  b.weights.resize(rows);
  artifact::copy_float64(it->second, b.raw.data());
  artifact::copy_float64(wit->second, b.weights.data());
  for (Index r = 0; r < rows; ++r)
    for (Index j = 0; j < m; ++j) {
      const InputColumn& c = schema.inputs[static_cast<std::size_t>(j)];
      const double v = b.raw(r, j);
      const bool ok = std::isnan(v) ? c.nullable
                      : c.kind == ColumnKind::kCategorical
                          ? v >= 0 && v < static_cast<double>(c.categories.size()) && std::floor(v) == v
                          : std::isfinite(v);
      if (!ok)
        invalid(fmt::format("explain.background row {} holds {} for input \"{}\", which it cannot take", r, v, c.name));
    }
  double sum = 0.0;
  for (Index r = 0; r < rows; ++r) {
    if (!(std::isfinite(b.weights[r]) && b.weights[r] > 0.0))
      invalid(fmt::format("explain.background_weights[{}] = {} is not a finite weight > 0", r, b.weights[r]));
    sum += b.weights[r];
  }
  if (std::abs(sum - 1.0) > spec::kBackgroundWeightsTolerance) invalid(fmt::format("explain.background_weights sum to {}, not 1", sum));
  // Exactly normalised, so that the expected score is a weighted mean to the last bit.
  b.weights /= sum;
  return b;
}

void parse_explain(const Fields& f, const artifact::Artifact& a, Estimator& estimator, Index width,
                   std::set<std::string>& used) {
  if (!f.has("background_mean")) return;
  const std::string name = f.string("background_mean");
  auto it = a.tensors.find(name);
  if (it == a.tensors.end()) invalid(fmt::format("explain.background_mean refers to missing tensor \"{}\"", name));
  const std::vector<std::int64_t> shape{static_cast<std::int64_t>(width)};
  if (it->second.dtype != artifact::DType::kFloat64 || it->second.shape != shape)
    invalid(fmt::format("explain.background_mean tensor \"{}\" is {} of rank {}, expected float64 of shape [{}] (the "
                        "estimator's n_features_in)",
                        name, artifact::dtype_name(it->second.dtype), it->second.shape.size(), width));
  used.insert(name);
  Eigen::RowVectorXd mean(width);
  artifact::copy_float64(it->second, mean.data());
  for (Index j = 0; j < width; ++j)
    if (!std::isfinite(mean[j]))
      invalid(fmt::format("explain.background_mean tensor \"{}\" holds a non-finite value at index {}", name, j));
  estimator.set_background_mean(mean);
}

}  // namespace

std::shared_ptr<const Engine> load_engine(const artifact::Artifact& a, const LoadOptions& options,
                                          std::string content_id) {
  if (a.minor > FERRY_FORMAT_MINOR && options.log)
    options.log(LogLevel::kWarning, fmt::format("artifact format {}.{} is newer than {}.{}: fields added since "
                                                "are ignored",
                                                a.major, a.minor, FERRY_FORMAT_MAJOR, FERRY_FORMAT_MINOR));
  const Fields header(a.header, "");
  auto model = std::make_shared<Engine>();
  model->metadata = parse_metadata(header.object("metadata"), a);
  model->metadata.content_id = std::move(content_id);
  model->schema = parse_schema(header.object("schema"));
  for (const InputColumn& c : model->schema.inputs) model->any_nullable = model->any_nullable || c.nullable;

  std::set<std::string> used;
  Columns columns;
  for (const InputColumn& c : model->schema.inputs) {
    columns.names.push_back(c.name);
    const auto input = static_cast<Index>(model->vocabularies.size());
    model->vocabularies.push_back(
        c.kind == ColumnKind::kCategorical ? std::make_unique<TextVocabulary>(c.categories)
        : c.kind == ColumnKind::kText      ? std::make_unique<TextVocabulary>(TextVocabulary::free_text(input))
                                           : nullptr);
    columns.text.push_back(model->vocabularies.back().get());
    model->text_inputs.push_back(model->vocabularies.back().get());
    model->any_text = model->any_text || c.kind != ColumnKind::kNumeric;
    model->any_free_text = model->any_free_text || c.kind == ColumnKind::kText;
  }
  model->steps = build_steps(header.array("pipeline"), "pipeline", a, used, columns);
  model->transformed_names = columns.names;
  const auto width = static_cast<Index>(columns.names.size());
  const StepInputs in(header.any("estimator"), "estimator", a, used, columns);
  if (in.n_features_in() != width)
    in.invalid(fmt::format("n_features_in is {} but its input has {} columns", in.n_features_in(), width));
  model->estimator = make_estimator(in);
  model->estimator_type = in.type();
  in.check_text_handled();
  check_estimator_matches_schema(*model->estimator, model->schema, in);

  if (header.has("explain")) {
    const Fields explain = header.object("explain");
    parse_explain(explain, a, *model->estimator, width, used);
    if (explain.has("background") || explain.has("background_weights")) {
      Background b = parse_background(explain, a, model->schema, used);
      // A row the model refuses leaves explanations without a background, and predictions
      // unaffected: the rows are valid data, only not for this pipeline.
      try {
        b.transformed = model->run_pipeline(b.raw);
        model->scores(b.transformed);
        model->background = std::move(b);
      } catch (const Error& e) {
        if (e.code() != ErrorCode::kValue) throw;
        model->background_problem = "its background holds a row the model refuses (" + e.message() + ")";
        if (options.log) options.log(LogLevel::kWarning, "explain: " + model->background_problem);
      }
    }
  }
  // Declared once the estimator has all it is given (the background mean above).
  model->capabilities = model->estimator->capabilities();
  if (header.has("baseline"))
    model->baseline = parse_baseline(header.object("baseline"), model->schema, model->capabilities.probabilities,
                                     model->capabilities.decision_function, model->estimator->n_scores());
  if (header.has("verification"))
    model->verification = parse_verification(header.object("verification"), a, *model, used);
  // A newer minor may add sections that hold tensors this reader does not know.
  if (a.minor <= FERRY_FORMAT_MINOR)
    for (const auto& [name, tensor] : a.tensors)
      if (used.count(name) == 0) invalid(fmt::format("tensor \"{}\" is not referenced by any step", name));
  return model;
}

}  // namespace detail
FERRY_END_NAMESPACE
