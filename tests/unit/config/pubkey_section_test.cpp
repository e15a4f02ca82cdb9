// auth = "pubkey" in [connections.NAME]: the files are read and checked at
// parse time (certificate, key that matches it and only root may read, CAs,
// CRLs), the identities default from the certificate, and each mistake is
// an error at its line. The PKI is generated per run (../ike/test_pki.hpp).
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "../ike/test_pki.hpp"
#include "config/config_parser.hpp"
#include "config_text.hpp"
#include "ike/crypto/x509_certificate.hpp"

using namespace ipsecgw;
using namespace ipsecgw::config;
using namespace ipsecgw::config::test;
using ipsecgw::test::CertSpec;
using ipsecgw::test::TestCa;

namespace {

struct Files {
  TempDir dir;
  TestCa ca{"config test CA"};
  ipsecgw::test::Entity gw = ca.issue(ike::KeyKind::EcP256, CertSpec{"gwa.example.net", "DNS:gwa.example.net,IP:192.0.2.1"});
  ipsecgw::test::Entity other = ca.issue(ike::KeyKind::EcP256, CertSpec{"other"});
  std::string cert = dir.write("gw.pem", gw.certPem(), 0644);
  std::string key = dir.write("gw.key", gw.keyPem(), 0600);
  std::string caFile = dir.write("ca.pem", ca.certPem(), 0644);
};

std::string pubkeyText(const Files& f, std::string_view ends = "remote = { id = \"gwb.example.net\" }",
                       std::string_view extra = "") {
  return std::string(R"(
[connections.site-b]
local_addr = "192.0.2.1"
remote_addr = "192.0.2.2"
)") + std::string(ends) + R"(
auth = "pubkey"
local_cert = ")" + f.cert + R"("
local_key = ")" + f.key + R"("
cacerts = [")" + f.caFile + R"("]
proposals = ["aes128gcm16-prfsha256-x25519"]
)" + std::string(extra) + R"(
[connections.site-b.children.net]
local_ts = "10.0.0.0/24"
remote_ts = "10.0.1.0/24"
esp_proposals = "aes128gcm16"
)";
}

ConfigResult parse(const std::string& extra) { return parseConfigString(baseConfig() + extra, "test.toml"); }

void checkError(const std::string& text, std::string_view marker, std::string_view expected) {
  ConfigResult r = parse(text);
  INFO(r.error);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error.starts_with("test.toml:" + std::to_string(lineOf(baseConfig() + text, marker)) + ":"));
  CHECK(r.error.find(expected) != std::string::npos);
  CHECK(r.error.find("PRIVATE KEY") == std::string::npos);
}

}  // namespace

TEST_CASE("auth = pubkey: certificate, key and CAs read; ids from the certificate", "[config][ike][cert]") {
  Files f;
  ConfigResult r = parse(pubkeyText(f, ""));
  INFO(r.error);
  REQUIRE(r.ok());
  const ConnectionConfig& c = r.config->connections[0];
  CHECK(c.auth == AuthMethod::Pubkey);
  CHECK(c.psk.empty());
  REQUIRE(c.pubkey.certChain.size() == 1);
  CHECK(c.pubkey.certChain[0] == f.gw.certDer());
  CHECK(c.pubkey.caCerts == std::vector<std::vector<uint8_t>>{f.ca.certDer()});
  CHECK(c.pubkey.sendCert == SendCert::IfAsked);
  CHECK_FALSE(c.pubkey.rsaPss);
  CHECK(std::string_view(reinterpret_cast<const char*>(c.pubkey.privateKeyPem.view().data()),
                         c.pubkey.privateKeyPem.size()) == f.gw.keyPem());
  // strongSwan's defaults with a certificate: we are its subject DN, the
  // peer anyone the CAs vouch for.
  CHECK(c.localId.type == IdentityConfig::Type::Dn);
  CHECK(c.localId.der == ike::Certificate::fromDer(f.gw.certDer()).value().subjectDer());
  CHECK(c.remoteId.type == IdentityConfig::Type::Any);

  // Ids the certificate names; a DN for the peer; options.
  r = parse(pubkeyText(f, "local = { id = \"gwa.example.net\", auth = \"pubkey\" }\n"
                          "remote = { id = \"C=CH, O=ipsecgw test, CN=gwb.example.net\" }",
                       "send_cert = \"always\"\nrsa_pss = true\ncrls = [\"" +
                           f.dir.write("ca.crl", f.ca.crlPem({5}), 0644) + "\"]\n"));
  INFO(r.error);
  REQUIRE(r.ok());
  const ConnectionConfig& d = r.config->connections[0];
  CHECK(d.localId.type == IdentityConfig::Type::Fqdn);
  CHECK(d.remoteId.type == IdentityConfig::Type::Dn);
  CHECK(ike::distinguishedNamesEqual(d.remoteId.der, ike::parseDistinguishedName("/C=CH/O=ipsecgw test/CN=gwb.example.net").value()));
  CHECK(d.pubkey.sendCert == SendCert::Always);
  CHECK(d.pubkey.rsaPss);
  CHECK(d.pubkey.crls.size() == 1);
  r = parse(pubkeyText(f, "local = { id = \"192.0.2.1\" }"));
  CHECK(r.ok());

  // ca_dir: every .pem/.crt/.cer/.der file, other names skipped.
  std::filesystem::create_directory(f.dir.path() + "/cas");
  f.dir.write("cas/a.crt", f.ca.certPem(), 0644);
  f.dir.write("cas/README", "not a certificate", 0644);
  std::string withDir = replaced(pubkeyText(f), "cacerts = [\"" + f.caFile + "\"]", "ca_dir = \"" + f.dir.path() + "/cas\"");
  r = parse(withDir);
  INFO(r.error);
  REQUIRE(r.ok());
  CHECK(r.config->connections[0].pubkey.caCerts.size() == 1);
}

