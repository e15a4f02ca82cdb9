#include "config/table_reader.hpp"

#include <algorithm>
#include <tuple>

#include "config/spelling.hpp"

namespace ipsecgw::config {

namespace {

std::string_view typeName(toml::node_type t) {
  switch (t) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

// The wrong-type message never shows the value: it may be key material.
std::string wrongType(std::string_view expected, const toml::node& n) {
  return "expected " + std::string(expected) + ", got " + std::string(typeName(n.type()));
}

}  // namespace

Where whereOf(const toml::source_region& region, std::string path) {
  return Where{std::move(path), region.begin.line, region.begin.column};
}

TableReader::TableReader(const toml::table& table, std::string path, std::span<const std::string_view> known)
    : table_(&table), path_(std::move(path)) {
  refuseUnknownKeys(known);
}

void TableReader::refuseUnknownKeys(std::span<const std::string_view> known) const {
  // toml::table is ordered by key, not by position: report the unknown key
  // that comes first in the file, so that "the first error" means something.
  const toml::key* first = nullptr;
  for (const auto& [k, v] : *table_) {
    bool isKnown = false;
    for (std::string_view n : known) isKnown |= (k.str() == n);
    if (isKnown) continue;
    auto pos = [](const toml::key& key) { return std::tuple(key.source().begin.line, key.source().begin.column); };
    if (!first || pos(k) < pos(*first)) first = &k;
  }
  if (!first) return;
  // A close match says all the operator needs; otherwise list the choices.
  std::string hint = didYouMean(first->str(), known);
  if (hint.empty()) hint = " (known here: " + joinNames(known) + ")";
  throw ConfigError(whereOf(first->source(), pathOf(first->str())), "unknown key" + hint);
}

Where TableReader::where() const { return whereOf(table_->source(), path_); }

Where TableReader::where(std::string_view key) const {
  const toml::node* n = node(key);
  return n ? whereOf(n->source(), pathOf(key)) : Where{pathOf(key), where().line, where().column};
}

void TableReader::fail(std::string_view key, std::string message) const { throw ConfigError(where(key), std::move(message)); }

void TableReader::failTable(std::string message) const { throw ConfigError(where(), std::move(message)); }

void TableReader::missing(std::string_view key) const {
  throw ConfigError(Where{pathOf(key), where().line, where().column}, "missing required key");
}

void TableReader::forbid(std::string_view key, std::string_view why) const {
  if (has(key)) fail(key, std::string(why));
}

const toml::node* TableReader::node(std::string_view key) const { return table_->get(key); }

std::optional<std::string_view> TableReader::optionalText(std::string_view key) const {
  const toml::node* n = node(key);
  if (!n) return std::nullopt;
  const auto* s = n->as_string();
  if (!s) fail(key, wrongType("a string", *n));
  return std::string_view(s->get());
}

std::vector<std::string_view> TableReader::textList(std::string_view key) const {
  std::vector<std::string_view> out;
  const toml::node* n = node(key);
  if (!n) return out;
  if (const auto* s = n->as_string()) {
    out.push_back(s->get());
    return out;
  }
  const auto* arr = n->as_array();
  if (!arr) fail(key, wrongType("a string or an array of strings", *n));
  for (const toml::node& e : *arr) {
    const auto* s = e.as_string();
    if (!s) throw ConfigError(whereOf(e.source(), pathOf(key)), wrongType("a string", e));
    out.push_back(s->get());
  }
  return out;
}

std::optional<double> TableReader::optionalNumber(std::string_view key, double lo, double hi) const {
  const toml::node* n = node(key);
  if (!n) return std::nullopt;
  double v = 0;
  if (const auto* f = n->as_floating_point())
    v = f->get();
  else if (const auto* i = n->as_integer())
    v = static_cast<double>(i->get());
  else
    fail(key, wrongType("a number", *n));
  if (!(v >= lo && v <= hi)) fail(key, "out of range (" + std::to_string(lo) + ".." + std::to_string(hi) + ")");
  return v;
}

std::optional<bool> TableReader::optionalBool(std::string_view key) const {
  const toml::node* n = node(key);
  if (!n) return std::nullopt;
  const auto* b = n->as_boolean();
  if (!b) fail(key, wrongType("true or false", *n));
  return b->get();
}

std::optional<int64_t> TableReader::optionalInt64(std::string_view key, int64_t lo, int64_t hi) const {
  const toml::node* n = node(key);
  if (!n) return std::nullopt;
  const auto* i = n->as_integer();
  if (!i) fail(key, wrongType("an integer", *n));
  int64_t v = i->get();
  if (v < lo || v > hi)
    fail(key, std::to_string(v) + " is out of range (" + std::to_string(lo) + ".." + std::to_string(hi) + ")");
  return v;
}

std::optional<size_t> TableReader::optionalChoiceIndex(std::string_view key, std::span<const std::string_view> names,
                                                       std::string_view what) const {
  auto text = optionalText(key);
  if (!text) return std::nullopt;
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == *text) return i;
  fail(key, "unknown " + std::string(what) + " " + quoted(*text) + " (known: " + joinNames(names) + ")" +
                didYouMean(*text, names));
}

std::optional<IpAddress> TableReader::optionalAddress(std::string_view key) const {
  auto text = optionalText(key);
  if (!text) return std::nullopt;
  auto a = IpAddress::parse(*text);
  if (!a) fail(key, "not an IPv4 or IPv6 address: " + quoted(*text));
  return a;
}

IpPrefix TableReader::prefix(std::string_view key) const {
  std::string_view text = this->text(key);
  auto p = IpPrefix::parse(text);
  if (!p) fail(key, "not an IPv4 or IPv6 prefix such as 10.0.0.0/24 or fd00::/64: " + quoted(text));
  // IpPrefix::parse clears host bits silently; 10.0.1.5/24 is more often a
  // slip than a wish, so make the operator say what they mean.
  auto written = IpAddress::parse(text.substr(0, text.find('/')));
  if (written && *written != p->address)
    fail(key, quoted(text) + " has host bits set beyond /" + std::to_string(p->length) + " (did you mean " +
                  quoted(p->toString()) + "?)");
  return *p;
}

std::optional<TableReader> TableReader::optionalTable(std::string_view key, std::span<const std::string_view> known) const {
  const toml::node* n = node(key);
  if (!n) return std::nullopt;
  const auto* t = n->as_table();
  if (!t) fail(key, wrongType("a table such as { key = value }", *n));
  return TableReader(*t, pathOf(key), known);
}

std::vector<std::pair<std::string_view, TableReader>> TableReader::namedTables(
    std::string_view key, std::span<const std::string_view> known) const {
  std::vector<std::pair<std::string_view, TableReader>> out;
  const toml::node* n = node(key);
  if (!n) return out;
  const auto* t = n->as_table();
  if (!t) fail(key, wrongType("a table of named tables", *n));
  std::vector<std::pair<const toml::key*, const toml::table*>> entries;
  for (const auto& [k, v] : *t) {
    const auto* sub = v.as_table();
    if (!sub) throw ConfigError(whereOf(v.source(), pathOf(key) + "." + std::string(k.str())), wrongType("a table", v));
    entries.emplace_back(&k, sub);
  }
  // toml::table iterates by key; operators expect the file's order.
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return std::tuple(a.first->source().begin.line, a.first->source().begin.column) <
           std::tuple(b.first->source().begin.line, b.first->source().begin.column);
  });
  for (const auto& [k, sub] : entries)
    out.emplace_back(k->str(), TableReader(*sub, pathOf(key) + "." + std::string(k->str()), known));
  return out;
}

std::vector<std::pair<const toml::table*, std::string>> tablesOf(const toml::table& root, std::string_view key) {
  std::vector<std::pair<const toml::table*, std::string>> out;
  const toml::node* n = root.get(key);
  if (!n) return out;
  const auto* arr = n->as_array();
  if (!arr)
    throw ConfigError(whereOf(n->source(), std::string(key)),
                      wrongType("[[" + std::string(key) + "]] tables", *n) + " (write [[" + std::string(key) +
                          "]], not [" + std::string(key) + "])");
  for (size_t i = 0; i < arr->size(); ++i) {
    std::string path = std::string(key) + "[" + std::to_string(i) + "]";
    const toml::node& e = *arr->get(i);
    const auto* t = e.as_table();
    if (!t) throw ConfigError(whereOf(e.source(), path), wrongType("a table", e));
    out.emplace_back(t, std::move(path));
  }
  return out;
}

}  // namespace ipsecgw::config
