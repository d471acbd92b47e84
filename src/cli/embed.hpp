// `ferry embed`: an artifact as a C header, for firmware with no file system.
#ifndef FERRY_SRC_CLI_EMBED_HPP
#define FERRY_SRC_CLI_EMBED_HPP

#include <iosfwd>
#include <string>

namespace ferry::cli {

// A C/C++ header defining `static const unsigned char NAME[]` (64-byte aligned, so the
// tensors inside keep the alignment the format gives them) and `NAME_size`, for
// Model::from_bytes or ferry_model_load_from_memory. NAME defaults to the file's stem.
void embed(const std::string& model_path, std::string name, std::ostream& out);

}  // namespace ferry::cli

#endif  // FERRY_SRC_CLI_EMBED_HPP
