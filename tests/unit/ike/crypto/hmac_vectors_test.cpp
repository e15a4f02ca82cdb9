// RFC 4231 section 4: HMAC-SHA-256/384/512 known answers through the IKE PRFs
// (PRF_HMAC_SHA2_*, RFC 4868 2.1.1, use the full output). Test cases 1, 2, 3
// and 6 (5 is a truncated output, 4 and 7 add nothing these do not cover).
#include "ike/crypto/prf.hpp"
#include "test_support.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;
using namespace ipsecgw::ike::test;

namespace {

struct Rfc4231Case {
  const char* name;
  Bytes key, data;
  const char *sha256, *sha384, *sha512;
};

}  // namespace

TEST_CASE("prf: RFC 4231 HMAC-SHA2 vectors", "[prf][vectors]") {
  const Rfc4231Case cases[] = {
      {"4.2 test case 1", Bytes(20, 0x0b), ascii("Hi There"),
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
       "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6",
       "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
       "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
      {"4.3 test case 2", ascii("Jefe"), ascii("what do ya want for nothing?"),
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
       "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
       "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
       "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
      {"4.4 test case 3", Bytes(20, 0xaa), Bytes(50, 0xdd),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
       "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b2a5ab39dc13814b94e3ab6e101a34f27",
       "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
       "bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb"},
      {"4.7 test case 6", Bytes(131, 0xaa), ascii("Test Using Larger Than Block-Size Key - Hash Key First"),
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
       "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952",
       "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
       "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"},
  };
  for (const auto& c : cases) {
    INFO("RFC 4231 " << c.name);
    for (auto [id, expected] : {std::pair{PrfId::HmacSha2_256, c.sha256}, std::pair{PrfId::HmacSha2_384, c.sha384},
                                std::pair{PrfId::HmacSha2_512, c.sha512}}) {
      auto out = prf(id, c.key, {c.data});
      REQUIRE(out);
      CHECK(bytesOf(*out) == hex(expected));
      // The same input split into parts gives the same MAC.
      const ByteView data(c.data);
      auto split = prf(id, c.key, {data.first(3), data.subspan(3)});
      REQUIRE(split);
      CHECK(bytesOf(*split) == hex(expected));
    }
  }
}
