// Who made a model, when, and from what: the artifact's metadata section.
#ifndef FERRY_METADATA_HPP
#define FERRY_METADATA_HPP

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "ferry/detail/config.hpp"

FERRY_BEGIN_NAMESPACE

struct Metadata {
  std::string name;
  std::string version;      // chosen by the model's author
  std::string description;
  std::string created;      // RFC 3339 UTC, e.g. "2026-01-01T00:00:00Z"; empty if unknown
  // Versions of the tools that wrote the file: "ferry", "python", "sklearn", "numpy", ...
  std::map<std::string, std::string> producer;
  std::optional<std::int64_t> training_rows;  // rows the model was fitted on, when known
  std::int64_t sample_rows = 0;               // rows of the sample given to the exporter
  std::string sample_sha256;                  // fingerprint of that sample; empty if none
  int format_major = 0;                       // format version of the file it came from
  int format_minor = 0;
  // SHA-256 of the artifact's bytes as loaded, lowercase hex (64 characters): which exact file
  // this is, whatever name and version its author gave it. Computed at load, not stored.
  std::string content_id;
};

FERRY_END_NAMESPACE

#endif  // FERRY_METADATA_HPP
