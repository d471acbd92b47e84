// The `ferry` command-line tool (docs/cli.md). Exit codes: 0 success, 1 error (and `validate`
// finding a fatal problem), 2 usage, 3 `drift` finding an alert.
#include <cstdio>
#include <filesystem>
#include <functional>
#include <fstream>
#include <iostream>
#include <map>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/compare.hpp"
#include "cli/csv.hpp"
#include "cli/drift.hpp"
#include "cli/embed.hpp"
#include "cli/explain.hpp"
#include "cli/signing.hpp"
#include "cli/validate.hpp"
#include "ferry/error.hpp"
#include "ferry/version.hpp"
#include "serve/server.hpp"

namespace {

std::ifstream open_input(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw ferry::Error(ferry::ErrorCode::kIo, "\"" + path + "\" is not a readable file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ferry::Error(ferry::ErrorCode::kIo, "cannot open \"" + path + "\"");
  return in;
}

// Output goes to a temporary file renamed over OUTPUT at the end, so a failure never leaves
// a truncated or half-written file where the previous results were.
void write_atomically(const std::string& path, const std::function<void(std::ostream&)>& produce) {
  const std::string temporary = path + ".ferry-tmp";
  {
    std::ofstream out(temporary, std::ios::binary);
    if (!out) throw ferry::Error(ferry::ErrorCode::kIo, "cannot write \"" + temporary + "\"");
    try {
      produce(out);
      out.flush();
      if (!out) throw ferry::Error(ferry::ErrorCode::kIo, "writing \"" + temporary + "\" failed");
    } catch (...) {
      out.close();
      std::remove(temporary.c_str());
      throw;
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) throw ferry::Error(ferry::ErrorCode::kIo, "cannot rename to \"" + path + "\": " + ec.message());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ferry: run scikit-learn pipelines exported to .ferry artifacts"};
  app.set_version_flag("--version", FERRY_VERSION_STRING);
  app.require_subcommand(1);
  // Given before or after the command: every command that loads a model honours it.
  app.fallthrough();
  std::vector<std::string> trusted_keys;
  app.add_option("--trusted-key", trusted_keys,
                 "Require the model to be signed by this Ed25519 key (a .pub file or its hex digits); repeatable");

  std::string model, input, output;
  ferry::cli::PredictArgs predict_args;

  CLI::App* inspect = app.add_subcommand("inspect", "Print an artifact's header and tensor table");
  inspect->add_option("MODEL", model, "Path to a .ferry file")->required();

  CLI::App* predict = app.add_subcommand("predict", "Predict every row of a CSV file (columns matched by name)");
  predict->add_option("MODEL", model, "Path to a .ferry file")->required();
  predict->add_option("INPUT", input, "CSV file with a header row; - for standard input")->required();
  predict->add_option("-o,--output", output, "Write the predictions here instead of standard output");
  predict->add_flag("--proba", predict_args.proba, "Add one proba_<class> column per class");
  predict->add_flag("--strict", predict_args.strict, "Refuse CSV columns the model does not take");

  ferry::cli::ExplainArgs explain_args;
  std::string html;
  CLI::App* explain = app.add_subcommand("explain", "SHAP values of every row of a CSV file, per input column");
  explain->add_option("MODEL", model, "Path to a .ferry file")->required();
  explain->add_option("INPUT", input, "CSV file with a header row; - for standard input")->required();
  explain->add_option("-o,--output", output, "Write the values here instead of standard output");
  explain->add_option("--top", explain_args.top, "Keep only the K largest |values| of each row (others empty)")
      ->check(CLI::Range(1, 1 << 24));
  explain->add_option("--html", html, "Also write a self-contained HTML report (charts) here");
  explain->add_flag("--strict", explain_args.strict, "Refuse CSV columns the model does not take");
  using Method = ferry::ExplainOptions::Method;
  const std::map<std::string, Method> methods{{"auto", Method::kAuto},
                                              {"exact", Method::kExact},
                                              {"interventional", Method::kInterventional},
                                              {"sampling", Method::kSampling},
                                              {"path-dependent", Method::kPathDependent}};
  explain->add_option("--method", explain_args.options.method, "How absent columns are modelled (docs/api.md)")
      ->transform(CLI::CheckedTransformer(methods))
      ->default_str("auto");
  explain->add_option("--permutations", explain_args.options.permutations, "Orderings sampled per row (sampling)")
      ->check(CLI::Range(2, 1 << 20));
  explain->add_option("--seed", explain_args.options.seed, "Seed of the sampled orderings");
  explain->add_option("--threads", explain_args.options.threads, "Rows explained in parallel")
      ->check(CLI::Range(1, 1024));

  CLI::App* verify = app.add_subcommand("verify", "Re-run the test rows embedded by the exporter");
  verify->add_option("MODEL", model, "Path to a .ferry file")->required();

  std::string key_file, embed_name;
  CLI::App* keygen = app.add_subcommand("keygen", "Make an Ed25519 key pair: PREFIX.key (secret) and PREFIX.pub");
  keygen->add_option("PREFIX", model, "Path of the key files, without extension")->required();
  CLI::App* sign = app.add_subcommand("sign", "Sign a model with an Ed25519 secret key (docs/security.md)");
  sign->add_option("MODEL", model, "Path to a .ferry file")->required();
  sign->add_option("--key", key_file, "Secret key file written by ferry keygen")->required();
  sign->add_option("-o,--output", output, "Write the signed file here instead of over MODEL");
  CLI::App* embed = app.add_subcommand("embed", "Print a model as a C header (an aligned byte array) for firmware");
  embed->add_option("MODEL", model, "Path to a .ferry file")->required();
  embed->add_option("--name", embed_name, "Name of the array (default: the file's stem)");
  embed->add_option("-o,--output", output, "Write the header here instead of standard output");

  std::string drift_json;
  ferry::MonitorOptions drift_options;
  CLI::App* drift = app.add_subcommand("drift", "Compare a CSV file with the baselines stored in the model");
  drift->add_option("MODEL", model, "Path to a .ferry file exported with X_sample")->required();
  drift->add_option("INPUT", input, "CSV file with a header row; - for standard input")->required();
  drift->add_option("-o,--output", output, "Write the text report here instead of standard output");
  drift->add_option("--html", html, "Also write a self-contained HTML report (histograms) here");
  drift->add_option("--json", drift_json, "Also write the report as JSON here");
  drift->add_option("--psi-warn", drift_options.psi_warn, "PSI from which a column is a warning")->default_val(0.1);
  drift->add_option("--psi-alert", drift_options.psi_alert, "PSI from which a column is an alert")->default_val(0.25);

  bool validate_strict = false;
  CLI::App* validate = app.add_subcommand("validate", "List the schema problems of a CSV file, per column");
  validate->add_option("MODEL", model, "Path to a .ferry file")->required();
  validate->add_option("INPUT", input, "CSV file with a header row; - for standard input")->required();
  validate->add_flag("--strict", validate_strict, "Count CSV columns the model does not take as fatal");

  std::string model_b;
  bool compare_json = false;
  CLI::App* compare = app.add_subcommand("compare", "How far MODEL_B's predictions of a CSV agree with MODEL_A's");
  compare->add_option("MODEL_A", model, "Path to a .ferry file")->required();
  compare->add_option("MODEL_B", model_b, "Path to a .ferry file")->required();
  compare->add_option("INPUT", input, "CSV file with a header row; - for standard input")->required();
  compare->add_option("-o,--output", output, "Write the report here instead of standard output");
  compare->add_flag("--json", compare_json, "Write the report as JSON");

  ferry::serve::ServeOptions serve_options;
  CLI::App* serve = app.add_subcommand("serve", "Serve a model over HTTP (docs/serve.md)");
  serve->add_option("MODEL_OR_DIR", serve_options.source, "A .ferry file, or a directory of versioned artifacts")
      ->required();
  serve->add_option("--host", serve_options.host, "Address to listen on")->capture_default_str();
  serve->add_option("--port", serve_options.port, "Port to listen on; 0 takes a free one")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  serve->add_option("--threads", serve_options.threads, "Worker threads (each open connection holds one)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  serve->add_option("--shadow", serve_options.shadow, "A candidate .ferry run on the same inputs, compared only");
  serve->add_option("--log", serve_options.log_path, "Append one JSON line per answered request here");
  serve->add_option("--admin-token", serve_options.admin_token,
                    "Token the admin routes require (without it they answer loopback clients only)");
  serve->add_option("--max-body-bytes", serve_options.max_body_bytes, "Largest request body taken")
      ->check(CLI::Range(std::size_t{64}, std::size_t{1} << 34))
      ->capture_default_str();
  serve->add_option("--max-rows", serve_options.max_rows, "Most rows taken in one request")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30))
      ->capture_default_str();
  serve->add_option("--drift-window", serve_options.drift_window,
                    "Rows the drift figures of /metrics and / cover; 0: all since the model began serving")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 30))
      ->capture_default_str();

  int status = 0;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help and --version exit 0
  }

  try {
    for (const std::string& key : trusted_keys)
      ferry::cli::load_options().trusted_keys.push_back(ferry::cli::read_public_key(key));
    if (sign->parsed()) {  // writes its own output file
      ferry::cli::sign(model, key_file, output, std::cout);
      return 0;
    }
    auto run = [&](std::ostream& out) {
      if (inspect->parsed()) {
        ferry::cli::inspect(model, out);
      } else if (predict->parsed() && input == "-") {
        ferry::cli::predict(model, std::cin, out, predict_args, std::cerr);
      } else if (predict->parsed()) {
        std::ifstream in = open_input(input);
        ferry::cli::predict(model, in, out, predict_args, std::cerr);
      } else if (explain->parsed()) {
        const ferry::Model m = ferry::cli::load_model(model);
        ferry::cli::CsvTable csv;
        if (input == "-") {
          csv = ferry::cli::read_csv(std::cin);
        } else {
          std::ifstream in = open_input(input);
          csv = ferry::cli::read_csv(in);
        }
        ferry::RowMatrixXd scores;
        const ferry::Explanation e = ferry::cli::explain_csv(m, csv, explain_args, scores, std::cerr);
        if (!html.empty())
          write_atomically(html, [&](std::ostream& page) {
            ferry::cli::write_explanation_html(e, scores, csv, "Explanation: " + m.metadata().name, page);
          });
        ferry::cli::write_explanation_csv(e, explain_args, out);
      } else if (drift->parsed() || validate->parsed()) {
        const ferry::Model m = ferry::cli::load_model(model);
        ferry::cli::CsvTable csv;
        if (input == "-") {
          csv = ferry::cli::read_csv(std::cin);
        } else {
          std::ifstream in = open_input(input);
          csv = ferry::cli::read_csv(in);
        }
        if (validate->parsed()) {
          status = ferry::cli::validate_csv(m, csv, validate_strict, out) ? 0 : 1;
          return;
        }
        const ferry::DriftReport r = ferry::cli::drift_csv(m, csv, drift_options, std::cerr);
        if (!html.empty())
          write_atomically(html, [&](std::ostream& page) {
            ferry::cli::write_drift_html(r, "Drift: " + m.metadata().name, page);
          });
        if (!drift_json.empty())
          write_atomically(drift_json, [&](std::ostream& doc) { ferry::cli::write_drift_json(r, doc); });
        ferry::cli::write_drift_text(r, out);
        status = r.level == ferry::DriftLevel::alert ? ferry::cli::kDriftAlertExit : 0;
      } else if (verify->parsed()) {
        ferry::cli::verify(model, out);
      } else if (keygen->parsed()) {
        ferry::cli::keygen(model, out);
      } else if (embed->parsed()) {
        ferry::cli::embed(model, embed_name, out);
      } else if (compare->parsed() && input == "-") {
        ferry::cli::compare(model, model_b, std::cin, out, compare_json);
      } else if (compare->parsed()) {
        std::ifstream in = open_input(input);
        ferry::cli::compare(model, model_b, in, out, compare_json);
      } else if (serve->parsed()) {
        serve_options.load = ferry::cli::load_options();
        ferry::serve::run(serve_options, out, std::cerr);
      }
    };
    if (output.empty()) {
      run(std::cout);
      std::cout.flush();
      if (!std::cout) throw ferry::Error(ferry::ErrorCode::kIo, "writing to standard output failed");
    } else {
      write_atomically(output, run);
    }
  } catch (const std::exception& e) {
    std::cerr << e.what() << '\n';  // ferry::Error, or bad_alloc on an input too large for memory
    return 1;
  }
  return status;
}
