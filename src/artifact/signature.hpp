// Signed artifacts (docs/security.md): an Ed25519 signature in a fixed 128-byte envelope in
// front of an unchanged .ferry file. The signature is checked over the whole inner file before
// any of it is parsed, so a file from an untrusted channel is never read unless a trusted key
// signed it.
#ifndef FERRY_SRC_ARTIFACT_SIGNATURE_HPP
#define FERRY_SRC_ARTIFACT_SIGNATURE_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ferry/detail/config.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail::artifact {

inline constexpr std::uint8_t kSignedMagic[8] = {0x89, 'F', 'S', 'I', 'G', 'N', '\r', '\n'};
// A multiple of 64, so the inner file's tensors keep their alignment from the start of the
// signed file.
inline constexpr std::size_t kEnvelopeBytes = 128;

using PublicKey = std::array<std::uint8_t, 32>;
using SecretKey = std::array<std::uint8_t, 64>;  // libsodium's layout: seed, then public key
using Signature = std::array<std::uint8_t, 64>;

struct Envelope {
  PublicKey signer{};
  Signature signature{};
  const std::uint8_t* artifact = nullptr;  // the inner .ferry file, inside the given bytes
  std::size_t artifact_size = 0;
};

// Whether the bytes start with the signed-file magic.
bool is_signed(const std::uint8_t* data, std::size_t size) noexcept;

// The envelope's fields; Error(kFormat) when the bytes start with the magic but the envelope
// is malformed (unknown version or algorithm, non-zero reserved bytes, nothing inside).
Envelope open_envelope(const std::uint8_t* data, std::size_t size);

// Whether this build checks and makes signatures (libsodium was found).
bool signatures_available() noexcept;

// The bytes to parse, after the trust rules of docs/security.md: with no trusted key, an
// unsigned file passes and a signed one has its signature checked where this build can (else
// note() says it was not); with trusted keys, the file must be signed by one of them.
// Error(kSignature) names what failed; Error(kUnsupported) when keys are required and this
// build cannot check signatures.
struct Span {
  const std::uint8_t* data;
  std::size_t size;
};
Span checked_artifact(const std::uint8_t* data, std::size_t size, const std::vector<std::string>& trusted_keys,
                      const std::function<void(const std::string&)>& note);

// Hex text of 32-byte public keys and 64-byte secret keys, as the key files hold them.
std::string to_hex(const std::uint8_t* bytes, std::size_t size);
PublicKey parse_public_key(const std::string& hex);  // Error(kSignature) naming the problem
SecretKey parse_secret_key(const std::string& hex);

// Needs signatures_available(), else Error(kUnsupported).
std::pair<PublicKey, SecretKey> generate_keys();
// A signed file around an unsigned artifact (a signed one is re-signed: its inner file).
std::vector<std::uint8_t> sign(const std::uint8_t* data, std::size_t size, const SecretKey& key);

}  // namespace detail::artifact
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_ARTIFACT_SIGNATURE_HPP
