#include "serve/prediction_log.hpp"

#include <chrono>
#include <ctime>

#include <fmt/format.h>

#include "ferry/error.hpp"

namespace ferry::serve {

std::string utc_now_rfc3339() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec, ms);
}

PredictionLog::PredictionLog(const std::string& path) : out_(path, std::ios::app | std::ios::binary), path_(path) {
  if (!out_) throw Error(ErrorCode::kIo, fmt::format("cannot open the prediction log \"{}\" for appending", path));
}

void PredictionLog::write(const std::string& request_id, const std::string& route, const nlohmann::json& model,
                          nlohmann::json inputs, nlohmann::json outputs) {
  nlohmann::json line = {{"time", utc_now_rfc3339()},
                         {"request_id", request_id},
                         {"route", route},
                         {"model", model},
                         {"inputs", std::move(inputs)},
                         {"outputs", std::move(outputs)}};
  // Invalid UTF-8 in a client's strings is replaced rather than failing the request.
  const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::lock_guard<std::mutex> lock(mutex_);
  out_ << text << '\n';
  out_.flush();
}

}  // namespace ferry::serve
