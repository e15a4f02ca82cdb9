// The control server over real Unix sockets (lib/control/server.hpp): one
// thread runs both the server's poll() and the test's clients, as the control
// core would, so a server that blocked anywhere would hang the test.
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <grp.h>
#include <memory>
#include <thread>

#include "control/server.hpp"

using namespace ipsecgw;
using namespace ipsecgw::control;
using nlohmann::json;

namespace {

uint64_t nowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/ctltestXXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

// A test handler: "echo" returns its args, "big" a result of args.bytes
// bytes, "who" the caller's uid; anything else is an unknown command.
Reply testHandler(const Request& r, const Caller& c, uint64_t) {
  if (r.command == "echo") return json{{"args", r.args}};
  if (r.command == "big") return json{{"data", std::string(r.args.value("bytes", 0u), 'b')}};
  if (r.command == "who") return json{{"uid", c.uid}, {"pid", c.pid}};
  return unexpected("unknown command \"" + r.command + "\"");
}

class TestClient {
 public:
  explicit TestClient(const std::string& path) {
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  explicit TestClient(int fd) : fd_(fd), connected_(true) {}
  ~TestClient() {
    if (fd_ >= 0) close(fd_);
  }
  bool connected() const { return connected_; }
  int fd() const { return fd_; }
  // Small writes into an empty socket buffer complete at once.
  bool sendRaw(const std::string& bytes) {
    return send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  }
  bool sendRequest(const std::string& command, const json& args = json::object()) {
    return sendRaw(encodeFrame(makeRequest(command, args)));
  }
  // Reads what is there; a complete response, if any.
  std::optional<json> tryRead() {
    std::string payload;
    for (;;) {
      if (in_.next(payload) == FrameDecoder::Status::Frame) return json::parse(payload);
      auto room = in_.writable();
      const ssize_t n = recv(fd_, room.data(), room.size(), MSG_DONTWAIT);
      if (n == 0) eof_ = true;
      if (n <= 0) return std::nullopt;
      in_.commit(static_cast<size_t>(n));
    }
  }
  bool eof() {
    tryRead();
    return eof_;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  FrameDecoder in_{kMaxResponseLen};
};

// Polls the server until `done` or the deadline.
template <typename Pred>
bool pump(Server& s, Pred done, uint64_t timeoutMs = 3000) {
  const uint64_t until = nowMs() + timeoutMs;
  while (nowMs() < until) {
    s.poll(nowMs());
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return false;
}

std::optional<json> request(Server& s, TestClient& c, const std::string& command, const json& args = json::object()) {
  if (!c.sendRequest(command, args)) return std::nullopt;
  std::optional<json> r;
  pump(s, [&] { return (r = c.tryRead()).has_value(); });
  return r;
}

struct Fixture {
  TempDir dir;
  std::string path = (dir.path / "sub" / "ctl.sock").string();
  ServerPtr server;
  explicit Fixture(ServerLimits limits = {}) {
    std::string error;
    ServerOptions o{.socketPath = path, .group = std::nullopt, .groupName = "", .limits = limits};
    server = Server::create(o, testHandler, error);
    REQUIRE(server);
    REQUIRE(error.empty());
  }
};

}  // namespace

TEST_CASE("the socket is 0660 in a new 0750 directory, and goes away with the server", "[control][server]") {
  Fixture f;
  struct stat st{};
  REQUIRE(stat(f.path.c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 0777) == 0660);
  REQUIRE(stat((f.dir.path / "sub").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0750);
  f.server.reset();
  CHECK_FALSE(std::filesystem::exists(f.path));
}

TEST_CASE("a stale socket is replaced, a live one or another file is not", "[control][server]") {
  Fixture f;
  std::string error;
  ServerOptions o{.socketPath = f.path, .group = std::nullopt, .groupName = "", .limits = {}};
  CHECK_FALSE(Server::create(o, testHandler, error));
  CHECK_THAT(error, Catch::Contains("in use by a running daemon"));
  CHECK(std::filesystem::exists(f.path));  // the live daemon keeps its socket

  // A killed daemon leaves its socket file behind: simulate with a bound,
  // closed socket.
  const std::string stale = (f.dir.path / "stale.sock").string();
  {
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, stale.c_str(), sizeof(a.sun_path) - 1);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    close(fd);
  }
  o.socketPath = stale;
  error.clear();
  auto s2 = Server::create(o, testHandler, error);
  CHECK(s2);
  o.socketPath = (f.dir.path / "plain").string();
  { std::ofstream(o.socketPath) << "x"; }
  CHECK_FALSE(Server::create(o, testHandler, error));
  CHECK_THAT(error, Catch::Contains("not a socket"));
}

TEST_CASE("requests are answered; a malformed one gets an error and the connection goes on", "[control][server]") {
  Fixture f;
  TestClient c(f.path);
  REQUIRE(c.connected());
  auto r = request(*f.server, c, "echo", {{"x", 42}});
  REQUIRE(r);
  CHECK((*r)["version"] == 1);
  CHECK((*r)["ok"] == true);
  CHECK((*r)["result"]["args"]["x"] == 42);

  REQUIRE(c.sendRaw(encodeFrame("{\"version\":1,\"command\":")));
  std::optional<json> bad;
  REQUIRE(pump(*f.server, [&] { return (bad = c.tryRead()).has_value(); }));
  CHECK((*bad)["ok"] == false);
  CHECK_THAT((*bad)["error"].get<std::string>(), Catch::Contains("not valid JSON"));

  REQUIRE(c.sendRaw(encodeFrame("{\"version\":9,\"command\":\"echo\"}")));
  REQUIRE(pump(*f.server, [&] { return (bad = c.tryRead()).has_value(); }));
  CHECK_THAT((*bad)["error"].get<std::string>(), Catch::Contains("unsupported protocol version 9"));

  auto unknown = request(*f.server, c, "frobnicate");
  REQUIRE(unknown);
  CHECK((*unknown)["ok"] == false);
  CHECK((*unknown)["error"] == "unknown command \"frobnicate\"");

  auto who = request(*f.server, c, "who");
  REQUIRE(who);
  CHECK((*who)["result"]["uid"] == getuid());
  CHECK((*who)["result"]["pid"] == getpid());
  CHECK(f.server->counters().badRequests == 2);
  CHECK(f.server->counters().requests == 3);
}

TEST_CASE("pipelined requests in one write are all answered, in order", "[control][server]") {
  Fixture f;
  TestClient c(f.path);
  std::string burst;
  for (int i = 0; i < 20; ++i) burst += encodeFrame(makeRequest("echo", {{"i", i}}));
  REQUIRE(c.sendRaw(burst));
  std::vector<int> seen;
  REQUIRE(pump(*f.server, [&] {
    while (auto r = c.tryRead()) seen.push_back((*r)["result"]["args"]["i"]);
    return seen.size() == 20;
  }));
  for (int i = 0; i < 20; ++i) CHECK(seen[i] == i);
}

TEST_CASE("an oversized frame is refused with an error and the connection closed", "[control][server]") {
  Fixture f;
  TestClient c(f.path);
  std::string h(4, '\0');
  const uint32_t len = kMaxRequestLen + 1;
  h[0] = static_cast<char>(len >> 24), h[1] = static_cast<char>(len >> 16), h[2] = static_cast<char>(len >> 8),
  h[3] = static_cast<char>(len);
  REQUIRE(c.sendRaw(h + std::string(1000, 'a')));
  std::optional<json> r;
  REQUIRE(pump(*f.server, [&] { return (r = c.tryRead()).has_value(); }));
  CHECK((*r)["ok"] == false);
  CHECK_THAT((*r)["error"].get<std::string>(), Catch::Contains("exceeds the limit of 65536 bytes"));
  CHECK(pump(*f.server, [&] { return c.eof(); }));
  CHECK(f.server->clients() == 0);
  CHECK(f.server->counters().oversized == 1);
}

TEST_CASE("a client that sends half a frame and stalls is closed at its timeout, others are served meanwhile",
          "[control][server]") {
  Fixture f(ServerLimits{.idleTimeoutMs = 300});
  TestClient staller(f.path);
  const std::string frame = encodeFrame(makeRequest("echo", {}));
  REQUIRE(staller.sendRaw(frame.substr(0, frame.size() / 2)));
  TestClient header(f.path);  // only 2 bytes of a header
  REQUIRE(header.sendRaw(frame.substr(0, 2)));
  const uint64_t start = nowMs();
  for (int i = 0; i < 5; ++i) {
    TestClient other(f.path);
    auto r = request(*f.server, other, "echo", {{"i", i}});
    REQUIRE(r);
    CHECK((*r)["ok"] == true);
  }
  CHECK(nowMs() - start < 300);  // served without waiting for the staller
  REQUIRE(pump(*f.server, [&] { return staller.eof() && header.eof(); }, 2000));
  CHECK(nowMs() - start >= 300);
  CHECK(f.server->counters().timedOut == 2);
  CHECK(f.server->clients() == 0);
}

TEST_CASE("a client that never reads holds one response at most and is closed at its timeout", "[control][server]") {
  Fixture f(ServerLimits{.idleTimeoutMs = 300});
  TestClient hog(f.path);
  // 1 MiB responses fill the socket buffer at once; the hog keeps asking.
  std::string burst;
  for (int i = 0; i < 50; ++i) burst += encodeFrame(makeRequest("big", {{"bytes", 1 << 20}}));
  hog.sendRaw(burst);
  pump(*f.server, [] { return false; }, 50);
  // The server answered the first and holds the rest of it: not 50 MiB.
  CHECK(f.server->counters().requests <= 2);
  TestClient other(f.path);
  auto r = request(*f.server, other, "echo");
  REQUIRE(r);
  CHECK((*r)["ok"] == true);
  REQUIRE(pump(*f.server, [&] { return f.server->counters().timedOut >= 1; }, 2000));
  CHECK(f.server->counters().requests <= 3);
}

TEST_CASE("200 concurrent clients are all answered", "[control][server]") {
  Fixture f;
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < 200; ++i) {
    clients.push_back(std::make_unique<TestClient>(f.path));
    // The listen backlog is 128: let the server accept as clients arrive.
    f.server->poll(nowMs());
  }
  for (int i = 0; i < 200; ++i) REQUIRE(clients[i]->connected());
  for (int i = 0; i < 200; ++i) REQUIRE(clients[i]->sendRequest("echo", {{"i", i}}));
  std::vector<std::optional<json>> got(200);
  size_t answered = 0;
  const uint64_t start = nowMs();
  REQUIRE(pump(*f.server, [&] {
    for (int i = 0; i < 200; ++i)
      if (!got[i] && (got[i] = clients[i]->tryRead())) ++answered;
    return answered == 200;
  }));
  const uint64_t took = nowMs() - start;
  for (int i = 0; i < 200; ++i) CHECK((*got[i])["result"]["args"]["i"] == i);
  CHECK(f.server->clients() == 200);
  WARN("200 concurrent requests answered in " << took << " ms");
}

TEST_CASE("beyond maxClients a client is told so and closed", "[control][server]") {
  Fixture f(ServerLimits{.maxClients = 3});
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<TestClient>(f.path));
    REQUIRE(pump(*f.server, [&] { return f.server->clients() == static_cast<size_t>(i + 1); }));
  }
  TestClient extra(f.path);
  std::optional<json> r;
  REQUIRE(pump(*f.server, [&] { return (r = extra.tryRead()).has_value(); }));
  CHECK((*r)["ok"] == false);
  CHECK_THAT((*r)["error"].get<std::string>(), Catch::Contains("too many clients"));
  CHECK(f.server->counters().refusedFull == 1);
  auto ok = request(*f.server, *clients[0], "echo");
  REQUIRE(ok);
  CHECK((*ok)["ok"] == true);
}

