#include "ferry/error.hpp"

FERRY_BEGIN_NAMESPACE

const char* to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kIo: return "io";
    case ErrorCode::kFormat: return "format";
    case ErrorCode::kChecksum: return "checksum";
    case ErrorCode::kVersion: return "version";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kSchema: return "schema";
    case ErrorCode::kShape: return "shape";
    case ErrorCode::kValue: return "value";
    case ErrorCode::kVerification: return "verification";
    case ErrorCode::kSignature: return "signature";
  }
  return "unknown";
}

Error::Error(ErrorCode code, const std::string& message)
    : std::runtime_error(std::string("ferry ") + to_string(code) + " error: " + message),
      code_(code),
      message_(message) {}

FERRY_END_NAMESPACE
