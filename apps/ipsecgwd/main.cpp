// ipsecgwd: the gateway daemon.
//
//   ipsecgwd --config FILE [--stats-file FILE] [--no-idle-backoff]
//            [--icmp-rate N] [--icmp-burst N] [--mbuf-data-room BYTES]
//            [--control-socket PATH] [--control-group GROUP]
//            [--log-target stderr|syslog] [--log-level LEVEL] -- EAL-ARGS...
//
// Reads the configuration, starts the EAL with the given arguments, opens the
// configured ports (virtual devices are hot-plugged from their device
// strings), installs SAs, policies and routes, and runs the data path until
// SIGINT/SIGTERM. The main lcore is the control core; every other EAL lcore
// runs a worker (workers.hpp). With the main lcore alone (`-l 0`), the
// control loop polls the one worker itself (single-lcore mode). The control
// loop answers the exception path (ARP/ND/echo, unresolved next hops:
// lib/dataplane/control_path.hpp), publishes table changes to the workers
// (lib/dataplane/table_sync.hpp), runs IKEv2 when the configuration has
// [connections] (ike_control.hpp: children with start_action = "start" are
// initiated at start, every IKE SA is deleted on SIGINT/SIGTERM), serves
// ipsecgwctl on the control socket (lib/control/server.hpp) and DPDK
// telemetry's /ipsecgw/... endpoints (lib/control/telemetry.hpp).
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <boost/program_options.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "config/config_parser.hpp"
#include "config_reload.hpp"
#include "control/commands.hpp"
#include "control/events.hpp"
#include "control/telemetry.hpp"
#include "crypto/engine_factory.hpp"
#include "dataplane/gateway_builder.hpp"
#include "dataplane/control_path.hpp"
#include "dataplane/table_sync.hpp"
#include "eal/command_line.hpp"
#include "eal/eal_runtime.hpp"
#include "idle_backoff.hpp"
#include "ike_control.hpp"
#include "stats_report.hpp"
#include "util/log.hpp"
#include "workers.hpp"

namespace po = boost::program_options;
using namespace ipsecgw;

