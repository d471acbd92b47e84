// ferry._native: the C++ runtime for Python. A thin layer over the public API (ferry/ferry.hpp)
// only; python/ferry/runtime.py turns numpy arrays and pandas DataFrames into what it takes and
// its results into arrays and DataFrames with the model's names.
//
// Input is either a 2-D C-contiguous float64 or float32 array, used in place (no copy), or a
// list of named columns, which becomes a ferry::Table: (name, float64 array) for numbers,
// (name, object array, missing mask) or (name, list of str or None) for text. The GIL is released while ferry
// computes; every ferry::Error becomes ferry.FerryError(code, message).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <ferry/ferry.hpp>

namespace py = pybind11;

namespace {

// Owns an Eigen matrix for the numpy array that views it (no copy of results).
py::array to_numpy(ferry::RowMatrixXd&& m) {
  auto* owned = new ferry::RowMatrixXd(std::move(m));
  py::capsule owner(owned, [](void* p) { delete static_cast<ferry::RowMatrixXd*>(p); });
  const auto rows = static_cast<py::ssize_t>(owned->rows());
  const auto cols = static_cast<py::ssize_t>(owned->cols());
  const auto item = static_cast<py::ssize_t>(sizeof(double));
  return py::array_t<double>({rows, cols}, {cols * item, item}, owned->data(), owner);
}

py::array index_array(const std::vector<ferry::Index>& v) {
  py::array_t<std::int64_t> out(static_cast<py::ssize_t>(v.size()));
  auto* p = out.mutable_data();
  for (std::size_t i = 0; i < v.size(); ++i) p[i] = static_cast<std::int64_t>(v[i]);
  return std::move(out);
}

// A text column from an object array and its missing-value mask (pandas' isna): str as it is,
// anything else through str().
std::vector<std::optional<std::string>> text_column(const std::string& name, const py::object& values,
                                                    const py::object& missing) {
  const auto a = py::array::ensure(values, py::array::c_style);
  const auto mask = py::array_t<bool, py::array::c_style | py::array::forcecast>::ensure(missing);
  if (!a || a.ndim() != 1 || a.dtype().kind() != 'O' || !mask || mask.size() != a.size())
    throw py::value_error("column \"" + name + "\": a text column is a 1-D object array and its missing-value mask");
  const auto n = static_cast<std::size_t>(a.size());
  auto* const* items = static_cast<PyObject* const*>(a.data());
  const bool* is_missing = mask.data();
  std::vector<std::optional<std::string>> text;
  text.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (is_missing[i]) {
      text.emplace_back(std::nullopt);
      continue;
    }
    PyObject* item = items[i];
    py::object owned;
    if (!PyUnicode_Check(item)) {
      owned = py::str(py::handle(item));
      item = owned.ptr();
    }
    Py_ssize_t size = 0;
    const char* utf8 = PyUnicode_AsUTF8AndSize(item, &size);
    if (utf8 == nullptr) throw py::error_already_set();
    text.emplace_back(std::in_place, utf8, static_cast<std::size_t>(size));
  }
  return text;
}

// Named input: (name, float64 array) for a number column, (name, object array, missing mask)
// or (name, list of str or None) for a text column.
ferry::Table make_table(const py::list& columns) {
  ferry::Table table;
  for (const py::handle item : columns) {
    const auto entry = item.cast<py::tuple>();
    if (entry.size() != 2 && entry.size() != 3) throw py::value_error("a named column is (name, values[, missing])");
    auto name = entry[0].cast<std::string>();
    const py::object values = entry[1];
    if (entry.size() == 3) {
      table.add_text(name, text_column(name, values, entry[2]));
    } else if (py::isinstance<py::list>(values)) {
      const auto list = values.cast<py::list>();
      std::vector<std::optional<std::string>> text;
      text.reserve(list.size());
      for (const py::handle v : list) {
        if (v.is_none())
          text.emplace_back(std::nullopt);
        else
          text.emplace_back(v.cast<std::string>());
      }
      table.add_text(std::move(name), std::move(text));
    } else {
      const auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(values);
      if (!a || a.ndim() != 1) throw py::value_error("column \"" + name + "\": a numeric column is a 1-D float64 array");
      table.add_numeric(std::move(name), std::vector<double>(a.data(), a.data() + a.size()));
    }
  }
  return table;
}

