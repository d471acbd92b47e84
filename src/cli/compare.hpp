// `ferry compare MODEL_A MODEL_B INPUT.csv`: shadow mode offline.
#ifndef FERRY_SRC_CLI_COMPARE_HPP
#define FERRY_SRC_CLI_COMPARE_HPP

#include <iosfwd>
#include <string>

namespace ferry::cli {

// Predicts every CSV row with both models and prints how far B agrees with A (ferry::Agreement):
// label agreement and the confusion table for classifiers, the mean and max absolute difference
// of the compared scores; as text, or as JSON when `json`. Throws when either model refuses the
// input (Error naming the model).
void compare(const std::string& model_a, const std::string& model_b, std::istream& csv, std::ostream& out, bool json);

}  // namespace ferry::cli

#endif  // FERRY_SRC_CLI_COMPARE_HPP