namespace {

volatile std::sig_atomic_t gStop = 0;
void onSignal(int) { gStop = 1; }

struct Options {
  std::string configPath;
  std::string statsPath;
  bool idleBackoff = true;
  dataplane::WorkerOptions worker;
  uint32_t mbufDataRoom = RTE_MBUF_DEFAULT_DATAROOM;
  std::vector<std::string> ealArgs;
  control::ServerOptions control;
  std::string logTarget = "stderr";
  std::string logLevel = "info";
};

int fail(const std::string& msg) {
  std::cerr << "ipsecgwd: " << msg << "\n";
  return 1;
}

bool parseOptions(int argc, char** argv, Options& o, int& exitCode) {
  // Everything after "--" belongs to the EAL.
  const eal::SplitCommandLine split = eal::splitAtDoubleDash(argc, argv);
  po::options_description desc("ipsecgwd --config FILE [options] -- EAL-ARGS");
  bool noBackoff = false;
  std::string controlGroup;
  desc.add_options()("help,h", "this help")("config", po::value(&o.configPath), "gateway configuration (TOML)")(
      "stats-file", po::value(&o.statsPath), "write counters as JSON to this file on exit")(
      "no-idle-backoff", po::bool_switch(&noBackoff), "busy-poll even when idle (benchmarks)")(
      "icmp-rate", po::value(&o.worker.icmpErrorsPerSecond)->default_value(o.worker.icmpErrorsPerSecond),
      "ICMP errors (too big, time exceeded) a worker may send per second")(
      "icmp-burst", po::value(&o.worker.icmpErrorBurst)->default_value(o.worker.icmpErrorBurst),
      "ICMP errors a worker may send at once after a quiet period")(
      "mbuf-data-room", po::value(&o.mbufDataRoom)->default_value(o.mbufDataRoom),
      "bytes of packet data per mbuf (headroom excluded); net_af_packet ports need it >= their framesz - 32. "
      "A port that receives IPv4 fragments through net_af_packet gets them reassembled by the kernel "
      "(the PMD asks for PACKET_FANOUT_FLAG_DEFRAG), so size it for the largest datagram expected")(
      "control-socket", po::value(&o.control.socketPath),
      "ipsecgwctl's socket; default /run/ipsecgw/ipsecgwd.sock, or /run/ipsecgw/PREFIX.sock with an EAL "
      "--file-prefix PREFIX (one per daemon, like DPDK's runtime directory); \"none\": no socket")(
      "control-group", po::value(&controlGroup), "group whose members may use the control socket besides root")(
      "log-target", po::value(&o.logTarget)->default_value(o.logTarget), "where log lines go: stderr or syslog")(
      "log-level", po::value(&o.logLevel)->default_value(o.logLevel),
      "initial level of every subsystem (ike, dp, cli, cfg): error, warning, notice, info or debug; "
      "ipsecgwctl log-level changes it at run time");
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(split.ownArgc, argv, desc), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      exitCode = 0;
      return false;
    }
    if (o.configPath.empty()) {
      exitCode = fail("--config is required");
      return false;
    }
    if (o.mbufDataRoom < RTE_MBUF_DEFAULT_DATAROOM || o.mbufDataRoom > UINT16_MAX - RTE_PKTMBUF_HEADROOM) {
      exitCode = fail("--mbuf-data-room must be " + std::to_string(RTE_MBUF_DEFAULT_DATAROOM) + ".." +
                      std::to_string(UINT16_MAX - RTE_PKTMBUF_HEADROOM));
      return false;
    }
  } catch (const std::exception& e) {
    exitCode = fail(e.what());
    return false;
  }
  o.idleBackoff = !noBackoff;
  o.ealArgs = split.ealArgs;
  const auto target = log::parseTarget(o.logTarget);
  const auto level = log::parseLevel(o.logLevel);
  if (!target || !level) {
    exitCode = fail(!target ? "--log-target must be stderr or syslog"
                            : "--log-level must be error, warning, notice, info or debug");
    return false;
  }
  log::setTarget(*target, "ipsecgwd");
  for (log::Subsystem s : log::kAllSubsystems) log::setLevel(s, *level);
  if (!controlGroup.empty()) {
    auto gid = control::lookupGroup(controlGroup);
    if (!gid) {
      exitCode = fail("--control-group: " + gid.error());
      return false;
    }
    o.control.group = *gid;
    o.control.groupName = controlGroup;
  }
  if (o.control.socketPath.empty()) o.control.socketPath = control::defaultSocketPath(o.ealArgs);
  if (o.control.socketPath == "none") o.control.socketPath.clear();
  return true;
}

// How long the IKE deletes sent at stop get to leave and be answered.
constexpr uint64_t kIkeStopGraceMs = 200;

uint64_t nowMs() { return rte_get_tsc_cycles() * 1000 / rte_get_tsc_hz(); }

