// Aligned text tables for the human-readable output.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace ipsecgw::ctl {

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  // Columns padded to their widest cell, two spaces apart; the last column
  // is not padded (no trailing blanks).
  void print(std::ostream& os) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace ipsecgw::ctl
