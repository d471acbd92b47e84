// What the tree benchmarks share: the models' directory, their rows, and XGBoost's C API as
// the peer (nthread=1 unless asked), including its classic DMatrix prediction path.
#ifndef FERRY_BENCHMARKS_XGBOOST_PEER_HPP
#define FERRY_BENCHMARKS_XGBOOST_PEER_HPP

#include <cmath>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>

#include <xgboost/c_api.h>

#include "ferry/matrix.hpp"

namespace bench {

inline std::string model_dir() {
  const char* dir = std::getenv("FERRY_TREE_MODELS");
  if (dir == nullptr) throw std::runtime_error("set FERRY_TREE_MODELS to the output of make_tree_models.py");
  return dir;
}

inline void xgb_check(int rc) {
  if (rc != 0) throw std::runtime_error(std::string("XGBoost: ") + XGBGetLastError());
}

// Rows from the training distribution (standard normal), fixed seed.
inline ferry::RowMatrixXd rows(ferry::Index n) {
  ferry::RowMatrixXd X(n, 32);
  std::mt19937_64 rng(42);
  std::normal_distribution<double> normal;
  for (ferry::Index i = 0; i < X.size(); ++i) X.data()[i] = normal(rng);
  return X;
}

// A loaded XGBoost model, predicting on `threads` threads (nthread).
class XgbBooster {
 public:
  explicit XgbBooster(const std::string& path, int threads = 1) {
    xgb_check(XGBoosterCreate(nullptr, 0, &booster_));
    xgb_check(XGBoosterLoadModel(booster_, path.c_str()));
    xgb_check(XGBoosterSetParam(booster_, "nthread", std::to_string(threads).c_str()));
  }
  ~XgbBooster() { XGBoosterFree(booster_); }
  XgbBooster(const XgbBooster&) = delete;
  XgbBooster& operator=(const XgbBooster&) = delete;

  BoosterHandle handle() const { return booster_; }

  // The classic path: a DMatrix from the rows (float32, as XGBoost compares), then
  // XGBoosterPredict with `option_mask` (1: output margin, 4: pred_contribs).
  const float* predict_dmatrix(const ferry::RowMatrixXd& X, int option_mask, bst_ulong* n_out) const {
    const ferry::RowMatrixXf Xf = X.cast<float>();
    DMatrixHandle dm = nullptr;
    xgb_check(XGDMatrixCreateFromMat(Xf.data(), static_cast<bst_ulong>(X.rows()), static_cast<bst_ulong>(X.cols()), NAN,
                                     &dm));
    const float* out = nullptr;
    xgb_check(XGBoosterPredict(booster_, dm, option_mask, 0, 0, n_out, &out));
    XGDMatrixFree(dm);
    return out;
  }

 private:
  BoosterHandle booster_ = nullptr;
};

}  // namespace bench

#endif  // FERRY_BENCHMARKS_XGBOOST_PEER_HPP
