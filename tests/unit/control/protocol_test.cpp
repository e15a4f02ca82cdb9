// Framing and request parsing of the control protocol (lib/control/protocol.hpp):
// frames cut at every byte boundary, several per read, truncated, oversized;
// requests malformed, of the wrong version, without a command.
#include <catch2/catch.hpp>

#include "control/protocol.hpp"

using namespace ipsecgw::control;

namespace {

void feed(FrameDecoder& d, std::string_view bytes) {
  while (!bytes.empty()) {
    auto room = d.writable();
    REQUIRE(!room.empty());
    const size_t n = std::min(room.size(), bytes.size());
    std::memcpy(room.data(), bytes.data(), n);
    d.commit(n);
    bytes.remove_prefix(n);
  }
}

std::string header(uint32_t len) {
  std::string h(4, '\0');
  h[0] = static_cast<char>(len >> 24);
  h[1] = static_cast<char>(len >> 16);
  h[2] = static_cast<char>(len >> 8);
  h[3] = static_cast<char>(len);
  return h;
}

}  // namespace

TEST_CASE("a frame is a big-endian length and the payload", "[control][protocol]") {
  const std::string f = encodeFrame("{\"a\":1}");
  REQUIRE(f.size() == 4 + 7);
  CHECK(f.substr(0, 4) == header(7));
  CHECK(f.substr(4) == "{\"a\":1}");
}

TEST_CASE("frames come out whole whatever the read boundaries", "[control][protocol]") {
  const std::string stream = encodeFrame("first") + encodeFrame("") + encodeFrame(std::string(1000, 'x'));
  for (size_t chunk : {size_t{1}, size_t{3}, size_t{4}, size_t{5}, size_t{7}, stream.size()}) {
    FrameDecoder d(kMaxRequestLen);
    std::vector<std::string> got;
    std::string payload;
    for (size_t off = 0; off < stream.size(); off += chunk) {
      feed(d, std::string_view(stream).substr(off, chunk));
      while (d.next(payload) == FrameDecoder::Status::Frame) got.push_back(payload);
    }
    REQUIRE(got.size() == 3);
    CHECK(got[0] == "first");
    CHECK(got[1].empty());
    CHECK(got[2] == std::string(1000, 'x'));
    CHECK(d.buffered() == 0);
  }
}

TEST_CASE("a truncated frame waits for the rest", "[control][protocol]") {
  FrameDecoder d(kMaxRequestLen);
  std::string payload;
  feed(d, header(10).substr(0, 3));
  CHECK(d.next(payload) == FrameDecoder::Status::NeedMore);
  feed(d, header(10).substr(3) + "12345");
  CHECK(d.next(payload) == FrameDecoder::Status::NeedMore);
  CHECK(d.buffered() == 9);
  feed(d, "67890");
  REQUIRE(d.next(payload) == FrameDecoder::Status::Frame);
  CHECK(payload == "1234567890");
}

TEST_CASE("an oversized frame is refused from its header, and for good", "[control][protocol]") {
  FrameDecoder d(kMaxRequestLen);
  std::string payload;
  SECTION("one byte over the limit") {
    feed(d, header(kMaxRequestLen + 1));
    CHECK(d.next(payload) == FrameDecoder::Status::TooLarge);
    CHECK(d.announced() == kMaxRequestLen + 1);
  }
  SECTION("4 GiB announced") {
    feed(d, header(0xffffffffu));
    CHECK(d.next(payload) == FrameDecoder::Status::TooLarge);
    CHECK(d.announced() == 0xffffffffu);
  }
  // Sticky: nothing more is read or returned.
  CHECK(d.writable().empty());
  CHECK(d.next(payload) == FrameDecoder::Status::TooLarge);
  CHECK(d.buffered() == 0);
}

TEST_CASE("exactly the limit is accepted", "[control][protocol]") {
  FrameDecoder d(kMaxRequestLen);
  std::string payload;
  feed(d, header(kMaxRequestLen) + std::string(kMaxRequestLen, 'y'));
  REQUIRE(d.next(payload) == FrameDecoder::Status::Frame);
  CHECK(payload.size() == kMaxRequestLen);
}

TEST_CASE("the buffer never holds more than a header and one maximal payload", "[control][protocol]") {
  FrameDecoder d(100);
  size_t room = d.writable().size();
  CHECK(room == 104);
  feed(d, header(50));
  CHECK(d.writable().size() == 100);
}

