#include "input_binding.hpp"

#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <unordered_map>

#include <fmt/format.h>

#include "ferry/error.hpp"
#include "pipeline/text_tokenizer.hpp"

FERRY_BEGIN_NAMESPACE
namespace detail {
namespace {

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

// Parses the whole of `text` (surrounding blanks allowed) as a number, independently of the
// host's locale. An empty or blank text is a missing value.
bool parse_number(const std::string& text, double& out) {
  std::size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) {
    out = kMissing;
    return true;
  }
  const std::size_t end = text.find_last_not_of(" \t") + 1;
  if (text[begin] == '+' && end - begin > 1) ++begin;
  const char* first = text.data() + begin;
  const char* last = text.data() + end;
  const auto [ptr, ec] = std::from_chars(first, last, out);
  // A value beyond double's range is out of range, not a number we could use.
  return ec == std::errc() && ptr == last;
}

std::string describe(double v) {
  if (std::isnan(v)) return "a missing value";
  if (std::isinf(v)) return v > 0 ? "+infinity" : "-infinity";
  return fmt::format("{}", v);
}

// Tallies one kind of problem in one column: how many rows, and what the first one was.
struct Tally {
  Tally(IssueKind k, bool f, ErrorCode c) : kind(k), fatal(f), code(c) {}
  IssueKind kind;
  bool fatal;
  ErrorCode code;
  Index rows = 0;
  Index first_row = -1;
  std::string first;  // what was wrong in the first row

  void add(Index row, const std::function<std::string()>& what) {
    if (rows++ == 0) {
      first_row = row;
      first = what();
    }
  }
  void report(const std::string& column, std::vector<ValidationIssue>& out) const {
    if (rows == 0) return;
    std::string message = fmt::format("column \"{}\", row {}: {}", column, first_row, first);
    if (rows > 1) message += fmt::format(" ({} rows in all)", rows);
    out.push_back(ValidationIssue{kind, fatal, column, rows, first_row, code, std::move(message)});
  }
};

ValidationIssue column_issue(IssueKind kind, bool fatal, const std::string& column, std::string message) {
  return ValidationIssue{kind, fatal, column, 0, -1, ErrorCode::kSchema, std::move(message)};
}

void bind_numeric(const InputColumn& in, const TableColumn& column, double* out, Index stride,
                  std::vector<ValidationIssue>& issues) {
  Tally not_number{IssueKind::kWrongType, true, ErrorCode::kValue};
  Tally missing{IssueKind::kMissingValue, true, ErrorCode::kValue};
  Tally infinite{IssueKind::kNotFinite, true, ErrorCode::kValue};
  Tally outside{IssueKind::kOutOfRange, false, ErrorCode::kValue};
  const double lo = in.min.value_or(-std::numeric_limits<double>::infinity());
  const double hi = in.max.value_or(std::numeric_limits<double>::infinity());
  const Index rows = column.size();
  for (Index r = 0; r < rows; ++r) {
    double v = kMissing;
    if (!column.is_text) {
      v = column.numbers[static_cast<std::size_t>(r)];
    } else if (const auto& text = column.text[static_cast<std::size_t>(r)]; text && !parse_number(*text, v)) {
      not_number.add(r, [&] { return fmt::format("\"{}\" is not a number", *text); });
      v = kMissing;
    }
    out[r * stride] = v;
    if (std::isnan(v)) {
      if (!in.nullable) missing.add(r, [] { return std::string("a missing value, which the pipeline cannot take"); });
    } else if (std::isinf(v)) {
      infinite.add(r, [&] { return describe(v) + " is not allowed"; });
    } else if (v < lo || v > hi) {
      outside.add(r, [&] { return fmt::format("{} is outside the training range [{}, {}]", v, lo, hi); });
    }
  }
  for (const Tally* t : {&not_number, &missing, &infinite, &outside}) t->report(in.name, issues);
}

void bind_text(const InputColumn& in, const TextVocabulary& vocabulary, const TableColumn& column, double* out,
               Index stride, std::vector<ValidationIssue>& issues) {
  const Index rows = column.size();
  if (!column.is_text) {
    bool all_missing = true;
    for (double v : column.numbers) all_missing = all_missing && std::isnan(v);
    if (!all_missing) {
      issues.push_back(column_issue(IssueKind::kWrongType, true, in.name,
                                    fmt::format("column \"{}\" holds numbers, but the model takes text there", in.name)));
      return;
    }
  }
  Tally missing{IssueKind::kMissingValue, true, ErrorCode::kValue};
  Tally unknown{IssueKind::kUnknownCategory, false, ErrorCode::kValue};
  for (Index r = 0; r < rows; ++r) {
    const std::optional<std::string>* text = column.is_text ? &column.text[static_cast<std::size_t>(r)] : nullptr;
    if (text == nullptr || !*text) {
      out[r * stride] = kMissing;
      if (!in.nullable) missing.add(r, [] { return std::string("a missing value, which the pipeline cannot take"); });
      continue;
    }
    const double code = vocabulary.code(**text);
    out[r * stride] = code;
    if (code < 0 || code >= static_cast<double>(vocabulary.n_seen()))
      unknown.add(r, [&] { return fmt::format("\"{}\" was not seen in training", **text); });
  }
  missing.report(in.name, issues);
  unknown.report(in.name, issues);
}

// A free-text input: each row's text, checked to be UTF-8 (what Python would decode) and
// kept for the steps; its code is the row index.
void bind_free_text(const InputColumn& in, const TableColumn& column, double* out, Index stride,
                    std::vector<std::string>& texts, std::vector<ValidationIssue>& issues) {
  const Index rows = column.size();
  if (!column.is_text) {
    bool all_missing = true;
    for (double v : column.numbers) all_missing = all_missing && std::isnan(v);
    if (!all_missing) {
      issues.push_back(column_issue(IssueKind::kWrongType, true, in.name,
                                    fmt::format("column \"{}\" holds numbers, but the model takes text there", in.name)));
      return;
    }
  }
  Tally missing{IssueKind::kMissingValue, true, ErrorCode::kValue};
  Tally invalid{IssueKind::kWrongType, true, ErrorCode::kValue};
  texts.assign(static_cast<std::size_t>(rows), std::string());
  for (Index r = 0; r < rows; ++r) {
    const std::optional<std::string>* text = column.is_text ? &column.text[static_cast<std::size_t>(r)] : nullptr;
    out[r * stride] = static_cast<double>(r);
    if (text == nullptr || !*text) {
      out[r * stride] = kMissing;  // for a nullable input, the step decides (a feature_hasher: an absent key)
      if (!in.nullable)
        missing.add(r, [] { return std::string("a missing value; a text vectorizer takes a document (\"\" for none)"); });
      continue;
    }
    const std::ptrdiff_t bad = utf8_error_offset(**text);
    if (bad >= 0) {
      invalid.add(r, [&] {
        return fmt::format("the text is not valid UTF-8 (byte 0x{:02x} at offset {})",
                           static_cast<unsigned>(static_cast<unsigned char>((**text)[static_cast<std::size_t>(bad)])),
                           bad);
      });
      continue;
    }
    texts[static_cast<std::size_t>(r)] = **text;
  }
  missing.report(in.name, issues);
  invalid.report(in.name, issues);
}

}  // namespace

