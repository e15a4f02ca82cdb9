// The gateway's one log: lines formatted with fmt, each with a level and a
// subsystem whose threshold the operator can change at run time
// (`ipsecgwctl log-level [SUBSYSTEM] LEVEL`), written to stderr or to
// syslog (ipsecgwd --log-target).
//
//   log::info(log::Subsystem::Ike, "IKE_SA {} established", name);
//
// A line below its subsystem's threshold costs one relaxed load and no
// formatting. Never pass a key or PSK (SecretBytes has no formatter, so it
// cannot be passed by mistake).
//
// Concurrency: thresholds are atomics, so a worker lcore may test them; the
// sink is set once at start-up, before other threads exist.
#pragma once

#include <fmt/format.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ipsecgw::log {

// syslog(3)'s severities, most severe first; a threshold lets through its
// own level and every more severe one.
enum class Level : uint8_t { Error, Warning, Notice, Info, Debug };
enum class Subsystem : uint8_t { Ike, Dp, Cli, Cfg };
inline constexpr size_t kSubsystems = 4;
inline constexpr Level kDefaultLevel = Level::Info;

std::string_view levelName(Level l);
std::string_view subsystemName(Subsystem s);
std::optional<Level> parseLevel(std::string_view name);
std::optional<Subsystem> parseSubsystem(std::string_view name);
inline constexpr std::array<Subsystem, kSubsystems> kAllSubsystems{Subsystem::Ike, Subsystem::Dp, Subsystem::Cli,
                                                                   Subsystem::Cfg};

void setLevel(Subsystem s, Level l);
Level level(Subsystem s);
bool enabled(Subsystem s, Level l);

// Where lines go. Stderr lines read "PROGRAM: LEVEL SUBSYSTEM: message";
// syslog gets "SUBSYSTEM: message" at the level's priority (facility daemon).
// A capture sink (tests) receives every line that passes its threshold.
enum class Target : uint8_t { Stderr, Syslog };
std::optional<Target> parseTarget(std::string_view name);
void setTarget(Target t, std::string_view program);
using Capture = std::function<void(Subsystem, Level, std::string_view)>;
void setCapture(Capture c);  // empty: back to the target

void emit(Subsystem s, Level l, std::string_view message);

template <typename... Args>
void write(Subsystem s, Level l, fmt::format_string<Args...> f, Args&&... args) {
  if (!enabled(s, l)) return;
  emit(s, l, fmt::vformat(f, fmt::make_format_args(args...)));
}

template <typename... Args>
void error(Subsystem s, fmt::format_string<Args...> f, Args&&... args) {
  write(s, Level::Error, f, std::forward<Args>(args)...);
}
template <typename... Args>
void warning(Subsystem s, fmt::format_string<Args...> f, Args&&... args) {
  write(s, Level::Warning, f, std::forward<Args>(args)...);
}
template <typename... Args>
void notice(Subsystem s, fmt::format_string<Args...> f, Args&&... args) {
  write(s, Level::Notice, f, std::forward<Args>(args)...);
}
template <typename... Args>
void info(Subsystem s, fmt::format_string<Args...> f, Args&&... args) {
  write(s, Level::Info, f, std::forward<Args>(args)...);
}
template <typename... Args>
void debug(Subsystem s, fmt::format_string<Args...> f, Args&&... args) {
  write(s, Level::Debug, f, std::forward<Args>(args)...);
}

}  // namespace ipsecgw::log
