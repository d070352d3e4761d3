// tcp_grid.cc — the ns-3 reference for jnet's simulated TCP: one bulk TCP
// flow (or two sharing the bottleneck) over a point-to-point link, for a
// grid of one-way latencies and random loss rates, NewReno and CUBIC.
// tests/sim/tcp_reference.tsv is this program's output; the fidelity test
// (tests/sim/test_tcp_fidelity.c) runs the same world on jnet's simulator.
//
// The world, on both sides:
//   a sender and a receiver, a 10 Mbit/s link each way, one-way latency D,
//   a drop-tail queue of 64 KiB per direction (ns-3: the sender reaches a
//   router over a 10 Gbit/s 0 ms hop, whose 10 Mbit/s egress has a FIFO
//   queue disc of 64 KiB in front of a one-packet device queue), random
//   loss p per packet in each direction; MSS 1460 (no timestamps, no SACK),
//   window scaling on, initial window 10 segments, receive and send buffers
//   128 KiB (ns-3 3.37 crashes in TcpRateLinux::SkbSent with a larger send
//   buffer), minimum RTO 200 ms, initial RTO 1 s, delayed ACK
//   every second segment or 40 ms, classic NewReno fast recovery
//   (RFC 6582) for both algorithms, no HyStart in CUBIC. NewReno is
//   ns-3's TcpLinuxReno (Linux's byte counting), CUBIC is TcpCubic.
//   The sender writes without pause from t = 0; goodput is the bytes the
//   receiving application got in 60 s.
//
// Output, one TSV row per grid point (mean over the seeds):
//   cc  one_way_ms  loss_pct  goodput_mbps  queue_drops  [flows: jain  starved_s]
//
// Build (Debian libns3-dev 3.37):
//   g++ -O2 -o tcp_grid tcp_grid.cc $(pkg-config --cflags --libs ns3-core \
//       ns3-network ns3-internet ns3-point-to-point ns3-applications \
//       ns3-traffic-control)
// Run:  ./tcp_grid [--seeds=5] [--seconds=60] [--flows=1]
//       ./tcp_grid --one=10 [--loss=0]   one timed NewReno run (make bench)
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "ns3/applications-module.h"
#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"
#include "ns3/traffic-control-module.h"

using namespace ns3;

static uint64_t g_drops = 0;
static uint64_t g_tx = 0; // packets sent on the bottleneck
static void OnTx(Ptr<const Packet>) { g_tx++; }
static void OnDrop(Ptr<const Packet>) { g_drops++; }
static void OnQdiscDrop(Ptr<const QueueDiscItem>) { g_drops++; }

struct Result {
  uint64_t packets;
  double goodput_mbps;
  double drops;
  double jain;
  double starved_s;
};

// Per-flow bytes received, sampled every 100 ms to find starvation: the
// longest span in which a flow received nothing.
struct FlowProbe {
  std::vector<Ptr<PacketSink>> sinks;
  std::vector<uint64_t> last;
  std::vector<double> since, worst;
};

static void Sample(FlowProbe *p) {
  double now = Simulator::Now().GetSeconds();
  for (size_t i = 0; i < p->sinks.size(); i++) {
    uint64_t rx = p->sinks[i]->GetTotalRx();
    if (rx != p->last[i]) {
      p->last[i] = rx;
      p->since[i] = now;
    } else if (now - p->since[i] > p->worst[i]) {
      p->worst[i] = now - p->since[i];
    }
  }
  Simulator::Schedule(MilliSeconds(100), &Sample, p);
}

