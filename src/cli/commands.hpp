// The ferry command-line tool's commands, apart from argument parsing so tests can call them.
#ifndef FERRY_SRC_CLI_COMMANDS_HPP
#define FERRY_SRC_CLI_COMMANDS_HPP

#include <iosfwd>
#include <string>

namespace ferry::cli {

// Header as indented JSON, then a table of tensors.
void inspect(const std::string& model_path, std::ostream& out);

// Predictions for every row of a CSV whose columns are matched to the model's inputs by name.
void predict(const std::string& model_path, std::istream& csv, std::ostream& out, bool proba);

// Re-runs the embedded test rows; prints a one-line summary.
void verify(const std::string& model_path, std::ostream& out);

}  // namespace ferry::cli

#endif  // FERRY_SRC_CLI_COMMANDS_HPP
