#include "pipeline/step_inputs.hpp"

#include <cmath>
#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "artifact/tensor_data.hpp"
#include "ferry/error.hpp"
#include "pipeline/text_vocabulary.hpp"
#include "spec_limits.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

// Widths are bounded so later products of widths and row counts stay far from overflow.
using spec::kMaxWidth;

Index checked_width(const artifact::Fields& f, const char* key) {
  const std::int64_t n = f.int64(key);
  if (n < 0 || n > kMaxWidth)
    throw Error(ErrorCode::kFormat, fmt::format("header: {} = {} is out of range [0, {}]", f.child(key), n, kMaxWidth));
  return static_cast<Index>(n);
}

}  // namespace

StepInputs::StepInputs(const nlohmann::json& entry, std::string location, const artifact::Artifact& artifact,
                       std::set<std::string>& used, Columns in)
    : entry_(entry),
      artifact_(artifact),
      used_(used),
      path_(std::move(location)),
      params_(artifact::Fields(entry, path_).object("params")),
      in_(std::move(in)) {
  const std::string& path = path_;
  const artifact::Fields f(entry, path);  // cheap: a reference and the path
  type_ = f.string("type");
  const std::string name = f.string_or("name", "");
  where_ = name.empty() ? fmt::format("{} ({})", path, type_) : fmt::format("{} ({}, {})", path, type_, name);
  n_in_ = checked_width(f, "n_features_in");
  n_out_ = checked_width(f, "n_features_out");
  const artifact::Fields refs = f.object("tensors");
  for (const auto& [role, value] : entry.at("tensors").items()) {
    if (!value.is_string())
      throw Error(ErrorCode::kFormat, fmt::format("header: {}.{} must be a tensor name", refs.path(), role));
    const std::string tensor_name = value.get<std::string>();
    if (artifact_.tensors.count(tensor_name) == 0)
      throw Error(ErrorCode::kFormat, fmt::format("{}: tensor role \"{}\" refers to missing tensor \"{}\"", where_, role, tensor_name));
    used.insert(tensor_name);
    tensor_names_.emplace(role, tensor_name);
  }
}

std::vector<std::string> StepInputs::names_in() const {
  if (static_cast<Index>(in_.names.size()) == n_in_) return in_.names;
  std::vector<std::string> names;
  for (Index j = 0; j < n_in_; ++j) names.push_back(fmt::format("column {}", j));
  return names;
}

bool StepInputs::carries_text(Index j) const {
  if (j < 0 || j >= static_cast<Index>(in_.text.size())) return false;
  if (asked_.empty()) asked_.assign(in_.text.size(), false);
  asked_[static_cast<std::size_t>(j)] = true;
  return in_.text[static_cast<std::size_t>(j)] != nullptr;
}

bool StepInputs::is_free_text(Index j) const {
  return carries_text(j) && in_.text[static_cast<std::size_t>(j)]->free_text_input() >= 0;
}

bool StepInputs::is_text(Index j) const {
  if (!carries_text(j)) return false;
  if (in_.text[static_cast<std::size_t>(j)]->free_text_input() >= 0)
    invalid(fmt::format("input column \"{}\" holds free text (schema kind \"text\"), which only a text vectorizer or hasher "
                        "takes",
                        j < static_cast<Index>(in_.names.size()) ? in_.names[static_cast<std::size_t>(j)]
                                                                 : fmt::format("column {}", j)));
  return true;
}

double StepInputs::text_code(Index j, const std::string& value) const {
  if (!is_text(j)) invalid(fmt::format("input column {} is numeric, not text", j));
  return in_.text[static_cast<std::size_t>(j)]->add(value);
}

void StepInputs::check_text_handled() const {
  for (std::size_t j = 0; j < in_.text.size(); ++j)
    if (in_.text[j] != nullptr && (asked_.empty() || !asked_[j]))
      invalid(fmt::format("input column \"{}\" holds text, which this step cannot take",
                          j < in_.names.size() ? in_.names[j] : fmt::format("column {}", j)));
}

bool StepInputs::has_tensor(const char* role) const { return tensor_names_.count(role) != 0; }

const std::vector<std::int64_t>& StepInputs::tensor_shape(const char* role) const {
  auto ref = tensor_names_.find(role);
  if (ref == tensor_names_.end()) invalid(fmt::format("tensor role \"{}\" is missing", role));
  return artifact_.tensors.at(ref->second).shape;
}

void StepInputs::invalid(const std::string& what) const {
  throw Error(ErrorCode::kFormat, fmt::format("{}: {}", where_, what));
}

