// Minimal Kokkos Tools library for profiling kono on the host (no perf on the dev machine):
// accumulates wall time per profiling region (kono's Layer::forward/backward open
// "kono::<type>::forward" / "::backward" regions) and per kernel name, and prints the top
// entries at Kokkos finalize (rank 0 only if OMPI_COMM_WORLD_RANK is set).
//   g++ -O2 -shared -fPIC bench/fno/kokkos_region_timer.cpp -o /tmp/region_timer.so
//   KOKKOS_PROFILE_LIBRARY=/tmp/region_timer.so ./bench_fno --res 64 --samples 128 ...
// Region times are inclusive (children included) and exclusive ("self", children removed).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

namespace {
double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
struct Acc {
  double incl = 0, self = 0;
  long calls = 0;
};
struct Frame {
  std::string name;
  double start, child;
};
std::map<std::string, Acc> regions, kernels;
std::vector<Frame> stack;
std::map<std::uint64_t, std::pair<std::string, double>> open_kernels;
std::uint64_t next_id = 0;
double t_init = 0;

void begin_kernel(char const* name, std::uint64_t* id) {
  *id = next_id++;
  open_kernels[*id] = {name, now()};
}
void end_kernel(std::uint64_t id) {
  auto it = open_kernels.find(id);
  if (it == open_kernels.end()) return;
  auto& a = kernels[it->second.first];
  a.incl += now() - it->second.second;
  ++a.calls;
  open_kernels.erase(it);
}
void print(char const* title, std::map<std::string, Acc> const& m, bool self, double total) {
  std::vector<std::pair<std::string, Acc>> v(m.begin(), m.end());
  std::sort(v.begin(), v.end(), [&](auto const& a, auto const& b) {
    return (self ? a.second.self : a.second.incl) > (self ? b.second.self : b.second.incl);
  });
  std::fprintf(stderr, "== %s (total wall %.3f s)\n", title, total);
  for (std::size_t i = 0; i < v.size() && i < 25; ++i)
    std::fprintf(stderr, "%9.3f s %5.1f%%  incl %9.3f s  %8ld calls  %s\n", self ? v[i].second.self : v[i].second.incl,
                 100.0 * (self ? v[i].second.self : v[i].second.incl) / total, v[i].second.incl, v[i].second.calls,
                 v[i].first.c_str());
}
}  // namespace

extern "C" {
void kokkosp_init_library(int, std::uint64_t, std::uint32_t, void*) { t_init = now(); }
void kokkosp_finalize_library() {
  char const* r = std::getenv("OMPI_COMM_WORLD_RANK");
  if (r && std::atoi(r) != 0) return;
  double const total = now() - t_init;
  print("regions by self time", regions, true, total);
  print("kernels by time", kernels, false, total);
}
void kokkosp_push_profile_region(char const* name) { stack.push_back({name, now(), 0.0}); }
void kokkosp_pop_profile_region() {
  if (stack.empty()) return;
  Frame f = stack.back();
  stack.pop_back();
  double const dt = now() - f.start;
  auto& a = regions[f.name];
  a.incl += dt;
  a.self += dt - f.child;
  ++a.calls;
  if (!stack.empty()) stack.back().child += dt;
}
void kokkosp_begin_parallel_for(char const* name, std::uint32_t, std::uint64_t* id) { begin_kernel(name, id); }
void kokkosp_end_parallel_for(std::uint64_t id) { end_kernel(id); }
void kokkosp_begin_parallel_reduce(char const* name, std::uint32_t, std::uint64_t* id) { begin_kernel(name, id); }
void kokkosp_end_parallel_reduce(std::uint64_t id) { end_kernel(id); }
void kokkosp_begin_parallel_scan(char const* name, std::uint32_t, std::uint64_t* id) { begin_kernel(name, id); }
void kokkosp_end_parallel_scan(std::uint64_t id) { end_kernel(id); }
}