TEST_CASE("requests per connection are limited", "[control][server]") {
  Fixture f(ServerLimits{.maxRequestsPerConnection = 3});
  TestClient c(f.path);
  for (int i = 0; i < 3; ++i) {
    auto r = request(*f.server, c, "echo");
    REQUIRE(r);
    CHECK((*r)["ok"] == true);
  }
  auto r = request(*f.server, c, "echo");
  REQUIRE(r);
  CHECK((*r)["ok"] == false);
  CHECK_THAT((*r)["error"].get<std::string>(), Catch::Contains("reconnect"));
  CHECK(pump(*f.server, [&] { return c.eof(); }));
}

TEST_CASE("a connection's lifetime is limited even while it is busy", "[control][server]") {
  Fixture f(ServerLimits{.connectionLifetimeMs = 200});
  TestClient c(f.path);
  const uint64_t start = nowMs();
  while (nowMs() - start < 150) {
    auto r = request(*f.server, c, "echo");
    REQUIRE(r);
    CHECK((*r)["ok"] == true);
    pump(*f.server, [] { return false; }, 20);
  }
  CHECK(pump(*f.server, [&] { return c.eof(); }, 1000));
  CHECK(f.server->counters().timedOut == 1);
}

TEST_CASE("responses above the limit become an error", "[control][server]") {
  Fixture f(ServerLimits{.maxResponseLen = 1000});
  TestClient c(f.path);
  auto r = request(*f.server, c, "big", {{"bytes", 5000}});
  REQUIRE(r);
  CHECK((*r)["ok"] == false);
  CHECK_THAT((*r)["error"].get<std::string>(), Catch::Contains("exceeds the limit of 1000"));
}

