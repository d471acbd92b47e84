// libFuzzer target for the body of a `ferry serve` scoring request: JSON (or CSV, by the first
// byte) -> serve::rows_from_body -> Table -> predict, and the drift Monitor's count of the
// batch, as the server does for POST /v1/predict. A refusal must be an HttpError (400, 413) or a
// ferry::Error (422); anything else (a crash, a sanitizer report, another exception) is a bug.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ferry/error.hpp"
#include "ferry/model.hpp"
#include "ferry/monitor.hpp"
#include "serve/http_error.hpp"
#include "serve/request_rows.hpp"

namespace {

struct Served {
  ferry::Model model;
  std::vector<std::unique_ptr<ferry::Monitor>> monitor;  // empty when the model has no baselines
};

std::vector<Served>& served() {
  static std::vector<Served> loaded = [] {
    std::vector<Served> s;
    for (const char* path : {"artifacts/iris/model.ferry", "artifacts/churn/model.ferry",
                             "tests/data/drift_churn/model.ferry"}) {
      Served one{ferry::Model::load(std::string(FERRY_SOURCE_DIR) + "/" + path), {}};
      try {
        one.monitor.push_back(std::make_unique<ferry::Monitor>(one.model));
      } catch (const ferry::Error&) {
      }
      s.push_back(std::move(one));
    }
    return s;
  }();
  return loaded;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The first byte picks the model (low bits) and the content type (high bit: CSV).
  if (size == 0) return 0;
  Served& s = served()[data[0] % served().size()];
  const std::string content_type = (data[0] & 0x80) != 0 ? "text/csv" : "application/json";
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    const ferry::Table table = ferry::serve::rows_from_body(content_type, body, 64);  // bounded work
    const ferry::Prediction p = s.model.predict(table);
    for (const auto& m : s.monitor) m->observe(table, p);
  } catch (const ferry::serve::HttpError& e) {
    if (e.status() != 400 && e.status() != 413) __builtin_trap();
  } catch (const ferry::Error&) {
  }
  return 0;
}
