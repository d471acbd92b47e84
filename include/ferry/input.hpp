// What every Model entry point takes: a batch in any of the forms a host holds it in.
#ifndef FERRY_INPUT_HPP
#define FERRY_INPUT_HPP

#include <optional>
#include <type_traits>

#include "ferry/detail/config.hpp"
#include "ferry/matrix.hpp"
#include "ferry/table.hpp"

FERRY_BEGIN_NAMESPACE

// A batch for Model: converts implicitly from
//  - a dense double or float Eigen matrix or expression, one sample per row, columns in
//    schema().inputs order (all-numeric models only); a row-major matrix is used in place, any
//    other layout or expression is evaluated into a row-major copy first; float is widened
//    exactly to double;
//  - a ferry::Table of named columns, bound to the inputs by name;
//  - a ferry::Row, one request (as a one-row Table).
// It refers to the caller's matrix or table, which must outlive the call it is passed to
// (a temporary does, to the end of the full expression).
class Input {
 public:
  enum class Kind { kDouble, kFloat, kTable };

  template <typename Derived>
  Input(const Eigen::MatrixBase<Derived>& X) {  // NOLINT(google-explicit-constructor)
    using Scalar = typename Derived::Scalar;
    static_assert(std::is_same_v<Scalar, double> || std::is_same_v<Scalar, float>,
                  "ferry::Input: a dense batch holds double or float");
    if constexpr (std::is_same_v<Scalar, double>) {
      doubles_.emplace(X.derived());
      kind_ = Kind::kDouble;
    } else {
      floats_.emplace(X.derived());
      kind_ = Kind::kFloat;
    }
  }
  Input(const Table& table) noexcept : kind_(Kind::kTable), table_(&table) {}  // NOLINT(google-explicit-constructor)
  Input(const Row& row) : kind_(Kind::kTable), row_(std::in_place, row), table_(&*row_) {}  // NOLINT

  // Not copyable: it may point into itself (a Row's table).
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;

  Kind kind() const noexcept { return kind_; }
  // The batch in its form; only the one kind() names is there.
  const Eigen::Ref<const RowMatrixXd>& doubles() const { return *doubles_; }
  const Eigen::Ref<const RowMatrixXf>& floats() const { return *floats_; }
  const Table& table() const noexcept { return *table_; }

 private:
  Kind kind_;
  std::optional<Eigen::Ref<const RowMatrixXd>> doubles_;
  std::optional<Eigen::Ref<const RowMatrixXf>> floats_;
  std::optional<Table> row_;
  const Table* table_ = nullptr;
};

FERRY_END_NAMESPACE

#endif  // FERRY_INPUT_HPP
