// The one exception type ferry throws, and the codes that classify it.
#ifndef FERRY_ERROR_HPP
#define FERRY_ERROR_HPP

#include <stdexcept>
#include <string>

#include "ferry/detail/config.hpp"

FERRY_BEGIN_NAMESPACE

// Append only: values are stable across releases so hosts may store or switch on them.
enum class ErrorCode : int {
  kIo = 1,            // the file could not be opened or read
  kFormat = 2,        // the bytes do not form a valid artifact (docs/format.md)
  kChecksum = 3,      // a CRC-32 does not match: the file was damaged
  kVersion = 4,       // the artifact's format major version is not one this library reads
  kUnsupported = 5,   // valid artifact, but it uses a step or option this library lacks
  kSchema = 6,        // input columns do not match the model's schema
  kShape = 7,         // input or output dimensions are wrong
  kValue = 8,         // an input value the model cannot take (NaN, infinity, ...)
  kVerification = 9,  // the embedded test rows did not reproduce scikit-learn's outputs
  // 10 and 11 are the C API's own statuses (ferry.h).
  kSignature = 12,  // a required signature is missing, untrusted or does not match the file
};

// Short lowercase name of a code, as used in messages: "format", "checksum", ...
FERRY_API const char* to_string(ErrorCode code) noexcept;

// Every failure a file or the host's data can cause. what() starts with the code's name
// and names the column, step, tensor or byte offset at fault.
class FERRY_API Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message);
  ErrorCode code() const noexcept { return code_; }
  // The message without the "ferry <code> error: " prefix that what() adds.
  const std::string& message() const noexcept { return message_; }

 private:
  ErrorCode code_;
  std::string message_;
};

FERRY_END_NAMESPACE

#endif  // FERRY_ERROR_HPP
