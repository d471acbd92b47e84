// The smallest useful host, as a device would embed ferry: load a model, predict one row given
// on the command line, print the label (classifier) or the value (regressor). No iostreams, so
// that a static build measures ferry and not the C++ stream library (docs/edge.md).
//
//   minimal_host MODEL.ferry x1 x2 ... xn
#include <ferry/model.hpp>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: minimal_host MODEL.ferry x1 ... xn\n");
    return 2;
  }
  try {
    const ferry::Model model = ferry::Model::load(argv[1]);
    ferry::RowMatrixXd X(1, argc - 2);
    for (int j = 2; j < argc; ++j) X(0, j - 2) = std::strtod(argv[j], nullptr);
    const ferry::Prediction p = model.predict(X);
    if (model.schema().task == ferry::Task::kClassification)
      std::printf("%s\n", p.label_text(0).c_str());
    else
      std::printf("%.17g\n", p.values(0, 0));
  } catch (const ferry::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
