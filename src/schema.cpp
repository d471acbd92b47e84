#include "ferry/schema.hpp"

#include <fmt/format.h>

#include "ferry/error.hpp"

FERRY_BEGIN_NAMESPACE

struct ClassLabels::Storage {
  std::vector<std::int64_t> int64;
  std::vector<double> float64;
  std::vector<std::string> string;
};

namespace {
const char* type_name(LabelType t) {
  switch (t) {
    case LabelType::kInt64: return "int64";
    case LabelType::kFloat64: return "float64";
    case LabelType::kString: return "string";
    case LabelType::kBool: return "bool";
  }
  return "?";
}
}  // namespace

ClassLabels ClassLabels::from_int64(std::vector<std::int64_t> values) {
  ClassLabels c;
  c.type_ = LabelType::kInt64;
  c.storage_ = std::make_shared<const Storage>(Storage{std::move(values), {}, {}});
  return c;
}

ClassLabels ClassLabels::from_float64(std::vector<double> values) {
  ClassLabels c;
  c.type_ = LabelType::kFloat64;
  c.storage_ = std::make_shared<const Storage>(Storage{{}, std::move(values), {}});
  return c;
}

ClassLabels ClassLabels::from_string(std::vector<std::string> values) {
  ClassLabels c;
  c.type_ = LabelType::kString;
  c.storage_ = std::make_shared<const Storage>(Storage{{}, {}, std::move(values)});
  return c;
}

ClassLabels ClassLabels::from_bool(std::vector<bool> values) {
  ClassLabels c = from_int64(std::vector<std::int64_t>(values.begin(), values.end()));
  c.type_ = LabelType::kBool;
  return c;
}

std::size_t ClassLabels::size() const noexcept {
  if (!storage_) return 0;
  switch (type_) {
    case LabelType::kFloat64: return storage_->float64.size();
    case LabelType::kString: return storage_->string.size();
    default: return storage_->int64.size();
  }
}

namespace {
[[noreturn]] void no_labels() {
  throw Error(ErrorCode::kValue, "there are no class labels: the model is a regressor");
}
}  // namespace

const std::vector<std::int64_t>& ClassLabels::int64() const {
  if (!storage_) no_labels();
  if (type_ != LabelType::kInt64 && type_ != LabelType::kBool)
    throw Error(ErrorCode::kValue, fmt::format("class labels are {}, not int64", type_name(type_)));
  return storage_->int64;
}

const std::vector<double>& ClassLabels::float64() const {
  if (!storage_) no_labels();
  if (type_ != LabelType::kFloat64)
    throw Error(ErrorCode::kValue, fmt::format("class labels are {}, not float64", type_name(type_)));
  return storage_->float64;
}

const std::vector<std::string>& ClassLabels::string() const {
  if (!storage_) no_labels();
  if (type_ != LabelType::kString)
    throw Error(ErrorCode::kValue, fmt::format("class labels are {}, not string", type_name(type_)));
  return storage_->string;
}

std::string ClassLabels::to_string(std::size_t i) const {
  if (!storage_) no_labels();
  if (i >= size()) throw Error(ErrorCode::kValue, fmt::format("class index {} is out of range", i));
  switch (type_) {
    case LabelType::kInt64: return std::to_string(storage_->int64[i]);
    case LabelType::kBool: return storage_->int64[i] != 0 ? "True" : "False";
    case LabelType::kString: return storage_->string[i];
    case LabelType::kFloat64: {
      // Shortest round-trip text, spelled as Python's str(float) so labels read the same.
      std::string s = fmt::format("{}", storage_->float64[i]);
      if (s.find_first_of(".en") == std::string::npos) s += ".0";
      return s;
    }
  }
  return {};
}

Index Schema::find_input(const std::string& name) const noexcept {
  for (std::size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].name == name) return static_cast<Index>(i);
  return -1;
}

FERRY_END_NAMESPACE
