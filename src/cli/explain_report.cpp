// The HTML report of `ferry explain --html`: one self-contained page that opens anywhere
// (inline SVG and CSS, no scripts, no fonts or images to fetch), so it can be mailed or
// attached to a ticket as it is.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <ostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "cli/explain.hpp"

namespace ferry::cli {
namespace {

constexpr int kWidth = 960;       // SVG width
constexpr int kLabelWidth = 340;  // left margin for the labels
constexpr int kBarHeight = 20;
constexpr int kTopBars = 12;          // waterfall: the largest contributions, the rest as one bar
constexpr std::size_t kMaxBars = 30;  // mean-|SHAP| chart: the most important columns

std::string escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string number(double v) { return fmt::format("{:.4g}", v); }

// Maps [lo, hi] onto the chart area, with a margin so that end labels fit.
struct Scale {
  double lo, hi;
  double x(double v) const {
    const double span = hi > lo ? hi - lo : 1.0;
    return kLabelWidth + 10 + (v - lo) / span * (kWidth - kLabelWidth - 90);
  }
};

void bar_chart(const Explanation& e, std::size_t c, std::ostream& out) {
  const RowMatrixXd& v = e.values[c];
  const auto n = static_cast<std::size_t>(v.cols());
  std::vector<double> mean(n, 0.0);
  for (std::size_t j = 0; j < n; ++j) mean[j] = v.rows() > 0 ? v.col(static_cast<Index>(j)).cwiseAbs().mean() : 0.0;
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return mean[a] > mean[b]; });
  const std::size_t shown = std::min(n, kMaxBars);
  const double top = shown > 0 ? mean[order[0]] : 0.0;
  const Scale s{0.0, top > 0 ? top : 1.0};
  const int height = static_cast<int>(shown) * kBarHeight + 30;
  fmt::print(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" role=\"img\">\n", kWidth,
             height);
  for (std::size_t r = 0; r < shown; ++r) {
    const std::size_t j = order[r];
    const int y = static_cast<int>(r) * kBarHeight + 5;
    fmt::print(out, "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", kLabelWidth, y + 14,
               escape(e.feature_names[j]));
    fmt::print(out, "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" class=\"imp\"/>\n", s.x(0), y,
               s.x(mean[j]) - s.x(0), kBarHeight - 4);
    fmt::print(out, "<text x=\"{:.1f}\" y=\"{}\">{}</text>\n", s.x(mean[j]) + 4, y + 14, number(mean[j]));
  }
  fmt::print(out, "</svg>\n");
  if (shown < n) fmt::print(out, "<p class=\"note\">The {} most important of {} columns.</p>\n", shown, n);
}

void waterfall(const Explanation& e, std::size_t c, Index i, double score, const CsvTable& csv, std::ostream& out) {
  const RowMatrixXd& v = e.values[c];
  const auto n = static_cast<std::size_t>(v.cols());
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::abs(v(i, static_cast<Index>(a))) > std::abs(v(i, static_cast<Index>(b)));
  });
  struct Bar {
    std::string label;
    double value;
  };
  std::vector<Bar> bars;
  double rest = 0.0;
  for (std::size_t r = 0; r < n; ++r) {
    const std::size_t j = order[r];
    const double value = v(i, static_cast<Index>(j));
    if (r < static_cast<std::size_t>(kTopBars)) {
      std::string label = e.feature_names[j];
      // The input value as the CSV gave it, when the CSV has that column.
      const auto it = std::find(csv.header.begin(), csv.header.end(), e.feature_names[j]);
      if (it != csv.header.end() && static_cast<std::size_t>(i) < csv.rows.size()) {
        const std::string& cell =
            csv.rows[static_cast<std::size_t>(i)][static_cast<std::size_t>(it - csv.header.begin())];
        label += " = " + (cell.empty() ? std::string("(missing)") : cell);
      }
      bars.push_back({label, value});
    } else {
      rest += value;
    }
  }
  if (n > static_cast<std::size_t>(kTopBars))
    bars.push_back({fmt::format("{} other columns", n - static_cast<std::size_t>(kTopBars)), rest});

  const double base = e.base_values(i, static_cast<Index>(c));
  double lo = std::min(base, score), hi = std::max(base, score), at = base;
  for (const Bar& b : bars) {
    at += b.value;
    lo = std::min(lo, at);
    hi = std::max(hi, at);
  }
  const Scale s{lo, hi};
  const int height = static_cast<int>(bars.size() + 2) * kBarHeight + 20;
  fmt::print(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" role=\"img\">\n", kWidth,
             height);
  int y = 5;
  fmt::print(out, "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">base value</text>\n", kLabelWidth, y + 14);
  fmt::print(out, "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" class=\"guide\"/>\n", s.x(base), y,
             height - 5);
  fmt::print(out, "<text x=\"{:.1f}\" y=\"{}\">{}</text>\n", s.x(base) + 4, y + 14, number(base));
  at = base;
  for (const Bar& b : bars) {
    y += kBarHeight;
    const double from = at, to = at + b.value;
    at = to;
    const double x0 = std::min(s.x(from), s.x(to)), x1 = std::max(s.x(from), s.x(to));
    fmt::print(out, "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", kLabelWidth, y + 14, escape(b.label));
    fmt::print(out, "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" class=\"{}\"/>\n", x0, y,
               std::max(x1 - x0, 1.0), kBarHeight - 4, b.value >= 0 ? "pos" : "neg");
    fmt::print(out, "<text x=\"{:.1f}\" y=\"{}\">{}{}</text>\n", x1 + 4, y + 14, b.value >= 0 ? "+" : "",
               number(b.value));
  }
  y += kBarHeight;
  fmt::print(out, "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"total\">score</text>\n", kLabelWidth, y + 14);
  fmt::print(out, "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" class=\"score\"/>\n", s.x(score), 5,
             y + kBarHeight - 4);
  fmt::print(out, "<text x=\"{:.1f}\" y=\"{}\" class=\"total\">{}</text>\n", s.x(score) + 4, y + 14, number(score));
  fmt::print(out, "</svg>\n");
}

