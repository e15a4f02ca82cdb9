#include "ike/proposal/proposal_keywords.hpp"

#include <array>

#include "ike/crypto/algorithms.hpp"

namespace ipsecgw::ike {

namespace {

struct Keyword {
  std::string_view word;
  TransformType type;
  uint16_t id;
  uint16_t keyBits;  // 0: no Key Length attribute
};

constexpr auto E = TransformType::Encr;
constexpr auto P = TransformType::Prf;
constexpr auto I = TransformType::Integ;
constexpr auto D = TransformType::Dh;
constexpr auto N = TransformType::Esn;
constexpr uint16_t id(auto v) { return static_cast<uint16_t>(v); }

// The first keyword of each transform is the one we print.
constexpr std::array<Keyword, 29> kKeywords = {{
    {"aes128gcm16", E, id(EncrId::AesGcm16), 128},
    {"aes128gcm", E, id(EncrId::AesGcm16), 128},
    {"aes256gcm16", E, id(EncrId::AesGcm16), 256},
    {"aes256gcm", E, id(EncrId::AesGcm16), 256},
    {"chacha20poly1305", E, id(EncrId::ChaCha20Poly1305), 0},
    {"aes128", E, id(EncrId::AesCbc), 128},
    {"aes256", E, id(EncrId::AesCbc), 256},
    {"prfsha256", P, id(PrfId::HmacSha2_256), 0},
    {"prfsha384", P, id(PrfId::HmacSha2_384), 0},
    {"prfsha512", P, id(PrfId::HmacSha2_512), 0},
    {"sha256", I, id(IntegId::HmacSha2_256_128), 0},
    {"sha2_256", I, id(IntegId::HmacSha2_256_128), 0},
    {"sha384", I, id(IntegId::HmacSha2_384_192), 0},
    {"sha2_384", I, id(IntegId::HmacSha2_384_192), 0},
    {"sha512", I, id(IntegId::HmacSha2_512_256), 0},
    {"sha2_512", I, id(IntegId::HmacSha2_512_256), 0},
    {"modp2048", D, id(KeGroup::Modp2048), 0},
    {"modp3072", D, id(KeGroup::Modp3072), 0},
    {"ecp256", D, id(KeGroup::Ecp256), 0},
    {"ecp384", D, id(KeGroup::Ecp384), 0},
    {"ecp521", D, id(KeGroup::Ecp521), 0},
    {"x25519", D, id(KeGroup::Curve25519), 0},
    {"curve25519", D, id(KeGroup::Curve25519), 0},
    {"x448", D, id(KeGroup::Curve448), 0},
    {"curve448", D, id(KeGroup::Curve448), 0},
    {"esn", N, id(EsnId::Esn), 0},
    {"noesn", N, id(EsnId::NoEsn), 0},
    // "prfsha1", "md5", "3des", "modp1024"... are refused on purpose: not
    // in the list, so they read as unknown keywords.
    {"prfsha2_256", P, id(PrfId::HmacSha2_256), 0},
    {"prfsha2_384", P, id(PrfId::HmacSha2_384), 0},
}};

const Keyword* findKeyword(std::string_view w) {
  for (const Keyword& k : kKeywords)
    if (k.word == w) return &k;
  return nullptr;
}

bool has(const Proposal& p, TransformType t) {
  for (const Transform& x : p.transforms)
    if (x.type == t) return true;
  return false;
}

bool isAead(const Transform& t) {
  return t.type == TransformType::Encr &&
         (t.id == id(EncrId::AesGcm16) || t.id == id(EncrId::ChaCha20Poly1305));
}

// The PRF that strongSwan pairs with an INTEG keyword in IKE proposals.
uint16_t prfForInteg(uint16_t integ) {
  switch (static_cast<IntegId>(integ)) {
    case IntegId::HmacSha2_256_128: return id(PrfId::HmacSha2_256);
    case IntegId::HmacSha2_384_192: return id(PrfId::HmacSha2_384);
    case IntegId::HmacSha2_512_256: return id(PrfId::HmacSha2_512);
  }
  return 0;
}

// before "w" after, built by appending: g++ 12 at -O3 warns (-Wrestrict, a
// known false positive) on chained operator+ of string literals and strings.
std::string quotedMessage(std::string_view before, std::string_view w, std::string_view after) {
  std::string m(before);
  m += '"';
  m += w;
  m += '"';
  m += after;
  return m;
}

Expected<Proposal, std::string> parseKeywords(std::string_view text, ProtocolId protocol) {
  Proposal p;
  p.protocol = protocol;
  if (text.empty()) return unexpected(std::string("empty proposal"));
  size_t start = 0;
  while (start <= text.size()) {
    size_t dash = text.find('-', start);
    std::string_view w = text.substr(start, dash == std::string_view::npos ? std::string_view::npos : dash - start);
    const Keyword* k = findKeyword(w);
    if (!k) return unexpected(quotedMessage("unknown algorithm keyword ", w, ""));
    Transform t{k->type, k->id, k->keyBits ? std::optional<uint16_t>(k->keyBits) : std::nullopt, false};
    for (const Transform& x : p.transforms)
      if (x == t) return unexpected(quotedMessage("", w, " given twice"));
    p.transforms.push_back(t);
    if (dash == std::string_view::npos) break;
    start = dash + 1;
  }
  return p;
}

// AEAD and non-AEAD ciphers cannot share a proposal: one needs INTEG, the
// other forbids it (RFC 5282 8).
std::optional<std::string> checkCipherMix(const Proposal& p) {
  bool aead = false, plain = false;
  for (const Transform& t : p.transforms) {
    if (t.type != TransformType::Encr) continue;
    (isAead(t) ? aead : plain) = true;
  }
  if (!aead && !plain) return "no encryption algorithm";
  if (aead && plain) return "AEAD and CBC ciphers cannot share one proposal (write two)";
  if (aead && has(p, TransformType::Integ)) return "an AEAD cipher takes no integrity algorithm";
  if (plain && !has(p, TransformType::Integ)) return "a CBC cipher needs an integrity algorithm such as sha256";
  return std::nullopt;
}

}  // namespace

Expected<Proposal, std::string> parseIkeProposal(std::string_view keywords) {
  auto p = parseKeywords(keywords, ProtocolId::Ike);
  if (!p) return p;
  if (has(*p, TransformType::Esn)) return unexpected(std::string("esn/noesn belong to ESP proposals"));
  if (auto e = checkCipherMix(*p)) return unexpected(*e);
  if (!has(*p, TransformType::Dh)) return unexpected(std::string("no key exchange group such as x25519"));
  if (!has(*p, TransformType::Prf)) {
    if (!has(*p, TransformType::Integ)) return unexpected(std::string("an AEAD proposal needs a PRF such as prfsha256"));
    std::vector<Transform> prfs;
    for (const Transform& t : p->transforms)
      if (t.type == TransformType::Integ) prfs.push_back({TransformType::Prf, prfForInteg(t.id), std::nullopt, false});
    p->transforms.insert(p->transforms.end(), prfs.begin(), prfs.end());
  }
  return p;
}

Expected<Proposal, std::string> parseEspProposal(std::string_view keywords) {
  auto p = parseKeywords(keywords, ProtocolId::Esp);
  if (!p) return p;
  if (has(*p, TransformType::Prf)) return unexpected(std::string("a PRF belongs to IKE proposals, not ESP"));
  if (auto e = checkCipherMix(*p)) return unexpected(*e);
  // strongSwan's default: no ESN unless asked for.
  if (!has(*p, TransformType::Esn)) p->transforms.push_back({TransformType::Esn, id(EsnId::NoEsn), std::nullopt, false});
  return p;
}

std::string transformKeyword(const Transform& t) {
  for (const Keyword& k : kKeywords)
    if (k.type == t.type && k.id == t.id && k.keyBits == t.keyLength.value_or(0)) return std::string(k.word);
  return "UNKNOWN(" + std::to_string(static_cast<int>(t.type)) + ":" + std::to_string(t.id) + ")";
}

std::string proposalKeywords(const Proposal& p) {
  std::string out;
  for (const Transform& t : p.transforms) {
    if (!out.empty()) out += '-';
    out += transformKeyword(t);
  }
  return out;
}

}  // namespace ipsecgw::ike
