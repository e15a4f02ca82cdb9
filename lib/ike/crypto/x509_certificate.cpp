#include "ike/crypto/x509_certificate.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cctype>
#include <cstring>

namespace ipsecgw::ike {

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
struct NameFree {
  void operator()(X509_NAME* n) const { X509_NAME_free(n); }
};
using NamePtr = std::unique_ptr<X509_NAME, NameFree>;

NamePtr decodeName(ByteView der) {
  const unsigned char* p = der.data();
  X509_NAME* n = d2i_X509_NAME(nullptr, &p, static_cast<long>(der.size()));
  if (n && p != der.data() + der.size()) {  // trailing bytes: not one Name
    X509_NAME_free(n);
    n = nullptr;
  }
  return NamePtr(n);
}

std::vector<uint8_t> encodeName(const X509_NAME* name) {
  unsigned char* out = nullptr;
  int len = i2d_X509_NAME(name, &out);
  if (len <= 0) return {};
  std::vector<uint8_t> der(out, out + len);
  OPENSSL_free(out);
  return der;
}

std::string nameText(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  // strongSwan's order and separators ("C=CH, O=Example, CN=gw"), not
  // RFC 2253's reversed one, so that the text reads back as the same DN.
  const unsigned long flags = (ASN1_STRFLGS_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) | XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN |
                              XN_FLAG_DUMP_UNKNOWN_FIELDS;
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, flags) < 0) return "(bad DN)";
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

void Certificate::freeX509(X509* x) { X509_free(x); }

Expected<Certificate, std::string> Certificate::fromDer(ByteView der) {
  const unsigned char* p = der.data();
  X509* x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  if (!x) {
    ERR_clear_error();
    return unexpected(std::string("not a DER X.509 certificate"));
  }
  Certificate c(x);
  if (p != der.data() + der.size()) return unexpected(std::string("trailing bytes after the certificate"));
  return c;
}

Expected<std::vector<Certificate>, std::string> Certificate::loadAll(ByteView content) {
  std::vector<Certificate> out;
  std::string_view text(reinterpret_cast<const char*>(content.data()), content.size());
  if (text.find("-----BEGIN") == std::string_view::npos) {
    auto one = fromDer(content);
    if (!one) return unexpected(one.error() + " (nor PEM)");
    out.push_back(std::move(*one));
    return out;
  }
  BioPtr bio(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  if (!bio) return unexpected(std::string("out of memory"));
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.push_back(Certificate(x));
  // The loop ends on "no more PEM blocks" (expected) or a broken block.
  unsigned long err = ERR_peek_last_error();
  ERR_clear_error();
  if (ERR_GET_REASON(err) != PEM_R_NO_START_LINE) return unexpected(std::string("a PEM certificate does not parse"));
  if (out.empty()) return unexpected(std::string("no CERTIFICATE block in the PEM text"));
  return out;
}

std::vector<uint8_t> Certificate::der() const {
  unsigned char* out = nullptr;
  int len = i2d_X509(x509_.get(), &out);
  if (len <= 0) return {};
  std::vector<uint8_t> der(out, out + len);
  OPENSSL_free(out);
  return der;
}

std::vector<uint8_t> Certificate::subjectDer() const { return encodeName(X509_get_subject_name(x509_.get())); }

std::string Certificate::subjectText() const { return nameText(X509_get_subject_name(x509_.get())); }

CaKeyHash Certificate::keyHash() const {
  CaKeyHash hash{};
  unsigned char* spki = nullptr;
  int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x509_.get()), &spki);
  if (len > 0) {
    unsigned int outLen = 0;
    EVP_Digest(spki, static_cast<size_t>(len), hash.data(), &outLen, EVP_sha1(), nullptr);
    OPENSSL_free(spki);
  }
  return hash;
}

bool Certificate::isCa() const { return X509_check_ca(x509_.get()) != 0; }

EVP_PKEY* Certificate::publicKey() const { return X509_get0_pubkey(x509_.get()); }

bool Certificate::vouchesFor(CertIdKind kind, ByteView data) const {
  X509* x = x509_.get();
  // Only subjectAltName for names and addresses: a CN that happens to look
  // like a host name is not an identity (RFC 4945 3.1.2, 3.1.3).
  const unsigned int flags = X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_WILDCARDS;
  const char* chars = reinterpret_cast<const char*>(data.data());
  // The X509_check_* functions treat embedded NULs as a mismatch.
  switch (kind) {
    case CertIdKind::Ipv4:
      return data.size() == 4 && X509_check_ip(x, data.data(), 4, 0) == 1;
    case CertIdKind::Ipv6:
      return data.size() == 16 && X509_check_ip(x, data.data(), 16, 0) == 1;
    case CertIdKind::Fqdn:
      return !data.empty() && X509_check_host(x, chars, data.size(), flags, nullptr) == 1;
    case CertIdKind::Email:
      return !data.empty() && X509_check_email(x, chars, data.size(), flags) == 1;
    case CertIdKind::Dn: {
      NamePtr name = decodeName(data);
      return name && X509_NAME_cmp(name.get(), X509_get_subject_name(x)) == 0;
    }
  }
  return false;
}

Expected<std::vector<uint8_t>, std::string> parseDistinguishedName(std::string_view text) {
  NamePtr name(X509_NAME_new());
  if (!name) return unexpected(std::string("out of memory"));
  // "/C=CH/O=x" (OpenSSL's -subj form) or "C=CH, O=x" (strongSwan's).
  const char separator = text.starts_with('/') ? '/' : ',';
  if (separator == '/') text.remove_prefix(1);
  while (!text.empty()) {
    size_t end = text.find(separator);
    std::string_view rdn = trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (rdn.empty()) continue;
    size_t eq = rdn.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return unexpected("\"" + std::string(rdn) + "\" is not ATTRIBUTE=value");
    std::string attr(trim(rdn.substr(0, eq)));
    std::string value(trim(rdn.substr(eq + 1)));
    if (value.empty()) return unexpected("empty value for " + attr);
    if (OBJ_txt2nid(attr.c_str()) == NID_undef) {
      // "cn" for "CN": OpenSSL's short names are upper case.
      for (char& ch : attr) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      ERR_clear_error();
      if (OBJ_txt2nid(attr.c_str()) == NID_undef) {
        ERR_clear_error();
        return unexpected("unknown DN attribute \"" + std::string(trim(rdn.substr(0, eq))) + "\"");
      }
    }
    if (!X509_NAME_add_entry_by_txt(name.get(), attr.c_str(), MBSTRING_UTF8,
                                    reinterpret_cast<const unsigned char*>(value.data()),
                                    static_cast<int>(value.size()), -1, 0)) {
      ERR_clear_error();
      return unexpected("bad value for " + attr);
    }
  }
  if (X509_NAME_entry_count(name.get()) == 0) return unexpected(std::string("empty distinguished name"));
  return encodeName(name.get());
}

bool distinguishedNamesEqual(ByteView a, ByteView b) {
  NamePtr na = decodeName(a), nb = decodeName(b);
  return na && nb && X509_NAME_cmp(na.get(), nb.get()) == 0;
}

std::string distinguishedNameText(ByteView der) {
  NamePtr n = decodeName(der);
  return n ? nameText(n.get()) : "(bad DN)";
}

}  // namespace ipsecgw::ike
