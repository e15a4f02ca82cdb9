#include "client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "control/protocol.hpp"

namespace ipsecgw::ctl {

namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

using Clock = std::chrono::steady_clock;

int msLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Waits for `events` until the deadline; false on timeout.
bool waitFor(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int n = ::poll(&p, 1, msLeft(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

}  // namespace

Exchange exchange(const std::string& socketPath, const std::string& requestPayload, int timeoutMs) {
  Exchange x;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socketPath.size() >= sizeof(addr.sun_path)) {
    x.outcome = Exchange::Outcome::CannotConnect;
    x.error = "socket path too long: " + socketPath;
    return x;
  }
  std::memcpy(addr.sun_path, socketPath.c_str(), socketPath.size() + 1);
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0 || connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    x.outcome = Exchange::Outcome::CannotConnect;
    x.error = "cannot connect to " + socketPath + ": " + std::strerror(errno) +
              (errno == EACCES ? " (run as root or as a member of the daemon's --control-group)"
               : errno == ENOENT || errno == ECONNREFUSED ? " (is ipsecgwd running with this --control-socket?)"
                                                          : "");
    return x;
  }

  const std::string frame = control::encodeFrame(requestPayload);
  for (size_t off = 0; off < frame.size();) {
    if (!waitFor(fd.get(), POLLOUT, deadline)) {
      x.error = "timed out sending the request";
      return x;
    }
    const ssize_t n = send(fd.get(), frame.data() + off, frame.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) break;  // the daemon may have refused us: read its answer
    off += static_cast<size_t>(n);
  }

  control::FrameDecoder in(control::kMaxResponseLen);
  std::string payload;
  for (;;) {
    const auto status = in.next(payload);
    if (status == control::FrameDecoder::Status::Frame) break;
    if (status == control::FrameDecoder::Status::TooLarge) {
      x.error = "response larger than " + std::to_string(control::kMaxResponseLen) + " bytes";
      return x;
    }
    if (!waitFor(fd.get(), POLLIN, deadline)) {
      x.error = "no answer within " + std::to_string(timeoutMs) + " ms";
      return x;
    }
    auto room = in.writable();
    const ssize_t n = recv(fd.get(), room.data(), room.size(), MSG_DONTWAIT);
    if (n > 0) {
      in.commit(static_cast<size_t>(n));
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      x.error = "the daemon closed the connection without an answer";
      return x;
    }
  }
  x.response = nlohmann::json::parse(payload, nullptr, false);
  if (!x.response.is_object() || !x.response.contains("ok") || !x.response["ok"].is_boolean()) {
    x.error = "malformed response from the daemon";
    return x;
  }
  x.outcome = Exchange::Outcome::Answered;
  return x;
}

}  // namespace ipsecgw::ctl
