// An IKE exchange as a task (STYLE.md, after strongSwan's sa/task.h): build
// and process, wired at creation to the initiator's pair (build_i sends the
// request, process_i reads the response) or the responder's (process_r reads
// the request, build_r writes the response). A task only reads and writes
// Messages and IkeSa state; the task manager sends, retransmits and numbers.
#pragma once

#include <memory>

#include "ike/crypto/byte_view.hpp"
#include "ike/engine/ike_sa.hpp"

namespace ipsecgw::ike {

enum class TaskStatus : uint8_t {
  Done,      // exchange complete
  NeedMore,  // initiator: send another request of this task (INVALID_KE_PAYLOAD retry)
  Failed,    // exchange failed; the task has killed the SA if that is fatal
};

class Task {
 public:
  Task(IkeSa& sa, EngineContext& ctx, bool initiator) : sa_(sa), ctx_(ctx), initiator_(initiator) {}
  virtual ~Task() = default;
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  virtual ExchangeType exchange() const = 0;
  bool initiator() const { return initiator_; }

  TaskStatus build(Message& m) { return initiator_ ? buildI(m) : buildR(m); }
  // `raw` is the datagram as received (decrypted in place for SK).
  TaskStatus process(const Message& m, ByteView raw) { return initiator_ ? processI(m, raw) : processR(m, raw); }
  // The datagram as encoded and sent for the message build() filled in.
  virtual void sent(const Bytes& /*datagram*/) {}

 protected:
  virtual TaskStatus buildI(Message&) { return TaskStatus::Failed; }
  virtual TaskStatus processI(const Message&, ByteView) { return TaskStatus::Failed; }
  virtual TaskStatus processR(const Message&, ByteView) { return TaskStatus::Failed; }
  virtual TaskStatus buildR(Message&) { return TaskStatus::Failed; }

  IkeSa& sa_;
  EngineContext& ctx_;

 private:
  bool initiator_;
};

using TaskPtr = std::unique_ptr<Task>;

}  // namespace ipsecgw::ike