TEST_CASE("a response decoder grows only for the frame it was announced", "[control][protocol]") {
  FrameDecoder d(kMaxResponseLen);
  CHECK(d.writable().size() == 4 + kMaxRequestLen);
  const std::string big(200000, 'z');
  feed(d, encodeFrame(big));
  std::string payload;
  REQUIRE(d.next(payload) == FrameDecoder::Status::Frame);
  CHECK(payload == big);
}

TEST_CASE("a well-formed request", "[control][protocol]") {
  auto r = parseRequest(R"({"version":1,"command":"initiate","args":{"connection":"gw-b"}})");
  REQUIRE(r);
  CHECK(r->command == "initiate");
  CHECK(r->args["connection"] == "gw-b");
  auto bare = parseRequest(R"({"version":1,"command":"status"})");
  REQUIRE(bare);
  CHECK(bare->args.is_object());
  CHECK(bare->args.empty());
  // The client's builder makes what the parser takes.
  auto built = parseRequest(makeRequest("list-sas", {{"x", 1}}));
  REQUIRE(built);
  CHECK(built->command == "list-sas");
}

TEST_CASE("malformed requests get a sentence that says what is wrong", "[control][protocol]") {
  struct Case {
    std::string payload;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"", "not valid JSON"},
      {"{\"version\":1,\"command\":\"status\"", "not valid JSON"},
      {"{\"version\":1,\"command\":\"status\"}garbage", "not valid JSON"},
      {"\xff\xfe", "not valid JSON"},
      {"{\"version\":1,\"command\":\"st\xff\"}", "not valid JSON"},
      {"[1,2]", "not a JSON object"},
      {"\"status\"", "not a JSON object"},
      {"{\"command\":\"status\"}", "\"version\" missing"},
      {"{\"version\":\"1\",\"command\":\"status\"}", "\"version\" missing or not a positive integer"},
      {"{\"version\":-1,\"command\":\"status\"}", "not a positive integer"},
      {"{\"version\":1.0,\"command\":\"status\"}", "not a positive integer"},
      {"{\"version\":2,\"command\":\"status\"}", "unsupported protocol version 2 (this daemon speaks version 1)"},
      {"{\"version\":0,\"command\":\"status\"}", "unsupported protocol version 0"},
      {"{\"version\":1}", "\"command\" missing"},
      {"{\"version\":1,\"command\":\"\"}", "\"command\" missing or not a non-empty string"},
      {"{\"version\":1,\"command\":7}", "\"command\" missing or not a non-empty string"},
      {"{\"version\":1,\"command\":\"status\",\"args\":[]}", "\"args\" is not an object"},
      {"{\"version\":1,\"command\":\"status\",\"args\":null}", "\"args\" is not an object"},
      {std::string(kMaxRequestDepth + 1, '[') + std::string(kMaxRequestDepth + 1, ']'), "nested deeper than"},
      {"{\"version\":1,\"command\":\"s\",\"args\":{\"a\":" + std::string(100000, '[') + "}}", "nested deeper than"},
  };
  for (const auto& c : cases) {
    INFO("payload: " << c.payload.substr(0, 80));
    auto r = parseRequest(c.payload);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error(), Catch::Contains(c.expected));
  }
}

TEST_CASE("brackets inside strings do not count as nesting", "[control][protocol]") {
  const std::string deepText(100, '[');
  auto r = parseRequest(R"({"version":1,"command":"status","args":{"note":")" + deepText + R"(\"]"}})");
  REQUIRE(r);
  CHECK(r->args["note"] == deepText + "\"]");
}

TEST_CASE("responses carry the version and either a result or an error", "[control][protocol]") {
  auto ok = nlohmann::json::parse(okResponse({{"n", 1}}));
  CHECK(ok["version"] == kProtocolVersion);
  CHECK(ok["ok"] == true);
  CHECK(ok["result"]["n"] == 1);
  auto err = nlohmann::json::parse(errorResponse("no such connection"));
  CHECK(err["ok"] == false);
  CHECK(err["error"] == "no such connection");
  CHECK_FALSE(err.contains("result"));
  // Invalid UTF-8 in an error (e.g. an echoed name) is replaced, not thrown.
  auto bad = nlohmann::json::parse(errorResponse("bad \xff name"));
  CHECK(bad["ok"] == false);
}
