// Typed access to one TOML table with errors that name the file position and
// key path: the one place where "read an optional integer in range, else
// error" and its kin live, so the section parsers only say what they want.
//
// Every getter comes as optionalX(key) -> std::optional<X> (absent: nullopt;
// present but wrong: error) and X(key) for required keys (absent: error at
// the table's header). Errors are thrown as ConfigError.
#pragma once

#include <concepts>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "config/config_error.hpp"
#include "net/ip_address.hpp"

namespace ipsecgw::config {

Where whereOf(const toml::source_region& region, std::string path);

class TableReader {
 public:
  // Refuses, at once, any key of `table` not in `known` (the first in file
  // order), with a "did you mean" hint: typos must not pass silently.
  // `known` must outlive the reader (pass a static array).
  TableReader(const toml::table& table, std::string path, std::span<const std::string_view> known);

  const std::string& path() const { return path_; }
  std::string pathOf(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  // Position of the table itself (its [header] or opening brace).
  Where where() const;
  // Position of the key's value; of the table when the key is absent.
  Where where(std::string_view key) const;
  bool has(std::string_view key) const { return table_->contains(key); }
  // For the few keys that take either a number or a name (policy.protocol).
  bool holdsInteger(std::string_view key) const { return has(key) && node(key)->is_integer(); }

  [[noreturn]] void fail(std::string_view key, std::string message) const;
  [[noreturn]] void failTable(std::string message) const;
  // Error if `key` is present: "KEY: WHY".
  void forbid(std::string_view key, std::string_view why) const;

  // Strings are returned as views into the TOML tree: key material must not
  // be copied into a std::string nobody wipes.
  std::optional<std::string_view> optionalText(std::string_view key) const;
  std::string_view text(std::string_view key) const { return need(key, optionalText(key)); }

  // A string or an array of strings (swanctl's comma lists), in order; empty
  // when absent. Views into the TOML tree, like optionalText.
  std::vector<std::string_view> textList(std::string_view key) const;

  std::optional<bool> optionalBool(std::string_view key) const;
  std::optional<double> optionalNumber(std::string_view key, double lo, double hi) const;

  template <std::integral T>
  std::optional<T> optionalInteger(std::string_view key, T lo = std::numeric_limits<T>::min(),
                                   T hi = std::numeric_limits<T>::max()) const {
    auto v = optionalInt64(key, clampToInt64(lo), clampToInt64(hi));
    if (!v) return std::nullopt;
    return static_cast<T>(*v);
  }
  template <std::integral T>
  T integer(std::string_view key, T lo = std::numeric_limits<T>::min(), T hi = std::numeric_limits<T>::max()) const {
    return need(key, optionalInteger<T>(key, lo, hi));
  }

  // One of `names`; E's enumerators must be 0..N-1 in the order of `names`.
  // `what` names the kind of thing in the message ("unknown direction ...").
  template <class E>
  std::optional<E> optionalChoice(std::string_view key, std::span<const std::string_view> names, std::string_view what) const {
    auto i = optionalChoiceIndex(key, names, what);
    if (!i) return std::nullopt;
    return static_cast<E>(*i);
  }
  template <class E>
  E choice(std::string_view key, std::span<const std::string_view> names, std::string_view what) const {
    return need(key, optionalChoice<E>(key, names, what));
  }

  std::optional<IpAddress> optionalAddress(std::string_view key) const;
  IpAddress address(std::string_view key) const { return need(key, optionalAddress(key)); }
  // A prefix such as 10.0.1.0/24 (no length: a host route). Host bits set
  // beyond the length are an error, since they usually mean a typo.
  IpPrefix prefix(std::string_view key) const;

  // An inline or sub-table; checked against `known` like any table.
  std::optional<TableReader> optionalTable(std::string_view key, std::span<const std::string_view> known) const;
  // The tables under `key` named by their keys (swanctl's children.<name>),
  // in file order, each checked against `known`. Empty when absent.
  std::vector<std::pair<std::string_view, TableReader>> namedTables(std::string_view key,
                                                                    std::span<const std::string_view> known) const;

 private:
  template <class T>
  T need(std::string_view key, std::optional<T>&& v) const {
    if (!v) missing(key);
    return std::move(*v);
  }
  template <class T>
  static int64_t clampToInt64(T v) {
    // TOML integers are int64: a wider unsigned bound is no bound at all.
    if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(int64_t))
      return v > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(v);
    else
      return static_cast<int64_t>(v);
  }

  [[noreturn]] void missing(std::string_view key) const;
  const toml::node* node(std::string_view key) const;
  std::optional<int64_t> optionalInt64(std::string_view key, int64_t lo, int64_t hi) const;
  std::optional<size_t> optionalChoiceIndex(std::string_view key, std::span<const std::string_view> names,
                                            std::string_view what) const;
  void refuseUnknownKeys(std::span<const std::string_view> known) const;

  const toml::table* table_;
  std::string path_;
};

// The tables of a top-level array of tables ([[key]] headers or an inline
// array of tables), each with its key path "key[i]". Empty when absent.
std::vector<std::pair<const toml::table*, std::string>> tablesOf(const toml::table& root, std::string_view key);

}  // namespace ipsecgw::config
