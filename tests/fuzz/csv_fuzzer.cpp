// libFuzzer target for what a host's data meets: CSV text -> cli::read_csv -> Table binding ->
// validate, predict and explain, against shipped models with numeric, categorical, free-text
// and missing inputs.
// Every refusal must be a ferry::Error naming the row and column; anything else (a crash, a
// sanitizer report, another exception, a timeout) is a bug.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "cli/csv.hpp"
#include "ferry/error.hpp"
#include "ferry/model.hpp"

namespace {

const std::vector<ferry::Model>& models() {
  static const std::vector<ferry::Model> loaded = [] {
    std::vector<ferry::Model> m;
    // The text models put the documents through the tokenizer (any bytes: invalid UTF-8 must be
    // a value error) and sparse rows; the records models, nullable text and the hashing of any string.
    for (const char* name : {"artifacts/iris", "artifacts/churn", "artifacts/hgb_categorical", "tests/data/text_tfidf_word",
                             "tests/data/text_char_wb_column_transformer", "tests/data/text_count_nonspace_stop_words",
                             "tests/data/records_feature_hasher", "tests/data/records_dict_vectorizer"})
      m.push_back(ferry::Model::load(std::string(FERRY_SOURCE_DIR) + "/" + name + "/model.ferry"));
    return m;
  }();
  return loaded;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The first byte picks the model and whether strict binding is on; the rest is the CSV.
  if (size == 0) return 0;
  const ferry::Model& model = models()[data[0] % models().size()];
  ferry::PredictOptions options;
  options.strict = (data[0] & 0x80) != 0;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  try {
    const ferry::cli::CsvTable csv = ferry::cli::read_csv(in);
    const ferry::Table table = ferry::cli::to_table(csv, 0, 64);  // bounded work per input
    model.validate(table, options);
    const ferry::Prediction p = model.predict(table, options);
    if (p.rows() > 0) {
      ferry::ExplainOptions explain;
      explain.max_exact_columns = 4;
      explain.permutations = 2;
      try {
        model.explain(ferry::cli::to_table(csv, 0, 1), explain);
      } catch (const ferry::Error&) {
      }
    }
  } catch (const ferry::Error&) {
  }
  return 0;
}
