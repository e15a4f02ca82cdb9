#include "esp/transform.hpp"

#include <array>

namespace ipsecgw::esp {

namespace {
// Order follows enum Transform.
constexpr std::array<TransformInfo, 8> kTransforms = {{
    {"aes128gcm16", TransformKind::Aead, 16, 4, 0, 8, 16, 4},
    {"aes256gcm16", TransformKind::Aead, 32, 4, 0, 8, 16, 4},
    {"chacha20poly1305", TransformKind::Aead, 32, 4, 0, 8, 16, 4},
    {"aes128gmac", TransformKind::GmacOnly, 16, 4, 0, 8, 16, 4},
    {"aes256gmac", TransformKind::GmacOnly, 32, 4, 0, 8, 16, 4},
    {"aes128-sha256", TransformKind::CbcThenHmac, 16, 0, 32, 16, 16, 16},
    {"aes256-sha256", TransformKind::CbcThenHmac, 32, 0, 32, 16, 16, 16},
    {"null-sha256", TransformKind::HmacOnly, 0, 0, 32, 0, 16, 4},
}};

constexpr bool geometryMatchesKind() {
  for (const TransformInfo& t : kTransforms) {
    KindGeometry g = kindGeometry(t.kind);
    if (g.ivLen != t.ivLen || g.icvLen != t.icvLen || g.blockLen != t.blockLen) return false;
  }
  return true;
}
static_assert(geometryMatchesKind(), "the hot path takes IV, ICV and block lengths from the kind");
}  // namespace

const TransformInfo& transformInfo(Transform t) { return kTransforms[static_cast<size_t>(t)]; }

std::optional<Transform> transformFromName(std::string_view name) {
  for (size_t i = 0; i < kTransforms.size(); ++i)
    if (kTransforms[i].name == name) return static_cast<Transform>(i);
  return std::nullopt;
}

}  // namespace ipsecgw::esp
