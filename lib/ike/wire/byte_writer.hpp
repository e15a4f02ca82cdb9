// Appends big-endian fields to a growing buffer, and patches a length once the
// bytes it covers are written (how every IKE length is filled in).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "util/byte_order.hpp"

namespace ipsecgw::ike {

class ByteWriter {
 public:
  explicit ByteWriter(std::vector<uint8_t>& out) : out_(out) {}

  size_t size() const { return out_.size(); }
  void putU8(uint8_t v) { out_.push_back(v); }
  void putU16(uint16_t v) { storeBe16(grow(2), v); }
  void putU32(uint32_t v) { storeBe32(grow(4), v); }
  void putU64(uint64_t v) { storeBe64(grow(8), v); }
  void putBytes(std::span<const uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void putZeros(size_t n) { out_.insert(out_.end(), n, 0); }
  void patchU8(size_t at, uint8_t v) { out_.at(at) = v; }
  void patchU16(size_t at, uint16_t v) { storeBe16(out_.data() + checkedAt(at, 2), v); }
  void patchU32(size_t at, uint32_t v) { storeBe32(out_.data() + checkedAt(at, 4), v); }

 private:
  uint8_t* grow(size_t n) {
    out_.resize(out_.size() + n);
    return out_.data() + out_.size() - n;
  }
  size_t checkedAt(size_t at, size_t n) const {
    // A patch always lands on bytes already written by the same encoder.
    if (at + n > out_.size()) __builtin_trap();
    return at;
  }

  std::vector<uint8_t>& out_;
};

}  // namespace ipsecgw::ike
