// tests/conformance/*.json through the C++ loader; tests/python/test_conformance.py runs the
// same files through the Python reader, so both readers refuse each file with one error
// code and one message fragment. The case format is described there.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "artifact/artifact.hpp"
#include "ferry/error.hpp"
#include "ferry/model.hpp"

namespace {

namespace fa = ferry::detail::artifact;
namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kRoot = FERRY_SOURCE_DIR;

double number(const json& v) {
  if (!v.is_string()) return v.get<double>();
  const std::string s = v.get<std::string>();
  if (s == "inf") return std::numeric_limits<double>::infinity();
  if (s == "-inf") return -std::numeric_limits<double>::infinity();
  return std::numeric_limits<double>::quiet_NaN();
}

// Numbers, {"repeat": x, "count": n} or {"range": [a, b]}.
std::vector<double> values_of(const json& segments) {
  std::vector<double> out;
  for (const json& s : segments) {
    if (s.is_object() && s.contains("repeat")) {
      out.insert(out.end(), s.at("count").get<std::size_t>(), number(s.at("repeat")));
    } else if (s.is_object()) {
      for (std::int64_t i = s.at("range")[0]; i < s.at("range")[1].get<std::int64_t>(); ++i)
        out.push_back(static_cast<double>(i));
    } else {
      out.push_back(number(s));
    }
  }
  return out;
}

double element(const fa::Tensor& t, std::size_t i) {
  const std::uint8_t* p = t.bytes.data() + i * fa::dtype_size(t.dtype);
  std::uint64_t bits = 0;
  for (std::size_t b = 0; b < fa::dtype_size(t.dtype); ++b) bits |= std::uint64_t{p[b]} << (8 * b);
  switch (t.dtype) {
    case fa::DType::kFloat64: { double d; std::memcpy(&d, &bits, 8); return d; }
    case fa::DType::kFloat32: { float f; const auto u = static_cast<std::uint32_t>(bits); std::memcpy(&f, &u, 4); return f; }
    case fa::DType::kInt64: return static_cast<double>(static_cast<std::int64_t>(bits));
    case fa::DType::kInt32: return static_cast<double>(static_cast<std::int32_t>(bits));
    case fa::DType::kUInt8: return static_cast<double>(bits);
  }
  return 0;
}

fa::DType dtype_named(const std::string& name) {
  for (fa::DType d : {fa::DType::kFloat64, fa::DType::kFloat32, fa::DType::kInt64, fa::DType::kInt32, fa::DType::kUInt8})
    if (name == fa::dtype_name(d)) return d;
  throw std::invalid_argument("unknown dtype " + name);
}

fa::Tensor tensor_of(fa::DType dtype, std::vector<std::int64_t> shape, const std::vector<double>& values) {
  fa::Tensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  for (double v : values) {
    std::uint64_t bits = 0;
    switch (dtype) {
      case fa::DType::kFloat64: std::memcpy(&bits, &v, 8); break;
      case fa::DType::kFloat32: { const float f = static_cast<float>(v); std::uint32_t u; std::memcpy(&u, &f, 4); bits = u; break; }
      case fa::DType::kInt64: bits = static_cast<std::uint64_t>(static_cast<std::int64_t>(v)); break;
      case fa::DType::kInt32: bits = static_cast<std::uint32_t>(static_cast<std::int32_t>(v)); break;
      case fa::DType::kUInt8: bits = static_cast<std::uint8_t>(v); break;
    }
    for (std::size_t b = 0; b < fa::dtype_size(dtype); ++b) t.bytes.push_back(static_cast<std::uint8_t>(bits >> (8 * b)));
  }
  return t;
}

// A new tensor, or ("like") an existing one with another dtype, shape or some values.
fa::Tensor replacement(const json& spec, const std::map<std::string, fa::Tensor>& original) {
  if (!spec.contains("like"))
    return tensor_of(dtype_named(spec.at("dtype")), spec.at("shape"), values_of(spec.at("values")));
  const fa::Tensor& base = original.at(spec.at("like").get<std::string>());
  std::vector<double> values(static_cast<std::size_t>(base.count()));
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = element(base, i);
  const json set = spec.value("set", json::object());  // named: items() of a temporary would dangle
  for (const auto& [index, v] : set.items()) values.at(std::stoul(index)) = number(v);
  const fa::DType dtype = spec.contains("dtype") ? dtype_named(spec.at("dtype")) : base.dtype;
  return tensor_of(dtype, spec.value("shape", base.shape), values);
}

// Byte edits of the written file, for the frame checks (as test_conformance.py's _damage).
std::vector<std::uint8_t> damaged(std::vector<std::uint8_t> data, const json& c) {
  for (const json& r : c.value("replace_text", json::array())) {
    const std::string old_text = r[0], new_text = r[1];
    const auto at = std::search(data.begin(), data.end(), old_text.begin(), old_text.end());
    if (at == data.end() || old_text.size() != new_text.size()) throw std::invalid_argument("bad replace_text");
    std::copy(new_text.begin(), new_text.end(), at);
  }
  for (const json& e : c.value("bytes", json::array())) {
    const auto at = e.at("at").get<std::int64_t>();
    data.at(static_cast<std::size_t>(at < 0 ? static_cast<std::int64_t>(data.size()) + at : at)) = e.at("value");
  }
  if (c.value("fix_trailer", false)) {
    const std::uint32_t crc = fa::crc32(data.data(), data.size() - 4);
    for (std::size_t i = 0; i < 4; ++i) data[data.size() - 4 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
  }
  return data;
}

std::vector<std::uint8_t> build(const json& c) {
  const std::vector<std::uint8_t> bytes = fa::read_file((kRoot / c.at("base").get<std::string>()).string());
  fa::Artifact a = fa::read(bytes.data(), bytes.size());
  const json header = a.header.patch(c.value("edit", json::array()));
  std::map<std::string, fa::Tensor> tensors = a.tensors;
  const json replacements = c.value("tensors", json::object());
  for (const auto& [name, spec] : replacements.items()) {
    if (spec.is_null())
      tensors.erase(name);
    else
      tensors[name] = replacement(spec, a.tensors);
  }
  return damaged(fa::write(header, tensors), c);
}

std::vector<fs::path> cases() {
  std::vector<fs::path> paths;
  for (const auto& e : fs::directory_iterator(kRoot / "tests" / "conformance"))
    if (e.path().extension() == ".json") paths.push_back(e.path());
  std::sort(paths.begin(), paths.end());
  return paths;
}

TEST(Conformance, EveryCaseIsRefusedWithItsCodeAndMessage) {
  const std::vector<fs::path> paths = cases();
  EXPECT_GE(paths.size(), 20u);
  for (const fs::path& path : paths) {
    SCOPED_TRACE(path.filename().string());
    std::ifstream in(path);
    const json c = json::parse(in);
    const std::vector<std::uint8_t> bytes = build(c);
    try {
      ferry::Model::from_bytes(bytes.data(), bytes.size());
      ADD_FAILURE() << "loaded without error";
    } catch (const ferry::Error& e) {
      EXPECT_EQ(ferry::to_string(e.code()), c.at("code").get<std::string>()) << e.message();
      EXPECT_NE(e.message().find(c.at("message").get<std::string>()), std::string::npos) << e.message();
    }
  }
}

void collect_steps(const json& steps, std::vector<const json*>& out) {
  for (const json& step : steps) {
    out.push_back(&step);
    if (step.at("type") == "column_transformer")
      for (const json& branch : step.at("params").at("transformers")) collect_steps(branch.at("steps"), out);
  }
}

// The spec's dtype of every role is the one the C++ loader demands: each tensor of each
// shipped file, stored with another dtype, is refused naming that role and the spec's dtype.
TEST(Conformance, LoaderDemandsTheSpecDtypeOfEveryStepTensor) {
  std::ifstream in(kRoot / "spec" / "steps.json");
  const json steps_spec = json::parse(in).at("steps");
  std::vector<fs::path> files;
  for (const char* dir : {"tests/data", "artifacts"})
    for (const auto& e : fs::directory_iterator(kRoot / dir))
      if (fs::exists(e.path() / "model.ferry")) files.push_back(e.path() / "model.ferry");
  std::sort(files.begin(), files.end());
  std::size_t checked = 0;
  for (const fs::path& file : files) {
    const std::vector<std::uint8_t> bytes = fa::read_file(file.string());
    const fa::Artifact a = fa::read(bytes.data(), bytes.size());
    std::vector<const json*> steps;
    collect_steps(a.header.at("pipeline"), steps);
    steps.push_back(&a.header.at("estimator"));
    for (const json* step : steps)
      for (const auto& [role, name] : step->at("tensors").items()) {
        SCOPED_TRACE(file.parent_path().filename().string() + ": " + step->at("type").get<std::string>() + "." + role);
        const std::string expected = steps_spec.at(step->at("type").get<std::string>()).at("tensors").at(role).at("dtype");
        const fa::Tensor& t = a.tensors.at(name.get<std::string>());
        std::vector<double> values(static_cast<std::size_t>(t.count()));
        for (std::size_t i = 0; i < values.size(); ++i) values[i] = element(t, i);
        std::map<std::string, fa::Tensor> tensors = a.tensors;
        tensors[name] = tensor_of(t.dtype == fa::DType::kFloat64 ? fa::DType::kInt64 : fa::DType::kFloat64, t.shape, values);
        const std::vector<std::uint8_t> damaged = fa::write(a.header, tensors);
        try {
          ferry::Model::from_bytes(damaged.data(), damaged.size());
          ADD_FAILURE() << "loaded with another dtype";
        } catch (const ferry::Error& e) {
          EXPECT_EQ(e.code(), ferry::ErrorCode::kFormat) << e.message();
          EXPECT_NE(e.message().find("(" + role + ") has dtype"), std::string::npos) << e.message();
          EXPECT_NE(e.message().find("expected " + expected), std::string::npos) << e.message();
        }
        ++checked;
      }
  }
  EXPECT_GT(checked, 100u);
}

// Each boolean, enumerated or integer parameter the spec states, given a value of no such
// type, is refused naming it (tests/python/test_spec.py does the same in Python).
TEST(Conformance, LoaderRefusesAParamOfTheWrongType) {
  std::ifstream in(kRoot / "spec" / "steps.json");
  const json steps_spec = json::parse(in).at("steps");
  std::size_t checked = 0;
  for (const char* dir : {"tests/data", "artifacts"})
    for (const auto& e : fs::directory_iterator(kRoot / dir)) {
      if (!fs::exists(e.path() / "model.ferry")) continue;
      const std::vector<std::uint8_t> bytes = fa::read_file((e.path() / "model.ferry").string());
      const fa::Artifact a = fa::read(bytes.data(), bytes.size());
      std::vector<json::json_pointer> steps;
      // top-level steps and the estimator; branch steps are reached the same way by the loader
      for (std::size_t i = 0; i < a.header.at("pipeline").size(); ++i)
        steps.push_back(json::json_pointer("/pipeline/" + std::to_string(i)));
      steps.push_back(json::json_pointer("/estimator"));
      for (const json::json_pointer& at : steps) {
        const json& step = a.header.at(at);
        for (const auto& [key, p] : steps_spec.at(step.at("type").get<std::string>()).at("params").items()) {
          const std::string type = p.at("type");
          if ((type != "boolean" && type != "string" && type != "integer") || !step.at("params").contains(key)) continue;
          SCOPED_TRACE(e.path().filename().string() + ": " + step.at("type").get<std::string>() + ".params." + key);
          json header = a.header;
          header[at / "params" / key] = type == "string" ? json(3) : json("bogus");
          const std::vector<std::uint8_t> damaged = fa::write(header, a.tensors);
          try {
            ferry::Model::from_bytes(damaged.data(), damaged.size());
            ADD_FAILURE() << "loaded";
          } catch (const ferry::Error& err) {
            EXPECT_EQ(err.code(), ferry::ErrorCode::kFormat) << err.message();
            EXPECT_NE(err.message().find(key), std::string::npos) << err.message();
          }
          ++checked;
        }
      }
    }
  EXPECT_GT(checked, 100u);
}

}  // namespace
