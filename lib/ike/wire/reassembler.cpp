#include "ike/wire/reassembler.hpp"

namespace ipsecgw::ike {

FragmentVerdict Reassembler::add(Fragment&& f) {
  if (f.number == 0 || f.number > f.total) return FragmentVerdict::Stale;  // openFragment never yields these
  if (f.total > maxFragments_) return FragmentVerdict::TooMany;
  // RFC 7383 2.6: a larger Total Fragments means the sender re-fragmented
  // (e.g. a smaller PMTU): drop what we have and start over; a smaller one
  // belongs to the older set and is discarded.
  if (f.total < total_) return FragmentVerdict::Stale;
  if (f.total > total_) {
    reset();
    total_ = f.total;
    parts_.resize(total_);
  }
  auto& slot = parts_[f.number - 1];
  if (slot) return FragmentVerdict::Duplicate;
  if (bytes_ + f.inner.size() > maxBytes_) return FragmentVerdict::TooMany;
  if (f.number == 1) firstInner_ = f.firstInner;
  bytes_ += f.inner.size();
  slot = std::move(f.inner);
  ++count_;
  return count_ == total_ ? FragmentVerdict::Complete : FragmentVerdict::Stored;
}

Reassembled Reassembler::take() {
  Reassembled r;
  if (count_ != total_ || total_ == 0) return r;
  r.firstInner = firstInner_;
  r.inner.reserve(bytes_);
  for (auto& part : parts_) r.inner.insert(r.inner.end(), part->begin(), part->end());
  reset();
  return r;
}

void Reassembler::reset() {
  total_ = 0;
  count_ = 0;
  bytes_ = 0;
  firstInner_ = PayloadType::NoNext;
  parts_.clear();
}

}  // namespace ipsecgw::ike
