// Downstream program built only through the installed package (find_package or pkg-config).
#include <kono/kono.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  kono::Runtime runtime(argc, argv);
  kono::Tensor<kono::DefaultMemorySpace, float> t("consumer::t", kono::Shape{2, 1, 4, 4});
  t.fill(0.5f);
  float const v = t.to_host().data()(31);
  std::printf("kono %s consumer: rank %d of %d, value %.1f\n", KONO_VERSION_STRING, runtime.rank(), runtime.size(), v);
  return v == 0.5f ? 0 : 1;
}