// The control core's TX queue on each port: the one after the workers'
// where the device has it, else -1 (through worker 0, ControlTx).
std::vector<int> controlTxQueues(const dataplane::GatewayTables& t, uint16_t workers) {
  std::vector<int> q;
  for (const auto& p : t.ports) q.push_back(p.ethdev->txQueues() > workers ? workers : -1);
  return q;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  int exitCode = 0;
  if (!parseOptions(argc, argv, o, exitCode)) return exitCode;

  // The configuration is checked before the EAL starts, so a typo costs no
  // DPDK start-up and leaves nothing behind.
  config::ConfigResult parsed = config::parseConfigFile(o.configPath);
  for (const auto& note : parsed.notes) std::cerr << "ipsecgwd: note: " << note << "\n";
  if (!parsed.config) return fail(parsed.error);
  if (!parsed.config->gateway.idleBackoff) o.idleBackoff = false;
  // Names, routes and connections for the CLI, before the builder and the
  // IKE engine take the configuration apart (no PSK, no key).
  control::GatewayView view;
  view.config = control::snapshotConfig(*parsed.config);

  std::vector<char*> ealArgv;
  for (auto& a : o.ealArgs) ealArgv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(ealArgv.size()), ealArgv.data()) < 0)
    return fail("EAL initialisation failed (see the EAL's message above)");

  int rc = 0;
  {
    const uint16_t nWorkers = Workers::countFromEal();
    const char* engineName =
        parsed.config->gateway.cryptoEngine == config::CryptoEngineKind::OpenSsl ? "openssl" : "ipsec-mb";
    auto engine = crypto::makeEngine(engineName);
    rte_mempool* pool =
        rte_pktmbuf_pool_create("ipsecgwd_mbufs", 8191, 256, 0, static_cast<uint16_t>(RTE_PKTMBUF_HEADROOM + o.mbufDataRoom),
                                static_cast<int>(rte_socket_id()));
    std::string error;
    // Declared in the order they are built; they go in reverse: workers
    // first, IKE (its CHILD_SAs leave the tables) before the table sync.
    std::unique_ptr<dataplane::Quiescence> rcu;
    std::unique_ptr<dataplane::GatewayTables> tables;
    std::unique_ptr<dataplane::TableSync> sync;
    std::unique_ptr<dataplane::ControlTx> controlTx;
    std::unique_ptr<dataplane::ControlPath> controlPath;
    std::unique_ptr<IkeControl> ike;
    std::unique_ptr<Workers> workers;
    if (!engine)
      error = std::string("crypto engine ") + engineName + " is not available";
    else if (!pool)
      error = "cannot create the mbuf pool (is -m large enough?)";
    else if (ike = IkeControl::create(*parsed.config, error); !error.empty())
      ;
    else if (!(rcu = dataplane::Quiescence::create(nWorkers, error)) ||
             !(tables = dataplane::buildGateway(std::move(*parsed.config), *engine, pool,
                                                {.workers = nWorkers, .rcu = rcu->get()}, error)) ||
             !(sync = dataplane::TableSync::create(*tables, *rcu, error)) ||
             !(controlTx = dataplane::ControlTx::create(*tables, controlTxQueues(*tables, nWorkers), error)))
      ;
    else {
      controlPath = std::make_unique<dataplane::ControlPath>(*tables, *controlTx, pool, ike ? ike->inbox() : nullptr);
      if (ike) ike->attach(*tables, *engine, pool, *controlPath);
      workers = Workers::create(*tables, *sync, *controlTx, engineName, pool,
                                {.worker = o.worker, .ike = ike != nullptr, .idleBackoff = o.idleBackoff}, error);
      if (workers)
        for (auto* ring : workers->exceptionRings()) controlPath->addSource(ring);
    }
    if (!workers) {
      rc = fail(error);
    } else {
      std::signal(SIGINT, onSignal);
      std::signal(SIGTERM, onSignal);
      const std::string mode = workers->singleLcore() ? std::string("single-lcore")
                               : workers->size() == 1 ? std::string("1 worker lcore")
                                                      : std::to_string(workers->size()) + " worker lcores";
      std::fprintf(stderr, "ipsecgwd: running: %zu ports, %zu outbound and %zu inbound SAs, engine %s (%s), %s\n",
                   tables->ports.size(), tables->outbound.size(), tables->inbound.size(), engine->name().data(),
                   engine->arch().data(), mode.c_str());
      // Free mbufs with the ports started (their RX rings filled) and again
      // after the workers stopped: a difference is a leak, or packets still
      // waiting in the neighbour hold queues.
      PoolCounts poolCounts{.size = pool->size, .availAtStart = rte_mempool_avail_count(pool)};
      dataplane::WorkerCounters counters;
      {
        view.startedMs = nowMs();
        view.lcores = rte_lcore_count();
        view.workerMode = mode;
        view.tables = tables.get();
        view.crypto = engine.get();
        view.counters = [&] { return control::DataPathCounters{workers->counters(), controlPath->counters()}; };
        view.tableSync = [&] { return sync->counters(); };
        view.poolCounts = [&] {
          PoolCounts now = poolCounts;
          now.availAtStop = rte_mempool_avail_count(pool);
          now.heldForNeighbors = static_cast<uint32_t>(tables->neighbors.heldPackets());
          return now;
        };
        if (ike) view.ikeReport = [&] { return ike->report(); };
        if (ike) view.ike = &ike->engine();
        control::ServerPtr cli;
        std::unique_ptr<ConfigReloader> reloader;
        if (!o.control.socketPath.empty() &&
            (!(reloader = ConfigReloader::create(o.configPath, view, ike.get(), error)) ||
             !(cli = control::Server::create(o.control, control::makeCommandHandler(view), error)))) {
          rc = fail("control socket: " + error);
          gStop = 1;
        }
        if (cli) {
          view.reload = [&](uint64_t now) { return reloader->reload(now); };
          view.publish = [&](const nlohmann::json& event, uint64_t now) { cli->publish(event, now); };
          if (ike) ike->setObserver([&](const auto& e, uint64_t now) {
            if (cli && cli->subscribers()) cli->publish(control::saEventJson(e, now), now);
          });
        }
        // DPDK telemetry (/ipsecgw/...) answered from this loop.
        auto& telemetry = control::TelemetryEndpoints::instance();
        telemetry.attach(&view);
        if (!workers->start(error)) {
          rc = fail(error);
          gStop = 1;
        }
        if (ike && !gStop) ike->start(nowMs());
        // One pass of the control core; in single-lcore mode also of the
        // worker. The IKE service polls every pass, so its timers run also
        // while the back-off sleeps (at most 1 ms per pass).
        auto controlPass = [&](uint64_t now) {
          uint32_t work = workers->pollInline(now);
          work += controlPath->poll(now);
          if (ike) work += ike->poll(now);
          work += sync->poll();
          return work;
        };
        // The control core always backs off when it has its own lcore: it
        // is not the data path (and in benchmarks shares a CPU with the
        // generator); in single-lcore mode it is, and follows the option.
        IdleBackoff backoff(workers->singleLcore() ? o.idleBackoff : true);
        while (!gStop) {
          // One clock read per pass: a TSC read and a division each time
          // showed as 3-4% of the 64 B profile.
          const uint64_t now = nowMs();
          uint32_t work = controlPass(now);
          if (cli) work += cli->poll(now);
          work += telemetry.poll(now);
          backoff.after(work);
        }
        telemetry.attach(nullptr);  // the workers and their counters go below
        if (ike) {
          // RFC 7296 1.4.1: tell the peers; their answers (or the grace
          // period) end the IKE SAs, whose CHILD_SAs leave the tables.
          ike->terminateAll(nowMs());
          const uint64_t until = nowMs() + kIkeStopGraceMs;
          while (nowMs() < until && ike->anyIkeSa())
            if (controlPass(nowMs()) == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        workers->stop();
        if (ike) ike->removeAllChildSas();
        controlPath->poll(nowMs());  // what the workers passed on last
        cli.reset();                 // clients closed, socket file removed
        counters = view.counters().total();
        controlTx->discardQueued();  // frames no worker will send now
        workers.reset();             // their reassembly tables freed
        sync->poll();
      }
      poolCounts.availAtStop = rte_mempool_avail_count(pool);
      poolCounts.heldForNeighbors = static_cast<uint32_t>(tables->neighbors.heldPackets());
      const IkeReport ikeReport = ike ? ike->report() : IkeReport{};
      if (!o.statsPath.empty() &&
          !writeStatsFile(o.statsPath, *tables, counters, poolCounts, ike ? &ikeReport : nullptr))
        std::fprintf(stderr, "ipsecgwd: cannot write %s\n", o.statsPath.c_str());
      std::fprintf(stderr, "ipsecgwd: stopping\n");
    }
    workers.reset();
    ike.reset();  // CHILD_SAs out of the tables, the engine's keys wiped
    controlPath.reset();
    controlTx.reset();
    sync.reset();    // the last states and retired SAs freed
    tables.reset();  // ports closed and unplugged, SAs wiped
    rcu.reset();
    if (pool) rte_mempool_free(pool);
  }
  eal::cleanupAndRemoveRuntimeDir();
  return rc;
}
