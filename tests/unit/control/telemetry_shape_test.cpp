// The JSON-to-telemetry shaping rules (lib/control/telemetry_shape.hpp):
// names telemetry accepts, one level of containers, the entry limits with
// the "truncated" marker, scalar conversions.
#include <catch2/catch.hpp>

#include "control/telemetry_shape.hpp"

using namespace ipsecgw::control;
using nlohmann::json;

namespace {

const TelemetryField& field(const TelemetryDict& d, const std::string& name) {
  for (const auto& f : d.fields)
    if (f.name == name) return f;
  FAIL("no field " << name);
  throw std::logic_error("unreachable");
}

const TelemetryScalar& entry(const std::vector<TelemetryEntry>& entries, const std::string& name) {
  for (const auto& e : entries)
    if (e.name == name) return e.value;
  FAIL("no entry " << name);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("telemetry names: only [A-Za-z0-9_/], cut to 127", "[telemetry]") {
  CHECK(telemetryName("list-sas") == "list_sas");
  CHECK(telemetryName("net_af_packet0,iface=x.y") == "net_af_packet0_iface_x_y");
  CHECK(telemetryName("a/b_C9") == "a/b_C9");
  CHECK(telemetryName(std::string(300, 'x')).size() == 127);
}

TEST_CASE("telemetry shape: scalars, nested objects flattened with '/', scalar arrays kept", "[telemetry]") {
  const json j = {{"uptime_s", 12},
                  {"engine", "ipsec-mb"},
                  {"ike", true},
                  {"offset", -5},
                  {"huge_negative", -5000000000LL},
                  {"ratio", 0.5},
                  {"gone", nullptr},
                  {"spis", {1u, 2u, 3u}},
                  {"names", {"a", "b"}},
                  {"sa", {{"replay", {{"window", 64}, {"highest", 7}}}, {"ts", {{{"src", "10.0.0.0/24"}}}}, {"x", nullptr}}}};
  const TelemetryDict d = shapeForTelemetry(j);
  CHECK_FALSE(d.truncated);
  CHECK(d.fields.size() == 9);  // "gone" left out
  CHECK(std::get<uint64_t>(std::get<TelemetryScalar>(field(d, "uptime_s").value)) == 12);
  CHECK(std::get<std::string>(std::get<TelemetryScalar>(field(d, "engine").value)) == "ipsec-mb");
  CHECK(std::get<uint64_t>(std::get<TelemetryScalar>(field(d, "ike").value)) == 1);
  CHECK(std::get<int32_t>(std::get<TelemetryScalar>(field(d, "offset").value)) == -5);
  CHECK(std::get<std::string>(std::get<TelemetryScalar>(field(d, "huge_negative").value)) == "-5000000000");
  CHECK(std::get<std::string>(std::get<TelemetryScalar>(field(d, "ratio").value)) == "0.5");
  const auto& spis = std::get<std::vector<TelemetryScalar>>(field(d, "spis").value);
  REQUIRE(spis.size() == 3);
  CHECK(std::get<uint64_t>(spis[2]) == 3);
  CHECK(std::get<std::string>(std::get<std::vector<TelemetryScalar>>(field(d, "names").value)[1]) == "b");
  const auto& sa = std::get<std::vector<TelemetryEntry>>(field(d, "sa").value);
  CHECK(sa.size() == 3);
  CHECK(std::get<uint64_t>(entry(sa, "replay/window")) == 64);
  CHECK(std::get<uint64_t>(entry(sa, "replay/highest")) == 7);
  CHECK(std::get<std::string>(entry(sa, "ts/0/src")) == "10.0.0.0/24");
}

TEST_CASE("telemetry shape: beyond the limits entries are left out and marked", "[telemetry]") {
  json top = json::object();
  for (int i = 0; i < 300; ++i) top["k" + std::to_string(i)] = i;
  const TelemetryDict d = shapeForTelemetry(top);
  CHECK(d.truncated);
  REQUIRE(d.fields.size() == kTelemetryMaxDictEntries);
  CHECK(d.fields.back().name == "truncated");

  json nested = json::object();
  for (int i = 0; i < 400; ++i) nested["c"]["k" + std::to_string(i)] = i;
  const TelemetryDict n = shapeForTelemetry(nested);
  CHECK(n.truncated);
  CHECK(std::get<std::vector<TelemetryEntry>>(field(n, "c").value).size() == kTelemetryMaxDictEntries);

  json arr = {{"a", json::array()}};
  for (int i = 0; i < 600; ++i) arr["a"].push_back(i);
  const TelemetryDict a = shapeForTelemetry(arr);
  CHECK(a.truncated);
  CHECK(std::get<std::vector<TelemetryScalar>>(field(a, "a").value).size() == kTelemetryMaxArrayEntries);

  json longString = {{"s", std::string(500, 'y')}};
  CHECK(std::get<std::string>(std::get<TelemetryScalar>(shapeForTelemetry(longString).fields[0].value)).size() == 127);
  CHECK(shapeForTelemetry(json::array({1, 2})).fields.empty());
}
