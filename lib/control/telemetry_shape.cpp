#include "control/telemetry_shape.hpp"

#include <limits>

namespace ipsecgw::control {

namespace {

bool isScalar(const nlohmann::json& v) { return v.is_primitive() && !v.is_null(); }

std::string cut(std::string s) {
  if (s.size() > kTelemetryMaxString) s.resize(kTelemetryMaxString);
  return s;
}

TelemetryScalar scalarOf(const nlohmann::json& v) {
  if (v.is_boolean()) return uint64_t{v.get<bool>() ? 1u : 0u};
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer()) {
    const int64_t i = v.get<int64_t>();
    if (i >= 0) return static_cast<uint64_t>(i);
    if (i >= std::numeric_limits<int32_t>::min()) return static_cast<int32_t>(i);
    return std::to_string(i);
  }
  if (v.is_string()) return cut(v.get<std::string>());
  return cut(v.dump());  // float
}

// Appends the scalars under `v` to `out` with names `prefix/...`; false once
// the container is full.
bool flattenInto(const nlohmann::json& v, const std::string& prefix, std::vector<TelemetryEntry>& out) {
  if (v.is_null()) return true;
  if (isScalar(v)) {
    if (out.size() == kTelemetryMaxDictEntries) return false;
    out.push_back({telemetryName(prefix), scalarOf(v)});
    return true;
  }
  size_t index = 0;
  for (auto it = v.begin(); it != v.end(); ++it, ++index) {
    const std::string key = v.is_object() ? it.key() : std::to_string(index);
    if (!flattenInto(*it, prefix.empty() ? key : prefix + "/" + key, out)) return false;
  }
  return true;
}

// A JSON array of numbers only, or of strings only, stays an array.
bool isUniformScalarArray(const nlohmann::json& v) {
  if (!v.is_array() || v.empty()) return false;
  const bool strings = v.front().is_string();
  for (const auto& e : v)
    if (strings ? !e.is_string() : !(e.is_number_unsigned() || (e.is_number_integer() && e.get<int64_t>() >= 0)))
      return false;
  return true;
}

}  // namespace

std::string telemetryName(std::string_view name) {
  std::string s(name.substr(0, kTelemetryMaxString));
  for (char& c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '/';
    if (!ok) c = '_';
  }
  return s;
}

TelemetryDict shapeForTelemetry(const nlohmann::json& object) {
  TelemetryDict d;
  if (!object.is_object()) return d;
  // One slot stays free for the "truncated" marker.
  const size_t room = kTelemetryMaxDictEntries - 1;
  for (auto it = object.begin(); it != object.end(); ++it) {
    const auto& v = it.value();
    if (v.is_null()) continue;
    if (d.fields.size() == room) {
      d.truncated = true;
      break;
    }
    TelemetryField f{telemetryName(it.key()), TelemetryScalar{}};
    if (isScalar(v)) {
      f.value = scalarOf(v);
    } else if (isUniformScalarArray(v)) {
      std::vector<TelemetryScalar> a;
      for (const auto& e : v) {
        if (a.size() == kTelemetryMaxArrayEntries) {
          d.truncated = true;
          break;
        }
        a.push_back(scalarOf(e));
      }
      f.value = std::move(a);
    } else {
      std::vector<TelemetryEntry> entries;
      if (!flattenInto(v, "", entries)) d.truncated = true;
      f.value = std::move(entries);
    }
    d.fields.push_back(std::move(f));
  }
  if (d.truncated) d.fields.push_back({"truncated", TelemetryScalar{uint64_t{1}}});
  return d;
}

}  // namespace ipsecgw::control
