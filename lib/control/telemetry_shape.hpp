// The shape DPDK telemetry can carry, made from the control commands' JSON.
//
// rte_telemetry (DPDK 22.11) answers a command with one dict (or array) whose
// values are scalars (string, 32-bit int, u64) or one level of containers
// holding scalars only; names may use only [A-Za-z0-9_/]; at most 256 dict
// and 512 array entries; strings and names at most 127 characters. The
// control commands build richer JSON (apps/ipsecgwctl/README.md), so the
// telemetry endpoints (telemetry.hpp) flatten it: nested objects and arrays
// under a top-level key become one container whose names are the JSON path
// joined with '/' ("children/0/inbound/packets"). No DPDK here, so the rules
// are unit-tested without an EAL.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ipsecgw::control {

inline constexpr size_t kTelemetryMaxDictEntries = 256;   // RTE_TEL_MAX_DICT_ENTRIES
inline constexpr size_t kTelemetryMaxArrayEntries = 512;  // RTE_TEL_MAX_ARRAY_ENTRIES
inline constexpr size_t kTelemetryMaxString = 127;        // RTE_TEL_MAX_STRING_LEN - 1

using TelemetryScalar = std::variant<uint64_t, int32_t, std::string>;

struct TelemetryEntry {
  std::string name;
  TelemetryScalar value;
};

// A top-level value: a scalar, a flattened dict, or an array of scalars of
// one type (JSON arrays of numbers or of strings, e.g. SPI lists).
struct TelemetryField {
  std::string name;
  std::variant<TelemetryScalar, std::vector<TelemetryEntry>, std::vector<TelemetryScalar>> value;
};

struct TelemetryDict {
  std::vector<TelemetryField> fields;
  // Entries beyond the limits were left out; the dict then ends with a
  // "truncated" = 1 field, so a reader knows it did not see everything.
  bool truncated = false;
};

// `name` with every character telemetry refuses replaced by '_', cut to the
// name limit ("list-sas" -> "list_sas").
std::string telemetryName(std::string_view name);

// `object` (a JSON object; anything else gives an empty dict) in telemetry's
// shape. Booleans become 0/1, negative numbers int (or their decimal text
// beyond 32 bits), floats and over-long strings text cut to the limit,
// nulls are left out.
TelemetryDict shapeForTelemetry(const nlohmann::json& object);

}  // namespace ipsecgw::control
