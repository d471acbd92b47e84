// The optional prediction log: one JSON line per answered scoring request, so that a stored
// answer can be traced to the exact model that gave it.
#ifndef FERRY_SRC_SERVE_PREDICTION_LOG_HPP
#define FERRY_SRC_SERVE_PREDICTION_LOG_HPP

#include <fstream>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

namespace ferry::serve {

class PredictionLog {
 public:
  // Appends to `path`; Error(kIo) when it cannot be opened.
  explicit PredictionLog(const std::string& path);
  // {"time", "request_id", "route", "model": {name, version, content_id}, "inputs", "outputs"},
  // written whole and flushed under one lock, so lines of concurrent requests never interleave.
  void write(const std::string& request_id, const std::string& route, const nlohmann::json& model,
             nlohmann::json inputs, nlohmann::json outputs);

 private:
  std::mutex mutex_;
  std::ofstream out_;
  std::string path_;
};

// Now as RFC 3339 UTC with milliseconds, e.g. "2026-01-01T12:00:00.123Z".
std::string utc_now_rfc3339();

}  // namespace ferry::serve

#endif  // FERRY_SRC_SERVE_PREDICTION_LOG_HPP
