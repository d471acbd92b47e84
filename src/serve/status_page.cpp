#include "serve/status_page.hpp"

#include <cmath>

#include <fmt/format.h>

namespace ferry::serve {
namespace {

std::string latency(const std::optional<double>& seconds) {
  if (!seconds) return "&mdash;";
  if (std::isinf(*seconds)) return "&gt; 2.5 s";
  if (*seconds < 1e-3) return fmt::format("&le; {:g} &micro;s", *seconds * 1e6);
  return fmt::format("&le; {:g} ms", *seconds * 1e3);
}

std::string row(const std::string& name, const std::string& value_html) {
  return fmt::format("<tr><th scope=\"row\">{}</th><td>{}</td></tr>\n", html_escape(name), value_html);
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string status_page(const StatusView& v) {
  std::string model_rows;
  model_rows += row("Name", "<span id=\"model-name\">" + html_escape(v.model.name) + "</span>");
  model_rows += row("Version", "<span id=\"model-version\">" + html_escape(v.model.version) + "</span>");
  model_rows += row("Content id (SHA-256)", "<code id=\"model-content-id\">" + html_escape(v.model.content_id) + "</code>");
  model_rows += row("Created", html_escape(v.model.created.empty() ? "unknown" : v.model.created));
  model_rows += row("Served from", "<code>" + html_escape(v.source) + "</code>");
  model_rows += row("Model changes", fmt::format("{} (rollback can go back {})", v.generation, v.rollback_depth));

  std::string traffic;
  traffic += row("Uptime", fmt::format("{:.0f} s", v.uptime_seconds));
  traffic += row("Requests", fmt::format("<span id=\"requests\">{}</span>", v.requests));
  traffic += row("Rows predicted", fmt::format("{}", v.rows_predicted));
  traffic += row("Rows explained", fmt::format("{}", v.rows_explained));
  traffic += row("Predict latency p50", "<span id=\"latency-p50\">" + latency(v.predict_p50) + "</span>");
  traffic += row("Predict latency p99", "<span id=\"latency-p99\">" + latency(v.predict_p99) + "</span>");

  std::string shadow;
  if (v.shadow) {
    const Agreement& a = *v.shadow;
    std::string rows;
    rows += row("Candidate", html_escape(v.shadow_model));
    rows += row("Rows compared", fmt::format("{}", a.rows));
    if (!a.confusion.empty())
      rows += row("Same label", fmt::format("{} ({:.2f} %)", a.same_label, 100.0 * a.label_agreement()));
    if (!a.score.empty())
      rows += row("|Difference| of " + a.score, fmt::format("mean {:.3g}, max {:.3g}", a.mean_abs_score_difference,
                                                            a.max_abs_score_difference));
    rows += row("Rows the candidate refused", fmt::format("{}", a.candidate_failed_rows));
    shadow = "<h2>Shadow candidate</h2>\n<table id=\"shadow\">\n" + rows + "</table>\n";
  }

  std::string drift;
  if (v.drift) {
    const DriftReport& r = *v.drift;
    std::string rows = fmt::format("<tr><th scope=\"col\">Column</th><th scope=\"col\">PSI</th>"
                                   "<th scope=\"col\">Level</th><th scope=\"col\">Missing, change</th></tr>\n");
    const auto add = [&rows](const ColumnDrift& c, const std::string& kind) {
      rows += fmt::format("<tr><td>{}{}</td><td>{:.4f}</td><td class=\"{}\">{}</td><td>{:+.3f}</td></tr>\n",
                          html_escape(c.name), kind, c.psi, to_string(c.level), to_string(c.level),
                          c.missing_rate_change);
    };
    for (const ColumnDrift& c : r.columns) add(c, "");
    for (const OutputDrift& o : r.outputs) add(o, " (output)");
    if (r.classes) add(*r.classes, " (predicted class)");
    drift = fmt::format("<h2>Drift</h2>\n<p>Over the last <span id=\"drift-rows\">{}</span> rows served: "
                        "<strong id=\"drift-level\">{}</strong></p>\n<table id=\"drift\">\n{}</table>\n",
                        r.rows, to_string(r.level), rows);
  }

  return fmt::format(R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ferry serve: {title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #1d2330; max-width: 56rem; }}
h1 {{ font-size: 1.4rem; }} h2 {{ font-size: 1.1rem; margin-top: 1.6rem; }}
table {{ border-collapse: collapse; min-width: 28rem; }}
th, td {{ text-align: left; padding: 0.3rem 0.8rem; border-bottom: 1px solid #d7dce5; }}
th {{ font-weight: 600; color: #4a5468; }}
code {{ font-size: 0.85rem; word-break: break-all; }}
footer {{ margin-top: 2rem; color: #6b7487; font-size: 0.85rem; }}
</style>
</head>
<body>
<h1>ferry serve: {title}</h1>
<h2>Model</h2>
<table id="model">
{model_rows}</table>
<h2>Traffic</h2>
<table id="traffic">
{traffic}</table>
{shadow}{drift}<footer>Figures as of this page load; /metrics has them for Prometheus.</footer>
</body>
</html>
)",
                     fmt::arg("title", html_escape(v.model.name + " " + v.model.version)),
                     fmt::arg("model_rows", model_rows), fmt::arg("traffic", traffic), fmt::arg("shadow", shadow),
                     fmt::arg("drift", drift));
}

}  // namespace ferry::serve
