#include <kono/core/error.hpp>

namespace kono {

char const* to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::size_mismatch: return "size_mismatch";
    case ErrorCode::file_io: return "file_io";
    case ErrorCode::corrupt_file: return "corrupt_file";
    case ErrorCode::non_finite: return "non_finite";
    case ErrorCode::wrong_state: return "wrong_state";
    case ErrorCode::unsupported: return "unsupported";
    case ErrorCode::mpi: return "mpi";
    case ErrorCode::internal: return "internal";
  }
  return "unknown";
}

Error::Error(ErrorCode code, std::string const& message) : std::runtime_error(message), m_code(code) {}

namespace Impl {
void throw_error(ErrorCode code, char const* file, int line, std::string const& message) {
  if (code == ErrorCode::internal) {
    // Users cannot act on an internal error; the location is what a bug report needs.
    std::ostringstream os;
    os << message << " [kono internal error at " << file << ":" << line
       << "; please report it with the command line that triggered it]";
    throw Error(code, os.str());
  }
  throw Error(code, message);
}
}  // namespace Impl
}  // namespace kono
