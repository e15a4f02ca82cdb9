// A bounds-checked cursor over a byte span (after quiche's QuicheDataReader):
// every read checks what remains, advances only on success and hands out views,
// not copies. After a failed read the reader is to be discarded.
//
// Bytes are uint8_t rather than std::byte because every crypto API we feed
// (ipsec-mb, OpenSSL) takes uint8_t; one type avoids casts at each call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "util/byte_order.hpp"

namespace ipsecgw {

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> data) : data_(data) {}

  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  std::span<const uint8_t> rest() const { return data_.subspan(pos_); }

  bool readU8(uint8_t& out) {
    if (remaining() < 1) return false;
    out = data_[pos_++];
    return true;
  }
  bool readU16(uint16_t& out) { return readFixed(out, 2, loadBe16); }
  bool readU32(uint32_t& out) { return readFixed(out, 4, loadBe32); }
  bool readU64(uint64_t& out) { return readFixed(out, 8, loadBe64); }

  bool readBytes(size_t n, std::span<const uint8_t>& out) {
    if (remaining() < n) return false;
    out = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  bool skip(size_t n) {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }

 private:
  template <typename T, typename Load>
  bool readFixed(T& out, size_t n, Load load) {
    if (remaining() < n) return false;
    out = load(data_.data() + pos_);
    pos_ += n;
    return true;
  }

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

}  // namespace ipsecgw