// Runs f(const ferry::Input&) on X without the GIL and returns what f returns.
template <typename F>
auto with_input(const py::object& X, F&& f) {
  if (py::isinstance<py::array>(X)) {
    const auto a = X.cast<py::array>();
    if (a.ndim() != 2) throw py::value_error("a dense batch is a 2-D array (rows x inputs)");
    if (!(a.flags() & py::array::c_style))
      throw py::type_error("a dense batch must be C-contiguous (ferry.Model converts it)");
    const auto rows = static_cast<ferry::Index>(a.shape(0));
    const auto cols = static_cast<ferry::Index>(a.shape(1));
    if (a.dtype().is(py::dtype::of<double>())) {
      const Eigen::Map<const ferry::RowMatrixXd> m(static_cast<const double*>(a.data()), rows, cols);
      const ferry::Input input(m);
      py::gil_scoped_release release;
      return f(input);
    }
    if (a.dtype().is(py::dtype::of<float>())) {
      const Eigen::Map<const ferry::RowMatrixXf> m(static_cast<const float*>(a.data()), rows, cols);
      const ferry::Input input(m);
      py::gil_scoped_release release;
      return f(input);
    }
    throw py::type_error("a dense batch holds float64 or float32 (ferry.Model converts it)");
  }
  const ferry::Table table = make_table(X.cast<py::list>());
  const ferry::Input input(table);
  py::gil_scoped_release release;
  return f(input);
}

ferry::PredictOptions predict_options(int threads, bool strict) {
  ferry::PredictOptions o;
  o.threads = threads;
  o.strict = strict;
  return o;
}

py::list class_list(const ferry::ClassLabels& c) {
  py::list out;
  for (std::size_t i = 0; i < c.size(); ++i) {
    switch (c.type()) {
      case ferry::LabelType::kInt64: out.append(c.int64()[i]); break;
      case ferry::LabelType::kBool: out.append(py::bool_(c.int64()[i] != 0)); break;
      case ferry::LabelType::kFloat64: out.append(c.float64()[i]); break;
      case ferry::LabelType::kString: out.append(c.string()[i]); break;
    }
  }
  return out;
}

const char* label_type_name(ferry::LabelType t) {
  switch (t) {
    case ferry::LabelType::kInt64: return "int64";
    case ferry::LabelType::kFloat64: return "float64";
    case ferry::LabelType::kString: return "str";
    case ferry::LabelType::kBool: return "bool";
  }
  return "";
}

const char* issue_kind_name(ferry::IssueKind k) {
  switch (k) {
    case ferry::IssueKind::kMissingColumn: return "missing_column";
    case ferry::IssueKind::kWrongType: return "wrong_type";
    case ferry::IssueKind::kMissingValue: return "missing_value";
    case ferry::IssueKind::kNotFinite: return "not_finite";
    case ferry::IssueKind::kRejected: return "rejected";
    case ferry::IssueKind::kExtraColumn: return "extra_column";
    case ferry::IssueKind::kOutOfRange: return "out_of_range";
    case ferry::IssueKind::kUnknownCategory: return "unknown_category";
  }
  return "";
}

py::list issue_list(const std::vector<ferry::ValidationIssue>& issues) {
  py::list out;
  for (const auto& i : issues) {
    py::dict d;
    d["kind"] = issue_kind_name(i.kind);
    d["fatal"] = i.fatal;
    d["column"] = i.column;
    d["rows"] = static_cast<std::int64_t>(i.rows);
    d["first_row"] = static_cast<std::int64_t>(i.first_row);
    d["code"] = static_cast<int>(i.code);
    d["message"] = i.message;
    out.append(std::move(d));
  }
  return out;
}

ferry::ExplainOptions::Method explain_method(const std::string& name) {
  using M = ferry::ExplainOptions::Method;
  if (name == "auto") return M::kAuto;
  if (name == "exact") return M::kExact;
  if (name == "interventional") return M::kInterventional;
  if (name == "sampling") return M::kSampling;
  if (name == "path_dependent") return M::kPathDependent;
  throw py::value_error("unknown explanation method \"" + name +
                        "\" (auto, exact, interventional, sampling, path_dependent)");
}

