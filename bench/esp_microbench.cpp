// ESP microbenchmark: cycles per packet of espEncapsulate/espDecapsulate next
// to the raw ipsec-mb AEAD on the same buffers, in one run on one core.
//
// The raw ceiling calls ipsec-mb the cheapest way a minimal ESP could: bursts
// of 32 in-place AEAD operations over the ESP body (payload + pad + trailer)
// with an 8-byte AAD and a 12-byte nonce; AES-GCM through the direct
// single-buffer calls (IMB_AES128_GCM_ENC, ...), which skip the job
// manager, ChaCha20-Poly1305 through the job API. The ratio (ours / raw) is
// what this reports; absolute cycles vary with the machine and its neighbours.
//
//   bench/esp_microbench [--rounds N] [--csv FILE]
#include <intel-ipsec-mb.h>
#include <x86intrin.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "crypto/engine_factory.hpp"
#include "esp/esp_inbound.hpp"
#include "esp/esp_outbound.hpp"
#include "net/ip.hpp"
#include "util/byte_order.hpp"

using namespace ipsecgw;
using namespace ipsecgw::esp;

namespace {

constexpr uint32_t kBurst = 32;
constexpr uint32_t kHeadroom = 128;

struct Burst {
  std::vector<uint8_t> storage;
  std::vector<PacketBuffer> bufs;
  std::vector<uint8_t> header;  // the inner IP+UDP header, restored each round
  uint32_t size;

  explicit Burst(uint32_t packetSize) : storage(kBurst * 2048), bufs(kBurst), size(packetSize) {
    header.assign(28, 0);
    header[0] = 0x45;
    storeBe16(header.data() + ip::kV4TotalLen, static_cast<uint16_t>(size));
    header[ip::kV4Ttl] = 64;
    header[ip::kV4Proto] = ip::kProtoUdp;
    storeBe16(header.data() + 24, static_cast<uint16_t>(size - 20));
    std::mt19937 rng(1);
    for (auto& b : storage) b = static_cast<uint8_t>(rng());
    reset();
  }
  // Back to plaintext geometry; the payload bytes' content does not matter.
  void reset() {
    for (uint32_t i = 0; i < kBurst; ++i) {
      bufs[i] = PacketBuffer{storage.data() + i * 2048, 2048, kHeadroom, size};
      std::memcpy(bufs[i].data(), header.data(), header.size());
    }
  }
  void pointers(PacketBuffer** out) {
    for (uint32_t i = 0; i < kBurst; ++i) out[i] = &bufs[i];
  }
};

// The raw ceiling: ipsec-mb AEAD over the same bytes ESP would encrypt.
class RawAead {
 public:
  RawAead(Transform t, const uint8_t* key) : t_(t) {
    mgr_ = alloc_mb_mgr(0);
    init_mb_mgr_auto(mgr_, nullptr);
    if (t == Transform::AesGcm128) IMB_AES128_GCM_PRE(mgr_, key, &gcmKey_);
    if (t == Transform::AesGcm256) IMB_AES256_GCM_PRE(mgr_, key, &gcmKey_);
    std::memcpy(chachaKey_, key, 32);
  }
  ~RawAead() { free_mb_mgr(mgr_); }

  void run(Burst& b, uint32_t bodyLen, IMB_CIPHER_DIRECTION dir) {
    if (t_ == Transform::AesGcm128 || t_ == Transform::AesGcm256) {
      const bool enc = dir == IMB_DIR_ENCRYPT, k128 = t_ == Transform::AesGcm128;
      const aes_gcm_enc_dec_t fn = k128 ? (enc ? mgr_->gcm128_enc : mgr_->gcm128_dec)
                                        : (enc ? mgr_->gcm256_enc : mgr_->gcm256_dec);
      for (uint32_t i = 0; i < kBurst; ++i) {
        uint8_t* esp = b.bufs[i].data();
        fn(&gcmKey_, &ctx_, esp + 16, esp + 16, bodyLen, nonce_, esp, 8, tag_[i], 16);
      }
      return;
    }
    uint32_t done = 0;
    for (uint32_t i = 0; i < kBurst; ++i) {
      IMB_JOB* job = IMB_GET_NEXT_JOB(mgr_);
      uint8_t* esp = b.bufs[i].data();
      job->cipher_direction = dir;
      job->chain_order = dir == IMB_DIR_ENCRYPT ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
      job->src = esp;
      job->dst = esp + 16;
      job->cipher_start_src_offset_in_bytes = 16;
      job->msg_len_to_cipher_in_bytes = bodyLen;
      job->hash_start_src_offset_in_bytes = 16;
      job->msg_len_to_hash_in_bytes = bodyLen;
      job->iv = nonce_;
      job->iv_len_in_bytes = 12;
      job->auth_tag_output = tag_[i];
      job->auth_tag_output_len_in_bytes = 16;
      if (t_ == Transform::ChaCha20Poly1305) {
        job->cipher_mode = IMB_CIPHER_CHACHA20_POLY1305;
        job->hash_alg = IMB_AUTH_CHACHA20_POLY1305;
        job->enc_keys = job->dec_keys = chachaKey_;
        job->key_len_in_bytes = 32;
        job->u.CHACHA20_POLY1305.aad = esp;
        job->u.CHACHA20_POLY1305.aad_len_in_bytes = 8;
      } else {
        job->cipher_mode = IMB_CIPHER_GCM;
        job->hash_alg = IMB_AUTH_AES_GMAC;
        job->enc_keys = job->dec_keys = &gcmKey_;
        job->key_len_in_bytes = t_ == Transform::AesGcm128 ? 16 : 32;
        job->u.GCM.aad = esp;
        job->u.GCM.aad_len_in_bytes = 8;
      }
      job = IMB_SUBMIT_JOB(mgr_);
      while (job) {
        ++done;
        job = IMB_GET_COMPLETED_JOB(mgr_);
      }
    }
    while (done < kBurst && IMB_FLUSH_JOB(mgr_)) ++done;
  }

