#!/usr/bin/env python3
"""Writes ike_crypto_vectors.txt: expected values for lib/ike/crypto computed
independently of it, straight from the RFC definitions, with python3-cryptography
(HMAC, AES-GCM, ChaCha20-Poly1305, AES-CBC). Inputs are fixed pseudo-random
octets (SHA-256 of a label), so the output is reproducible:

    python3 tests/vectors/ike_crypto/gen_ike_crypto_vectors.py > tests/vectors/ike_crypto/ike_crypto_vectors.txt

Every value here is a test vector, not a real key.

Format: sections "[kind name]" followed by "field = hex-or-decimal" lines.
"""
import hashlib
import struct

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

PRF_HASH = {5: hashes.SHA256, 6: hashes.SHA384, 7: hashes.SHA512}  # RFC 4868
INTEG = {12: (hashes.SHA256, 32, 16), 13: (hashes.SHA384, 48, 24), 14: (hashes.SHA512, 64, 32)}
ENCR_AEAD = {20, 28}


def det(label, n):
    """n fixed octets derived from a label."""
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{label}/{i}".encode()).digest()
        i += 1
    return out[:n]


def prf(alg, key, data):
    h = hmac.HMAC(key, PRF_HASH[alg]())
    h.update(data)
    return h.finalize()


def prf_plus(alg, key, seed, length):
    """RFC 7296 2.13, by its definition."""
    out, t, n = b"", b"", 1
    while len(out) < length:
        assert n <= 255
        t = prf(alg, key, t + seed + bytes([n]))
        out += t
        n += 1
    return out[:length]


def encr_key_material_len(encr, keybits):
    if encr == 28:
        return 32 + 4  # RFC 7634 2
    return keybits // 8 + (4 if encr == 20 else 0)  # RFC 5282 7.1 / RFC 4106 8.1


def integ_key_len(integ):
    return INTEG[integ][1] if integ else 0


sections = []


def section(kind, name, **fields):
    sections.append((kind, name, fields))


# prf+ for each PRF, including the largest output allowed (255 blocks).
for alg, hlen in ((5, 32), (6, 48), (7, 64)):
    key, seed = det(f"prfplus key {alg}", 40), det(f"prfplus seed {alg}", 77)
    # The 255-block maximum once, for the smallest PRF (it is large).
    for length in (1, hlen, 3 * hlen + 5) + ((255 * hlen,) if alg == 5 else ()):
        section("prfplus", f"prf{alg}-{length}", prf=alg, key=key, seed=seed, length=length,
                output=prf_plus(alg, key, seed, length))

SUITES = [  # (name, prf, encr, keybits, integ)
    ("gcm128-sha256", 5, 20, 128, 0),
    ("gcm256-sha512", 7, 20, 256, 0),
    ("chacha-sha256", 5, 28, 0, 0),
    ("cbc128-sha256", 5, 12, 128, 12),
    ("cbc256-sha384", 6, 12, 256, 13),
    ("cbc256-sha512", 7, 12, 256, 14),
]

