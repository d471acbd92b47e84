// ferry::ModelRegistry: a directory of versioned artifacts, served latest-first or by version.
#ifndef FERRY_MODEL_REGISTRY_HPP
#define FERRY_MODEL_REGISTRY_HPP

#include <string>
#include <vector>

#include "ferry/detail/config.hpp"
#include "ferry/model.hpp"

FERRY_BEGIN_NAMESPACE

struct RegistryEntry {
  std::string path;        // the artifact file
  std::string name;        // Metadata::name
  std::string version;     // Metadata::version, the key it is found by
  std::string content_id;  // Metadata::content_id: the SHA-256 of the file
};

// The *.ferry files directly in one directory, each known by the version in its metadata. A
// scan reads every file whole (framing, checksums, header) but builds no model; swap the one
// you want into a ModelSlot. Immutable after the scan: scan again to see new files.
class FERRY_API ModelRegistry {
 public:
  // Error(kIo) when `directory` is not a readable directory or holds no readable artifact.
  // Unreadable or damaged files, and a second file claiming a version already taken (files in
  // name order, the first keeps it), are left out and listed in skipped().
  static ModelRegistry scan(const std::string& directory, const LoadOptions& options = {});

  const std::string& directory() const noexcept { return directory_; }
  // Oldest version first (see compare_versions).
  const std::vector<RegistryEntry>& entries() const noexcept { return entries_; }
  // "path: reason" for each file left out.
  const std::vector<std::string>& skipped() const noexcept { return skipped_; }
  // The highest version.
  const RegistryEntry& latest() const noexcept { return entries_.back(); }
  // The entry of this version; Error(kIo) naming the versions there are when none has it.
  const RegistryEntry& find(const std::string& version) const;

  // Natural order of version strings: runs of digits compare as numbers, runs of letters as
  // text, other characters only separate; so "1.10.0" > "1.9.2" > "1.9" = "1-9", and a number
  // is newer than letters in the same place ("1.0.1" > "1.0.rc1"). A version that is a prefix
  // of another is older.
  // Negative, zero or positive as a is older than, the same as or newer than b.
  static int compare_versions(const std::string& a, const std::string& b);

 private:
  ModelRegistry() = default;
  std::string directory_;
  std::vector<RegistryEntry> entries_;
  std::vector<std::string> skipped_;
};

FERRY_END_NAMESPACE

#endif  // FERRY_MODEL_REGISTRY_HPP