 private:
  Transform t_;
  IMB_MGR* mgr_;
  alignas(64) gcm_key_data gcmKey_;
  gcm_context_data ctx_;
  alignas(16) uint8_t chachaKey_[32];
  uint8_t nonce_[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  uint8_t tag_[kBurst][16];
};

struct Result {
  double encap, decap, rawEnc, rawDec;
};

double median(std::vector<double>& v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

Result measure(CryptoEngine& eng, Transform t, uint32_t size, uint32_t rounds) {
  const TransformInfo& info = transformInfo(t);
  std::vector<uint8_t> km(size_t{info.cipherKeyLen} + info.saltLen, 0x42);
  auto make = [&](Direction d) {
    SaConfig c;
    c.spi = 0x1000;
    c.transform = t;
    c.keymat = SecretBytes(km);
    c.replayWindow = 4096;
    c.localAddress = *IpAddress::parse("192.0.2.1");
    c.remoteAddress = *IpAddress::parse("198.51.100.2");
    std::string error;
    return SecurityAssociation::create(std::move(c), d, eng, error);
  };
  auto out = make(Direction::Outbound), in = make(Direction::Inbound);
  RawAead raw(t, km.data());
  Burst b(size);
  const uint32_t bodyLen = (size + 2 + 3) / 4 * 4;  // payload + pad + trailer, as ESP sends it
  PacketBuffer* ptrs[kBurst];
  DropReason why[kBurst];
  std::vector<double> enc, dec, renc, rdec;
  // Ours and raw run in alternating blocks of rounds: each ipsec-mb manager
  // is hundreds of KB, so switching every round would measure cache refills
  // rather than either side. A block's first rounds warm it up and are not
  // counted; blocks alternate so that both sides see the same machine state.
  constexpr uint32_t kBlock = 200, kWarm = 20;
  for (uint32_t done = 0; done < rounds; done += kBlock - kWarm) {
    for (uint32_t r = 0; r < kBlock; ++r) {
      b.reset();
      b.pointers(ptrs);
      uint64_t t0 = __rdtsc();
      uint32_t n = espEncapsulate(*out, eng, {ptrs, kBurst}, {why, kBurst});
      uint64_t t1 = __rdtsc();
      uint32_t m = espDecapsulate(*in, eng, {ptrs, n}, {why, n});
      uint64_t t2 = __rdtsc();
      if (n != kBurst || m != kBurst) {
        std::fprintf(stderr, "bench: packets lost (%u/%u): %s\n", n, m, dropReasonName(why[m]).data());
        std::exit(1);
      }
      if (r < kWarm) continue;
      enc.push_back(double(t1 - t0) / kBurst);
      dec.push_back(double(t2 - t1) / kBurst);
    }
    for (uint32_t r = 0; r < kBlock; ++r) {
      b.reset();
      uint64_t t3 = __rdtsc();
      raw.run(b, bodyLen, IMB_DIR_ENCRYPT);
      uint64_t t4 = __rdtsc();
      raw.run(b, bodyLen, IMB_DIR_DECRYPT);
      uint64_t t5 = __rdtsc();
      if (r < kWarm) continue;
      renc.push_back(double(t4 - t3) / kBurst);
      rdec.push_back(double(t5 - t4) / kBurst);
    }
  }
  return {median(enc), median(dec), median(renc), median(rdec)};
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t rounds = 20000;
  std::string csvPath;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--rounds") rounds = static_cast<uint32_t>(std::stoul(argv[i + 1]));
    if (a == "--csv") csvPath = argv[i + 1];
  }
  auto eng = crypto::makeEngine("ipsec-mb");
  if (!eng) return 1;
  std::printf("engine %s, arch %s, burst %u, %u rounds, median cycles per packet (rdtsc)\n\n",
              eng->name().data(), eng->arch().data(), kBurst, rounds);
  std::printf("%-17s %6s %9s %9s %7s %9s %9s %7s\n", "transform", "bytes", "encap", "raw-enc", "enc+%", "decap",
              "raw-dec", "dec+%");
  FILE* csv = csvPath.empty() ? nullptr : std::fopen(csvPath.c_str(), "w");
  if (csv) std::fprintf(csv, "transform,bytes,encap_cycles,raw_enc_cycles,decap_cycles,raw_dec_cycles\n");
  for (Transform t : {Transform::AesGcm128, Transform::AesGcm256, Transform::ChaCha20Poly1305}) {
    for (uint32_t size : {64u, 512u, 1420u}) {
      Result r = measure(*eng, t, size, rounds);
      const char* name = transformInfo(t).name.data();
      std::printf("%-17s %6u %9.1f %9.1f %6.1f%% %9.1f %9.1f %6.1f%%\n", name, size, r.encap, r.rawEnc,
                  100 * (r.encap / r.rawEnc - 1), r.decap, r.rawDec, 100 * (r.decap / r.rawDec - 1));
      if (csv)
        std::fprintf(csv, "%s,%u,%.1f,%.1f,%.1f,%.1f\n", name, size, r.encap, r.rawEnc, r.decap, r.rawDec);
    }
  }
  if (csv) std::fclose(csv);
  return 0;
}
