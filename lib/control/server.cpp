#include "control/server.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ipsecgw::control {

namespace {
// How often the timeouts are checked: often enough for second-scale limits.
constexpr uint64_t kSweepEveryMs = 100;
}  // namespace

struct Server::Client {
  explicit Client(int f) : fd(f) {}
  int fd;
  Caller caller;
  FrameDecoder in{kMaxRequestLen};
  std::string out;  // the response being written (one at most)
  size_t outOff = 0;
  uint32_t requests = 0;
  uint64_t openedMs = 0, lastProgressMs = 0;
  uint32_t interest = 0;       // events registered with epoll
  bool closeAfterFlush = false;
  bool peerDone = false;       // the client shut down its sending side
  bool subscriber = false;     // monitor: receives published events only
  bool pending() const { return outOff < out.size(); }
};

Server::Server(const ServerOptions& options, Handler handler)
    : options_(options), access_{options.group, options.groupName}, handler_(std::move(handler)) {}

ServerPtr Server::create(const ServerOptions& options, Handler handler, std::string& error) {
  ServerPtr s(new Server(options, std::move(handler)));
  s->epollFd_ = epoll_create1(EPOLL_CLOEXEC);
  if (s->epollFd_ < 0) {
    error = std::string("epoll_create1: ") + std::strerror(errno);
    return nullptr;
  }
  if (!options.socketPath.empty()) {
    auto fd = listenUnix(options.socketPath, options.group, 128);
    if (!fd) {
      error = fd.error();
      s->options_.socketPath.clear();  // not ours to unlink
      return nullptr;
    }
    s->listenFd_ = *fd;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = s->listenFd_;
    if (epoll_ctl(s->epollFd_, EPOLL_CTL_ADD, s->listenFd_, &ev) != 0) {
      error = std::string("epoll_ctl: ") + std::strerror(errno);
      return nullptr;
    }
  }
  return s;
}

Server::~Server() {
  for (auto& [fd, c] : clients_) close(fd);
  if (listenFd_ >= 0) {
    close(listenFd_);
    unlink(options_.socketPath.c_str());
  }
  if (epollFd_ >= 0) close(epollFd_);
}

