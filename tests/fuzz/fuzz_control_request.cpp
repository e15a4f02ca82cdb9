// libFuzzer target: the control socket's request path as the server runs it
// (lib/control/protocol.hpp). The input is a byte stream from a client: the
// first byte picks the size of the reads it arrives in; every frame cut out
// of it goes through parseRequest. Nothing may crash or throw, the decoder's
// buffer must stay bounded, and a parse yields a command or a reason.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "control/protocol.hpp"

using namespace ipsecgw;
using namespace ipsecgw::control;

namespace {
void check(std::string_view payload) {
  auto r = parseRequest(payload);
  if (r ? r->command.empty() || !r->args.is_object() : r.error().empty()) __builtin_trap();
  // What the server would send back must serialise whatever was inside.
  const std::string reply = r ? okResponse({{"command", r->command}}) : errorResponse(r.error());
  if (reply.empty()) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = 1 + data[0] % 64;
  std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  // Also the stream as one frame's payload, so the parser sees JSON without
  // the fuzzer having to get a length header right.
  check(stream);

  // A small limit so that "too large" is reachable.
  FrameDecoder d(256);
  std::string payload;
  while (!stream.empty()) {
    auto room = d.writable();
    if (room.size() > 4 + 256) __builtin_trap();
    if (room.empty()) {
      if (d.next(payload) == FrameDecoder::Status::Frame) {
        check(payload);
        continue;
      }
      break;  // TooLarge: the server closes the connection here
    }
    const size_t n = std::min({chunk, room.size(), stream.size()});
    std::memcpy(room.data(), stream.data(), n);
    d.commit(n);
    stream.remove_prefix(n);
    for (;;) {
      const auto status = d.next(payload);
      if (status != FrameDecoder::Status::Frame) break;
      if (payload.size() > 256) __builtin_trap();
      check(payload);
    }
  }
  return 0;
}
