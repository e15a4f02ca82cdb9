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

enum class Read : uint8_t { Frame, Timeout, Closed, TooLarge };

// Reads one frame into `payload` before `deadline`.
Read readFrame(int fd, control::FrameDecoder& in, std::string& payload, Clock::time_point deadline) {
  for (;;) {
    const auto status = in.next(payload);
    if (status == control::FrameDecoder::Status::Frame) return Read::Frame;
    if (status == control::FrameDecoder::Status::TooLarge) return Read::TooLarge;
    if (!waitFor(fd, POLLIN, deadline)) return Read::Timeout;
    auto room = in.writable();
    const ssize_t n = recv(fd, room.data(), room.size(), MSG_DONTWAIT);
    if (n > 0)
      in.commit(static_cast<size_t>(n));
    else if (n == 0 || (errno != EAGAIN && errno != EINTR))
      return Read::Closed;
  }
}

std::string readError(Read r, int timeoutMs) {
  switch (r) {
    case Read::Timeout: return "no answer within " + std::to_string(timeoutMs) + " ms";
    case Read::Closed: return "the daemon closed the connection without an answer";
    case Read::TooLarge: return "response larger than " + std::to_string(control::kMaxResponseLen) + " bytes";
    case Read::Frame: break;
  }
  return {};
}

// Connects, sends the request and reads the response into `x`. Returns the
// connected socket for more frames (stream()), or -1.
int request(const std::string& socketPath, const std::string& requestPayload, int timeoutMs, Exchange& x,
            control::FrameDecoder& in) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socketPath.size() >= sizeof(addr.sun_path)) {
    x.outcome = Exchange::Outcome::CannotConnect;
    x.error = "socket path too long: " + socketPath;
    return -1;
  }
  std::memcpy(addr.sun_path, socketPath.c_str(), socketPath.size() + 1);
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    x.outcome = Exchange::Outcome::CannotConnect;
    x.error = "cannot connect to " + socketPath + ": " + std::strerror(errno) +
              (errno == EACCES ? " (run as root or as a member of the daemon's --control-group)"
               : errno == ENOENT || errno == ECONNREFUSED ? " (is ipsecgwd running with this --control-socket?)"
                                                          : "");
    if (fd >= 0) close(fd);
    return -1;
  }
  const std::string frame = control::encodeFrame(requestPayload);
  for (size_t off = 0; off < frame.size();) {
    if (!waitFor(fd, POLLOUT, deadline)) {
      x.error = "timed out sending the request";
      close(fd);
      return -1;
    }
    const ssize_t n = send(fd, frame.data() + off, frame.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) break;  // the daemon may have refused us: read its answer
    off += static_cast<size_t>(n);
  }
  std::string payload;
  if (const Read r = readFrame(fd, in, payload, deadline); r != Read::Frame) {
    x.error = readError(r, timeoutMs);
    close(fd);
    return -1;
  }
  x.response = nlohmann::json::parse(payload, nullptr, false);
  if (!x.response.is_object() || !x.response.contains("ok") || !x.response["ok"].is_boolean()) {
    x.error = "malformed response from the daemon";
    close(fd);
    return -1;
  }
  x.outcome = Exchange::Outcome::Answered;
  return fd;
}

}  // namespace

Exchange exchange(const std::string& socketPath, const std::string& requestPayload, int timeoutMs) {
  Exchange x;
  control::FrameDecoder in(control::kMaxResponseLen);
  Fd fd(request(socketPath, requestPayload, timeoutMs, x, in));
  return x;
}

Exchange stream(const std::string& socketPath, const std::string& requestPayload, int timeoutMs,
                const std::function<void()>& onAnswered, const std::function<void(const nlohmann::json&)>& onFrame,
                const volatile std::sig_atomic_t& stop) {
  Exchange x;
  control::FrameDecoder in(control::kMaxResponseLen);
  Fd fd(request(socketPath, requestPayload, timeoutMs, x, in));
  if (fd.get() < 0 || !x.response["ok"].get<bool>()) return x;
  onAnswered();
  // Events come when they come: wake every 200 ms to notice `stop`.
  constexpr int kWakeMs = 200;
  while (!stop) {
    std::string payload;
    const Read r = readFrame(fd.get(), in, payload, Clock::now() + std::chrono::milliseconds(kWakeMs));
    if (r == Read::Timeout) continue;
    if (r != Read::Frame) {
      x.outcome = Exchange::Outcome::NoAnswer;
      x.error = r == Read::Closed ? "the daemon closed the event stream (stopped, or this client fell too far behind)"
                                  : readError(r, timeoutMs);
      return x;
    }
    nlohmann::json frame = nlohmann::json::parse(payload, nullptr, false);
    if (frame.is_discarded()) {
      x.outcome = Exchange::Outcome::NoAnswer;
      x.error = "malformed event from the daemon";
      return x;
    }
    onFrame(frame);
  }
  return x;
}

}  // namespace ipsecgw::ctl
