#include "serve/server.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <nlohmann/json.hpp>

#include "ferry/error.hpp"
#include "ferry/model_registry.hpp"
#include "ferry/model_slot.hpp"
#include "ferry/monitor.hpp"
#include "ferry/shadow.hpp"
#include "serve/http_error.hpp"
#include "serve/metrics.hpp"
#include "serve/prediction_log.hpp"
#include "serve/request_rows.hpp"
#include "serve/response_json.hpp"
#include "serve/status_page.hpp"

// After Eigen (through the ferry headers): httplib brings <resolv.h>, whose `_res` macro would
// rewrite a parameter name in Eigen's headers.
#include <httplib.h>

namespace ferry::serve {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kPredict = "/v1/predict";
constexpr const char* kExplain = "/v1/explain";

std::string dump(const json& body) { return body.dump(-1, ' ', false, json::error_handler_t::replace); }

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(dump(body), "application/json");
}

int status_of(ErrorCode code) {
  switch (code) {
    case ErrorCode::kSchema:
    case ErrorCode::kShape:
    case ErrorCode::kValue:
    case ErrorCode::kUnsupported: return 422;
    case ErrorCode::kFormat: return 400;
    default: return 500;
  }
}

// The route a path counts under in /metrics: known routes by name, anything else as "other",
// so that a scan of random paths cannot grow the label set without bound.
std::string route_of(const std::string& path) {
  static const char* const known[] = {"/", "/health", "/metrics", "/v1/model", kPredict, kExplain,
                                      "/v1/admin/reload", "/v1/admin/rollback"};
  for (const char* k : known)
    if (path == k) return k;
  return "other";
}

bool is_loopback(const std::string& address) {
  return address == "127.0.0.1" || address == "::1" || address == "::ffff:127.0.0.1" ||
         address.rfind("127.", 0) == 0;
}

// Comparison time independent of where the strings first differ (their length may show).
bool same_secret(const std::string& given, const std::string& expected) {
  if (given.size() != expected.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < given.size(); ++i) diff |= static_cast<unsigned char>(given[i] ^ expected[i]);
  return diff == 0;
}

class Service {
 public:
  Service(const ServeOptions& options, std::ostream& err)
      : options_(options), err_(err), source_is_directory_(std::filesystem::is_directory(options.source)),
        slot_(load_initial()) {
    if (!options.shadow.empty()) {
      shadow_.emplace(Model::load(options.shadow, options.load));
    }
    if (!options.log_path.empty()) log_ = std::make_unique<PredictionLog>(options.log_path);
    std::random_device seed;
    request_prefix_ = fmt::format("{:08x}", seed());
  }

