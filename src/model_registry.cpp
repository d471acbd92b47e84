#include "ferry/model_registry.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "artifact/artifact.hpp"
#include "ferry/error.hpp"
#include "sha256.hpp"

FERRY_BEGIN_NAMESPACE
namespace {

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// The next run of digits or of letters at or after `i`; separators (".", "-", "+", ...) only
// separate. Empty at the end.
std::string next_run(const std::string& s, std::size_t& i) {
  while (i < s.size() && !is_alnum(s[i])) ++i;
  const std::size_t start = i;
  const bool digits = i < s.size() && is_digit(s[i]);
  while (i < s.size() && is_alnum(s[i]) && is_digit(s[i]) == digits) ++i;
  return s.substr(start, i - start);
}

int compare_numbers(std::string a, std::string b) {
  const auto strip = [](std::string& s) {
    const std::size_t nonzero = s.find_first_not_of('0');
    s = nonzero == std::string::npos ? std::string() : s.substr(nonzero);
  };
  strip(a);
  strip(b);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
}

std::string metadata_text(const nlohmann::json& header, const char* key) {
  const auto m = header.find("metadata");
  if (m == header.end() || !m->is_object()) return {};
  const auto v = m->find(key);
  return v != m->end() && v->is_string() ? v->get<std::string>() : std::string();
}

}  // namespace

int ModelRegistry::compare_versions(const std::string& a, const std::string& b) {
  std::size_t i = 0, j = 0;
  for (;;) {
    const std::string x = next_run(a, i);
    const std::string y = next_run(b, j);
    if (x.empty() || y.empty()) return x.empty() == y.empty() ? 0 : (x.empty() ? -1 : 1);
    const bool x_digits = is_digit(x[0]);
    const bool y_digits = is_digit(y[0]);
    int c = 0;
    if (x_digits && y_digits) {
      c = compare_numbers(x, y);
    } else if (x_digits != y_digits) {
      c = x_digits ? 1 : -1;  // "1.0.1" is newer than "1.0.rc1"
    } else {
      c = x.compare(y) < 0 ? -1 : (x == y ? 0 : 1);
    }
    if (c != 0) return c;
  }
}

ModelRegistry ModelRegistry::scan(const std::string& directory, const LoadOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(directory, ec))
    throw Error(ErrorCode::kIo, fmt::format("\"{}\" is not a directory", directory));
  std::vector<fs::path> files;
  for (fs::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->path().extension() == ".ferry" && it->is_regular_file(type_ec)) files.push_back(it->path());
  }
  if (ec) throw Error(ErrorCode::kIo, fmt::format("cannot list \"{}\": {}", directory, ec.message()));
  std::sort(files.begin(), files.end());

  ModelRegistry registry;
  registry.directory_ = directory;
  const detail::artifact::Limits limits{options.max_header_bytes, options.max_tensor_bytes};
  std::set<std::string> taken;
  for (const fs::path& file : files) {
    const std::string path = file.string();
    try {
      const std::vector<std::uint8_t> bytes = detail::artifact::read_file(path);
      const detail::artifact::Artifact a = detail::artifact::read(bytes.data(), bytes.size(), limits);
      RegistryEntry entry{path, metadata_text(a.header, "name"), metadata_text(a.header, "version"),
                          detail::sha256_hex(bytes.data(), bytes.size())};
      if (entry.version.empty()) {
        registry.skipped_.push_back(path + ": its metadata has no version");
      } else if (!taken.insert(entry.version).second) {
        registry.skipped_.push_back(fmt::format("{}: version {} is already served by an earlier file", path,
                                                entry.version));
      } else {
        registry.entries_.push_back(std::move(entry));
      }
    } catch (const Error& e) {
      registry.skipped_.push_back(path + ": " + e.what());
    }
  }
  if (registry.entries_.empty())
    throw Error(ErrorCode::kIo, fmt::format("\"{}\" holds no readable .ferry artifact{}", directory,
                                            registry.skipped_.empty() ? std::string()
                                                                      : " (" + fmt::format("{}", fmt::join(registry.skipped_, "; ")) + ")"));
  std::sort(registry.entries_.begin(), registry.entries_.end(),
            [](const RegistryEntry& x, const RegistryEntry& y) { return compare_versions(x.version, y.version) < 0; });
  return registry;
}

const RegistryEntry& ModelRegistry::find(const std::string& version) const {
  for (const RegistryEntry& e : entries_)
    if (e.version == version) return e;
  std::vector<std::string> versions;
  for (const RegistryEntry& e : entries_) versions.push_back(e.version);
  throw Error(ErrorCode::kIo, fmt::format("\"{}\" has no artifact of version \"{}\" (it has {})", directory_, version,
                                          fmt::join(versions, ", ")));
}

FERRY_END_NAMESPACE