// The features of a text column that moved output c of row i most (Explanation::terms).
void term_table(const Explanation& e, std::size_t c, Index i, std::ostream& out) {
  if (static_cast<std::size_t>(i) >= e.terms.size() || e.terms[static_cast<std::size_t>(i)].empty()) return;
  std::vector<const Explanation::Term*> row;
  for (const Explanation::Term& t : e.terms[static_cast<std::size_t>(i)]) row.push_back(&t);
  std::stable_sort(row.begin(), row.end(), [c](const Explanation::Term* a, const Explanation::Term* b) {
    return std::abs(a->values[c]) > std::abs(b->values[c]);
  });
  const std::size_t shown = std::min<std::size_t>(row.size(), kTopBars);
  fmt::print(out, "<table class=\"terms\">\n<tr><th>text column</th><th>term</th><th>part of the score</th></tr>\n");
  for (std::size_t r = 0; r < shown; ++r) {
    const double v = row[r]->values[c];
    fmt::print(out, "<tr><td>{}</td><td>{}</td><td class=\"{}\">{}{}</td></tr>\n", escape(row[r]->column),
               escape(row[r]->feature), v >= 0 ? "pos" : "neg", v >= 0 ? "+" : "", number(v));
  }
  fmt::print(out, "</table>\n");
  if (shown < row.size())
    fmt::print(out, "<p class=\"note\">The {} terms of {} in this row that moved the score most.</p>\n", shown,
               row.size());
}

}  // namespace

void write_explanation_html(const Explanation& e, const RowMatrixXd& scores, const CsvTable& csv,
                            const std::string& title, std::ostream& out) {
  fmt::print(out,
             "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
             "<title>{0}</title>\n<style>\n"
             "body{{font-family:sans-serif;margin:2em;color:#222}}\n"
             "svg{{font-size:12px;display:block;margin:0.5em 0}}\n"
             "rect.pos{{fill:#d6404e}} rect.neg{{fill:#2f7fc1}} rect.imp{{fill:#7a6fb0}}\n"
             "line.guide{{stroke:#999;stroke-dasharray:3 3}} line.score{{stroke:#222}}\n"
             "text.total{{font-weight:bold}} .note{{color:#555;font-size:0.9em}}\n"
             "table.terms{{border-collapse:collapse;font-size:12px}} table.terms td,table.terms th{{padding:2px "
             "8px;text-align:left}} td.pos{{color:#d6404e}} td.neg{{color:#2f7fc1}}\n"
             "</style>\n</head>\n<body>\n<h1>{0}</h1>\n",
             escape(title));
  fmt::print(out,
             "<p>SHAP values ({}) of the model's raw scores (margins: log-odds or logits for a classifier, the "
             "prediction itself for a plain regressor), one per input column: for each row, the base value plus "
             "the values of all columns equals the score. Columns derived from one input column (one-hot outputs, "
             "indicators, spline bases) are counted in that column. For a linear model on text, a table under "
             "each row lists the terms of its documents that moved the score most: each term's weight times its "
             "value in the row.</p>\n",
             escape(to_string(e.method)));
  for (std::size_t c = 0; c < e.values.size(); ++c) {
    // A binary classifier's one output is its positive class: say so there too.
    const std::string output = " — score of " + escape(e.output_names[c]);
    fmt::print(out, "<h2>Mean |SHAP value| over all {} rows{}</h2>\n", e.rows(), output);
    bar_chart(e, c, out);
  }
  const Index shown = std::min(e.rows(), kReportRows);
  fmt::print(out, "<h2>Rows</h2>\n");
  if (shown < e.rows())
    fmt::print(out, "<p class=\"note\">Waterfall charts of the first {} of {} rows; the CSV output has them all.</p>\n",
               shown, e.rows());
  for (Index i = 0; i < shown; ++i) {
    for (std::size_t c = 0; c < e.values.size(); ++c) {
      const std::string output = ", score of " + escape(e.output_names[c]);
      const std::string line = static_cast<std::size_t>(i) < csv.row_lines.size()
                                   ? fmt::format(" (CSV line {})", csv.row_lines[static_cast<std::size_t>(i)])
                                   : std::string();
      fmt::print(out, "<h3>Row {}{}{}</h3>\n", i, line, output);
      waterfall(e, c, i, scores(i, static_cast<Index>(c)), csv, out);
      term_table(e, c, i, out);
    }
  }
  fmt::print(out, "</body>\n</html>\n");
}

}  // namespace ferry::cli
