// `ferry keygen`, `ferry sign` and `--trusted-key`: Ed25519 keys and signed artifacts
// (docs/security.md).
#ifndef FERRY_SRC_CLI_SIGNING_HPP
#define FERRY_SRC_CLI_SIGNING_HPP

#include <iosfwd>
#include <string>

namespace ferry::cli {

// Writes PREFIX.key (the secret key, readable by its owner only) and PREFIX.pub (the public
// key), each one line of hexadecimal digits; refuses to overwrite either.
void keygen(const std::string& prefix, std::ostream& out);

// Signs MODEL with the secret key in KEY_FILE into OUTPUT (MODEL itself when empty); the
// model is loaded first, so only a valid artifact is ever signed.
void sign(const std::string& model_path, const std::string& key_file, const std::string& output,
          std::ostream& out);

// A --trusted-key argument: a .pub file, or the key's hexadecimal digits themselves.
std::string read_public_key(const std::string& file_or_hex);

}  // namespace ferry::cli

#endif  // FERRY_SRC_CLI_SIGNING_HPP
