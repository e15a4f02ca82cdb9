#include "config/names.hpp"

namespace ipsecgw::config {

namespace {

bool validName(std::string_view name, NameRule rule) {
  size_t maxLen = rule == NameRule::Port ? 15 : 64;
  if (name.empty() || name.size() > maxLen) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (rule == NameRule::Object) ok |= (c >= 'A' && c <= 'Z') || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string NameRegistry::take(const TableReader& r) {
  std::string name(r.text("name"));
  if (!validName(name, rule_))
    r.fail("name", "invalid " + std::string(what_) + " name " + quoted(name) + " (allowed: " +
                       (rule_ == NameRule::Port ? "1-15 of a-z 0-9 _ -" : "1-64 of A-Z a-z 0-9 _ . -") + ")");
  for (const auto& [seen, line] : seen_)
    if (seen == name)
      r.fail("name", "duplicate " + std::string(what_) + " name " + quoted(name) + " (first defined at line " +
                         std::to_string(line) + ")");
  seen_.emplace_back(name, r.where().line);
  return name;
}

}  // namespace ipsecgw::config