static Result RunOne(const std::string &cc, double one_way_ms, double loss,
                     uint32_t seed, double seconds, uint32_t flows) {
  RngSeedManager::SetSeed(1);
  RngSeedManager::SetRun(seed);
  g_drops = 0;
  g_tx = 0;

  Config::SetDefault("ns3::TcpL4Protocol::SocketType",
                     TypeIdValue(TypeId::LookupByName(cc)));
  Config::SetDefault("ns3::TcpL4Protocol::RecoveryType",
                     TypeIdValue(TypeId::LookupByName("ns3::TcpClassicRecovery")));
  Config::SetDefault("ns3::TcpSocket::SegmentSize", UintegerValue(1460));
  Config::SetDefault("ns3::TcpSocket::InitialCwnd", UintegerValue(10));
  Config::SetDefault("ns3::TcpSocket::RcvBufSize", UintegerValue(131072));
  Config::SetDefault("ns3::TcpSocket::SndBufSize", UintegerValue(131072));
  Config::SetDefault("ns3::TcpSocket::DelAckCount", UintegerValue(2));
  Config::SetDefault("ns3::TcpSocket::DelAckTimeout",
                     TimeValue(MilliSeconds(40)));
  Config::SetDefault("ns3::TcpSocketBase::MinRto", TimeValue(MilliSeconds(200)));
  Config::SetDefault("ns3::TcpSocketBase::ClockGranularity",
                     TimeValue(MilliSeconds(1)));
  Config::SetDefault("ns3::RttEstimator::InitialEstimation",
                     TimeValue(Seconds(1)));
  Config::SetDefault("ns3::TcpSocketBase::Timestamp", BooleanValue(false));
  Config::SetDefault("ns3::TcpSocketBase::Sack", BooleanValue(false));
  Config::SetDefault("ns3::TcpSocketBase::WindowScaling", BooleanValue(true));
  Config::SetDefault("ns3::TcpCubic::HyStart", BooleanValue(false));

  // sender -- router: fast and short (ns-3's TCP misbehaves when its own
  // host's queue drops); router -- receiver: the 10 Mbit/s bottleneck with
  // the latency, the loss and the 64 KiB queue at the router, in front of
  // a one-packet device queue.
  NodeContainer nodes;
  nodes.Create(3);
  PointToPointHelper fast;
  fast.SetDeviceAttribute("DataRate", StringValue("10Gbps"));
  fast.SetChannelAttribute("Delay", StringValue("0ms"));
  NetDeviceContainer access = fast.Install(nodes.Get(0), nodes.Get(1));
  PointToPointHelper p2p;
  p2p.SetDeviceAttribute("DataRate", StringValue("10Mbps"));
  p2p.SetChannelAttribute("Delay", TimeValue(MicroSeconds(
                                       (uint64_t)(one_way_ms * 1000))));
  p2p.SetQueue("ns3::DropTailQueue<Packet>", "MaxSize",
               QueueSizeValue(QueueSize("1p")));
  NetDeviceContainer dev = p2p.Install(nodes.Get(1), nodes.Get(2));
  InternetStackHelper stack;
  stack.Install(nodes);
  TrafficControlHelper tch;
  tch.SetRootQueueDisc("ns3::FifoQueueDisc", "MaxSize",
                       QueueSizeValue(QueueSize("65536B")));
  QueueDiscContainer qdiscs = tch.Install(dev);
  Ipv4AddressHelper address;
  address.SetBase("198.51.100.0", "255.255.255.0");
  address.Assign(access);
  address.SetBase("192.0.2.0", "255.255.255.0");
  Ipv4InterfaceContainer ifs = address.Assign(dev);
  Ipv4GlobalRoutingHelper::PopulateRoutingTables();

  for (uint32_t i = 0; i < 2; i++) {
    if (loss > 0) {
      Ptr<RateErrorModel> em = CreateObject<RateErrorModel>();
      em->SetAttribute("ErrorRate", DoubleValue(loss));
      em->SetAttribute("ErrorUnit", StringValue("ERROR_UNIT_PACKET"));
      em->AssignStreams(100 + i);
      dev.Get(i)->SetAttribute("ReceiveErrorModel", PointerValue(em));
    }
    Ptr<PointToPointNetDevice> d = DynamicCast<PointToPointNetDevice>(dev.Get(i));
    d->GetQueue()->TraceConnectWithoutContext("Drop", MakeCallback(&OnDrop));
    d->TraceConnectWithoutContext("PhyTxBegin", MakeCallback(&OnTx));
    qdiscs.Get(i)->TraceConnectWithoutContext("Drop",
                                              MakeCallback(&OnQdiscDrop));
  }

  FlowProbe probe;
  for (uint32_t f = 0; f < flows; f++) {
    uint16_t port = (uint16_t)(5000 + f);
    PacketSinkHelper sink("ns3::TcpSocketFactory",
                          InetSocketAddress(Ipv4Address::GetAny(), port));
    ApplicationContainer sa = sink.Install(nodes.Get(2));
    sa.Start(Seconds(0));
    BulkSendHelper src("ns3::TcpSocketFactory",
                       InetSocketAddress(ifs.GetAddress(1), port));
    src.SetAttribute("MaxBytes", UintegerValue(0));
    src.SetAttribute("SendSize", UintegerValue(16384));
    ApplicationContainer ca = src.Install(nodes.Get(0));
    ca.Start(Seconds(0));
    probe.sinks.push_back(DynamicCast<PacketSink>(sa.Get(0)));
    probe.last.push_back(0);
    probe.since.push_back(0);
    probe.worst.push_back(0);
  }
  Simulator::Schedule(MilliSeconds(100), &Sample, &probe);
  Simulator::Stop(Seconds(seconds));
  Simulator::Run();

  Result r;
  double sum = 0, sq = 0, worst = 0;
  for (uint32_t f = 0; f < flows; f++) {
    double x = (double)probe.sinks[f]->GetTotalRx();
    sum += x;
    sq += x * x;
    if (probe.worst[f] > worst)
      worst = probe.worst[f];
  }
  r.goodput_mbps = sum * 8 / seconds / 1e6;
  r.drops = (double)g_drops;
  r.packets = g_tx;
  r.jain = sq > 0 ? sum * sum / (flows * sq) : 0;
  r.starved_s = worst;
  Simulator::Destroy();
  return r;
}

