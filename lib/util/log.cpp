#include "util/log.hpp"

#include <syslog.h>

#include <cstdio>

namespace ipsecgw::log {

namespace {

constexpr std::array<std::string_view, 5> kLevelNames{"error", "warning", "notice", "info", "debug"};
constexpr std::array<std::string_view, kSubsystems> kSubsystemNames{"ike", "dp", "cli", "cfg"};

std::array<std::atomic<uint8_t>, kSubsystems> gLevels{
    static_cast<uint8_t>(kDefaultLevel), static_cast<uint8_t>(kDefaultLevel), static_cast<uint8_t>(kDefaultLevel),
    static_cast<uint8_t>(kDefaultLevel)};
Target gTarget = Target::Stderr;
std::string gProgram = "ipsecgwd";
Capture gCapture;

int syslogPriority(Level l) {
  switch (l) {
    case Level::Error: return LOG_ERR;
    case Level::Warning: return LOG_WARNING;
    case Level::Notice: return LOG_NOTICE;
    case Level::Info: return LOG_INFO;
    case Level::Debug: return LOG_DEBUG;
  }
  return LOG_INFO;
}

}  // namespace

std::string_view levelName(Level l) { return kLevelNames[static_cast<size_t>(l)]; }
std::string_view subsystemName(Subsystem s) { return kSubsystemNames[static_cast<size_t>(s)]; }

std::optional<Level> parseLevel(std::string_view name) {
  for (size_t i = 0; i < kLevelNames.size(); ++i)
    if (kLevelNames[i] == name) return static_cast<Level>(i);
  return std::nullopt;
}

std::optional<Subsystem> parseSubsystem(std::string_view name) {
  for (size_t i = 0; i < kSubsystemNames.size(); ++i)
    if (kSubsystemNames[i] == name) return static_cast<Subsystem>(i);
  return std::nullopt;
}

std::optional<Target> parseTarget(std::string_view name) {
  if (name == "stderr") return Target::Stderr;
  if (name == "syslog") return Target::Syslog;
  return std::nullopt;
}

void setLevel(Subsystem s, Level l) {
  gLevels[static_cast<size_t>(s)].store(static_cast<uint8_t>(l), std::memory_order_relaxed);
}

Level level(Subsystem s) { return static_cast<Level>(gLevels[static_cast<size_t>(s)].load(std::memory_order_relaxed)); }

bool enabled(Subsystem s, Level l) {
  return static_cast<uint8_t>(l) <= gLevels[static_cast<size_t>(s)].load(std::memory_order_relaxed);
}

void setTarget(Target t, std::string_view program) {
  gProgram = std::string(program);
  if (gTarget == Target::Syslog) closelog();
  gTarget = t;
  if (t == Target::Syslog) openlog(gProgram.c_str(), LOG_PID, LOG_DAEMON);
}

void setCapture(Capture c) { gCapture = std::move(c); }

void emit(Subsystem s, Level l, std::string_view message) {
  if (gCapture) {
    gCapture(s, l, message);
    return;
  }
  if (gTarget == Target::Syslog) {
    syslog(syslogPriority(l), "%.*s: %.*s", static_cast<int>(subsystemName(s).size()), subsystemName(s).data(),
           static_cast<int>(message.size()), message.data());
    return;
  }
  // One fwrite per line: lines from one process do not interleave.
  const std::string line = fmt::format("{}: {} {}: {}\n", gProgram, levelName(l), subsystemName(s), message);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace ipsecgw::log
