#include <string>
#include <vector>

#include <kono/core/profiling_region.hpp>

#include "support/kono_test.hpp"

namespace {
std::vector<std::string> g_events;
void on_push(char const* name) { g_events.push_back(std::string("push ") + name); }
void on_pop() { g_events.push_back("pop"); }

TEST(ProfilingRegion, PushesAndPopsNamedRegionsForKokkosTools) {
  Kokkos::Tools::Experimental::set_push_region_callback(on_push);
  Kokkos::Tools::Experimental::set_pop_region_callback(on_pop);
  g_events.clear();
  {
    kono::ProfilingRegion outer("kono::Test::outer");
    kono::ProfilingRegion inner("kono::Test::inner");
  }
  Kokkos::Tools::Experimental::set_push_region_callback(nullptr);
  Kokkos::Tools::Experimental::set_pop_region_callback(nullptr);
  std::vector<std::string> const expected{"push kono::Test::outer", "push kono::Test::inner", "pop", "pop"};
  EXPECT_EQ(g_events, expected);
}
}  // namespace
