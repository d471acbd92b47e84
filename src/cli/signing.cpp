#include "cli/signing.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "artifact/artifact.hpp"
#include "artifact/signature.hpp"
#include "cli/commands.hpp"
#include "ferry/error.hpp"
#include "ferry/model.hpp"

namespace ferry::cli {
namespace {

namespace artifact = detail::artifact;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kIo, fmt::format("cannot open \"{}\"", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_new_file(const std::string& path, const std::string& text, bool secret) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec))
    throw Error(ErrorCode::kIo, fmt::format("\"{}\" exists; ferry keygen never overwrites a key", path));
  // A secret key is created unreadable by others rather than restricted after being written.
  const mode_t previous = umask(secret ? 077 : 022);
  std::ofstream out(path, std::ios::binary);
  umask(previous);
  out << text;
  out.flush();
  if (!out) throw Error(ErrorCode::kIo, fmt::format("cannot write \"{}\"", path));
}

}  // namespace

void keygen(const std::string& prefix, std::ostream& out) {
  const auto [public_key, secret_key] = artifact::generate_keys();
  const std::string pub = artifact::to_hex(public_key.data(), public_key.size());
  write_new_file(prefix + ".key", artifact::to_hex(secret_key.data(), secret_key.size()) + "\n", true);
  write_new_file(prefix + ".pub", pub + "\n", false);
  fmt::print(out, "wrote {0}.key (secret: keep it private) and {0}.pub (public key {1})\n", prefix, pub);
}

void sign(const std::string& model_path, const std::string& key_file, const std::string& output,
          std::ostream& out) {
  const artifact::SecretKey key = artifact::parse_secret_key(read_text(key_file));
  const std::vector<std::uint8_t> bytes = artifact::read_file(model_path);
  Model::from_bytes(bytes.data(), bytes.size());  // never sign what does not load
  const std::vector<std::uint8_t> signed_bytes = artifact::sign(bytes.data(), bytes.size(), key);
  const std::string target = output.empty() ? model_path : output;
  const std::string temporary = target + ".ferry-tmp";
  {
    std::ofstream file(temporary, std::ios::binary);
    file.write(reinterpret_cast<const char*>(signed_bytes.data()), static_cast<std::streamsize>(signed_bytes.size()));
    file.flush();
    if (!file) {
      std::remove(temporary.c_str());
      throw Error(ErrorCode::kIo, fmt::format("cannot write \"{}\"", temporary));
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, target, ec);
  if (ec) throw Error(ErrorCode::kIo, fmt::format("cannot rename to \"{}\": {}", target, ec.message()));
  fmt::print(out, "signed {} with key {}\n", target, artifact::to_hex(key.data() + 32, 32));
}

std::string read_public_key(const std::string& file_or_hex) {
  std::error_code ec;
  const std::string text = std::filesystem::is_regular_file(file_or_hex, ec) ? read_text(file_or_hex) : file_or_hex;
  const artifact::PublicKey key = artifact::parse_public_key(text);  // refuses a malformed key now
  return artifact::to_hex(key.data(), key.size());
}

}  // namespace ferry::cli