py::array stack(std::vector<ferry::RowMatrixXd>& mats, ferry::Index rows, ferry::Index cols) {
  // outputs x rows x cols
  py::array_t<double> out({static_cast<py::ssize_t>(mats.size()), static_cast<py::ssize_t>(rows),
                           static_cast<py::ssize_t>(cols)});
  double* p = out.mutable_data();
  for (const auto& m : mats) {
    std::copy(m.data(), m.data() + m.size(), p);
    p += m.size();
  }
  return std::move(out);
}

}  // namespace

PYBIND11_MODULE(_native, m) {
  m.doc() = "ferry's C++ runtime (use ferry.Model, which wraps it)";
  m.attr("version") = FERRY_VERSION_STRING;

  // ferry.FerryError lives in pure Python (ferry/errors.py) so the exporter can name it without
  // the native module; every ferry::Error is raised as FerryError(code, message).
  // Kept for the life of the process (never released at interpreter exit).
  static const py::handle error_type = py::object(py::module_::import("ferry.errors").attr("FerryError")).release();
  m.attr("FerryError") = error_type;
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ferry::Error& e) {
      const py::object exc = error_type(static_cast<int>(e.code()), e.message());
      PyErr_SetObject(error_type.ptr(), exc.ptr());
    }
  });

  py::class_<ferry::Model>(m, "Model")
      .def_static(
          "load",
          [](const std::string& path, bool verify) {
            ferry::LoadOptions o;
            o.verify = verify;
            py::gil_scoped_release release;
            return ferry::Model::load(path, o);
          },
          py::arg("path"), py::arg("verify") = false)
      .def_static(
          "from_bytes",
          [](const py::bytes& data, bool verify) {
            ferry::LoadOptions o;
            o.verify = verify;
            char* bytes = nullptr;
            Py_ssize_t size = 0;
            if (PyBytes_AsStringAndSize(data.ptr(), &bytes, &size) != 0) throw py::error_already_set();
            py::gil_scoped_release release;
            return ferry::Model::from_bytes(bytes, static_cast<std::size_t>(size), o);
          },
          py::arg("data"), py::arg("verify") = false)
      .def_property_readonly("inputs",
                             [](const ferry::Model& model) {
                               py::list out;
                               for (const auto& c : model.schema().inputs) {
                                 py::dict d;
                                 d["name"] = c.name;
                                 d["kind"] = c.kind == ferry::ColumnKind::kNumeric ? "numeric" : "text";
                                 d["nullable"] = c.nullable;
                                 d["min"] = c.min ? py::object(py::float_(*c.min)) : py::none();
                                 d["max"] = c.max ? py::object(py::float_(*c.max)) : py::none();
                                 d["categories"] = c.categories;
                                 out.append(std::move(d));
                               }
                               return out;
                             })
      .def_property_readonly("task",
                             [](const ferry::Model& model) {
                               return model.schema().task == ferry::Task::kClassification ? "classification"
                                                                                          : "regression";
                             })
      .def_property_readonly("n_outputs",
                             [](const ferry::Model& model) { return static_cast<std::int64_t>(model.schema().n_outputs); })
      .def_property_readonly("classes", [](const ferry::Model& model) { return class_list(model.schema().classes); })
      .def_property_readonly("class_type",
                             [](const ferry::Model& model) { return label_type_name(model.schema().classes.type()); })
      .def_property_readonly("class_names",
                             [](const ferry::Model& model) {
                               std::vector<std::string> out;
                               const auto& c = model.schema().classes;
                               for (std::size_t i = 0; i < c.size(); ++i) out.push_back(c.to_string(i));
                               return out;
                             })
      .def_property_readonly("target", [](const ferry::Model& model) { return model.schema().target; })
      .def_property_readonly("transformed_feature_names", &ferry::Model::transformed_feature_names)
      .def_property_readonly("metadata",
                             [](const ferry::Model& model) {
                               const ferry::Metadata& md = model.metadata();
                               py::dict d;
                               d["name"] = md.name;
                               d["version"] = md.version;
                               d["description"] = md.description;
                               d["created"] = md.created;
                               d["producer"] = md.producer;
                               d["training_rows"] = md.training_rows ? py::object(py::int_(*md.training_rows)) : py::none();
                               d["sample_rows"] = md.sample_rows;
                               d["sample_sha256"] = md.sample_sha256;
                               d["format_major"] = md.format_major;
                               d["format_minor"] = md.format_minor;
                               return d;
                             })
      .def(
          "predict",
          [](const ferry::Model& model, const py::object& X, int threads, bool strict) {
            ferry::Prediction p = with_input(X, [&](const ferry::Input& in) {
              return model.predict(in, predict_options(threads, strict));
            });
            py::dict d;
            if (p.task == ferry::Task::kClassification) {
              d["class_index"] = index_array(p.class_index);
              d["probabilities"] = to_numpy(std::move(p.probabilities));
            } else {
              d["values"] = to_numpy(std::move(p.values));
            }
            d["scores"] = to_numpy(std::move(p.scores));
            d["warnings"] = issue_list(p.warnings);
            return d;
          },
          py::arg("X"), py::arg("threads") = 1, py::arg("strict") = false)
      .def(
          "predict_proba",
          [](const ferry::Model& model, const py::object& X, int threads, bool strict) {
            return to_numpy(with_input(X, [&](const ferry::Input& in) {
              return model.predict_proba(in, predict_options(threads, strict));
            }));
          },
          py::arg("X"), py::arg("threads") = 1, py::arg("strict") = false)
      .def(
          "decision_function",
          [](const ferry::Model& model, const py::object& X, int threads, bool strict) {
            return to_numpy(with_input(X, [&](const ferry::Input& in) {
              return model.decision_function(in, predict_options(threads, strict));
            }));
          },
          py::arg("X"), py::arg("threads") = 1, py::arg("strict") = false)
      .def(
          "transform",
          [](const ferry::Model& model, const py::object& X, int threads, bool strict) {
            return to_numpy(with_input(X, [&](const ferry::Input& in) {
              return model.transform(in, predict_options(threads, strict));
            }));
          },
          py::arg("X"), py::arg("threads") = 1, py::arg("strict") = false)
      .def(
          "validate",
          [](const ferry::Model& model, const py::object& X, bool strict) {
            const ferry::ValidationReport r = with_input(X, [&](const ferry::Input& in) {
              return model.validate(in, predict_options(1, strict));
            });
            return issue_list(r.issues);
          },
          py::arg("X"), py::arg("strict") = false)
      .def(
          "explain",
          [](const ferry::Model& model, const py::object& X, const std::string& method, int threads,
             int permutations, std::uint64_t seed, int max_exact_columns, bool strict) {
            ferry::ExplainOptions o;
            o.threads = threads;
            o.strict = strict;
            o.method = explain_method(method);
            o.permutations = permutations;
            o.seed = seed;
            o.max_exact_columns = max_exact_columns;
            ferry::Explanation e = with_input(X, [&](const ferry::Input& in) { return model.explain(in, o); });
            const ferry::Index rows = e.rows();
            const auto cols = static_cast<ferry::Index>(e.feature_names.size());
            py::dict d;
            d["values"] = stack(e.values, rows, cols);
            d["standard_errors"] = e.standard_errors.empty() ? py::object(py::none())
                                                              : py::object(stack(e.standard_errors, rows, cols));
            d["base_values"] = to_numpy(std::move(e.base_values));
            d["feature_names"] = e.feature_names;
            d["output_names"] = e.output_names;
            d["method"] = ferry::to_string(e.method);
            py::list terms;  // per row: (column, feature, values per output) tuples
            for (const auto& row : e.terms) {
              py::list r;
              for (const ferry::Explanation::Term& t : row) r.append(py::make_tuple(t.column, t.feature, t.values));
              terms.append(std::move(r));
            }
            d["terms"] = std::move(terms);
            return d;
          },
          py::arg("X"), py::arg("method") = "auto", py::arg("threads") = 1, py::arg("permutations") = 64,
          py::arg("seed") = 0, py::arg("max_exact_columns") = 12, py::arg("strict") = false)
      .def("verify", [](const ferry::Model& model) {
        py::gil_scoped_release release;
        return model.verify();
      });
}