TEST_CASE("a socketpair end can be adopted", "[control][server]") {
  std::string error;
  ServerOptions o;  // no socket path: adoption only
  auto s = Server::create(o, testHandler, error);
  REQUIRE(s);
  int sv[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
  REQUIRE(s->adopt(sv[0], nowMs()));
  {
    TestClient c(sv[1]);
    auto r = request(*s, c, "echo", {{"a", "b"}});
    REQUIRE(r);
    CHECK((*r)["result"]["args"]["a"] == "b");
  }  // the client hangs up; the server notices
  CHECK(pump(*s, [&] { return s->clients() == 0; }));
}

TEST_CASE("access: root, the daemon's own user and group members; nobody else", "[control][server]") {
  AccessRule none{};
  AccessRule staff{.group = 1234, .groupName = "ipsecgw"};
  const Caller root{.pid = 1, .uid = 0, .gid = 0, .groups = {}};
  const Caller member{.pid = 1, .uid = 5000, .gid = 100, .groups = {7, 1234}};
  const Caller primary{.pid = 1, .uid = 5001, .gid = 1234, .groups = {}};
  const Caller stranger{.pid = 1, .uid = 65534, .gid = 65534, .groups = {100}};
  CHECK(none.allows(root));
  CHECK(staff.allows(root));
  CHECK(staff.allows(member));
  CHECK(staff.allows(primary));
  CHECK_FALSE(none.allows(member));
  CHECK_FALSE(staff.allows(stranger));
  CHECK(staff.refusal(stranger) == "permission denied: uid 65534 is not root and not in group ipsecgw");
}

TEST_CASE("a caller without permission is refused on a socket whose mode was loosened", "[control][server]") {
  if (geteuid() != 0) {
    WARN("needs root to switch to another uid: skipped");
    return;
  }
  Fixture f;
  // Open the path to everyone, as a careless administrator might: the
  // SO_PEERCRED check still refuses.
  REQUIRE(chmod((f.dir.path / "sub").c_str(), 0777) == 0);
  REQUIRE(chmod(f.dir.path.c_str(), 0777) == 0);
  REQUIRE(chmod(f.path.c_str(), 0666) == 0);
  int pipefd[2];
  REQUIRE(pipe(pipefd) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(pipefd[0]);
    gid_t nogroup = 65534;
    if (setgroups(0, nullptr) != 0 || setresgid(nogroup, nogroup, nogroup) != 0 || setresuid(65534, 65534, 65534) != 0)
      _exit(10);
    TestClient c(f.path);
    if (!c.connected()) _exit(11);
    c.sendRequest("echo");
    for (int i = 0; i < 300; ++i) {
      if (auto r = c.tryRead()) {
        const std::string text = r->dump();
        [[maybe_unused]] ssize_t n = write(pipefd[1], text.data(), text.size());
        _exit(0);
      }
      usleep(10000);
    }
    _exit(12);
  }
  close(pipefd[1]);
  int status = 0;
  REQUIRE(pump(*f.server, [&] { return waitpid(pid, &status, WNOHANG) == pid; }, 5000));
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  char buf[4096];
  const ssize_t n = read(pipefd[0], buf, sizeof(buf));
  close(pipefd[0]);
  REQUIRE(n > 0);
  auto r = json::parse(std::string(buf, static_cast<size_t>(n)));
  CHECK(r["ok"] == false);
  CHECK(r["error"] == "permission denied: uid 65534 is not root (no --control-group configured)");
  CHECK(f.server->counters().refusedPermission == 1);
  CHECK(f.server->counters().requests == 0);
}

TEST_CASE("an idle poll costs next to nothing", "[control][server]") {
  Fixture f(ServerLimits{.idleTimeoutMs = UINT64_MAX / 4, .connectionLifetimeMs = UINT64_MAX / 4});
  std::vector<std::unique_ptr<TestClient>> idle;
  for (int i = 0; i < 50; ++i) idle.push_back(std::make_unique<TestClient>(f.path));
  pump(*f.server, [&] { return f.server->clients() == 50; });
  // Same millisecond: no system call at all.
  const uint64_t ms = nowMs() + 10;
  f.server->poll(ms);
  auto t0 = std::chrono::steady_clock::now();
  constexpr int kSame = 1000000;
  uint32_t work = 0;
  for (int i = 0; i < kSame; ++i) work += f.server->poll(ms);
  auto sameNs = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / kSame;
  // A new millisecond each time: one epoll_wait(0) with nothing ready.
  constexpr int kNew = 20000;
  t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kNew; ++i) work += f.server->poll(ms + 1 + static_cast<uint64_t>(i));
  auto newNs = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / kNew;
  CHECK(work == 0);
  WARN("idle poll: " << sameNs << " ns within a millisecond, " << newNs << " ns with epoll_wait(0), 50 idle clients");
  CHECK(sameNs < 100);
  CHECK(newNs < 20000);
}

