// libFuzzer target for the text tokenizer (docs/format.md §4.45, §4.54): raw bytes, not CSV,
// as documents of the shipped text models (word / char / char_wb / nonspace analyzers,
// lowercase with final sigma, accent stripping, stop words, hashing), straight through the
// Table binding into transform.
//
// Oracles, beside the sanitizers: a document is refused iff it is not valid UTF-8, with a
// value error naming it; every output is finite; and a document's row is the same alone as
// inside the batch (the tokenizer keeps no state between rows).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/error.hpp"
#include "ferry/model.hpp"
#include "pipeline/text_tokenizer.hpp"

namespace {

const std::vector<ferry::Model>& models() {
  static const std::vector<ferry::Model> loaded = [] {
    std::vector<ferry::Model> m;
    for (const char* name : {"text_tfidf_word", "text_char_tfidf_transformer", "text_count_nonspace_stop_words",
                             "text_hashing_word"})
      m.push_back(ferry::Model::load(std::string(FERRY_SOURCE_DIR) + "/tests/data/" + name + "/model.ferry"));
    return m;
  }();
  return loaded;
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "text_fuzzer: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The first byte picks the model; the rest is up to 8 documents separated by 0x00.
  if (size == 0) return 0;
  const ferry::Model& model = models()[data[0] % models().size()];
  std::vector<std::optional<std::string>> docs;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  while (docs.size() < 8) {
    const std::size_t end = rest.find('\0');
    docs.emplace_back(std::string(rest.substr(0, end)));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  int first_invalid = -1;
  for (std::size_t i = 0; i < docs.size() && first_invalid < 0; ++i)
    if (ferry::detail::utf8_error_offset(*docs[i]) >= 0) first_invalid = static_cast<int>(i);

  ferry::Table batch;
  batch.add_text("text", docs);
  ferry::RowMatrixXd Z;
  try {
    Z = model.transform(batch);
  } catch (const ferry::Error& e) {
    if (first_invalid < 0 || e.code() != ferry::ErrorCode::kValue ||
        e.message().find("row " + std::to_string(first_invalid)) == std::string::npos ||
        e.message().find("not valid UTF-8") == std::string::npos)
      fail("a refusal that is not the first invalid document's value error");
    return 0;
  }
  if (first_invalid >= 0) fail("invalid UTF-8 was accepted");
  if (!Z.allFinite()) fail("an output is not finite");
  for (std::size_t i = 0; i < docs.size(); ++i) {
    ferry::Table one;
    one.add_text("text", {docs[i]});
    if (model.transform(one).row(0) != Z.row(static_cast<ferry::Index>(i))) fail("a row differs alone and in the batch");
  }
  return 0;
}