const artifact::Tensor& StepInputs::tensor(const char* role, artifact::DType dtype,
                                           std::initializer_list<Index> shape) const {
  auto ref = tensor_names_.find(role);
  if (ref == tensor_names_.end()) invalid(fmt::format("tensor role \"{}\" is missing", role));
  const artifact::Tensor& t = artifact_.tensors.at(ref->second);  // checked at construction
  if (t.dtype != dtype)
    invalid(fmt::format("tensor \"{}\" ({}) has dtype {}, expected {}", ref->second, role,
                        artifact::dtype_name(t.dtype), artifact::dtype_name(dtype)));
  const std::vector<std::int64_t> expected(shape.begin(), shape.end());
  if (t.shape != expected)
    invalid(fmt::format("tensor \"{}\" ({}) has shape [{}], expected [{}]", ref->second, role,
                        fmt::join(t.shape, ", "), fmt::join(expected, ", ")));
  const std::uint64_t nbytes = t.bytes.size();
  if (nbytes > artifact_.max_copied_bytes - artifact_.copied_bytes)
    invalid(fmt::format("the tensors the steps refer to (\"{}\" last, counted once per reference) take more than "
                        "the limit of {} bytes in total",
                        ref->second, artifact_.max_copied_bytes));
  artifact_.copied_bytes += nbytes;
  return t;
}

// Shapes are checked against the stored tensor before allocating, so a header cannot make
// the loader allocate more than the file really holds.
Eigen::VectorXd StepInputs::vector(const char* role, Index n) const {
  const artifact::Tensor& t = tensor(role, artifact::DType::kFloat64, {n});
  Eigen::VectorXd v(n);
  artifact::copy_float64(t, v.data());
  for (Index i = 0; i < n; ++i)
    if (!std::isfinite(v[i])) invalid(fmt::format("tensor role \"{}\" has a non-finite value at [{}]", role, i));
  return v;
}

RowMatrixXd StepInputs::matrix(const char* role, Index rows, Index cols) const {
  const artifact::Tensor& t = tensor(role, artifact::DType::kFloat64, {rows, cols});
  RowMatrixXd m(rows, cols);
  artifact::copy_float64(t, m.data());
  for (Index i = 0; i < m.size(); ++i)
    if (!std::isfinite(m.data()[i]))
      invalid(fmt::format("tensor role \"{}\" has a non-finite value at [{}, {}]", role, i / cols, i % cols));
  return m;
}

std::vector<double> StepInputs::float64_values(const char* role, std::initializer_list<Index> shape) const {
  const artifact::Tensor& t = tensor(role, artifact::DType::kFloat64, shape);
  std::vector<double> v(static_cast<std::size_t>(t.count()));
  artifact::copy_float64(t, v.data());
  return v;
}

std::vector<std::uint8_t> StepInputs::uint8_vector(const char* role, Index n) const {
  return tensor(role, artifact::DType::kUInt8, {n}).bytes;
}

std::vector<std::int32_t> StepInputs::int32_values(const char* role, std::initializer_list<Index> shape) const {
  const artifact::Tensor& t = tensor(role, artifact::DType::kInt32, shape);
  std::vector<std::int32_t> v(static_cast<std::size_t>(t.count()));
  for (std::size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<std::int32_t>(artifact::load_le_bits<std::uint32_t>(t.bytes.data() + 4 * i));
  return v;
}

std::vector<std::int64_t> StepInputs::int64_matrix(const char* role, Index rows, Index cols) const {
  const artifact::Tensor& t = tensor(role, artifact::DType::kInt64, {rows, cols});
  std::vector<std::int64_t> m(static_cast<std::size_t>(rows * cols));
  artifact::copy_int64(t, m.data());
  return m;
}

std::vector<std::int64_t> StepInputs::int64_vector(const char* role, Index n) const {
  const artifact::Tensor& t = tensor(role, artifact::DType::kInt64, {n});
  std::vector<std::int64_t> v(static_cast<std::size_t>(n));
  artifact::copy_int64(t, v.data());
  return v;
}

std::vector<Index> StepInputs::column_indices(const char* role, Index k, Index n) const {
  const std::vector<std::int64_t> raw = int64_vector(role, k);
  std::vector<Index> idx;
  idx.reserve(raw.size());
  for (std::size_t t = 0; t < raw.size(); ++t) {
    if (raw[t] < 0 || raw[t] >= n)
      invalid(fmt::format("tensor role \"{}\" has {} at [{}], outside [0, {})", role, raw[t], t, n));
    if (t > 0 && raw[t] <= raw[t - 1])
      invalid(fmt::format("tensor role \"{}\" is not strictly increasing at [{}]", role, t));
    idx.push_back(static_cast<Index>(raw[t]));
  }
  return idx;
}

}  // namespace detail
FERRY_END_NAMESPACE
