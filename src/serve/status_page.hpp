// GET /: a small self-contained HTML page on the server's state (no script, nothing fetched).
#ifndef FERRY_SRC_SERVE_STATUS_PAGE_HPP
#define FERRY_SRC_SERVE_STATUS_PAGE_HPP

#include <cstdint>
#include <optional>
#include <string>

#include "ferry/metadata.hpp"
#include "ferry/monitor.hpp"
#include "ferry/shadow.hpp"

namespace ferry::serve {

struct StatusView {
  Metadata model;
  std::string source;            // the file or registry directory served
  std::uint64_t generation = 0;  // swaps and rollbacks so far
  std::size_t rollback_depth = 0;
  double uptime_seconds = 0.0;
  std::uint64_t requests = 0;
  std::uint64_t rows_predicted = 0;
  std::uint64_t rows_explained = 0;
  std::optional<double> predict_p50, predict_p99;  // seconds, bucket upper bounds
  std::optional<Agreement> shadow;
  std::string shadow_model;      // "name version" of the candidate
  std::optional<DriftReport> drift;  // when the serving model carries baselines
};

std::string status_page(const StatusView& view);

// Text made safe inside HTML elements and attribute values.
std::string html_escape(const std::string& text);

}  // namespace ferry::serve

#endif  // FERRY_SRC_SERVE_STATUS_PAGE_HPP
