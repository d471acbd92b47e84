#include "support/test_support.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>

#include "artifact/artifact.hpp"
#include "artifact/tensor_data.hpp"

namespace ferry::detail::test {

std::string source_path(const std::string& relative) { return std::string(FERRY_SOURCE_DIR) + "/" + relative; }

std::vector<std::uint8_t> read_bytes(const std::string& path) { return artifact::read_file(path); }

cli::CsvTable read_csv_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  return cli::read_csv(in);
}

std::size_t column(const cli::CsvTable& csv, const std::string& name) {
  auto it = std::find(csv.header.begin(), csv.header.end(), name);
  if (it == csv.header.end()) throw std::runtime_error("no column " + name);
  return static_cast<std::size_t>(it - csv.header.begin());
}

RowMatrixXd numeric_columns(const cli::CsvTable& csv, const std::vector<std::string>& names) {
  RowMatrixXd X(static_cast<Index>(csv.rows.size()), static_cast<Index>(names.size()));
  for (std::size_t j = 0; j < names.size(); ++j) {
    const std::size_t c = column(csv, names[j]);
    for (std::size_t i = 0; i < csv.rows.size(); ++i) {
      const std::string& cell = csv.rows[i][c];  // an empty cell is a missing value
      X(static_cast<Index>(i), static_cast<Index>(j)) =
          cell.empty() ? std::numeric_limits<double>::quiet_NaN() : std::stod(cell);
    }
  }
  return X;
}

RowMatrixXd case_input(const std::string& case_dir, const Model& model) {
  std::vector<std::string> names;
  for (const auto& c : model.schema().inputs) names.push_back(c.name);
  return numeric_columns(read_csv_file(source_path(case_dir + "/input.csv")), names);
}

EditableArtifact EditableArtifact::from_case(const std::string& case_dir) {
  const auto b = read_bytes(source_path(case_dir + "/model.ferry"));
  artifact::Artifact a = artifact::read(b.data(), b.size());
  return {std::move(a.header), std::move(a.tensors)};
}

std::vector<std::int64_t> EditableArtifact::int64_of(const std::string& name) const {
  const artifact::Tensor& t = tensors.at(name);
  std::vector<std::int64_t> v(static_cast<std::size_t>(t.count()));
  artifact::copy_int64(t, v.data());
  return v;
}

std::vector<double> EditableArtifact::float64_of(const std::string& name) const {
  const artifact::Tensor& t = tensors.at(name);
  std::vector<double> v(static_cast<std::size_t>(t.count()));
  artifact::copy_float64(t, v.data());
  return v;
}

void EditableArtifact::set_int64(const std::string& name, const std::vector<std::int64_t>& v) {
  tensors[name] = artifact::make_int64({static_cast<std::int64_t>(v.size())}, v.data());
}

void EditableArtifact::set_float64(const std::string& name, const std::vector<double>& v) {
  tensors[name] = artifact::make_float64({static_cast<std::int64_t>(v.size())}, v.data());
}

void EditableArtifact::set_float64_at(const std::string& name, std::size_t i, double v) {
  std::vector<double> values = float64_of(name);
  values.at(i) = v;
  const std::vector<std::int64_t> shape = tensors.at(name).shape;
  tensors[name] = artifact::make_float64(shape, values.data());
}

void EditableArtifact::drop_verification() {
  header.erase("verification");
  for (auto it = tensors.begin(); it != tensors.end();)
    it = it->first.rfind("verification.", 0) == 0 ? tensors.erase(it) : std::next(it);
}

std::vector<std::uint8_t> EditableArtifact::bytes() const { return artifact::write(header, tensors); }

Model EditableArtifact::load() const {
  const auto b = bytes();
  return Model::from_bytes(b.data(), b.size());
}

std::vector<std::string> golden_cases() {
  namespace fs = std::filesystem;
  std::vector<std::string> cases;
  for (const char* root : {"artifacts", "tests/data"}) {
    const fs::path dir = source_path(root);
    if (!fs::is_directory(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir))
      if (fs::exists(entry.path() / "model.ferry") && fs::exists(entry.path() / "expected.csv"))
        cases.push_back(std::string(root) + "/" + entry.path().filename().string());
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

}  // namespace ferry::detail::test
