// The content id's hash against the FIPS 180-2 test vectors (appendix B of the standard).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sha256.hpp"

namespace ferry::detail {
namespace {

TEST(Sha256, Fips180TestVectors) {
  // FIPS 180-2 B.1, B.2 and B.3, and the empty message.
  EXPECT_EQ(sha256_hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  EXPECT_EQ(sha256_hex(two_blocks.data(), two_blocks.size()),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const std::string million(1000000, 'a');
  EXPECT_EQ(sha256_hex(million.data(), million.size()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(sha256_hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, PaddingAtEveryLengthAroundABlockMatchesOneShotAndPieces) {
  // Lengths 55, 56 and 64 put the length field in this block, the next, or a block of its own.
  std::string data;
  for (int i = 0; i < 200; ++i) data.push_back(static_cast<char>('a' + i % 26));
  for (std::size_t n : {0u, 1u, 55u, 56u, 57u, 63u, 64u, 65u, 119u, 120u, 128u, 200u}) {
    const std::string whole = sha256_hex(data.data(), n);
    Sha256 pieces;
    for (std::size_t i = 0; i < n; i += 7) pieces.update(data.data() + i, std::min<std::size_t>(7, n - i));
    const auto digest = pieces.finish();
    std::string hex;
    for (std::uint8_t b : digest) hex += "0123456789abcdef"[b >> 4], hex += "0123456789abcdef"[b & 15];
    EXPECT_EQ(hex, whole) << n;
  }
  // 56 bytes: FIPS 180-2's B.2 message is the 56-byte case.
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

}  // namespace
}  // namespace ferry::detail
