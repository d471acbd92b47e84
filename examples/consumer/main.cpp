// A host program using an installed ferry: loads an artifact, checks it against the
// scikit-learn outputs embedded in it, predicts one sample given as name=value pairs
// (columns left out are 0) and names the column that moved the score most:
//   consumer MODEL "petal length (cm)=1.4" "petal width (cm)=0.2"
#include <cstdlib>
#include <iostream>
#include <string>

#include <ferry/ferry.hpp>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: consumer MODEL [name=value ...]\n";
    return 2;
  }
  try {
    ferry::LoadOptions options;
    options.verify = true;
    const ferry::Model model = ferry::Model::load(argv[1], options);
    const ferry::Schema& schema = model.schema();
    ferry::RowMatrixXd x = ferry::RowMatrixXd::Zero(1, static_cast<ferry::Index>(schema.inputs.size()));
    for (int i = 2; i < argc; ++i) {
      const std::string arg = argv[i];
      const std::size_t eq = arg.rfind('=');
      const ferry::Index column = schema.find_input(arg.substr(0, eq));
      if (eq == std::string::npos || column < 0) {
        std::cerr << "no input column named \"" << arg.substr(0, eq) << "\"\n";
        return 2;
      }
      x(0, column) = std::atof(arg.c_str() + eq + 1);
    }
    const ferry::Prediction p = model.predict(x);
    std::cout << model.metadata().name << " " << FERRY_VERSION_STRING << ": ";
    if (schema.task == ferry::Task::kClassification)
      std::cout << p.label_text(0) << " (p=" << p.probabilities.row(0).maxCoeff() << ")\n";
    else
      std::cout << p.values(0, 0) << "\n";

    const ferry::Explanation e = model.explain(x);
    // One score per class: explain the predicted one; otherwise the single score.
    const std::size_t output = e.values.size() > 1 ? static_cast<std::size_t>(p.class_index[0]) : 0;
    Eigen::Index top = 0;
    e.values[output].row(0).cwiseAbs().maxCoeff(&top);
    std::cout << "because of " << e.feature_names[static_cast<std::size_t>(top)] << " ("
              << e.values[output](0, top) << ")\n";
  } catch (const ferry::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
