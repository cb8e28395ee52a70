#pragma once
/// Small text outputs (learning curves, metrics JSON) written atomically: a temporary file in
/// the same directory, then rename, so a crash never leaves a half-written file.
#include <string>

namespace kono {
/// Writes `text` to `path` atomically. Not collective (call it on one rank). Throws
/// Error{file_io} naming the path when the directory is missing or not writable.
void write_text_file_atomic(std::string const& path, std::string const& text);
}  // namespace kono
