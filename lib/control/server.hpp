// The control socket server: accepts operator clients on a Unix socket and
// answers their requests (protocol.hpp) through a Handler.
//
// It runs on the control core, which in single-lcore mode also runs the data
// path, so it must never block and must cost next to nothing when idle:
// - poll() makes at most one epoll_wait(0) per millisecond of `nowMs` and
//   handles a bounded number of events, accepts and requests per call;
// - every socket is non-blocking; each client has one bounded input buffer
//   (a frame header plus kMaxRequestLen) and at most one response waiting
//   to be written: a client that does not read its answer is not served
//   further and is closed at its idle timeout;
// - clients, requests per connection and connection lifetime are limited.
// A client beyond the limits, with an oversized frame or without permission
// gets one error response (best effort) and is closed; a malformed request
// gets an error response and may send the next one.
//
// Event stream (`monitor`): a client that sends the request "monitor" gets
// {"subscribed":true} and from then on one frame per publish()ed event,
// {"version":1,"event":{...}}, and nothing else. Its events wait in a
// bounded backlog (maxSubscriberBacklog bytes): a subscriber that falls
// further behind is closed and counted, so a slow reader costs the control
// core one failed send() per event at most, never a wait. Subscribers are
// exempt from the idle timeout and the lifetime (they are few: at most
// maxSubscribers).
//
// Concurrency: one thread (the control core); the handler runs inline.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "control/listener.hpp"
#include "control/protocol.hpp"

namespace ipsecgw::control {

struct ServerLimits {
  size_t maxClients = 256;
  uint32_t maxRequestsPerConnection = 100;
  uint64_t idleTimeoutMs = 5000;           // no request completed / nothing written
  uint64_t connectionLifetimeMs = 60000;   // whatever the client does
  uint32_t maxEventsPerPoll = 32;
  uint32_t maxAcceptsPerPoll = 16;
  uint32_t maxRequestsPerPoll = 16;
  size_t maxResponseLen = kMaxResponseLen;
  size_t maxSubscribers = 16;
  size_t maxSubscriberBacklog = 256 * 1024;  // bytes of unsent event frames
};

// The request that turns a connection into an event subscriber.
inline constexpr std::string_view kMonitorCommand = "monitor";

struct ServerOptions {
  std::string socketPath;
  std::optional<gid_t> group;
  std::string groupName;
  ServerLimits limits;
};

struct ServerCounters {
  uint64_t accepted = 0;
  uint64_t refusedPermission = 0;  // SO_PEERCRED said no
  uint64_t refusedFull = 0;        // maxClients reached
  uint64_t requests = 0;           // well-formed requests handed to the handler
  uint64_t badRequests = 0;        // malformed JSON, wrong version, ...
  uint64_t oversized = 0;          // frame length above kMaxRequestLen
  uint64_t timedOut = 0;           // idle timeout or lifetime reached
  uint64_t requestLimit = 0;       // maxRequestsPerConnection reached
  uint64_t closed = 0;
  uint64_t subscribed = 0;          // monitor streams opened
  uint64_t subscribersDropped = 0;  // closed for falling maxSubscriberBacklog behind
  uint64_t subscribersRefused = 0;  // maxSubscribers reached
  uint64_t eventsPublished = 0;
};

// A command's outcome: a result object, or an error sentence.
using Reply = Expected<nlohmann::json, std::string>;
using Handler = std::function<Reply(const Request&, const Caller&, uint64_t nowMs)>;

class Server;
using ServerPtr = std::unique_ptr<Server>;

class Server {
 public:
  // Creates the socket (listener.hpp). nullptr with `error` set on failure.
  static ServerPtr create(const ServerOptions& options, Handler handler, std::string& error);
  // Closes every client and removes the socket file.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // One bounded pass; returns the requests answered and connections
  // accepted or closed (0: idle). `nowMs` is monotonic.
  uint32_t poll(uint64_t nowMs);

  // Serves an already connected stream socket (tests: socketpair). The
  // server owns `fd` from here on; the access rule applies as for accept().
  bool adopt(int fd, uint64_t nowMs);

  // Sends `event` to every subscriber (non-blocking); drops the ones whose
  // backlog would exceed the limit. Returns the subscribers it reached.
  size_t publish(const nlohmann::json& event, uint64_t nowMs);

  size_t clients() const { return clients_.size(); }
  size_t subscribers() const { return subscribers_; }
  const ServerCounters& counters() const { return counters_; }
  const std::string& path() const { return options_.socketPath; }

 private:
  struct Client;

  Server(const ServerOptions& options, Handler handler);
  void acceptSome(uint64_t nowMs, uint32_t& work);
  void addClient(int fd, uint64_t nowMs);
  void refuse(int fd, std::string_view message);
  // Reads what is there, answers at most one request, writes what it can.
  // Returns false when the client is to be closed now.
  bool service(Client& c, bool readable, uint64_t nowMs, uint32_t& work);
  bool flush(Client& c, uint64_t nowMs);
  bool serviceSubscriber(Client& c, bool readable, uint64_t nowMs);
  void subscribe(Client& c);
  void answer(Client& c, std::string&& payload);
  void updateInterest(Client& c);
  void closeClient(int fd);
  void sweep(uint64_t nowMs, uint32_t& work);

  ServerOptions options_;
  AccessRule access_;
  Handler handler_;
  int listenFd_ = -1;
  int epollFd_ = -1;
  std::unordered_map<int, std::unique_ptr<Client>> clients_;  // by fd; maxClients at most
  std::vector<int> ready_;                        // clients with a buffered request
  size_t subscribers_ = 0;
  uint64_t lastPollMs_ = UINT64_MAX;
  uint64_t lastSweepMs_ = 0;
  ServerCounters counters_;
};

}  // namespace ipsecgw::control
