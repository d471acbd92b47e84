// Loads an artifact, checks it against its embedded scikit-learn outputs, and classifies one
// row given on the command line:  consumer MODEL x0 x1 ...
#include <cstdlib>
#include <iostream>

#include <ferry/ferry.hpp>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: consumer MODEL [feature values...]\n";
    return 2;
  }
  try {
    ferry::LoadOptions options;
    options.verify = true;
    const ferry::Model model = ferry::Model::load(argv[1], options);
    const auto n = static_cast<ferry::Index>(model.schema().inputs.size());
    ferry::RowMatrixXd x(1, n);
    for (ferry::Index j = 0; j < n; ++j) x(0, j) = 2 + j < argc ? std::atof(argv[2 + j]) : 0.0;
    const ferry::Prediction p = model.predict(x);
    std::cout << model.metadata().name << " " << FERRY_VERSION_STRING << ": ";
    if (model.schema().task == ferry::Task::kClassification)
      std::cout << p.label_text(0) << " (p=" << p.probabilities.row(0).maxCoeff() << ")\n";
    else
      std::cout << p.values(0, 0) << "\n";
  } catch (const ferry::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
