// Drives the cross-language round trip (tests/CMakeLists.txt): writes a known artifact with
// the C++ writer, checks the one tests/python/roundtrip_check.py wrote, and re-serialises a
// shipped artifact. The expected contents are mirrored in roundtrip_check.py.
#include <cmath>
#include <cstdio>
#include <fstream>

#include "artifact/artifact.hpp"
#include "artifact/tensor_data.hpp"
#include "ferry/error.hpp"

namespace {

using ferry::detail::artifact::Tensor;

std::map<std::string, Tensor> known_tensors() {
  std::vector<double> values(12);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = std::ldexp(static_cast<double>(i) - 5.5, -3) / 3.0;
  const std::int64_t ints[] = {-1, 0, 1, INT64_MAX};
  std::map<std::string, Tensor> m;
  m["matrix"] = ferry::detail::artifact::make_float64({3, 4}, values.data());
  m["ints"] = ferry::detail::artifact::make_int64({4}, ints);
  return m;
}

const nlohmann::json kHeader = {{"note", "written by C++ \u2713"}, {"numbers", {0.1, 1e-300, 12345678901234567.0}}};

void save(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
}

int check(bool ok, const char* what) {
  if (!ok) std::fprintf(stderr, "mismatch: %s\n", what);
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  const std::string command = argv[1];
  try {
    if (command == "write") {
      save(argv[2], ferry::detail::artifact::write(kHeader, known_tensors(), {/*compress=*/true}));
      return 0;
    }
    const auto bytes = ferry::detail::artifact::read_file(argv[2]);
    const auto a = ferry::detail::artifact::read(bytes.data(), bytes.size());
    if (command == "check-python") {
      // Mirrors roundtrip_check.py's write: same tensors, header {"note": "written by Python"}.
      const auto expected = known_tensors();
      int failures = check(a.header == nlohmann::json{{"note", "written by Python \u2713"},
                                                      {"numbers", {0.1, 1e-300, 12345678901234567.0}}},
                           "header");
      for (const auto& [name, t] : expected) {
        auto it = a.tensors.find(name);
        failures += check(it != a.tensors.end() && it->second.dtype == t.dtype && it->second.shape == t.shape &&
                              it->second.bytes == t.bytes,
                          name.c_str());
      }
      return failures == 0 ? 0 : 1;
    }
    if (command == "rewrite" && argc == 4) {
      save(argv[3], ferry::detail::artifact::write(a.header, a.tensors, {/*compress=*/true}));
      return 0;
    }
  } catch (const ferry::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 2;
}
