// auth = "pubkey" in [connections.NAME] (pubkey_section.cpp).
#pragma once

#include <array>
#include <string_view>

#include "config/connection_config.hpp"
#include "config/sections.hpp"

namespace ipsecgw::config {

inline constexpr std::array<std::string_view, 7> kPubkeyKeys = {"local_cert", "local_key", "cacerts", "ca_dir",
                                                                 "crls",       "send_cert", "rsa_pss"};

// Reads and checks every file the keys name; the private key last.
PubkeyConfig parsePubkey(const TableReader& conn, ParseContext& ctx);

// Our identity when local.id is not given: the certificate's subject DN
// (as strongSwan does for a certificate).
IdentityConfig certificateIdentity(const PubkeyConfig& p);

// A configured local id must be one the certificate vouches for.
void checkCertificateNames(const TableReader& conn, const IdentityConfig& id, const PubkeyConfig& p);

}  // namespace ipsecgw::config
