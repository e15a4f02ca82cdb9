// Names of ports, SAs and policies: their syntax, their uniqueness, and
// references from one section to another (route.port, policy.sa), each
// checked with an error at the offending value.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/spelling.hpp"
#include "config/table_reader.hpp"

namespace ipsecgw::config {

enum class NameRule : uint8_t {
  Port,    // [a-z0-9_-]{1,15}: short, shown in every counter line
  Object,  // [A-Za-z0-9_.-]{1,64}: SAs and policies
};

// Reads the `name` key of each table of one section: syntax by `rule`, and
// unique within the section (what: "port", "SA", "policy").
class NameRegistry {
 public:
  NameRegistry(std::string_view what, NameRule rule) : what_(what), rule_(rule) {}

  std::string take(const TableReader& r);

 private:
  std::string_view what_;
  NameRule rule_;
  std::vector<std::pair<std::string, uint32_t>> seen_;  // name, line
};

// Index of the item whose `name` member equals the string at r[key], or an
// error at that value with a "did you mean" over all names.
template <class Item>
size_t resolveReference(const TableReader& r, std::string_view key, const std::vector<Item>& items, std::string_view what) {
  std::string_view name = r.text(key);
  std::vector<std::string_view> names;
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].name == name) return i;
    names.push_back(items[i].name);
  }
  r.fail(key, "no " + std::string(what) + " named " + quoted(name) + didYouMean(name, names));
}

}  // namespace ipsecgw::config
