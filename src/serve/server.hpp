// `ferry serve`: a model (or a registry directory of versioned models) behind HTTP, with hot
// swap, rollback, shadow mode, metrics and a prediction log. docs/serve.md is its manual.
// Built into the CLI only, never into the runtime library.
#ifndef FERRY_SRC_SERVE_SERVER_HPP
#define FERRY_SRC_SERVE_SERVER_HPP

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>

#include "ferry/model.hpp"

namespace ferry::serve {

using ferry::LoadOptions;

struct ServeOptions {
  std::string source;             // a .ferry file, or a directory served as a ModelRegistry
  std::string host = "127.0.0.1";
  int port = 8080;                // 0: any free port (the one taken is printed)
  int threads = 4;                // worker threads; each open connection holds one
  std::string shadow;             // a candidate .ferry run in shadow mode, or empty
  std::string log_path;           // the prediction log (JSON lines), or empty
  std::string admin_token;        // empty: admin routes answer loopback clients only
  std::size_t max_body_bytes = std::size_t{1} << 20;
  std::size_t max_rows = 10000;
  LoadOptions load;               // every model loaded: trusted keys, limits
  std::int64_t drift_window = 10000;  // rows the drift figures cover; 0: all since the model began serving
};

// Loads the model, listens, prints "listening on http://HOST:PORT" to `out` and serves until
// SIGINT or SIGTERM. Throws ferry::Error when the model cannot be loaded or the port bound.
void run(const ServeOptions& options, std::ostream& out, std::ostream& err);

}  // namespace ferry::serve

#endif  // FERRY_SRC_SERVE_SERVER_HPP