  void install(httplib::Server& server) {
    server.Get("/", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(status_page(status_view()), "text/html; charset=utf-8");
    });
    server.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200, {{"status", "ok"}, {"model", model_identity(slot_.current().metadata())}});
    });
    server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      std::optional<Agreement> shadow;
      if (shadow_) shadow = shadow_->agreement();
      res.set_content(metrics_.prometheus(slot_.current().metadata(), slot_.generation(), shadow, drift_report()),
                      "text/plain; version=0.0.4; charset=utf-8");
    });
    server.Get("/v1/model", [this](const httplib::Request&, httplib::Response& res) {
      json body = model_json(slot_.current());
      body["generation"] = slot_.generation();
      body["rollback_depth"] = slot_.history_size();
      if (shadow_) body["shadow"] = model_identity(shadow_->candidate().metadata());
      send_json(res, 200, body);
    });
    server.Post(kPredict, [this](const httplib::Request& req, httplib::Response& res) { score(req, res, false); });
    server.Post(kExplain, [this](const httplib::Request& req, httplib::Response& res) { score(req, res, true); });
    server.Post("/v1/admin/reload", [this](const httplib::Request& req, httplib::Response& res) {
      admin(req, res, [&] { return reload(req); });
    });
    server.Post("/v1/admin/rollback", [this](const httplib::Request& req, httplib::Response& res) {
      admin(req, res, [&] { return rollback(); });
    });
    // httplib's own refusals (unknown route, body over the limit) get a JSON body too.
    server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      std::string message = fmt::format("{} {}: HTTP {}", req.method, req.path, res.status);
      if (res.status == 413) message = "the request body is larger than this server takes (--max-body-bytes)";
      if (res.status == 404) message = fmt::format("no route {} {}", req.method, req.path);
      send_json(res, res.status, {{"error", {{"status", res.status}, {"code", "http"}, {"message", message}}}});
    });
    server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      send_json(res, 500, {{"error", {{"status", 500}, {"code", "internal"}, {"message", "internal error"}}}});
    });
    server.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      metrics_.count_request(route_of(req.path), res.status);
    });
  }

 private:
  Model load_initial() {
    std::string path = options_.source;
    if (source_is_directory_) {
      const ModelRegistry registry = ModelRegistry::scan(options_.source, options_.load);
      for (const std::string& skipped : registry.skipped()) fmt::print(err_, "note: left out {}\n", skipped);
      path = registry.latest().path;
    }
    Model model = Model::load(path, options_.load);
    try {
      model.verify();
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kUnsupported) throw;
      fmt::print(err_, "note: {} has no embedded test rows; it was not verified\n", path);
    }
    return model;
  }

  std::string request_id(const httplib::Request& req) {
    const std::string given = req.get_header_value("X-Request-Id");
    bool usable = !given.empty() && given.size() <= 128;
    for (char c : given) usable = usable && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
    if (usable) return given;
    return fmt::format("{}-{}", request_prefix_, next_request_.fetch_add(1) + 1);
  }

  static json error_body(int status, const std::string& code, const std::string& message, const std::string& id) {
    json body = {{"error", {{"status", status}, {"code", code}, {"message", message}}}};
    if (!id.empty()) body["request_id"] = id;
    return body;
  }

  void score(const httplib::Request& req, httplib::Response& res, bool explain) {
    const Clock::time_point start = Clock::now();
    const std::string route = explain ? kExplain : kPredict;
    const std::string id = request_id(req);
    res.set_header("X-Request-Id", id);
    try {
      const Table table = rows_from_body(req.get_header_value("Content-Type"), req.body, options_.max_rows);
      // One snapshot for the whole request: a swap meanwhile does not change what answers it.
      const Model model = slot_.current();
      json body;
      if (explain) {
        const Explanation e = model.explain(table);
        body = {{"model", model_identity(model.metadata())},
                {"request_id", id},
                {"method", to_string(e.method)},
                {"explanations", explanations_json(e)}};
        if (log_) log_->write(id, route, body["model"], table_rows_json(table), body["explanations"]);
        metrics_.count_rows(route, static_cast<std::uint64_t>(e.rows()));
      } else {
        const Prediction p = model.predict(table);
        body = {{"model", model_identity(p)}, {"request_id", id}, {"predictions", predictions_json(p)}};
        if (!p.warnings.empty()) body["warnings"] = warnings_json(p);
        if (shadow_) shadow_->observe(table, p);
        observe_drift(model, table, p);
        if (log_) log_->write(id, route, body["model"], table_rows_json(table), body["predictions"]);
        metrics_.count_rows(route, static_cast<std::uint64_t>(p.rows()));
      }
      send_json(res, 200, body);
    } catch (const HttpError& e) {
      send_json(res, e.status(), error_body(e.status(), e.code(), e.what(), id));
    } catch (const Error& e) {
      const int status = status_of(e.code());
      send_json(res, status, error_body(status, to_string(e.code()), e.message(), id));
    } catch (const std::bad_alloc&) {
      send_json(res, 503, error_body(503, "out_of_memory", "the request needs more memory than is free", id));
    } catch (const std::exception& e) {
      send_json(res, 500, error_body(500, "internal", e.what(), id));
    }
    metrics_.observe_latency(route, Clock::now() - start);
  }

  // Admin routes: a token when one was given on the command line, else loopback clients only.
  template <typename Action>
  void admin(const httplib::Request& req, httplib::Response& res, Action action) {
    if (!options_.admin_token.empty()) {
      const std::string expected = "Bearer " + options_.admin_token;
      if (!same_secret(req.get_header_value("Authorization"), expected)) {
        send_json(res, 401, error_body(401, "unauthorized", "admin routes need \"Authorization: Bearer <token>\"", ""));
        res.set_header("WWW-Authenticate", "Bearer");
        return;
      }
    } else if (!is_loopback(req.remote_addr)) {
      send_json(res, 403, error_body(403, "forbidden", "admin routes answer loopback clients only (or start the "
                                                       "server with --admin-token)", ""));
      return;
    }
    std::lock_guard<std::mutex> one_at_a_time(admin_mutex_);
    try {
      send_json(res, 200, action());
    } catch (const HttpError& e) {
      send_json(res, e.status(), error_body(e.status(), e.code(), e.what(), ""));
    } catch (const Error& e) {
      // The serving model is unchanged: the refusal is a conflict with the candidate, not a
      // fault of the server.
      send_json(res, 409, error_body(409, to_string(e.code()), e.message(), ""));
    }
  }

  json reload(const httplib::Request& req) {
    json request = json::object();
    if (!req.body.empty()) {
      try {
        request = json::parse(req.body);
      } catch (const json::exception& e) {
        throw HttpError(400, "bad_json", fmt::format("the body is not valid JSON: {}", e.what()));
      }
      if (!request.is_object()) throw HttpError(400, "bad_request", "the body must be a JSON object");
    }
    SwapOptions swap;
    swap.load = options_.load;
    if (request.contains("allow_schema_change")) {
      if (!request["allow_schema_change"].is_boolean())
        throw HttpError(400, "bad_request", "\"allow_schema_change\" must be true or false");
      swap.allow_schema_change = request["allow_schema_change"].get<bool>();
    }
    std::string path = options_.source;
    if (request.contains("version")) {
      if (!source_is_directory_)
        throw HttpError(400, "bad_request", "\"version\" needs a registry: this server serves one file");
      if (!request["version"].is_string()) throw HttpError(400, "bad_request", "\"version\" must be a string");
    }
    const Model previous = slot_.current();
    try {
      if (source_is_directory_) {
        const ModelRegistry registry = ModelRegistry::scan(options_.source, options_.load);
        const RegistryEntry& entry =
            request.contains("version") ? registry.find(request["version"].get<std::string>()) : registry.latest();
        if (entry.content_id == previous.metadata().content_id)
          return {{"changed", false}, {"model", model_identity(previous.metadata())}, {"generation", slot_.generation()}};
        path = entry.path;
      }
      const Model now = slot_.swap(path, swap);
      metrics_.count_swap(true);
      fmt::print(err_, "swapped {} {} for {} {} ({})\n", previous.metadata().name, previous.metadata().version,
                 now.metadata().name, now.metadata().version, now.metadata().content_id);
      return {{"changed", true},
              {"model", model_identity(now.metadata())},
              {"previous", model_identity(previous.metadata())},
              {"generation", slot_.generation()}};
    } catch (const Error& e) {
      metrics_.count_swap(false);
      fmt::print(err_, "reload refused: {}\n", e.message());
      throw;
    }
  }

  json rollback() {
    const Model previous = slot_.current();
    try {
      const Model now = slot_.rollback();
      metrics_.count_rollback(true);
      fmt::print(err_, "rolled back from {} {} to {} {}\n", previous.metadata().name, previous.metadata().version,
                 now.metadata().name, now.metadata().version);
      return {{"changed", true},
              {"model", model_identity(now.metadata())},
              {"previous", model_identity(previous.metadata())},
              {"generation", slot_.generation()}};
    } catch (const Error&) {
      metrics_.count_rollback(false);
      throw;
    }
  }

  // The Monitor of the model serving now, made at its first scored batch, so that a swap or a
  // rollback starts the figures afresh; none when the model carries no baselines.
  std::shared_ptr<Monitor> drift_monitor(const Model& model) {
    std::lock_guard<std::mutex> lock(drift_mutex_);
    if (drift_content_id_ != model.metadata().content_id) {
      drift_content_id_ = model.metadata().content_id;
      drift_.reset();
      MonitorOptions options;
      options.window = options_.drift_window;
      try {
        drift_ = std::make_shared<Monitor>(model, options);
      } catch (const Error& e) {
        if (e.code() != ErrorCode::kUnsupported) throw;
      }
    }
    return drift_;
  }

  void observe_drift(const Model& model, const Table& table, const Prediction& p) {
    // The answer is already made: a drift failure is reported, never turned into a failed request.
    try {
      if (const std::shared_ptr<Monitor> monitor = drift_monitor(model)) monitor->observe(table, p);
    } catch (const std::exception& e) {
      fmt::print(err_, "drift monitor: {}\n", e.what());
    }
  }

  std::optional<DriftReport> drift_report() const {
    std::shared_ptr<Monitor> monitor;
    {
      std::lock_guard<std::mutex> lock(drift_mutex_);
      if (drift_content_id_ != slot_.current().metadata().content_id) return std::nullopt;
      monitor = drift_;
    }
    if (!monitor) return std::nullopt;
    return monitor->report();
  }

  StatusView status_view() const {
    StatusView v;
    v.model = slot_.current().metadata();
    v.source = options_.source;
    v.generation = slot_.generation();
    v.rollback_depth = slot_.history_size();
    v.uptime_seconds = metrics_.uptime_seconds();
    v.requests = metrics_.requests_total();
    v.rows_predicted = metrics_.rows_total(kPredict);
    v.rows_explained = metrics_.rows_total(kExplain);
    v.predict_p50 = metrics_.latency_quantile(kPredict, 0.5);
    v.predict_p99 = metrics_.latency_quantile(kPredict, 0.99);
    if (shadow_) {
      v.shadow = shadow_->agreement();
      v.shadow_model = shadow_->candidate().metadata().name + " " + shadow_->candidate().metadata().version;
    }
    v.drift = drift_report();
    return v;
  }

  const ServeOptions options_;
  std::ostream& err_;
  const bool source_is_directory_;
  ModelSlot slot_;
  std::optional<ShadowModel> shadow_;
  std::unique_ptr<PredictionLog> log_;
  Metrics metrics_;
  std::mutex admin_mutex_;
  std::string request_prefix_;
  std::atomic<std::uint64_t> next_request_{0};
  mutable std::mutex drift_mutex_;
  std::string drift_content_id_;
  std::shared_ptr<Monitor> drift_;
};

}  // namespace