TEST_CASE("monitor: subscribers get every published event in order, request clients are unaffected",
          "[control][server][monitor]") {
  Fixture f;
  TestClient sub1(f.path), sub2(f.path), plain(f.path);
  auto r1 = request(*f.server, sub1, "monitor");
  REQUIRE(r1);
  CHECK((*r1)["ok"] == true);
  CHECK((*r1)["result"]["subscribed"] == true);
  REQUIRE(request(*f.server, sub2, "monitor"));
  REQUIRE(pump(*f.server, [&] { return f.server->subscribers() == 2; }));
  CHECK(f.server->publish(json{{"type", "test"}, {"n", 1}}, nowMs()) == 2);
  CHECK(f.server->publish(json{{"type", "test"}, {"n", 2}}, nowMs()) == 2);
  for (TestClient* c : {&sub1, &sub2}) {
    std::optional<json> e;
    REQUIRE(pump(*f.server, [&] { return (e = c->tryRead()).has_value(); }));
    CHECK((*e)["version"] == 1);
    CHECK((*e)["event"]["n"] == 1);
    REQUIRE(pump(*f.server, [&] { return (e = c->tryRead()).has_value(); }));
    CHECK((*e)["event"]["n"] == 2);
  }
  // Plain clients get answers, never events.
  auto echo = request(*f.server, plain, "echo", {{"x", 1}});
  REQUIRE(echo);
  CHECK((*echo)["result"]["args"]["x"] == 1);
  f.server->publish(json{{"type", "test"}, {"n", 3}}, nowMs());
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  f.server->poll(nowMs());
  CHECK_FALSE(plain.tryRead());
  // What a subscriber sends is ignored; its hang-up ends the subscription.
  CHECK(f.server->counters().subscribed == 2);
  REQUIRE(sub2.sendRaw("ignored bytes"));
  shutdown(sub2.fd(), SHUT_WR);
  REQUIRE(pump(*f.server, [&] { return f.server->subscribers() == 1; }));
  CHECK(f.server->publish(json{{"type", "test"}, {"n", 4}}, nowMs()) == 1);
}