TEST_CASE("auth = pubkey: each mistake is an error at its line", "[config][ike][cert]") {
  Files f;
  const std::string base = pubkeyText(f);
  SECTION("a key file group or others can read") {
    ::chmod(f.key.c_str(), 0640);
    checkError(base, "local_key", "connections.site-b.local_key: key file \"" + f.key +
                                      "\" is accessible by group or others (mode 0640); chmod 600 it");
  }
  SECTION("a world-readable key file") {
    ::chmod(f.key.c_str(), 0604);
    checkError(base, "local_key", "accessible by group or others (mode 0604)");
  }
  SECTION("a key file owned by another user") {
    REQUIRE(::chown(f.key.c_str(), 65534, 65534) == 0);  // the tests run as root
    checkError(base, "local_key", "is owned by uid 65534, not by root");
  }
  SECTION("a key that is not the certificate's") {
    std::string otherKey = f.dir.write("other.key", f.other.keyPem(), 0600);
    std::string text = replaced(base, f.key, otherKey);
    checkError(text, "local_key", "is not the key of local_cert");
  }
  SECTION("a key file that holds no key") {
    std::string bad = f.dir.write("bad.key", "hello\n", 0600);
    checkError(replaced(base, f.key, bad), "local_key", "not an unencrypted PEM private key");
  }
  SECTION("a certificate file that holds none") {
    std::string bad = f.dir.write("bad.pem", "hello\n", 0644);
    checkError(replaced(base, f.cert, bad), "local_cert", "not a DER X.509 certificate");
  }
  SECTION("a missing certificate file") {
    checkError(replaced(base, f.cert, f.dir.path() + "/nope.pem"), "local_cert", "not a regular file");
  }
  SECTION("no CAs") {
    checkError(replaced(base, "cacerts = [\"" + f.caFile + "\"]", ""), "[connections.site-b]",
               "auth = \"pubkey\" needs cacerts or ca_dir");
  }
  SECTION("an end-entity certificate as CA") {
    std::string text = replaced(base, "cacerts = [\"" + f.caFile + "\"]", "cacerts = [\"" + f.cert + "\"]");
    checkError(text, "cacerts", "is not a CA certificate");
  }
  SECTION("a CRL file that is not one") {
    std::string bad = f.dir.write("bad.crl", "hello", 0644);
    checkError(pubkeyText(f, "remote = { id = \"gwb.example.net\" }", "crls = \"" + bad + "\"\n"), "crls",
               "not a CRL");
  }
  SECTION("a local id the certificate does not name") {
    checkError(pubkeyText(f, "local = { id = \"gwz.example.net\" }"), "local = {",
               "id \"gwz.example.net\" is neither a subjectAltName nor the subject of local_cert");
  }
  SECTION("a psk alongside") {
    checkError(pubkeyText(f, "", "psk = \"not-used\"\n"), "psk = ", "psk: is for auth = \"psk\"");
  }
  SECTION("certificate keys with auth = psk") {
    std::string text = replaced(base, "auth = \"pubkey\"", "auth = \"psk\"\npsk = \"test-psk-not-secret\"");
    checkError(text, "local_cert", "local_cert: is for auth = \"pubkey\"");
  }
  SECTION("local.auth disagrees") {
    checkError(pubkeyText(f, "local = { auth = \"psk\" }"), "local = {", "differs from the connection's auth");
  }
  SECTION("send_cert misspelled") {
    checkError(pubkeyText(f, "", "send_cert = \"ifasekd\"\n"), "send_cert", "ifasked");
  }
  SECTION("a DN with an unknown attribute") {
    checkError(pubkeyText(f, "remote = { id = \"CN=a, XYZ=b\" }"), "remote = {", "unknown DN attribute \"XYZ\"");
  }
}
