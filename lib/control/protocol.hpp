// The control socket's wire protocol (apps/ipsecgwctl/README.md documents it
// for scripts): every message is one frame, a 4-byte big-endian length
// followed by that many bytes of UTF-8 JSON.
//
//   request   {"version":1,"command":"list-sas","args":{...}}
//   response  {"version":1,"ok":true,"result":{...}}
//             {"version":1,"ok":false,"error":"..."}
//
// Shared by the daemon's server and the client; no DPDK, no sockets here,
// so the parser can be unit-tested and fuzzed on plain bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/expected.hpp"

namespace ipsecgw::control {

inline constexpr uint32_t kProtocolVersion = 1;
inline constexpr size_t kFrameHeaderLen = 4;
// A request names a command and a few arguments: 64 KiB is generous and
// bounds what one client can make the daemon buffer.
inline constexpr size_t kMaxRequestLen = 64 * 1024;
// Responses list every SA and policy; the client accepts up to this.
inline constexpr size_t kMaxResponseLen = 16 * 1024 * 1024;
// JSON nesting a request may use (arguments are flat); deeper input is
// refused before the JSON parser sees it.
inline constexpr size_t kMaxRequestDepth = 16;

// `payload` with its length header in front. Precondition: payload.size()
// fits in 32 bits (callers bound it by kMaxResponseLen).
std::string encodeFrame(std::string_view payload);

// Cuts frames out of a byte stream into a buffer that never grows beyond
// one header plus `maxPayload` bytes, whatever the peer sends. Reads go
// straight into writable(), then commit().
class FrameDecoder {
 public:
  enum class Status : uint8_t {
    NeedMore,  // no complete frame buffered
    Frame,     // `payload` holds the next frame
    TooLarge,  // the announced length exceeds the limit; the stream cannot
               // be resynchronised (sticky)
  };

  explicit FrameDecoder(size_t maxPayload);

  // Free room at the end of the buffer (empty when a whole frame waits to be
  // taken, or after TooLarge).
  std::span<uint8_t> writable();
  void commit(size_t n);
  Status next(std::string& payload);

  // Bytes buffered that next() has not returned yet.
  size_t buffered() const { return end_ - begin_; }
  // The length the oversized frame announced (after TooLarge).
  uint64_t announced() const { return announced_; }
  size_t maxPayload() const { return maxPayload_; }

 private:
  void compact();

  size_t maxPayload_;
  std::vector<uint8_t> buf_;
  size_t begin_ = 0, end_ = 0;
  bool tooLarge_ = false;
  uint64_t announced_ = 0;
};

struct Request {
  std::string command;
  nlohmann::json args = nlohmann::json::object();
};

// Validates one request frame: JSON object no deeper than kMaxRequestDepth,
// "version" == kProtocolVersion, "command" a non-empty string, "args" absent
// or an object. The error is a sentence for the operator.
Expected<Request, std::string> parseRequest(std::string_view payload);

// Response payloads (no frame header). Strings that are not valid UTF-8 are
// replaced, never thrown on.
std::string okResponse(const nlohmann::json& result);
std::string errorResponse(std::string_view error);
// Request payload, for the client.
std::string makeRequest(std::string_view command, const nlohmann::json& args);

}  // namespace ipsecgw::control
