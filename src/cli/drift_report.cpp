// The HTML report of `ferry drift --html`: one self-contained page (inline SVG and CSS, no
// scripts, nothing to fetch) that opens anywhere, so it can be attached to a ticket as it is.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <ostream>
#include <vector>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "cli/drift.hpp"
#include "cli/html_escape.hpp"

namespace ferry::cli {
namespace {

constexpr int kWidth = 900;       // SVG width
constexpr int kLabelWidth = 260;  // left margin for the bin labels
constexpr int kBar = 9;           // height of one bar; a bin has a training and a current bar
constexpr int kBinHeight = 2 * kBar + 6;

std::string percent(double share) { return fmt::format("{:.1f}%", 100.0 * share); }

// Training and current shares of each bin as pairs of horizontal bars.
void histogram(const ColumnDrift& d, std::ostream& out) {
  double top = 0.0;
  for (std::size_t i = 0; i < d.bins.size(); ++i) top = std::max({top, d.training_share[i], d.current_share[i]});
  if (!(top > 0)) top = 1.0;
  const double span = kWidth - kLabelWidth - 80;
  const int height = static_cast<int>(d.bins.size()) * kBinHeight + 26;
  fmt::print(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" role=\"img\">\n", kWidth,
             height);
  fmt::print(out, "<rect x=\"{}\" y=\"4\" width=\"12\" height=\"{}\" class=\"train\"/><text x=\"{}\" y=\"13\">training</text>\n",
             kLabelWidth + 10, kBar, kLabelWidth + 26);
  fmt::print(out, "<rect x=\"{}\" y=\"4\" width=\"12\" height=\"{}\" class=\"now {}\"/><text x=\"{}\" y=\"13\">current</text>\n",
             kLabelWidth + 100, kBar, to_string(d.level), kLabelWidth + 116);
  for (std::size_t i = 0; i < d.bins.size(); ++i) {
    const int y = static_cast<int>(i) * kBinHeight + 22;
    fmt::print(out, "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", kLabelWidth, y + kBar + 3,
               html_escape(d.bins[i]));
    const double wt = d.training_share[i] / top * span, wc = d.current_share[i] / top * span;
    fmt::print(out, "<rect x=\"{}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" class=\"train\"/>\n", kLabelWidth + 10, y, wt,
               kBar);
    fmt::print(out, "<rect x=\"{}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" class=\"now {}\"/>\n", kLabelWidth + 10,
               y + kBar, wc, kBar, to_string(d.level));
    fmt::print(out, "<text x=\"{:.1f}\" y=\"{}\" class=\"small\">{} / {}</text>\n", kLabelWidth + 14 + std::max(wt, wc),
               y + kBar + 3, percent(d.training_share[i]), percent(d.current_share[i]));
  }
  fmt::print(out, "</svg>\n");
}

void section(const ColumnDrift& d, const std::string& extra, std::ostream& out) {
  fmt::print(out, "<h3>{} <span class=\"badge {}\">{}</span></h3>\n<p class=\"note\">PSI {:.4f}{}</p>\n",
             html_escape(d.name), to_string(d.level), to_string(d.level), d.psi, html_escape(extra));
  histogram(d, out);
}

}  // namespace

void write_drift_html(const DriftReport& r, const std::string& title, std::ostream& out) {
  fmt::print(out,
             "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
             "<title>{0}</title>\n<style>\n"
             "body{{font-family:sans-serif;margin:2em;color:#222}}\n"
             "svg{{font-size:12px;display:block;margin:0.5em 0}} text.small{{font-size:10px;fill:#555}}\n"
             "rect.train{{fill:#b8b8b8}} rect.ok{{fill:#3a8f5c}} rect.warn{{fill:#d99a1e}} rect.alert{{fill:#c9303e}}\n"
             "table{{border-collapse:collapse}} td,th{{padding:2px 10px;text-align:left;border-bottom:1px solid #ddd}}\n"
             ".badge{{padding:1px 6px;border-radius:3px;color:#fff;font-size:0.8em}}\n"
             ".badge.ok{{background:#3a8f5c}} .badge.warn{{background:#d99a1e}} .badge.alert{{background:#c9303e}}\n"
             ".note{{color:#555;font-size:0.9em}}\n"
             "</style>\n</head>\n<body>\n<h1>{0}</h1>\n",
             html_escape(title));
  fmt::print(out,
             "<p>{} rows of model {} {} against the baselines of its training sample: drift <span class=\"badge "
             "{}\">{}</span></p>\n",
             r.rows, html_escape(r.model_name), html_escape(r.model_version), to_string(r.level), to_string(r.level));
  fmt::print(out,
             "<p class=\"note\">PSI is the population stability index of the current rows against the training "
             "sample over each column's bins (quantile bins of the training values, or its most frequent "
             "categories, then missing), with 0.5 added to every bin count. Grey bars: training shares; coloured "
             "bars: current shares.</p>\n");
  std::vector<std::size_t> order(r.columns.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return r.columns[a].psi > r.columns[b].psi; });
  fmt::print(out, "<h2>Input columns</h2>\n<table>\n<tr><th>column</th><th>PSI</th><th>level</th><th>missing "
                  "(training)</th><th>outside range / unseen</th></tr>\n");
  for (std::size_t j : order) {
    const ColumnDrift& c = r.columns[j];
    fmt::print(out, "<tr><td>{}</td><td>{:.4f}</td><td><span class=\"badge {}\">{}</span></td><td>{} ({})</td><td>{}</td></tr>\n",
               html_escape(c.name), c.psi, to_string(c.level), to_string(c.level), percent(c.current_missing_rate),
               percent(c.training_missing_rate),
               c.text ? percent(c.unseen) + " unseen" : percent(c.outside_range) + " outside");
  }
  fmt::print(out, "</table>\n");
  for (std::size_t j : order) {
    const ColumnDrift& c = r.columns[j];
    section(c, c.text ? fmt::format(", {} of the values unseen in training", percent(c.unseen))
                      : fmt::format(", {} of the values outside the training range", percent(c.outside_range)),
            out);
  }
  fmt::print(out, "<h2>Model outputs</h2>\n");
  for (const OutputDrift& o : r.outputs)
    section(o, fmt::format(", mean {:.4g} (training {:.4g} ± {:.4g}): shift {:+.3f} training sd", o.current_mean,
                           o.training_mean, o.training_std, o.mean_shift),
            out);
  if (r.classes) section(*r.classes, ", predicted class frequencies", out);
  fmt::print(out, "</body>\n</html>\n");
}

}  // namespace ferry::cli