int main(int argc, char *argv[]) {
  uint32_t seeds = 5, flows = 1;
  double seconds = 60, one_ms = 0, one_loss = 0;
  CommandLine cmd(__FILE__);
  cmd.AddValue("seeds", "runs per grid point (seeds 1..n)", seeds);
  cmd.AddValue("seconds", "simulated seconds per run", seconds);
  cmd.AddValue("flows", "bulk flows sharing the link (1 or 2)", flows);
  cmd.AddValue("one", "only one NewReno run at this one-way latency (ms), "
                      "timed, for bench/run.sh", one_ms);
  cmd.AddValue("loss", "with --one: the loss rate (0..1)", one_loss);
  cmd.Parse(argc, argv);
  Time::SetResolution(Time::NS);

  if (one_ms > 0) { // "ns3_tcp_bulk_wall_s W packets N goodput_mbps G"
    auto t0 = std::chrono::steady_clock::now();
    Result r = RunOne("ns3::TcpLinuxReno", one_ms, one_loss, 1, seconds, 1);
    double wall = std::chrono::duration<double>(
                      std::chrono::steady_clock::now() - t0).count();
    std::printf("ns3_tcp_bulk_wall_s %.6f packets %llu goodput_mbps %.3f\n",
                wall, (unsigned long long)r.packets, r.goodput_mbps);
    return 0;
  }

  const char *ccs[][2] = {{"newreno", "ns3::TcpLinuxReno"},
                          {"cubic", "ns3::TcpCubic"}};
  const double lat[] = {10, 50};
  const double losses[] = {0, 0.001, 0.01, 0.03};
  std::printf("# cc\tone_way_ms\tloss_pct\tgoodput_mbps\tqueue_drops%s\n",
              flows > 1 ? "\tjain\tstarved_s" : "");
  for (auto &cc : ccs)
    for (double d : lat)
      for (double p : losses) {
        double g = 0, q = 0, jain = 1, starved = 0;
        for (uint32_t s = 1; s <= seeds; s++) {
          Result r = RunOne(cc[1], d, p, s, seconds, flows);
          g += r.goodput_mbps;
          q += r.drops;
          if (r.jain < jain)
            jain = r.jain;
          if (r.starved_s > starved)
            starved = r.starved_s;
        }
        std::printf("%s\t%g\t%g\t%.3f\t%.1f", cc[0], d, p * 100, g / seeds,
                    q / seeds);
        if (flows > 1)
          std::printf("\t%.3f\t%.1f", jain, starved);
        std::printf("\n");
        std::fflush(stdout);
      }
  return 0;
}
