// Typed, checked access to one JSON object of an artifact header. Every failure is a
// ferry::Error(kFormat) that names the field by its path, e.g. "schema.inputs[3].name".
#ifndef FERRY_SRC_ARTIFACT_JSON_FIELDS_HPP
#define FERRY_SRC_ARTIFACT_JSON_FIELDS_HPP

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "ferry/detail/config.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail::artifact {

class Fields {
 public:
  // Throws unless `object` is a JSON object.
  Fields(const nlohmann::json& object, std::string path);

  const std::string& path() const noexcept { return path_; }
  bool has(const char* key) const;

  const nlohmann::json& any(const char* key) const;  // present, any type
  std::string string(const char* key) const;
  bool boolean(const char* key) const;
  std::int64_t int64(const char* key) const;
  std::uint64_t uint64(const char* key) const;  // non-negative integer
  double number(const char* key) const;         // integer or float
  const nlohmann::json& array(const char* key) const;
  Fields object(const char* key) const;

  // Optional variants: the fallback when the key is absent or null.
  std::string string_or(const char* key, const std::string& fallback) const;
  bool boolean_or(const char* key, bool fallback) const;

  std::string child(const char* key) const { return path_.empty() ? key : path_ + "." + key; }

 private:
  [[noreturn]] void wrong_type(const char* key, const char* expected) const;
  const nlohmann::json& object_;
  std::string path_;
};

}  // namespace detail::artifact
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_ARTIFACT_JSON_FIELDS_HPP
