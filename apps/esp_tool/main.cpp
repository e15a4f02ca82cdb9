// ipsecgw-esp: runs the ESP library on packets given as hex lines, without a
// gateway. Used by the wire-format tests (tests/integration/scapy_wire_test.py
// feeds it packets built and checked by scapy) and as the round-trip demo.
//
//   ipsecgw-esp encap --transform aes128gcm16 --keymat HEX --spi 0x1000
//               --local 192.0.2.1 --remote 198.51.100.2  < plain.hex > esp.hex
//   ipsecgw-esp decap ... < esp.hex > plain.hex
//   ipsecgw-esp demo
//
// Each input line is one IP packet in hex; each output line is the result in
// hex, or "drop <reason>". Keys given on the command line are visible to other
// local users: use --keymat-file for anything but test keys.
#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "crypto/engine_factory.hpp"
#include "esp_tool.hpp"
#include "esp/esp_inbound.hpp"
#include "esp/esp_outbound.hpp"
#include "net/packet_buffer.hpp"
#include "util/hex.hpp"

namespace po = boost::program_options;
using namespace ipsecgw;
using namespace ipsecgw::esp;

namespace {

struct Options {
  std::string command;
  std::string transform = "aes128gcm16";
  std::string keymatHex;
  std::string keymatFile;
  std::string spi = "0x1000";
  std::string mode = "tunnel";
  std::string local = "192.0.2.1";
  std::string remote = "198.51.100.2";
  std::string engine = "ipsec-mb";
  bool udpEncap = false;
  bool esn = false;
  uint64_t firstSeq = 1;
  uint64_t assumeReceived = 0;
  uint32_t window = 128;
  uint32_t demoPackets = 10000;
};

int fail(const std::string& msg) {
  std::cerr << "ipsecgw-esp: " << msg << "\n";
  return 2;
}

std::optional<SecretBytes> readKeymat(const Options& o) {
  std::string text = o.keymatHex;
  if (!o.keymatFile.empty()) {
    std::ifstream f(o.keymatFile);
    if (!f) return std::nullopt;
    std::getline(f, text);
  }
  auto bytes = decodeHex(text);
  if (!bytes) return std::nullopt;
  SecretBytes k(*bytes);
  secureWipe(bytes->data(), bytes->size());
  secureWipe(text.data(), text.size());
  return k;
}

SecurityAssociationPtr buildSa(const Options& o, Direction dir, CryptoEngine& eng, SecretBytes&& keymat,
                               std::string& error) {
  SaConfig c;
  auto t = transformFromName(o.transform);
  auto local = IpAddress::parse(o.local), remote = IpAddress::parse(o.remote);
  if (!t) return error = "unknown transform '" + o.transform + "'", nullptr;
  if (!local || !remote) return error = "bad --local or --remote address", nullptr;
  if (o.mode != "tunnel" && o.mode != "transport") return error = "--mode is tunnel or transport", nullptr;
  c.spi = static_cast<uint32_t>(std::stoul(o.spi, nullptr, 0));
  c.transform = *t;
  c.mode = o.mode == "tunnel" ? Mode::Tunnel : Mode::Transport;
  c.keymat = std::move(keymat);
  c.esn = o.esn;
  c.replayWindow = o.window;
  c.localAddress = *local;
  c.remoteAddress = *remote;
  if (o.udpEncap) c.udpEncap = UdpEncap{};
  return SecurityAssociation::create(std::move(c), dir, eng, error);
}

// One packet per line, processed one by one so that each line's answer is
// on the matching output line.
int runPipe(const Options& o, Direction dir) {
  auto eng = crypto::makeEngine(o.engine);
  if (!eng) return fail("unknown engine '" + o.engine + "' (ipsec-mb, openssl)");
  auto keymat = readKeymat(o);
  if (!keymat) return fail("missing or malformed key material (--keymat HEX or --keymat-file)");
  std::string error;
  auto sa = buildSa(o, dir, *eng, std::move(*keymat), error);
  if (!sa) return fail(error);
  if (dir == Direction::Outbound) sa->setLastSequence(o.firstSeq - 1);
  if (dir == Direction::Inbound && o.assumeReceived) sa->replayWindow()->accept(o.assumeReceived);

  std::vector<uint8_t> storage(65536 + 512);
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    auto in = decodeHex(line);
    if (!in || in->size() > 65535) {
      std::cout << "drop malformed-hex\n";
      continue;
    }
    PacketBuffer pkt{storage.data(), static_cast<uint32_t>(storage.size()), 256, static_cast<uint32_t>(in->size())};
    std::copy(in->begin(), in->end(), pkt.data());
    PacketBuffer* ptr = &pkt;
    DropReason why = DropReason::None;
    uint32_t ok = dir == Direction::Outbound ? espEncapsulate(*sa, *eng, {&ptr, 1}, {&why, 1})
                                             : espDecapsulate(*sa, *eng, {&ptr, 1}, {&why, 1});
    if (ok == 1)
      std::cout << encodeHex(pkt.data(), pkt.length) << "\n";
    else
      std::cout << "drop " << dropReasonName(why) << "\n";
  }
  return 0;
}