TEST_CASE("monitor: subscribers outlive the idle timeout and the lifetime", "[control][server][monitor]") {
  ServerLimits limits;
  limits.idleTimeoutMs = 100;
  limits.connectionLifetimeMs = 200;
  Fixture f(limits);
  TestClient sub(f.path), idle(f.path);
  REQUIRE(request(*f.server, sub, "monitor"));
  REQUIRE(pump(*f.server, [&] { return idle.eof(); }, 2000));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  f.server->poll(nowMs());
  CHECK(f.server->subscribers() == 1);
  CHECK(f.server->publish(json{{"type", "test"}}, nowMs()) == 1);
}

TEST_CASE("monitor: a subscriber that does not read is dropped at its backlog, the server never waits",
          "[control][server][monitor]") {
  ServerLimits limits;
  limits.maxSubscriberBacklog = 64 * 1024;
  Fixture f(limits);
  TestClient slow(f.path), fast(f.path);
  REQUIRE(request(*f.server, slow, "monitor"));
  REQUIRE(request(*f.server, fast, "monitor"));
  // Small socket buffers, so that the backlog fills soon.
  int small = 4096;
  setsockopt(slow.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  const json event{{"type", "test"}, {"pad", std::string(1000, 'x')}};
  size_t fastSeen = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 2000 && f.server->subscribers() == 2; ++i) {
    f.server->publish(event, nowMs());
    while (fast.tryRead()) ++fastSeen;
  }
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took < std::chrono::seconds(2));  // no publish() blocked
  CHECK(f.server->subscribers() == 1);
  CHECK(f.server->counters().subscribersDropped == 1);
  while (slow.tryRead()) {
  }
  CHECK(slow.eof());  // what was sent before the drop, then the end
  // The fast one goes on.
  const size_t before = fastSeen;
  f.server->publish(event, nowMs());
  REQUIRE(pump(*f.server, [&] {
    while (fast.tryRead()) ++fastSeen;
    return fastSeen > before;
  }));
}

TEST_CASE("monitor: subscribers are limited", "[control][server][monitor]") {
  ServerLimits limits;
  limits.maxSubscribers = 2;
  Fixture f(limits);
  TestClient a(f.path), b(f.path), c(f.path);
  REQUIRE(request(*f.server, a, "monitor"));
  REQUIRE(request(*f.server, b, "monitor"));
  auto refused = request(*f.server, c, "monitor");
  REQUIRE(refused);
  CHECK((*refused)["ok"] == false);
  CHECK((*refused)["error"] == "too many monitor subscribers (2), try again");
  CHECK(pump(*f.server, [&] { return c.eof(); }));
  CHECK(f.server->counters().subscribersRefused == 1);
}
