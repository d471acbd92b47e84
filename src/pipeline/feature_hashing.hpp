// scikit-learn's hashing trick (FeatureHasher, HashingVectorizer; docs/format.md §4.54): a
// feature name -> a column by its signed 32-bit MurmurHash3 (seed 0, of its UTF-8 bytes), the
// hash's sign -> the value's sign; then the row as scipy leaves it after sum_duplicates.
#ifndef FERRY_SRC_PIPELINE_FEATURE_HASHING_HPP
#define FERRY_SRC_PIPELINE_FEATURE_HASHING_HPP

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string_view>
#include <utility>
#include <vector>

#include "ferry/matrix.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

// MurmurHash3_x86_32 of `key`, as a signed integer (scikit-learn's murmurhash3_bytes_s32). The
// blocks are read little-endian, which is what scikit-learn computes on every little-endian CPU.
inline std::int32_t murmurhash3_32(std::string_view key, std::uint32_t seed = 0) noexcept {
  constexpr std::uint32_t c1 = 0xcc9e2d51u, c2 = 0x1b873593u;
  auto rotl = [](std::uint32_t x, int r) { return (x << r) | (x >> (32 - r)); };
  const auto* data = reinterpret_cast<const unsigned char*>(key.data());
  const std::size_t len = key.size();
  std::uint32_t h = seed;
  const std::size_t blocks = len / 4;
  for (std::size_t i = 0; i < blocks; ++i) {
    const unsigned char* p = data + 4 * i;
    std::uint32_t k = std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
                      std::uint32_t(p[3]) << 24;
    k *= c1;
    k = rotl(k, 15);
    k *= c2;
    h ^= k;
    h = rotl(h, 13);
    h = h * 5 + 0xe6546b64u;
  }
  const unsigned char* tail = data + 4 * blocks;
  std::uint32_t k = 0;
  switch (len & 3) {
    case 3: k ^= std::uint32_t(tail[2]) << 16; [[fallthrough]];
    case 2: k ^= std::uint32_t(tail[1]) << 8; [[fallthrough]];
    case 1:
      k ^= tail[0];
      k *= c1;
      k = rotl(k, 15);
      k *= c2;
      h ^= k;
  }
  h ^= static_cast<std::uint32_t>(len);
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  std::int32_t out;
  std::memcpy(&out, &h, sizeof out);
  return out;
}

// One row of hashed features, built feature by feature in the order scikit-learn visits them.
class HashedRow {
 public:
  HashedRow(std::int32_t n_features, bool alternate_sign) : n_(n_features), alternate_sign_(alternate_sign) {}

  // scikit-learn's _hashing_transform: a zero value is skipped; the column is |h| mod n, and for
  // h = INT32_MIN (whose |h| does not fit) (INT32_MAX - (n - 1)) mod n.
  void add(std::string_view name, double value) {
    if (value == 0.0) return;
    const std::int32_t h = murmurhash3_32(name);
    const std::int32_t column = h == std::numeric_limits<std::int32_t>::min()
                                    ? (std::numeric_limits<std::int32_t>::max() - (n_ - 1)) % n_
                                    : (h < 0 ? -h : h) % n_;
    if (alternate_sign_ && h < 0) value = -value;
    entries_.emplace_back(column, value);
  }

  // The row as scipy's sum_duplicates leaves it: sorted by column (csr_sort_indices: the same
  // unstable std::sort of (column, value) pairs) and each column's values summed in that order;
  // a sum that cancels stays, as an explicit 0. scipy sorts every row of a batch when one is out
  // of order, this only the rows out of order: the two differ only when std::sort reorders equal
  // columns of a row already in order (more than 16 entries), and then only in the order three
  // or more colliding non-integer values are summed in.
  const std::vector<std::pair<std::int32_t, double>>& finish() {
    auto by_column = [](const std::pair<std::int32_t, double>& a, const std::pair<std::int32_t, double>& b) {
      return a.first < b.first;
    };
    if (!std::is_sorted(entries_.begin(), entries_.end(), by_column))
      std::sort(entries_.begin(), entries_.end(), by_column);
    std::size_t out = 0;
    for (std::size_t k = 0; k < entries_.size();) {
      std::pair<std::int32_t, double> e = entries_[k++];
      while (k < entries_.size() && entries_[k].first == e.first) e.second += entries_[k++].second;
      entries_[out++] = e;
    }
    entries_.resize(out);
    return entries_;
  }
  void clear() noexcept { entries_.clear(); }

 private:
  std::int32_t n_;
  bool alternate_sign_;
  std::vector<std::pair<std::int32_t, double>> entries_;
};

}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_PIPELINE_FEATURE_HASHING_HPP
