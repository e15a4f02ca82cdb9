// The data-path crypto engine: Intel ipsec-mb through its job API.
//
// Concurrency: one IMB_MGR per engine, and an engine belongs to one worker
// thread (ipsec-mb managers are single-threaded). Sessions are immutable after
// createSession() and may be shared by every IpsecMbEngine.
#pragma once

#include <memory>
#include <string>

#include "esp/crypto_engine.hpp"

struct IMB_MGR;

namespace ipsecgw::crypto {

class IpsecMbEngine : public esp::CryptoEngine {
 public:
  // nullptr when the manager cannot be allocated or initialised.
  static std::unique_ptr<IpsecMbEngine> create();
  ~IpsecMbEngine() override;
  IpsecMbEngine(const IpsecMbEngine&) = delete;
  IpsecMbEngine& operator=(const IpsecMbEngine&) = delete;

  std::string_view name() const override { return "ipsec-mb"; }
  // e.g. "avx512 (vaes, vpclmulqdq)".
  std::string_view arch() const override { return arch_; }

  esp::CryptoSessionPtr createSession(esp::Transform t, std::span<const uint8_t> cipherKey,
                                      std::span<const uint8_t> authKey) override;
  void process(const esp::CryptoSession& session, esp::Transform t, esp::CryptoDirection dir,
               std::span<esp::CryptoOp> ops) override;

 private:
  IpsecMbEngine(IMB_MGR* mgr, std::string arch) : mgr_(mgr), arch_(std::move(arch)) {}

  IMB_MGR* mgr_;
  std::string arch_;
};

}  // namespace ipsecgw::crypto
