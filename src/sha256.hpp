// SHA-256 (FIPS 180-4) of a byte buffer: the content id of a loaded artifact. Written here
// rather than taken from OpenSSL, nettle or libsodium so that the runtime library keeps zlib as
// its only link dependency (libsodium is optional in this project); checked against the FIPS
// 180-2 test vectors and Python's hashlib in tests/sha256_test.cpp.
#ifndef FERRY_SRC_SHA256_HPP
#define FERRY_SRC_SHA256_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "ferry/detail/config.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

class Sha256 {
 public:
  Sha256() noexcept;
  void update(const void* data, std::size_t size) noexcept;
  // The digest; the object must not be updated afterwards.
  std::array<std::uint8_t, 32> finish() noexcept;

 private:
  void compress(const std::uint8_t* block) noexcept;
  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
};

// Lowercase hex of the SHA-256 of `size` bytes (64 characters).
std::string sha256_hex(const void* data, std::size_t size);

}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_SHA256_HPP