void Server::refuse(int fd, std::string_view message) {
  // Best effort: a fresh socket's buffer takes this small frame at once.
  const std::string frame = encodeFrame(errorResponse(message));
  [[maybe_unused]] ssize_t n = send(fd, frame.data(), frame.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  close(fd);
}

bool Server::adopt(int fd, uint64_t nowMs) {
  const size_t before = clients_.size();
  addClient(fd, nowMs);
  return clients_.size() > before;
}

void Server::addClient(int fd, uint64_t nowMs) {
  auto caller = peerCredentials(fd);
  if (!caller) {
    refuse(fd, "cannot identify the caller: " + caller.error());
    ++counters_.refusedPermission;
    return;
  }
  if (!access_.allows(*caller)) {
    refuse(fd, access_.refusal(*caller));
    ++counters_.refusedPermission;
    return;
  }
  if (clients_.size() >= options_.limits.maxClients) {
    refuse(fd, "too many clients (" + std::to_string(options_.limits.maxClients) + "), try again");
    ++counters_.refusedFull;
    return;
  }
  auto c = std::make_unique<Client>(fd);
  c->caller = std::move(*caller);
  c->openedMs = c->lastProgressMs = nowMs;
  c->interest = EPOLLIN;
  epoll_event ev{};
  ev.events = c->interest;
  ev.data.fd = fd;
  if (epoll_ctl(epollFd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    close(fd);
    return;
  }
  ++counters_.accepted;
  clients_.emplace(fd, std::move(c));
}

void Server::acceptSome(uint64_t nowMs, uint32_t& work) {
  for (uint32_t i = 0; i < options_.limits.maxAcceptsPerPoll; ++i) {
    const int fd = accept4(listenFd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or a client that gave up meanwhile
    addClient(fd, nowMs);
    ++work;
  }
}

void Server::closeClient(int fd) {
  auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  epoll_ctl(epollFd_, EPOLL_CTL_DEL, fd, nullptr);
  close(fd);
  if (it->second->subscriber) --subscribers_;
  clients_.erase(it);
  ++counters_.closed;
}

void Server::answer(Client& c, std::string&& payload) {
  if (payload.size() > options_.limits.maxResponseLen)
    payload = errorResponse("response of " + std::to_string(payload.size()) + " bytes exceeds the limit of " +
                            std::to_string(options_.limits.maxResponseLen));
  c.out = encodeFrame(payload);
  c.outOff = 0;
}

bool Server::flush(Client& c, uint64_t nowMs) {
  while (c.pending()) {
    const ssize_t n = send(c.fd, c.out.data() + c.outOff, c.out.size() - c.outOff, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      c.outOff += static_cast<size_t>(n);
      c.lastProgressMs = nowMs;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n < 0 && errno == EINTR) continue;
    return false;  // EPIPE, ECONNRESET: the client is gone
  }
  c.out.clear();
  c.outOff = 0;
  return true;
}

void Server::subscribe(Client& c) {
  if (subscribers_ >= options_.limits.maxSubscribers) {
    ++counters_.subscribersRefused;
    answer(c, errorResponse("too many monitor subscribers (" + std::to_string(options_.limits.maxSubscribers) +
                            "), try again"));
    c.closeAfterFlush = true;
    return;
  }
  c.subscriber = true;
  ++subscribers_;
  ++counters_.subscribed;
  answer(c, okResponse({{"subscribed", true}}));
}

bool Server::serviceSubscriber(Client& c, bool readable, uint64_t nowMs) {
  if (!flush(c, nowMs)) return false;
  if (!readable) return true;
  // A subscriber has nothing more to say: what it sends is read and
  // ignored, so that its hang-up is seen.
  char sink[512];
  for (int i = 0; i < 4; ++i) {
    const ssize_t n = recv(c.fd, sink, sizeof sink, MSG_DONTWAIT);
    if (n == 0) return false;
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  }
  return true;
}

size_t Server::publish(const nlohmann::json& event, uint64_t nowMs) {
  if (subscribers_ == 0) return 0;
  ++counters_.eventsPublished;
  const std::string frame = encodeFrame(
      nlohmann::json{{"version", kProtocolVersion}, {"event", event}}.dump(-1, ' ', false,
                                                                         nlohmann::json::error_handler_t::replace));
  size_t reached = 0;
  std::vector<int> dropped;
  for (auto& [fd, cp] : clients_) {
    Client& c = *cp;
    if (!c.subscriber) continue;
    if (c.outOff > 0) {  // keep only what is unsent
      c.out.erase(0, c.outOff);
      c.outOff = 0;
    }
    if (c.out.size() + frame.size() > options_.limits.maxSubscriberBacklog) {
      dropped.push_back(fd);
      continue;
    }
    c.out += frame;
    if (!flush(c, nowMs)) {
      dropped.push_back(fd);
      continue;
    }
    updateInterest(c);
    ++reached;
  }
  for (int fd : dropped) {
    ++counters_.subscribersDropped;
    closeClient(fd);
  }
  return reached;
}

bool Server::service(Client& c, bool readable, uint64_t nowMs, uint32_t& work) {
  if (c.subscriber) return serviceSubscriber(c, readable, nowMs);
  if (!flush(c, nowMs)) return false;
  if (c.pending()) return true;  // one response at a time: wait for EPOLLOUT
  if (c.closeAfterFlush) return false;

  if (readable && !c.peerDone) {
    auto room = c.in.writable();
    if (!room.empty()) {
      const ssize_t n = recv(c.fd, room.data(), room.size(), MSG_DONTWAIT);
      if (n > 0)
        c.in.commit(static_cast<size_t>(n));
      else if (n == 0)
        c.peerDone = true;
      else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        return false;
    }
  }

  std::string payload;
  switch (c.in.next(payload)) {
    case FrameDecoder::Status::TooLarge:
      ++counters_.oversized;
      answer(c, errorResponse("request of " + std::to_string(c.in.announced()) + " bytes exceeds the limit of " +
                              std::to_string(kMaxRequestLen) + " bytes"));
      c.closeAfterFlush = true;
      ++work;
      break;
    case FrameDecoder::Status::Frame: {
      ++work;
      c.lastProgressMs = nowMs;
      if (++c.requests > options_.limits.maxRequestsPerConnection) {
        ++counters_.requestLimit;
        answer(c, errorResponse("more than " + std::to_string(options_.limits.maxRequestsPerConnection) +
                                " requests on one connection; reconnect"));
        c.closeAfterFlush = true;
        break;
      }
      auto request = parseRequest(payload);
      if (!request) {
        ++counters_.badRequests;
        answer(c, errorResponse(request.error()));
        break;
      }
      ++counters_.requests;
      if (request->command == kMonitorCommand) {
        subscribe(c);
        break;
      }
      Reply reply = handler_(*request, c.caller, nowMs);
      answer(c, reply ? okResponse(*reply) : errorResponse(reply.error()));
      break;
    }
    case FrameDecoder::Status::NeedMore:
      if (c.peerDone) return false;  // nothing more will come
      break;
  }
  if (!flush(c, nowMs)) return false;
  if (!c.pending() && c.closeAfterFlush) return false;
  // Another request already buffered (pipelined): serve it on a later pass.
  if (!c.pending() && !c.closeAfterFlush && c.in.buffered() >= kFrameHeaderLen) ready_.push_back(c.fd);
  return true;
}

void Server::updateInterest(Client& c) {
  uint32_t want = 0;
  if (c.subscriber)
    want = EPOLLIN | (c.pending() ? uint32_t{EPOLLOUT} : 0u);
  else if (c.pending())
    want = EPOLLOUT;
  else if (!c.peerDone && !c.closeAfterFlush && !c.in.writable().empty())
    want = EPOLLIN;
  if (want == c.interest) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.fd = c.fd;
  epoll_ctl(epollFd_, EPOLL_CTL_MOD, c.fd, &ev);
  c.interest = want;
}

void Server::sweep(uint64_t nowMs, uint32_t& work) {
  if (nowMs < lastSweepMs_ + kSweepEveryMs) return;
  lastSweepMs_ = nowMs;
  // Written so that a clock that steps back expires nobody.
  auto elapsed = [nowMs](uint64_t since) { return nowMs > since ? nowMs - since : 0; };
  std::vector<int> expired;
  for (const auto& [fd, c] : clients_)
    if (!c->subscriber && (elapsed(c->lastProgressMs) >= options_.limits.idleTimeoutMs ||
                           elapsed(c->openedMs) >= options_.limits.connectionLifetimeMs))
      expired.push_back(fd);
  for (int fd : expired) {
    ++counters_.timedOut;
    closeClient(fd);
    ++work;
  }
}

uint32_t Server::poll(uint64_t nowMs) {
  // Idle cost: one comparison, and one epoll_wait(0) per millisecond.
  if (nowMs == lastPollMs_ && ready_.empty()) return 0;
  lastPollMs_ = nowMs;
  uint32_t work = 0;

  // Pipelined requests first, a bounded number of them.
  uint32_t budget = options_.limits.maxRequestsPerPoll;
  std::vector<int> ready;
  ready.swap(ready_);
  for (int fd : ready) {
    auto it = clients_.find(fd);
    if (it == clients_.end()) continue;
    if (budget == 0) {
      ready_.push_back(fd);
      continue;
    }
    --budget;
    if (!service(*it->second, false, nowMs, work))
      closeClient(fd);
    else
      updateInterest(*it->second);
  }

  epoll_event events[64];
  const int maxEvents = static_cast<int>(std::min<uint32_t>(options_.limits.maxEventsPerPoll, 64));
  const int n = epoll_wait(epollFd_, events, maxEvents, 0);
  for (int i = 0; i < n; ++i) {
    const int fd = events[i].data.fd;
    if (fd == listenFd_) {
      acceptSome(nowMs, work);
      continue;
    }
    auto it = clients_.find(fd);
    if (it == clients_.end()) continue;
    Client& c = *it->second;
    const bool readable = events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR);
    if ((events[i].events & EPOLLERR) || !service(c, readable, nowMs, work))
      closeClient(fd);
    else
      updateInterest(c);
  }
  sweep(nowMs, work);
  return work;
}

}  // namespace ipsecgw::control
