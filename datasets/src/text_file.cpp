#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <kono/core/error.hpp>
#include <kono/datasets/text_file.hpp>

namespace kono {
void write_text_file_atomic(std::string const& path, std::string const& text) {
  std::string const tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    KONO_USER_REQUIRE(out.good(), file_io,
                      "cannot write \"" << path << "\": " << std::strerror(errno) << " (is the directory there and writable?)");
    out << text;
    out.flush();
    if (!out.good()) {
      std::remove(tmp.c_str());
      KONO_THROW(file_io, "writing \"" << path << "\" failed: " << std::strerror(errno));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int const err = errno;
    std::remove(tmp.c_str());
    KONO_THROW(file_io, "cannot move the new file into place at \"" << path << "\": " << std::strerror(err));
  }
}
}  // namespace kono