# RFC 7296 2.14: SKEYSEED and the seven IKE SA keys.
for name, alg, encr, keybits, integ in SUITES:
    ni, nr, gir = det(name + " Ni", 32), det(name + " Nr", 24), det(name + " gir", 256)
    spi_i, spi_r = 0x0123456789ABCDEF, 0xFEDCBA9876543210
    skeyseed = prf(alg, ni + nr, gir)
    hlen = PRF_HASH[alg].digest_size
    ilen, elen = integ_key_len(integ), encr_key_material_len(encr, keybits)
    stream = prf_plus(alg, skeyseed, ni + nr + struct.pack(">QQ", spi_i, spi_r), 3 * hlen + 2 * ilen + 2 * elen)
    keys, off = {}, 0
    for k, n in (("sk_d", hlen), ("sk_ai", ilen), ("sk_ar", ilen), ("sk_ei", elen), ("sk_er", elen),
                 ("sk_pi", hlen), ("sk_pr", hlen)):
        keys[k] = stream[off:off + n]
        off += n
    section("ike_sa", name, prf=alg, encr=encr, keybits=keybits, integ=integ, ni=ni, nr=nr, gir=gir,
            spi_i=spi_i, spi_r=spi_r, skeyseed=skeyseed, **keys)

    # RFC 7296 2.18: rekeyed SKEYSEED from this SA's SK_d.
    gir2, ni2, nr2 = det(name + " gir2", 384), det(name + " Ni2", 32), det(name + " Nr2", 32)
    section("rekey", name, prf=alg, sk_d=keys["sk_d"], gir=gir2, ni=ni2, nr=nr2,
            skeyseed=prf(alg, keys["sk_d"], gir2 + ni2 + nr2))

    # RFC 7296 2.17: CHILD_SA KEYMAT with and without PFS, ESP suite = the same transforms.
    for pfs in (False, True):
        g = det(name + " child gir", 32) if pfs else b""
        keymat = prf_plus(alg, keys["sk_d"], g + ni2 + nr2, 2 * (elen + ilen))
        section("child_sa", f"{name}{'-pfs' if pfs else ''}", prf=alg, encr=encr, keybits=keybits, integ=integ,
                sk_d=keys["sk_d"], gir=g, ni=ni2, nr=nr2,
                encr_i2r=keymat[:elen], integ_i2r=keymat[elen:elen + ilen],
                encr_r2i=keymat[elen + ilen:2 * elen + ilen], integ_r2i=keymat[2 * elen + ilen:])

    # RFC 7296 2.15: PSK AUTH.
    message = det(name + " IKE_SA_INIT", 300)
    nonce = det(name + " peer nonce", 32)
    idbody = bytes([2, 0, 0, 0]) + b"gw1.example.net"  # ID_FQDN
    psk = b"test vector pre-shared key " + name.encode()
    octets = message + nonce + prf(alg, keys["sk_pi"], idbody)
    auth = prf(alg, prf(alg, psk, b"Key Pad for IKEv2"), octets)
    section("psk_auth", name, prf=alg, psk=psk, message=message, nonce=nonce, sk_p=keys["sk_pi"], idbody=idbody,
            auth=auth)

# SK payload (RFC 7296 3.14) known answers. Layout: 28-octet IKE header and the
# 4-octet SK generic header are the AAD / MAC prefix; ivOffset = 32.
IV_OFFSET = 32
for name, alg, encr, keybits, integ in SUITES:
    header = det(name + " sk header", IV_OFFSET)
    ekey = det(name + " sk_e", encr_key_material_len(encr, keybits))
    if encr in ENCR_AEAD:
        plain = det(name + " sk plaintext", 45) + bytes([2, 2, 2])  # inner payloads, 2 pad octets, pad length 2
        aead_key, salt = ekey[:-4], ekey[-4:]
        aead = AESGCM(aead_key) if encr == 20 else ChaCha20Poly1305(aead_key)
        sealed = []
        for counter in (0, 1):  # the cipher's first two IVs: a 64-bit counter from 0
            iv = struct.pack(">Q", counter)
            ct_tag = aead.encrypt(salt + iv, plain, header)  # RFC 5282 5.1 / RFC 7634 5: AAD = header
            sealed.append(header + iv + ct_tag)
        section("sk_aead", name, encr=encr, keybits=keybits, key=ekey, iv_offset=IV_OFFSET,
                message=header + bytes(8) + plain + bytes(16), sealed0=sealed[0], sealed1=sealed[1])
    else:
        plain = det(name + " sk plaintext", 41) + bytes(6) + bytes([6])  # 48 octets: 3 blocks
        akey = det(name + " sk_a", integ_key_len(integ))
        iv = det(name + " sk iv", 16)
        enc = Cipher(algorithms.AES(ekey), modes.CBC(iv)).encryptor()
        ct = enc.update(plain) + enc.finalize()
        h = hmac.HMAC(akey, INTEG[integ][0]())
        h.update(header + iv + ct)
        icv = h.finalize()[:INTEG[integ][2]]  # RFC 4868 2.1.2: truncated to half
        section("sk_cbc", name, encr=encr, keybits=keybits, integ=integ, key=ekey, integ_key=akey,
                iv_offset=IV_OFFSET, plain=header + iv + plain + bytes(len(icv)), sealed=header + iv + ct + icv)

print("# Generated by gen_ike_crypto_vectors.py (python3-cryptography); test vectors only, no real keys.")
for kind, name, fields in sections:
    print(f"\n[{kind} {name}]")
    for k, v in fields.items():
        print(f"{k} = {v.hex() if isinstance(v, bytes) else v}")
