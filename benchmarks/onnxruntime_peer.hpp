// ONNX Runtime's C API as a benchmark peer, for any benchmark that compares ferry with it:
// one session (sequential execution, one inter-op thread, intra-op threads as asked: one by
// default), every graph optimisation on, a float32 input of rows x columns and one output read
// back (the first, or the one named). Built only where
// benchmarks/get_onnxruntime put the library and headers (FERRY_ONNXRUNTIME_DIR).
#ifndef FERRY_BENCHMARKS_ONNXRUNTIME_PEER_HPP
#define FERRY_BENCHMARKS_ONNXRUNTIME_PEER_HPP

#include <onnxruntime_c_api.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace bench {

class OrtPeer {
 public:
  // `output` names the output to read back (a classifier's "probabilities" rather than its
  // first output, the labels); empty, the first.
  explicit OrtPeer(const std::string& model_path, int threads = 1, const std::string& output = {}) {
    // The header may be newer than the library: ask for the library's own API version when it
    // is older (the API table only grows, and this peer uses functions of version 1).
    const OrtApiBase* base = OrtGetApiBase();
    const std::string version = base->GetVersionString();  // "1.<minor>.<patch>"
    const int minor = std::stoi(version.substr(version.find('.') + 1));
    api_ = base->GetApi(static_cast<std::uint32_t>(minor < ORT_API_VERSION ? minor : ORT_API_VERSION));
    if (api_ == nullptr) throw std::runtime_error("ONNX Runtime " + version + " offers no C API this header knows");
    check(api_->CreateEnv(ORT_LOGGING_LEVEL_WARNING, "ferry-benchmark", &env_));
    OrtSessionOptions* options = nullptr;
    check(api_->CreateSessionOptions(&options));
    check(api_->SetIntraOpNumThreads(options, threads));
    check(api_->SetInterOpNumThreads(options, 1));
    check(api_->SetSessionExecutionMode(options, ORT_SEQUENTIAL));
    check(api_->SetSessionGraphOptimizationLevel(options, ORT_ENABLE_ALL));
    const OrtStatus* status = api_->CreateSession(env_, model_path.c_str(), options, &session_);
    api_->ReleaseSessionOptions(options);
    check(const_cast<OrtStatus*>(status));
    check(api_->CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, &memory_));
    OrtAllocator* allocator = nullptr;
    check(api_->GetAllocatorWithDefaultOptions(&allocator));
    char* name = nullptr;
    check(api_->SessionGetInputName(session_, 0, allocator, &name));
    input_name_ = name;
    check(api_->AllocatorFree(allocator, name));
    if (output.empty()) {
      check(api_->SessionGetOutputName(session_, 0, allocator, &name));
      output_name_ = name;
      check(api_->AllocatorFree(allocator, name));
    } else {
      output_name_ = output;
    }
  }
  OrtPeer(const OrtPeer&) = delete;
  OrtPeer& operator=(const OrtPeer&) = delete;
  ~OrtPeer() {
    if (memory_ != nullptr) api_->ReleaseMemoryInfo(memory_);
    if (session_ != nullptr) api_->ReleaseSession(session_);
    if (env_ != nullptr) api_->ReleaseEnv(env_);
  }

  static std::string version() { return OrtGetApiBase()->GetVersionString(); }

  // One Run over `rows` rows of `cols` float32 values (row-major, the caller's memory, wrapped
  // without a copy); the output's values are copied into `out`.
  void run(const float* x, std::int64_t rows, std::int64_t cols, std::vector<float>& out) const {
    const std::int64_t shape[2] = {rows, cols};
    OrtValue* input = nullptr;
    check(api_->CreateTensorWithDataAsOrtValue(memory_, const_cast<float*>(x),
                                               static_cast<std::size_t>(rows * cols) * sizeof(float), shape, 2,
                                               ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, &input));
    const char* in_names[] = {input_name_.c_str()};
    const char* out_names[] = {output_name_.c_str()};
    OrtValue* output = nullptr;
    OrtStatus* status = api_->Run(session_, nullptr, in_names, &input, 1, out_names, 1, &output);
    api_->ReleaseValue(input);
    check(status);
    OrtTensorTypeAndShapeInfo* info = nullptr;
    check(api_->GetTensorTypeAndShape(output, &info));
    std::size_t count = 0;
    check(api_->GetTensorShapeElementCount(info, &count));
    api_->ReleaseTensorTypeAndShapeInfo(info);
    float* values = nullptr;
    check(api_->GetTensorMutableData(output, reinterpret_cast<void**>(&values)));
    out.assign(values, values + count);
    api_->ReleaseValue(output);
  }

 private:
  void check(OrtStatus* status) const {
    if (status == nullptr) return;
    const std::string what = api_->GetErrorMessage(status);
    api_->ReleaseStatus(status);
    throw std::runtime_error("ONNX Runtime: " + what);
  }

  const OrtApi* api_ = nullptr;
  OrtEnv* env_ = nullptr;
  OrtSession* session_ = nullptr;
  OrtMemoryInfo* memory_ = nullptr;
  std::string input_name_, output_name_;
};

}  // namespace bench

#endif  // FERRY_BENCHMARKS_ONNXRUNTIME_PEER_HPP
