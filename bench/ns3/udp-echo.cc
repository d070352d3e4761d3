// udp-echo.cc — the ns-3 peer of bench/sim_ns3_peer.c: the same scenario on
// ns-3, timed the same way, so bench/run.sh can report sim_vs_ns3_ratio.
//
// Two nodes on a point-to-point link (10 Gbps, 1 ms one-way delay); a
// UdpEchoClient on node 0 sends `packets` 64-byte datagrams, one every
// `interval_us` microseconds, to a UdpEchoServer on node 1, which echoes
// each. Prints the wall time of Simulator::Run() and how many echoes the
// client received, and the process CPU time of the run (on a shared machine
// wall time includes other processes' turns):
//   ns3_wall_s <seconds> echoes <n> cpu_s <seconds>
//
// Built by run.sh in /tmp only when libns3-dev is installed:
//   g++ -O2 udp-echo.cc $(pkg-config --cflags --libs ns3-core ns3-network \
//       ns3-internet ns3-point-to-point ns3-applications)
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>

#include "ns3/applications-module.h"
#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"

using namespace ns3;

static uint64_t g_echoes = 0;

static void OnEcho(Ptr<const Packet>) { g_echoes++; }

int main(int argc, char *argv[]) {
  uint32_t packets = 100000;
  uint32_t interval_us = 10;
  CommandLine cmd(__FILE__);
  cmd.AddValue("packets", "datagrams the client sends", packets);
  cmd.AddValue("interval_us", "microseconds between sends", interval_us);
  cmd.Parse(argc, argv);
  Time::SetResolution(Time::NS);

  NodeContainer nodes;
  nodes.Create(2);
  PointToPointHelper p2p;
  p2p.SetDeviceAttribute("DataRate", StringValue("10Gbps"));
  p2p.SetChannelAttribute("Delay", StringValue("1ms"));
  NetDeviceContainer devices = p2p.Install(nodes);
  InternetStackHelper stack;
  stack.Install(nodes);
  Ipv4AddressHelper address;
  address.SetBase("192.0.2.0", "255.255.255.0");
  Ipv4InterfaceContainer ifaces = address.Assign(devices);

  UdpEchoServerHelper server(7);
  ApplicationContainer serverApps = server.Install(nodes.Get(1));
  serverApps.Start(Seconds(0.0));
  UdpEchoClientHelper client(ifaces.GetAddress(1), 7);
  client.SetAttribute("MaxPackets", UintegerValue(packets));
  client.SetAttribute("Interval", TimeValue(MicroSeconds(interval_us)));
  client.SetAttribute("PacketSize", UintegerValue(64));
  ApplicationContainer clientApps = client.Install(nodes.Get(0));
  clientApps.Start(Seconds(0.0));
  clientApps.Get(0)->TraceConnectWithoutContext("Rx", MakeCallback(&OnEcho));
  Simulator::Stop(MicroSeconds((uint64_t)packets * interval_us) + Seconds(1));

  auto t0 = std::chrono::steady_clock::now();
  std::clock_t c0 = std::clock();
  Simulator::Run();
  std::clock_t c1 = std::clock();
  auto t1 = std::chrono::steady_clock::now();
  Simulator::Destroy();
  double wall_s = std::chrono::duration<double>(t1 - t0).count();
  double cpu_s = (double)(c1 - c0) / CLOCKS_PER_SEC;
  std::printf("ns3_wall_s %.6f echoes %llu cpu_s %.6f\n", wall_s,
              (unsigned long long)g_echoes, cpu_s);
  return g_echoes == packets ? 0 : 1;
}
