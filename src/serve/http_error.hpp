// A request the server refuses: the HTTP status and the message the client gets back.
#ifndef FERRY_SRC_SERVE_HTTP_ERROR_HPP
#define FERRY_SRC_SERVE_HTTP_ERROR_HPP

#include <stdexcept>
#include <string>

namespace ferry::serve {

class HttpError : public std::runtime_error {
 public:
  // `code`: a short machine-readable name ("bad_json", "too_many_rows", ... or a ferry
  // ErrorCode's name) that clients can switch on.
  HttpError(int status, std::string code, const std::string& message)
      : std::runtime_error(message), status_(status), code_(std::move(code)) {}
  int status() const noexcept { return status_; }
  const std::string& code() const noexcept { return code_; }

 private:
  int status_;
  std::string code_;
};

}  // namespace ferry::serve

#endif  // FERRY_SRC_SERVE_HTTP_ERROR_HPP
