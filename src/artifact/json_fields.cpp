#include "artifact/json_fields.hpp"

#include <fmt/format.h>

#include "ferry/error.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail::artifact {

Fields::Fields(const nlohmann::json& object, std::string path) : object_(object), path_(std::move(path)) {
  if (!object_.is_object()) throw Error(ErrorCode::kFormat, fmt::format("header: {} must be an object", path_));
}

bool Fields::has(const char* key) const {
  auto it = object_.find(key);
  return it != object_.end() && !it->is_null();
}

void Fields::wrong_type(const char* key, const char* expected) const {
  throw Error(ErrorCode::kFormat, fmt::format("header: {} must be {}", child(key), expected));
}

const nlohmann::json& Fields::any(const char* key) const {
  auto it = object_.find(key);
  if (it == object_.end()) throw Error(ErrorCode::kFormat, fmt::format("header: {} is missing", child(key)));
  return *it;
}

std::string Fields::string(const char* key) const {
  const auto& v = any(key);
  if (!v.is_string()) wrong_type(key, "a string");
  return v.get<std::string>();
}

bool Fields::boolean(const char* key) const {
  const auto& v = any(key);
  if (!v.is_boolean()) wrong_type(key, "true or false");
  return v.get<bool>();
}

std::int64_t Fields::int64(const char* key) const {
  const auto& v = any(key);
  if (v.is_number_integer() && (v.is_number_unsigned() ? v.get<std::uint64_t>() <= INT64_MAX : true))
    return v.get<std::int64_t>();
  wrong_type(key, "a 64-bit integer");
}

std::uint64_t Fields::uint64(const char* key) const {
  const auto& v = any(key);
  if (v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0))
    return v.get<std::uint64_t>();
  wrong_type(key, "a non-negative integer");
}

double Fields::number(const char* key) const {
  const auto& v = any(key);
  if (!v.is_number()) wrong_type(key, "a number");
  return v.get<double>();
}

const nlohmann::json& Fields::array(const char* key) const {
  const auto& v = any(key);
  if (!v.is_array()) wrong_type(key, "an array");
  return v;
}

Fields Fields::object(const char* key) const { return Fields(any(key), child(key)); }

std::string Fields::string_or(const char* key, const std::string& fallback) const {
  return has(key) ? string(key) : fallback;
}

bool Fields::boolean_or(const char* key, bool fallback) const { return has(key) ? boolean(key) : fallback; }

}  // namespace detail::artifact
FERRY_END_NAMESPACE
