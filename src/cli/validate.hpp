// `ferry validate`: what Model::validate finds in the rows of a CSV file, per column.
#ifndef FERRY_SRC_CLI_VALIDATE_HPP
#define FERRY_SRC_CLI_VALIDATE_HPP

#include <iosfwd>

#include "cli/csv.hpp"
#include "ferry/model.hpp"

namespace ferry::cli {

// One line per problem and column: its kind, whether predict refuses it (fatal) or counts
// it, the rows affected and the first of them with its CSV line. Returns whether predict
// would accept the file (no fatal problem).
bool validate_csv(const Model& model, const CsvTable& csv, bool strict, std::ostream& out);

}  // namespace ferry::cli

#endif  // FERRY_SRC_CLI_VALIDATE_HPP
