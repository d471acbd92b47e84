// The ferry command-line tool's commands, apart from argument parsing so tests can call them.
#ifndef FERRY_SRC_CLI_COMMANDS_HPP
#define FERRY_SRC_CLI_COMMANDS_HPP

#include <iosfwd>
#include <string>

#include "ferry/model.hpp"

namespace ferry::cli {

// How every command loads a model (main sets the trusted keys of --trusted-key).
LoadOptions& load_options();
Model load_model(const std::string& path);

// Header as indented JSON, then a table of tensors.
void inspect(const std::string& model_path, std::ostream& out);

struct PredictArgs {
  bool proba = false;   // add one proba_<class> column per class
  bool strict = false;  // a CSV column the model does not take is an error
};

// Predictions for every row of a CSV whose columns are matched to the model's inputs by name
// (an empty cell is a missing value). What validation counts without refusing (columns the
// model ignores, values outside the training range, unseen categories) goes to `warnings`.
void predict(const std::string& model_path, std::istream& csv, std::ostream& out, const PredictArgs& args,
             std::ostream& warnings);

// Re-runs the embedded test rows; prints a one-line summary.
void verify(const std::string& model_path, std::ostream& out);

}  // namespace ferry::cli

#endif  // FERRY_SRC_CLI_COMMANDS_HPP
