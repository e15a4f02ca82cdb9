// IKEv2 numbers (RFC 7296 section 3 and the IANA "IKEv2 Parameters" registry),
// each list given once as enum + log name. The enums are open: a received
// value outside the list is kept as is, and its name prints as "UNKNOWN".
#pragma once

#include <cstdint>
#include <string_view>

namespace ipsecgw::ike {

// RFC 7296 3.1; IKE_INTERMEDIATE RFC 9242; IKE_FOLLOWUP_KE RFC 9370.
#define IPSECGW_IKE_EXCHANGE_TYPES(X) \
  X(IkeSaInit, 34, "IKE_SA_INIT")     \
  X(IkeAuth, 35, "IKE_AUTH")          \
  X(CreateChildSa, 36, "CREATE_CHILD_SA") \
  X(Informational, 37, "INFORMATIONAL")   \
  X(IkeSessionResume, 38, "IKE_SESSION_RESUME") \
  X(IkeIntermediate, 43, "IKE_INTERMEDIATE")    \
  X(IkeFollowupKe, 44, "IKE_FOLLOWUP_KE")

// RFC 7296 3.2; SKF RFC 7383 2.5.
#define IPSECGW_IKE_PAYLOAD_TYPES(X)       \
  X(NoNext, 0, "NONE")                     \
  X(SA, 33, "SA")                          \
  X(KE, 34, "KE")                          \
  X(IDi, 35, "IDi")                        \
  X(IDr, 36, "IDr")                        \
  X(CERT, 37, "CERT")                      \
  X(CERTREQ, 38, "CERTREQ")                \
  X(AUTH, 39, "AUTH")                      \
  X(Nonce, 40, "Nonce")                    \
  X(Notify, 41, "N")                       \
  X(Delete, 42, "D")                       \
  X(VendorID, 43, "V")                     \
  X(TSi, 44, "TSi")                        \
  X(TSr, 45, "TSr")                        \
  X(SK, 46, "SK")                          \
  X(CP, 47, "CP")                          \
  X(EAP, 48, "EAP")                        \
  X(GSPM, 49, "GSPM")                      \
  X(SKF, 53, "SKF")

// RFC 7296 3.10.1 (errors below 16384, status types from 16384), RFC 4555
// (MOBIKE), RFC 5685 (redirect), RFC 7383 (fragmentation), RFC 7427
// (signature hashes), RFC 8784 (PPK), RFC 9242, RFC 9370.
#define IPSECGW_IKE_NOTIFY_TYPES(X)                               \
  X(UnsupportedCriticalPayload, 1, "UNSUPPORTED_CRITICAL_PAYLOAD") \
  X(InvalidIkeSpi, 4, "INVALID_IKE_SPI")                          \
  X(InvalidMajorVersion, 5, "INVALID_MAJOR_VERSION")              \
  X(InvalidSyntax, 7, "INVALID_SYNTAX")                           \
  X(InvalidMessageId, 9, "INVALID_MESSAGE_ID")                    \
  X(InvalidSpi, 11, "INVALID_SPI")                                \
  X(NoProposalChosen, 14, "NO_PROPOSAL_CHOSEN")                   \
  X(InvalidKePayload, 17, "INVALID_KE_PAYLOAD")                   \
  X(AuthenticationFailed, 24, "AUTHENTICATION_FAILED")            \
  X(SinglePairRequired, 34, "SINGLE_PAIR_REQUIRED")               \
  X(NoAdditionalSas, 35, "NO_ADDITIONAL_SAS")                     \
  X(InternalAddressFailure, 36, "INTERNAL_ADDRESS_FAILURE")       \
  X(FailedCpRequired, 37, "FAILED_CP_REQUIRED")                   \
  X(TsUnacceptable, 38, "TS_UNACCEPTABLE")                        \
  X(InvalidSelectors, 39, "INVALID_SELECTORS")                    \
  X(TemporaryFailure, 43, "TEMPORARY_FAILURE")                    \
  X(ChildSaNotFound, 44, "CHILD_SA_NOT_FOUND")                    \
  X(InitialContact, 16384, "INITIAL_CONTACT")                     \
  X(SetWindowSize, 16385, "SET_WINDOW_SIZE")                      \
  X(AdditionalTsPossible, 16386, "ADDITIONAL_TS_POSSIBLE")        \
  X(IpcompSupported, 16387, "IPCOMP_SUPPORTED")                   \
  X(NatDetectionSourceIp, 16388, "NAT_DETECTION_SOURCE_IP")       \
  X(NatDetectionDestinationIp, 16389, "NAT_DETECTION_DESTINATION_IP") \
  X(Cookie, 16390, "COOKIE")                                      \
  X(UseTransportMode, 16391, "USE_TRANSPORT_MODE")                \
  X(HttpCertLookupSupported, 16392, "HTTP_CERT_LOOKUP_SUPPORTED") \
  X(RekeySa, 16393, "REKEY_SA")                                   \
  X(EspTfcPaddingNotSupported, 16394, "ESP_TFC_PADDING_NOT_SUPPORTED") \
  X(NonFirstFragmentsAlso, 16395, "NON_FIRST_FRAGMENTS_ALSO")     \
  X(MobikeSupported, 16396, "MOBIKE_SUPPORTED")                   \
  X(AdditionalIp4Address, 16397, "ADDITIONAL_IP4_ADDRESS")        \
  X(AdditionalIp6Address, 16398, "ADDITIONAL_IP6_ADDRESS")        \
  X(NoAdditionalAddresses, 16399, "NO_ADDITIONAL_ADDRESSES")      \
  X(UpdateSaAddresses, 16400, "UPDATE_SA_ADDRESSES")              \
  X(Cookie2, 16401, "COOKIE2")                                    \
  X(NoNatsAllowed, 16402, "NO_NATS_ALLOWED")                      \
  X(AuthLifetime, 16403, "AUTH_LIFETIME")                         \
  X(MultipleAuthSupported, 16404, "MULTIPLE_AUTH_SUPPORTED")      \
  X(AnotherAuthFollows, 16405, "ANOTHER_AUTH_FOLLOWS")            \
  X(RedirectSupported, 16406, "REDIRECT_SUPPORTED")               \
  X(Redirect, 16407, "REDIRECT")                                  \
  X(RedirectedFrom, 16408, "REDIRECTED_FROM")                     \
  X(Ikev2FragmentationSupported, 16430, "IKEV2_FRAGMENTATION_SUPPORTED") \
  X(SignatureHashAlgorithms, 16431, "SIGNATURE_HASH_ALGORITHMS")  \
  X(UsePpk, 16435, "USE_PPK")                                     \
  X(PpkIdentity, 16436, "PPK_IDENTITY")                           \
  X(NoPpkAuth, 16437, "NO_PPK_AUTH")                              \
  X(IntermediateExchangeSupported, 16438, "INTERMEDIATE_EXCHANGE_SUPPORTED") \
  X(AdditionalKeyExchange, 16441, "ADDITIONAL_KEY_EXCHANGE")

// RFC 7296 3.3.2 (type 4 is "Key Exchange Method", formerly D-H group, RFC 9370).
#define IPSECGW_IKE_TRANSFORM_TYPES(X) \
  X(Encr, 1, "ENCR")                   \
  X(Prf, 2, "PRF")                     \
  X(Integ, 3, "INTEG")                 \
  X(Dh, 4, "DH")                       \
  X(Esn, 5, "ESN")

// RFC 7296 3.3.1.
#define IPSECGW_IKE_PROTOCOL_IDS(X) \
  X(None, 0, "NONE")                \
  X(Ike, 1, "IKE")                  \
  X(Ah, 2, "AH")                    \
  X(Esp, 3, "ESP")

// RFC 7296 3.5.
#define IPSECGW_IKE_ID_TYPES(X)        \
  X(Ipv4Addr, 1, "ID_IPV4_ADDR")       \
  X(Fqdn, 2, "ID_FQDN")                \
  X(Rfc822Addr, 3, "ID_RFC822_ADDR")   \
  X(Ipv6Addr, 5, "ID_IPV6_ADDR")       \
  X(DerAsn1Dn, 9, "ID_DER_ASN1_DN")    \
  X(DerAsn1Gn, 10, "ID_DER_ASN1_GN")   \
  X(KeyId, 11, "ID_KEY_ID")            \
  X(Null, 13, "ID_NULL")

// RFC 7296 3.8; ECDSA RFC 4754; NULL RFC 7619; Digital Signature RFC 7427.
#define IPSECGW_IKE_AUTH_METHODS(X)                      \
  X(RsaSignature, 1, "RSA_DIGITAL_SIGNATURE")            \
  X(SharedKeyMic, 2, "SHARED_KEY_MESSAGE_INTEGRITY_CODE") \
  X(DssSignature, 3, "DSS_DIGITAL_SIGNATURE")            \
  X(EcdsaSha256P256, 9, "ECDSA_SHA256_P256")             \
  X(EcdsaSha384P384, 10, "ECDSA_SHA384_P384")            \
  X(EcdsaSha512P521, 11, "ECDSA_SHA512_P521")            \
  X(GenericSecurePassword, 12, "GENERIC_SECURE_PASSWORD") \
  X(NullAuth, 13, "NULL_AUTHENTICATION")                 \
  X(DigitalSignature, 14, "DIGITAL_SIGNATURE")

// RFC 7296 3.13.1.
#define IPSECGW_IKE_TS_TYPES(X)                \
  X(Ipv4AddrRange, 7, "TS_IPV4_ADDR_RANGE")    \
  X(Ipv6AddrRange, 8, "TS_IPV6_ADDR_RANGE")

#define IPSECGW_IKE_ENUM_ENTRY(name, value, label) name = value,
enum class ExchangeType : uint8_t { IPSECGW_IKE_EXCHANGE_TYPES(IPSECGW_IKE_ENUM_ENTRY) };
enum class PayloadType : uint8_t { IPSECGW_IKE_PAYLOAD_TYPES(IPSECGW_IKE_ENUM_ENTRY) };
enum class NotifyType : uint16_t { IPSECGW_IKE_NOTIFY_TYPES(IPSECGW_IKE_ENUM_ENTRY) };
enum class TransformType : uint8_t { IPSECGW_IKE_TRANSFORM_TYPES(IPSECGW_IKE_ENUM_ENTRY) };
enum class ProtocolId : uint8_t { IPSECGW_IKE_PROTOCOL_IDS(IPSECGW_IKE_ENUM_ENTRY) };
enum class IdType : uint8_t { IPSECGW_IKE_ID_TYPES(IPSECGW_IKE_ENUM_ENTRY) };
enum class AuthMethod : uint8_t { IPSECGW_IKE_AUTH_METHODS(IPSECGW_IKE_ENUM_ENTRY) };
enum class TsType : uint8_t { IPSECGW_IKE_TS_TYPES(IPSECGW_IKE_ENUM_ENTRY) };
#undef IPSECGW_IKE_ENUM_ENTRY

std::string_view name(ExchangeType v);
std::string_view name(PayloadType v);
std::string_view name(NotifyType v);
std::string_view name(TransformType v);
std::string_view name(ProtocolId v);
std::string_view name(IdType v);
std::string_view name(AuthMethod v);
std::string_view name(TsType v);

// RFC 7296 3.10.1: types below 16384 are errors, the rest status.
inline bool isError(NotifyType t) { return static_cast<uint16_t>(t) < 16384; }

// Header flags (RFC 7296 3.1): Initiator, Version, Response.
inline constexpr uint8_t kFlagInitiator = 0x08;
inline constexpr uint8_t kFlagVersion = 0x10;
inline constexpr uint8_t kFlagResponse = 0x20;

// Transform IDs the gateway offers (IANA "Transform Type 1..5 Values").
namespace transform_id {
inline constexpr uint16_t kEncrAesCbc = 12;
inline constexpr uint16_t kEncrAesGcm16 = 20;
inline constexpr uint16_t kEncrChacha20Poly1305 = 28;
inline constexpr uint16_t kPrfHmacSha2_256 = 5;
inline constexpr uint16_t kPrfHmacSha2_384 = 6;
inline constexpr uint16_t kPrfHmacSha2_512 = 7;
inline constexpr uint16_t kIntegHmacSha2_256_128 = 12;
inline constexpr uint16_t kIntegHmacSha2_384_192 = 13;
inline constexpr uint16_t kIntegHmacSha2_512_256 = 14;
inline constexpr uint16_t kDhModp2048 = 14;
inline constexpr uint16_t kDhEcp256 = 19;
inline constexpr uint16_t kDhEcp384 = 20;
inline constexpr uint16_t kDhCurve25519 = 31;
inline constexpr uint16_t kEsnNone = 0;
inline constexpr uint16_t kEsnYes = 1;
}  // namespace transform_id

// Transform attribute "Key Length" (RFC 7296 3.3.5), always TV format.
inline constexpr uint16_t kAttrKeyLength = 14;

}  // namespace ipsecgw::ike
