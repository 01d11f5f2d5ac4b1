// What a reloading reader compares to notice that a file changed on disk:
// its modification time and size. Shared by the JWKS files and the service
// token, which are both rotated by writing a new file and renaming it.
//
//   std::optional<FileStamp> now = StampOf(path);
//   if (now && *now != seen) { reload(); seen = *now; }
#ifndef GNLC_COMMON_AUTH_FILE_STAMP_H_
#define GNLC_COMMON_AUTH_FILE_STAMP_H_

#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>

namespace gnlc::auth {

struct FileStamp {
  int64_t mtime_ns = -1;
  int64_t size = -1;
  bool operator==(const FileStamp&) const = default;
};

// nullopt when the file cannot be looked at.
inline std::optional<FileStamp> StampOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileStamp{static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
                   static_cast<int64_t>(st.st_size)};
}

}  // namespace gnlc::auth

#endif  // GNLC_COMMON_AUTH_FILE_STAMP_H_
