#include "config_reload.hpp"

#include "config/config_parser.hpp"
#include "util/log.hpp"

namespace ipsecgw {

namespace {

// The file's tables but [connections]. The file parsed with
// parseConfigFile() just before, so a failure here is a race with an
// editor; its message is not shown (toml++'s could quote a key).
Expected<toml::table, std::string> readOutline(const std::string& path) {
  try {
    toml::table t = toml::parse_file(path);
    t.erase("connections");
    return t;
  } catch (const std::exception&) {
    return unexpected(std::string("cannot read ") + path + " again (changed while being read?)");
  }
}

// Top-level keys whose contents differ, e.g. "port, route".
std::string differences(const toml::table& running, const toml::table& next) {
  std::string out;
  auto add = [&](std::string_view key) { out += (out.empty() ? "" : ", ") + std::string(key); };
  for (const auto& [key, node] : running) {
    const toml::node* other = next.get(key.str());
    if (!other || toml::node_view<const toml::node>(&node) != toml::node_view<const toml::node>(other)) add(key.str());
  }
  for (const auto& [key, node] : next)
    if (!running.contains(key.str())) add(key.str());
  return out;
}

}  // namespace

std::unique_ptr<ConfigReloader> ConfigReloader::create(const std::string& path, control::GatewayView& view,
                                                       IkeControl* ike, std::string& error) {
  auto outline = readOutline(path);
  if (!outline) {
    error = outline.error();
    return nullptr;
  }
  std::unique_ptr<ConfigReloader> r(new ConfigReloader(path, view, ike));
  r->outline_ = std::move(*outline);
  return r;
}

Expected<nlohmann::json, std::string> ConfigReloader::reload(uint64_t nowMs) {
  const std::string refused = "reload refused, nothing changed: ";
  config::ConfigResult parsed = config::parseConfigFile(path_);
  if (!parsed.config) {
    log::warning(log::Subsystem::Cfg, "{}{}", refused, parsed.error);
    return unexpected(refused + parsed.error);
  }
  for (const auto& note : parsed.notes) log::notice(log::Subsystem::Cfg, "reload: note: {}", note);
  auto outline = readOutline(path_);
  if (!outline) return unexpected(refused + outline.error());
  if (*outline != outline_) {
    const std::string msg = refused + "only [connections] can change at run time; " + differences(outline_, *outline) +
                            " changed (restart ipsecgwd to apply that)";
    log::warning(log::Subsystem::Cfg, "{}", msg);
    return unexpected(msg);
  }
  if (!ike_ && !parsed.config->connections.empty())
    return unexpected(refused + "ipsecgwd started without [connections]; the first ones need a restart");
  // The CLI's copy of names first, before the engine takes the connections.
  control::ConfigSnapshot snapshot = control::snapshotConfig(*parsed.config);
  nlohmann::json result = nlohmann::json{{"added", nlohmann::json::array()},
                                         {"changed", nlohmann::json::array()},
                                         {"removed", nlohmann::json::array()},
                                         {"unchanged", nlohmann::json::array()}};
  if (ike_) result = ike_->applyConnections(std::move(parsed.config->connections), nowMs);
  view_.config = std::move(snapshot);
  result["file"] = path_;
  log::notice(log::Subsystem::Cfg, "reload of {}: added {}, changed {}, removed {}, unchanged {}", path_,
              result["added"].dump(), result["changed"].dump(), result["removed"].dump(),
              result["unchanged"].dump());
  return result;
}

}  // namespace ipsecgw
