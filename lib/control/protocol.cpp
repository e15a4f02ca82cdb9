#include "control/protocol.hpp"

#include <algorithm>
#include <cstring>

#include "util/byte_order.hpp"

namespace ipsecgw::control {

std::string encodeFrame(std::string_view payload) {
  std::string frame(kFrameHeaderLen + payload.size(), '\0');
  storeBe32(reinterpret_cast<uint8_t*>(frame.data()), static_cast<uint32_t>(payload.size()));
  std::memcpy(frame.data() + kFrameHeaderLen, payload.data(), payload.size());
  return frame;
}

// The buffer starts at one request's worth and grows only for a frame whose
// header announced a larger, still permitted, length (client responses).
FrameDecoder::FrameDecoder(size_t maxPayload)
    : maxPayload_(maxPayload), buf_(kFrameHeaderLen + std::min(maxPayload, kMaxRequestLen)) {}

void FrameDecoder::compact() {
  if (begin_ == 0) return;
  std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
  end_ -= begin_;
  begin_ = 0;
}

std::span<uint8_t> FrameDecoder::writable() {
  if (tooLarge_) return {};
  compact();
  if (end_ >= kFrameHeaderLen) {
    const size_t want = kFrameHeaderLen + loadBe32(buf_.data());
    if (want <= kFrameHeaderLen + maxPayload_ && want > buf_.size()) buf_.resize(want);
  }
  return {buf_.data() + end_, buf_.size() - end_};
}

void FrameDecoder::commit(size_t n) { end_ += std::min(n, buf_.size() - end_); }

FrameDecoder::Status FrameDecoder::next(std::string& payload) {
  if (tooLarge_) return Status::TooLarge;
  if (buffered() < kFrameHeaderLen) return Status::NeedMore;
  const uint32_t len = loadBe32(buf_.data() + begin_);
  if (len > maxPayload_) {
    tooLarge_ = true;
    announced_ = len;
    begin_ = end_ = 0;
    return Status::TooLarge;
  }
  if (buffered() < kFrameHeaderLen + len) return Status::NeedMore;
  const char* p = reinterpret_cast<const char*>(buf_.data() + begin_ + kFrameHeaderLen);
  payload.assign(p, len);
  begin_ += kFrameHeaderLen + len;
  if (begin_ == end_) begin_ = end_ = 0;
  return Status::Frame;
}

namespace {

// Deepest bracket nesting outside strings. Counting first keeps pathological
// input ("[[[[...") away from the recursive parts of the JSON library.
size_t nestingDepth(std::string_view s) {
  size_t depth = 0, deepest = 0;
  bool inString = false, escaped = false;
  for (char ch : s) {
    if (inString) {
      if (escaped)
        escaped = false;
      else if (ch == '\\')
        escaped = true;
      else if (ch == '"')
        inString = false;
      continue;
    }
    if (ch == '"')
      inString = true;
    else if (ch == '[' || ch == '{')
      deepest = std::max(deepest, ++depth);
    else if ((ch == ']' || ch == '}') && depth > 0)
      --depth;
  }
  return deepest;
}

std::string dumpSafe(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

}  // namespace

Expected<Request, std::string> parseRequest(std::string_view payload) {
  if (nestingDepth(payload) > kMaxRequestDepth)
    return unexpected("malformed request: JSON nested deeper than " + std::to_string(kMaxRequestDepth) + " levels");
  nlohmann::json j = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return unexpected(std::string("malformed request: not valid JSON"));
  if (!j.is_object()) return unexpected(std::string("malformed request: not a JSON object"));
  auto version = j.find("version");
  if (version == j.end() || !version->is_number_unsigned())
    return unexpected(std::string("malformed request: \"version\" missing or not a positive integer"));
  if (version->get<uint64_t>() != kProtocolVersion)
    return unexpected("unsupported protocol version " + std::to_string(version->get<uint64_t>()) +
                      " (this daemon speaks version " + std::to_string(kProtocolVersion) + ")");
  auto command = j.find("command");
  if (command == j.end() || !command->is_string() || command->get_ref<const std::string&>().empty())
    return unexpected(std::string("malformed request: \"command\" missing or not a non-empty string"));
  Request r;
  r.command = command->get<std::string>();
  if (auto args = j.find("args"); args != j.end()) {
    if (!args->is_object()) return unexpected(std::string("malformed request: \"args\" is not an object"));
    r.args = std::move(*args);
  }
  return r;
}

std::string okResponse(const nlohmann::json& result) {
  return dumpSafe({{"version", kProtocolVersion}, {"ok", true}, {"result", result}});
}

std::string errorResponse(std::string_view error) {
  return dumpSafe({{"version", kProtocolVersion}, {"ok", false}, {"error", std::string(error)}});
}

std::string makeRequest(std::string_view command, const nlohmann::json& args) {
  return dumpSafe({{"version", kProtocolVersion}, {"command", std::string(command)}, {"args", args}});
}

}  // namespace ipsecgw::control
