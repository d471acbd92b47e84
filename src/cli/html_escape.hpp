// Text as HTML character data or attribute value.
#ifndef FERRY_SRC_CLI_HTML_ESCAPE_HPP
#define FERRY_SRC_CLI_HTML_ESCAPE_HPP

#include <string>

namespace ferry::cli {

inline std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += ch;
    }
  }
  return out;
}

}  // namespace ferry::cli

#endif  // FERRY_SRC_CLI_HTML_ESCAPE_HPP
