// KEYMAT for manually keyed SAs: hex text or a key file into SecretBytes,
// and its length against the transform. Messages from here never contain
// key bytes, in hex or otherwise.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "esp/transform.hpp"
#include "util/secret.hpp"

namespace ipsecgw::config {

// Hex as util/hex.hpp's decodeHex reads it (optional 0x; spaces, ':', tabs
// and newlines ignored; here also CR, for key files written on Windows),
// but straight into SecretBytes: decodeHex grows a
// std::vector, and every reallocation would leave an unwiped partial key in
// freed heap. nullopt on a non-hex character or an odd digit count.
std::optional<SecretBytes> decodeHexSecret(std::string_view text);

// A pre-shared key as strongSwan reads one: "0x" and hex, or the text's own
// bytes. nullopt when empty or bad hex.
std::optional<SecretBytes> decodePsk(std::string_view text);

// Whether `text` looks like hex key material (16+ bytes of hex): used to keep
// a key pasted into the wrong field out of messages.
bool looksLikeKeyMaterial(std::string_view text);

// Reads the first line of `path` as hex KEYMAT. The file must be a regular
// file owned by root (or the daemon's user) that neither group nor others
// may access (mode & 077 == 0), like ssh's private keys; checked on the opened descriptor, so a swap between
// check and read cannot slip a different file in. On failure returns false
// and sets `error` (which names the path, never the content).
bool readKeyFile(const std::string& path, SecretBytes& out, std::string& error);

// The same checks for a file whose first line is a PSK (decodePsk).
bool readPskFile(const std::string& path, SecretBytes& out, std::string& error);

// The same checks (regular file, mode & 077 == 0) for a PEM private key
// (auth = "pubkey"): the whole file, up to 16 KiB, into `out`.
bool readPrivateKeyFile(const std::string& path, SecretBytes& out, std::string& error);

// Bytes of KEYMAT `t` takes: cipher key || salt || integrity key.
size_t keymatLength(esp::Transform t);

// nullopt if `got` is right for `t`; else e.g. "aes128gcm16 needs 20 bytes of
// KEYMAT (16 cipher key + 4 salt), got 16".
std::optional<std::string> keyLengthError(esp::Transform t, size_t got);

}  // namespace ipsecgw::config