BoundInput bind_table(const Schema& schema, const std::vector<const TextVocabulary*>& vocabularies,
                      const Table& table, bool strict) {
  std::unordered_map<std::string, const TableColumn*> by_name;
  for (const TableColumn& c : table.columns()) by_name.emplace(c.name, &c);
  const auto n_inputs = static_cast<Index>(schema.inputs.size());
  BoundInput bound;
  bound.X.setConstant(table.rows(), n_inputs, kMissing);
  std::shared_ptr<TextBatch> batch;  // free text, when the model takes some
  for (Index i = 0; i < n_inputs; ++i) {
    const InputColumn& in = schema.inputs[static_cast<std::size_t>(i)];
    const auto it = by_name.find(in.name);
    if (it == by_name.end()) {
      bound.issues.push_back(column_issue(IssueKind::kMissingColumn, true, in.name,
                                          fmt::format("column \"{}\" is missing; the model takes {} inputs", in.name,
                                                      n_inputs)));
      continue;
    }
    // An empty batch has no storage: no pointer into it may be formed.
    double* out = table.rows() > 0 ? bound.X.data() + i : nullptr;
    if (in.kind == ColumnKind::kText) {
      if (!batch) {
        batch = std::make_shared<TextBatch>();
        batch->inputs.resize(schema.inputs.size());
      }
      bind_free_text(in, *it->second, out, n_inputs, batch->inputs[static_cast<std::size_t>(i)], bound.issues);
    } else if (in.kind == ColumnKind::kCategorical)
      bind_text(in, *vocabularies[static_cast<std::size_t>(i)], *it->second, out, n_inputs, bound.issues);
    else
      bind_numeric(in, *it->second, out, n_inputs, bound.issues);
    by_name.erase(it);
  }
  bound.text = std::move(batch);
  for (const TableColumn& c : table.columns())
    if (by_name.count(c.name) != 0)
      bound.issues.push_back(column_issue(IssueKind::kExtraColumn, strict, c.name,
                                          fmt::format("column \"{}\" is not an input of the model{}", c.name,
                                                      strict ? " (strict mode)" : "; it is ignored")));
  return bound;
}

void throw_issue(const ValidationIssue& issue) { throw Error(issue.code, issue.message); }

}  // namespace detail
FERRY_END_NAMESPACE
