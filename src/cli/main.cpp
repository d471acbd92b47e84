// The `ferry` command-line tool (docs/cli.md).
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "ferry/error.hpp"
#include "ferry/version.hpp"

int main(int argc, char** argv) {
  CLI::App app{"ferry: run scikit-learn pipelines exported to .ferry artifacts"};
  app.set_version_flag("--version", FERRY_VERSION_STRING);
  app.require_subcommand(1);

  std::string model, input, output;
  bool proba = false;

  CLI::App* inspect = app.add_subcommand("inspect", "Print an artifact's header and tensor table");
  inspect->add_option("MODEL", model, "Path to a .ferry file")->required();

  CLI::App* predict = app.add_subcommand("predict", "Predict every row of a CSV file (columns matched by name)");
  predict->add_option("MODEL", model, "Path to a .ferry file")->required();
  predict->add_option("INPUT", input, "CSV file with a header row; - for standard input")->required();
  predict->add_option("-o,--output", output, "Write the predictions here instead of standard output");
  predict->add_flag("--proba", proba, "Add one proba_<class> column per class");

  CLI::App* verify = app.add_subcommand("verify", "Re-run the test rows embedded by the exporter");
  verify->add_option("MODEL", model, "Path to a .ferry file")->required();

  CLI11_PARSE(app, argc, argv);

  try {
    std::ofstream file;
    std::ostream* out = &std::cout;
    if (!output.empty()) {
      file.open(output, std::ios::binary);
      if (!file) throw ferry::Error(ferry::ErrorCode::kIo, "cannot write \"" + output + "\"");
      out = &file;
    }
    if (inspect->parsed()) {
      ferry::cli::inspect(model, *out);
    } else if (predict->parsed()) {
      if (input == "-") {
        ferry::cli::predict(model, std::cin, *out, proba);
      } else {
        std::ifstream in(input, std::ios::binary);
        if (!in) throw ferry::Error(ferry::ErrorCode::kIo, "cannot open \"" + input + "\"");
        ferry::cli::predict(model, in, *out, proba);
      }
    } else if (verify->parsed()) {
      ferry::cli::verify(model, *out);
    }
    out->flush();
    if (!*out) throw ferry::Error(ferry::ErrorCode::kIo, "writing the output failed");
  } catch (const ferry::Error& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
  return 0;
}