void run(const ServeOptions& options, std::ostream& out, std::ostream& err) {
  if (options.threads < 1) throw Error(ErrorCode::kValue, "--threads must be at least 1");
  Service service(options, err);

  // SIGINT and SIGTERM are taken by one thread that stops the server, rather than by a handler
  // that could interrupt a worker anywhere. Blocked before any thread starts, so all inherit it.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  httplib::Server server;
  const auto threads = static_cast<std::size_t>(options.threads);
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_payload_max_length(options.max_body_bytes);
  server.set_keep_alive_max_count(10000);
  // Answers are small and written in more than one piece: without TCP_NODELAY, Nagle's algorithm
  // holds the last piece until the client's delayed ACK (~40 ms on Linux) on a kept-alive connection.
  server.set_tcp_nodelay(true);
  service.install(server);

  int port = options.port;
  if (port == 0) {
    port = server.bind_to_any_port(options.host);
    if (port < 0) throw Error(ErrorCode::kIo, fmt::format("cannot listen on {}", options.host));
  } else if (!server.bind_to_port(options.host, port)) {
    throw Error(ErrorCode::kIo, fmt::format("cannot listen on {}:{}", options.host, port));
  }

  std::atomic<bool> stopping{false};
  std::thread stopper([&] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
    if (!stopping.exchange(true)) fmt::print(err, "stopping (signal {})\n", signal);
    server.stop();
  });
  const std::string shown_host = options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host;
  fmt::print(out, "listening on http://{}:{}\n", shown_host, port);
  out.flush();
  const bool listened = server.listen_after_bind();
  const bool stopped_by_signal = stopping.exchange(true);
  if (!stopped_by_signal) kill(getpid(), SIGTERM);  // wakes the stopper when listening failed
  const bool served = listened || stopped_by_signal;
  stopper.join();
  if (!served) throw Error(ErrorCode::kIo, fmt::format("listening on {}:{} failed", options.host, port));
}

}  // namespace ferry::serve
