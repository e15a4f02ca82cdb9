// The auth = "pubkey" keys of [connections.NAME]: our certificate (chain)
// and private key, the CAs that vouch for the peer, CRLs, send_cert. Every
// file is read and parsed here, so a wrong path, a key that is not ours or
// a key file others can read is reported at its line, before the daemon
// starts. lib/ike/crypto parses, so both agree on what is valid.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "config/config_error.hpp"
#include "config/key_material.hpp"
#include "config/pubkey_section.hpp"
#include "config/spelling.hpp"
#include "ike/crypto/private_key.hpp"
#include "ike/crypto/trust_store.hpp"
#include "ike/crypto/x509_certificate.hpp"

namespace ipsecgw::config {

namespace {

// Certificates and CRLs are public; a file this large is a mistake.
constexpr uintmax_t kMaxPublicFileBytes = 1 << 20;
constexpr std::array<std::string_view, 3> kSendCertNames = {"ifasked", "always", "never"};
constexpr std::array<std::string_view, 4> kCaExtensions = {".pem", ".crt", ".cer", ".der"};

std::vector<uint8_t> readPublicFile(const TableReader& r, std::string_view key, const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) r.fail(key, "cannot read " + config::quoted(path) + ": not a regular file");
  uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec || size > kMaxPublicFileBytes) r.fail(key, config::quoted(path) + " is larger than 1 MiB");
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> data(static_cast<size_t>(size));
  if (!in.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(data.size())))
    r.fail(key, "cannot read " + config::quoted(path));
  return data;
}

std::vector<ike::Certificate> readCertificates(const TableReader& r, std::string_view key, const std::string& path) {
  auto certs = ike::Certificate::loadAll(readPublicFile(r, key, path));
  if (!certs) r.fail(key, config::quoted(path) + ": " + certs.error());
  return std::move(*certs);
}

void addCa(const TableReader& r, std::string_view key, const std::string& path, PubkeyConfig& p) {
  for (const ike::Certificate& ca : readCertificates(r, key, path)) {
    // A CA certificate says so (RFC 5280 4.2.1.9); an end-entity
    // certificate here would let its holder vouch for anyone.
    if (!ca.isCa()) r.fail(key, config::quoted(path) + ": " + ca.subjectText() + " is not a CA certificate (basicConstraints CA:TRUE)");
    p.caCerts.push_back(ca.der());
  }
}

}  // namespace

PubkeyConfig parsePubkey(const TableReader& r, ParseContext& ctx) {
  PubkeyConfig p;
  std::string certPath = ctx.resolve(r.text("local_cert"));
  std::vector<ike::Certificate> chain = readCertificates(r, "local_cert", certPath);
  for (const ike::Certificate& c : chain) p.certChain.push_back(c.der());

  for (std::string_view file : r.textList("cacerts")) addCa(r, "cacerts", ctx.resolve(file), p);
  if (auto dir = r.optionalText("ca_dir")) {
    std::string path = ctx.resolve(*dir);
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(path, ec))
      if (entry.is_regular_file() &&
          std::find(kCaExtensions.begin(), kCaExtensions.end(), entry.path().extension().string()) != kCaExtensions.end())
        files.push_back(entry.path());
    if (ec) r.fail("ca_dir", "cannot list " + config::quoted(path) + ": " + ec.message());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) addCa(r, "ca_dir", f.string(), p);
    if (files.empty()) r.fail("ca_dir", config::quoted(path) + " holds no .pem, .crt, .cer or .der file");
  }
  if (p.caCerts.empty()) r.failTable("auth = \"pubkey\" needs cacerts or ca_dir: the CAs that vouch for the peer");

  for (std::string_view file : r.textList("crls")) {
    std::string path = ctx.resolve(file);
    std::vector<uint8_t> crl = readPublicFile(r, "crls", path);
    if (auto error = ike::TrustStore::checkCrl(crl)) r.fail("crls", config::quoted(path) + ": " + *error);
    p.crls.push_back(std::move(crl));
  }
  p.sendCert = r.optionalChoice<SendCert>("send_cert", kSendCertNames, "send_cert").value_or(p.sendCert);
  p.rsaPss = r.optionalBool("rsa_pss").value_or(false);

  // Last: the secret, once everything else is known to be in order.
  std::string keyPath = ctx.resolve(r.text("local_key"));
  std::string error;
  if (!readPrivateKeyFile(keyPath, p.privateKeyPem, error)) r.fail("local_key", error);
  auto key = ike::PrivateKey::fromPem(p.privateKeyPem.view());
  if (!key) r.fail("local_key", "key file " + config::quoted(keyPath) + ": " + key.error());
  if (!key->matches(chain.front()))
    r.fail("local_key", "key file " + config::quoted(keyPath) + " is not the key of local_cert (" + chain.front().subjectText() + ")");
  return p;
}

IdentityConfig certificateIdentity(const PubkeyConfig& p) {
  auto cert = ike::Certificate::fromDer(p.certChain.front());
  IdentityConfig id{IdentityConfig::Type::Dn, cert ? cert->subjectText() : std::string(), {}};
  if (cert) id.der = cert->subjectDer();
  return id;
}

void checkCertificateNames(const TableReader& r, const IdentityConfig& id, const PubkeyConfig& p) {
  auto cert = ike::Certificate::fromDer(p.certChain.front());
  if (!cert) return;  // parsed before; cannot happen
  std::vector<uint8_t> data;
  ike::CertIdKind kind = ike::CertIdKind::Fqdn;
  switch (id.type) {
    case IdentityConfig::Type::Any: return;
    case IdentityConfig::Type::Ipv4:
    case IdentityConfig::Type::Ipv6: {
      auto a = IpAddress::parse(id.value);
      if (!a) return;
      kind = a->isV4() ? ike::CertIdKind::Ipv4 : ike::CertIdKind::Ipv6;
      data.assign(a->bytes.begin(), a->bytes.begin() + a->size());
      break;
    }
    case IdentityConfig::Type::Fqdn:
    case IdentityConfig::Type::Email:
      kind = id.type == IdentityConfig::Type::Fqdn ? ike::CertIdKind::Fqdn : ike::CertIdKind::Email;
      data.assign(id.value.begin(), id.value.end());
      break;
    case IdentityConfig::Type::Dn:
      kind = ike::CertIdKind::Dn;
      data = id.der;
      break;
  }
  if (!cert->vouchesFor(kind, data))
    r.fail("local", "id " + config::quoted(id.value) + " is neither a subjectAltName nor the subject of local_cert (" +
                        cert->subjectText() + "): the peer would refuse it");
}

}  // namespace ipsecgw::config
