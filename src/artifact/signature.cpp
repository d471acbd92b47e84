#include "artifact/signature.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "ferry/error.hpp"

#if FERRY_HAVE_SODIUM
#include <sodium.h>
#endif

FERRY_BEGIN_NAMESPACE
namespace detail::artifact {

namespace {

constexpr std::uint16_t kEnvelopeVersion = 1;
constexpr std::uint16_t kEd25519 = 1;
constexpr std::size_t kSignerOffset = 16;
constexpr std::size_t kSignatureOffset = kSignerOffset + 32;
constexpr std::size_t kReservedOffset = kSignatureOffset + 64;

[[noreturn]] void fail(ErrorCode code, const std::string& message) { throw Error(code, message); }

std::uint16_t load_u16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}

#if FERRY_HAVE_SODIUM
void init_sodium() {
  // sodium_init is idempotent and thread-safe; < 0 means no entropy source.
  static const int status = sodium_init();
  if (status < 0) fail(ErrorCode::kUnsupported, "libsodium could not be initialised");
}
#endif

bool verify(const Envelope& e) {
#if FERRY_HAVE_SODIUM
  init_sodium();
  return crypto_sign_verify_detached(e.signature.data(), e.artifact, e.artifact_size, e.signer.data()) == 0;
#else
  (void)e;
  return false;
#endif
}

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

template <std::size_t N>
std::array<std::uint8_t, N> parse_hex(std::string text, const char* what) {
  // Key files end with a newline; surrounding whitespace is not part of the key.
  const auto is_space = [](unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && is_space(static_cast<unsigned char>(text.back()))) text.pop_back();
  const auto first = std::find_if_not(text.begin(), text.end(), [&](char c) { return is_space(c); });
  text.erase(text.begin(), first);
  if (text.size() != 2 * N)
    fail(ErrorCode::kSignature, fmt::format("{} must be {} hexadecimal digits, not {} characters", what, 2 * N,
                                            text.size()));
  std::array<std::uint8_t, N> bytes{};
  for (std::size_t i = 0; i < N; ++i) {
    const int hi = hex_digit(text[2 * i]), lo = hex_digit(text[2 * i + 1]);
    if (hi < 0 || lo < 0) fail(ErrorCode::kSignature, fmt::format("{} has a non-hexadecimal character", what));
    bytes[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return bytes;
}

}  // namespace

bool is_signed(const std::uint8_t* data, std::size_t size) noexcept {
  return data != nullptr && size >= sizeof kSignedMagic && std::memcmp(data, kSignedMagic, sizeof kSignedMagic) == 0;
}

Envelope open_envelope(const std::uint8_t* data, std::size_t size) {
  if (size < kEnvelopeBytes)
    fail(ErrorCode::kFormat, fmt::format("signed file of {} bytes is shorter than its {}-byte envelope", size,
                                         kEnvelopeBytes));
  const std::uint16_t version = load_u16(data + 8), algorithm = load_u16(data + 10);
  if (version != kEnvelopeVersion)
    fail(ErrorCode::kFormat, fmt::format("signed file: envelope version {} (offset 8) is not 1", version));
  if (algorithm != kEd25519)
    fail(ErrorCode::kFormat, fmt::format("signed file: signature algorithm {} (offset 10) is not 1 (Ed25519)", algorithm));
  const auto zero = [](std::uint8_t b) { return b == 0; };
  if (!std::all_of(data + 12, data + kSignerOffset, zero) || !std::all_of(data + kReservedOffset, data + kEnvelopeBytes, zero))
    fail(ErrorCode::kFormat, "signed file: reserved envelope bytes (offsets 12-15, 112-127) are not zero");
  Envelope e;
  std::memcpy(e.signer.data(), data + kSignerOffset, e.signer.size());
  std::memcpy(e.signature.data(), data + kSignatureOffset, e.signature.size());
  e.artifact = data + kEnvelopeBytes;
  e.artifact_size = size - kEnvelopeBytes;
  return e;
}

bool signatures_available() noexcept { return FERRY_HAVE_SODIUM != 0; }

Span checked_artifact(const std::uint8_t* data, std::size_t size, const std::vector<std::string>& trusted_keys,
                      const std::function<void(const std::string&)>& note) {
  if (!trusted_keys.empty() && !signatures_available())
    fail(ErrorCode::kUnsupported, "a signature is required but this ferry was built without libsodium, "
                                  "so it cannot check one");
  std::vector<PublicKey> trusted;
  trusted.reserve(trusted_keys.size());
  for (std::size_t i = 0; i < trusted_keys.size(); ++i)
    trusted.push_back(parse_public_key(trusted_keys[i]));

  if (!is_signed(data, size)) {
    if (!trusted.empty()) fail(ErrorCode::kSignature, "the file is not signed, and a signature by a trusted key is required");
    return {data, size};
  }
  const Envelope e = open_envelope(data, size);
  if (!trusted.empty() && std::find(trusted.begin(), trusted.end(), e.signer) == trusted.end())
    fail(ErrorCode::kSignature, fmt::format("the file is signed by key {}, which is not a trusted key",
                                            to_hex(e.signer.data(), e.signer.size())));
  if (!signatures_available()) {
    if (note) note("the file is signed but this ferry was built without libsodium: the signature was not checked");
  } else if (!verify(e)) {
    fail(ErrorCode::kSignature, fmt::format("the signature by key {} does not match the file: it was changed after "
                                            "signing, or the signature is forged",
                                            to_hex(e.signer.data(), e.signer.size())));
  }
  return {e.artifact, e.artifact_size};
}

std::string to_hex(const std::uint8_t* bytes, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text(2 * size, '0');
  for (std::size_t i = 0; i < size; ++i) {
    text[2 * i] = kDigits[bytes[i] >> 4];
    text[2 * i + 1] = kDigits[bytes[i] & 15];
  }
  return text;
}

PublicKey parse_public_key(const std::string& hex) { return parse_hex<32>(hex, "an Ed25519 public key"); }
SecretKey parse_secret_key(const std::string& hex) { return parse_hex<64>(hex, "an Ed25519 secret key"); }

std::pair<PublicKey, SecretKey> generate_keys() {
#if FERRY_HAVE_SODIUM
  init_sodium();
  std::pair<PublicKey, SecretKey> keys;
  crypto_sign_keypair(keys.first.data(), keys.second.data());
  return keys;
#else
  fail(ErrorCode::kUnsupported, "this ferry was built without libsodium: it cannot make keys");
#endif
}

std::vector<std::uint8_t> sign(const std::uint8_t* data, std::size_t size, const SecretKey& key) {
#if FERRY_HAVE_SODIUM
  init_sodium();
  Span inner{data, size};
  if (is_signed(data, size)) {
    const Envelope e = open_envelope(data, size);
    inner = {e.artifact, e.artifact_size};
  }
  std::vector<std::uint8_t> out(kEnvelopeBytes + inner.size, 0);
  std::memcpy(out.data(), kSignedMagic, sizeof kSignedMagic);
  out[8] = kEnvelopeVersion;
  out[10] = kEd25519;
  // libsodium's secret key ends with its public key.
  std::memcpy(out.data() + kSignerOffset, key.data() + 32, 32);
  if (inner.size != 0) std::memcpy(out.data() + kEnvelopeBytes, inner.data, inner.size);  // data may be null
  crypto_sign_detached(out.data() + kSignatureOffset, nullptr, out.data() + kEnvelopeBytes, inner.size, key.data());
  // A secret key whose second half is not its public key signs what nothing verifies.
  if (!verify(open_envelope(out.data(), out.size())))
    fail(ErrorCode::kSignature, "the secret key is damaged: its public half does not match its seed");
  return out;
#else
  (void)data;
  (void)size;
  (void)key;
  fail(ErrorCode::kUnsupported, "this ferry was built without libsodium: it cannot sign");
#endif
}

}  // namespace detail::artifact
FERRY_END_NAMESPACE