int runDemo(const Options& o) { return runRoundTripDemo(o.demoPackets); }

}  // namespace

int main(int argc, char** argv) {
  Options o;
  po::options_description desc("ipsecgw-esp: ESP encapsulation/decapsulation of hex packets (stdin -> stdout)");
  desc.add_options()("help,h", "this help")
      ("transform", po::value(&o.transform)->default_value(o.transform),
       "aes128gcm16 aes256gcm16 chacha20poly1305 aes128gmac aes256gmac aes128-sha256 aes256-sha256 null-sha256")
      ("keymat", po::value(&o.keymatHex), "KEYMAT in hex: cipher key || salt || integrity key (test keys only)")
      ("keymat-file", po::value(&o.keymatFile), "file whose first line is the KEYMAT in hex")
      ("spi", po::value(&o.spi)->default_value(o.spi), "SPI (decimal or 0x hex)")
      ("mode", po::value(&o.mode)->default_value(o.mode), "tunnel or transport")
      ("local", po::value(&o.local)->default_value(o.local), "local (outer source) address")
      ("remote", po::value(&o.remote)->default_value(o.remote), "remote (outer destination) address")
      ("udp-encap", po::bool_switch(&o.udpEncap), "UDP-encapsulate on port 4500 (RFC 3948)")
      ("esn", po::bool_switch(&o.esn), "64-bit extended sequence numbers")
      ("first-seq", po::value(&o.firstSeq)->default_value(1), "encap: sequence number of the first packet")
      ("assume-received", po::value(&o.assumeReceived)->default_value(0),
       "decap: mark this sequence number as received (moves the window, for ESN tests)")
      ("window", po::value(&o.window)->default_value(o.window), "decap: replay window size (64..4096)")
      ("engine", po::value(&o.engine)->default_value(o.engine), "ipsec-mb or openssl")
      ("packets", po::value(&o.demoPackets)->default_value(o.demoPackets), "demo: packets per transform")
      ("command", po::value(&o.command), "encap, decap or demo");
  po::positional_options_description pos;
  pos.add("command", 1);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(desc).positional(pos).run(), vm);
    po::notify(vm);
    if (vm.count("help") || o.command.empty()) {
      std::cout << desc << "\n";
      return o.command.empty() && !vm.count("help") ? 2 : 0;
    }
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  try {
    if (o.command == "encap") return runPipe(o, Direction::Outbound);
    if (o.command == "decap") return runPipe(o, Direction::Inbound);
    if (o.command == "demo") return runDemo(o);
  } catch (const std::exception& e) {  // e.g. a non-numeric --spi
    return fail(e.what());
  }
  return fail("unknown command '" + o.command + "' (encap, decap, demo)");
}
