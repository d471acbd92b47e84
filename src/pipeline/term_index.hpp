// A text vectorizer's vocabulary as a lookup table: term bytes -> output column. A document
// looks up every one of its n-grams, so the table is flat (open addressing, linear probing) and
// a slot holds the term's length, hash tag and place in one byte buffer: a lookup costs one slot
// read and one compare, where a node-based map chases three pointers.
#ifndef FERRY_SRC_PIPELINE_TERM_INDEX_HPP
#define FERRY_SRC_PIPELINE_TERM_INDEX_HPP

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/matrix.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {

class TermIndex {
 public:
  TermIndex() = default;
  // Terms in column order, none twice (the caller checks); their total size below 4 GB.
  explicit TermIndex(const std::vector<std::string>& terms) {
    std::size_t bytes = 0;
    for (const std::string& t : terms) bytes += t.size();
    bytes_.reserve(bytes);
    std::size_t capacity = 16;
    while (capacity < 2 * terms.size()) capacity *= 2;
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    for (std::size_t j = 0; j < terms.size(); ++j) {
      const std::uint64_t h = hash(terms[j]);
      std::size_t s = h & mask_;
      while (slots_[s].column != 0) s = (s + 1) & mask_;
      slots_[s] = Slot{static_cast<std::uint32_t>(h >> 32), static_cast<std::uint32_t>(j + 1),
                       static_cast<std::uint32_t>(bytes_.size()), static_cast<std::uint32_t>(terms[j].size())};
      bytes_ += terms[j];
    }
  }

  // The column of `term`, or -1.
  Index find(std::string_view term) const noexcept {
    if (slots_.empty()) return -1;
    const std::uint64_t h = hash(term);
    const auto tag = static_cast<std::uint32_t>(h >> 32);
    for (std::size_t s = h & mask_;; s = (s + 1) & mask_) {
      const Slot& slot = slots_[s];
      if (slot.column == 0) return -1;
      if (slot.tag == tag && slot.length == term.size() &&
          std::memcmp(bytes_.data() + slot.offset, term.data(), term.size()) == 0)
        return static_cast<Index>(slot.column) - 1;
    }
  }

 private:
  struct Slot {
    std::uint32_t tag = 0;     // the hash's high half
    std::uint32_t column = 0;  // column + 1; 0 marks an empty slot
    std::uint32_t offset = 0;  // the term's bytes in bytes_
    std::uint32_t length = 0;
  };
  static std::uint64_t hash(std::string_view s) noexcept {
    return static_cast<std::uint64_t>(std::hash<std::string_view>{}(s));
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::string bytes_;
};

}  // namespace detail
FERRY_END_NAMESPACE

#endif  // FERRY_SRC_PIPELINE_TERM_INDEX_HPP
