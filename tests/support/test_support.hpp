// Shared by the C++ tests: paths into the repository and reading the golden CSV files.
#ifndef FERRY_TESTS_SUPPORT_TEST_SUPPORT_HPP
#define FERRY_TESTS_SUPPORT_TEST_SUPPORT_HPP

#include <string>
#include <vector>

#include <map>

#include <nlohmann/json.hpp>

#include "artifact/artifact.hpp"
#include "cli/csv.hpp"
#include "ferry/error.hpp"
#include "ferry/matrix.hpp"
#include "ferry/model.hpp"

// Asserts that `statement` throws ferry::Error with this code and a message containing
// `substring` (the column, row, tensor or offset it must name).
#define EXPECT_FERRY_ERROR(statement, expected_code, substring)                                \
  try {                                                                                        \
    statement;                                                                                 \
    ADD_FAILURE() << "no ferry::Error from " #statement;                                       \
  } catch (const ::ferry::Error& e) {                                                          \
    EXPECT_EQ(e.code(), expected_code) << e.what();                                            \
    EXPECT_NE(std::string(e.what()).find(substring), std::string::npos) << e.what();           \
  }

namespace ferry::detail::test {

std::string source_path(const std::string& relative);
std::vector<std::uint8_t> read_bytes(const std::string& path);
cli::CsvTable read_csv_file(const std::string& path);

// Index of a header column; fails the test (throws) when absent.
std::size_t column(const cli::CsvTable& csv, const std::string& name);
// The named columns as numbers, in the given order.
RowMatrixXd numeric_columns(const cli::CsvTable& csv, const std::vector<std::string>& names);

// A shipped case's input.csv, columns in the model's input order (empty cells are NaN).
RowMatrixXd case_input(const std::string& case_dir, const Model& model);

// An artifact opened for editing: change header JSON or tensors, then load() or bytes().
struct EditableArtifact {
  nlohmann::json header;  // without "tensors"
  std::map<std::string, artifact::Tensor> tensors;

  // `case_dir` relative to the repository, e.g. "tests/data/scaler_minmax".
  static EditableArtifact from_case(const std::string& case_dir);
  std::vector<std::uint8_t> bytes() const;
  Model load() const;
  nlohmann::json& step(std::size_t i = 0) { return header["pipeline"][i]; }
  nlohmann::json& params(std::size_t i = 0) { return step(i)["params"]; }
  // A tensor's values, and replacing a tensor by a 1-D one.
  std::vector<std::int64_t> int64_of(const std::string& name) const;
  std::vector<double> float64_of(const std::string& name) const;
  void set_int64(const std::string& name, const std::vector<std::int64_t>& v);
  void set_float64(const std::string& name, const std::vector<double>& v);
  // One element (row-major index) changed, the shape kept.
  void set_float64_at(const std::string& name, std::size_t i, double v);
  // Drops the embedded verification rows (for edits that change what the model computes).
  void drop_verification();
};

// Every directory under artifacts/ and tests/data/ that holds model.ferry, input.csv and
// expected.csv, relative to the repository.
std::vector<std::string> golden_cases();

}  // namespace ferry::detail::test

#endif  // FERRY_TESTS_SUPPORT_TEST_SUPPORT_HPP
