// `mcpp index`: walks files and folders into the knowledge store, incrementally (unchanged
// files are skipped by size and modification time, then by content hash; files that are gone
// are removed), and follows changes with inotify (--watch).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "knowledge/store.hpp"

namespace mcpp::knowledge {

struct IndexProgress {
  std::size_t done = 0;
  std::size_t total = 0;
  const std::filesystem::path* current = nullptr;
};

struct IndexOptions {
  // URLs of indexed files: url_prefix + the path relative to its root (percent-encoded), or a
  // file:// URL of the absolute path when empty.
  std::string url_prefix;
  std::uintmax_t max_file_bytes = 50 * 1024 * 1024;  // larger files are skipped with a note
  bool include_hidden = false;                       // files and folders whose name starts with '.'
  std::function<void(const IndexProgress&)> on_progress;
};

struct IndexNote {
  std::filesystem::path path;
  std::string reason;
};

struct IndexSummary {
  std::size_t seen = 0;  // files looked at
  std::size_t added = 0;
  std::size_t updated = 0;
  std::size_t unchanged = 0;
  std::size_t removed = 0;
  std::size_t skipped = 0;
  std::vector<IndexNote> notes;  // skipped files and why
  std::chrono::milliseconds elapsed{0};
};

// A file opened for indexing; its size and modification time are those of the open file.
class IndexedFile {
 public:
  IndexedFile() = default;
  explicit IndexedFile(int fd);
  ~IndexedFile();
  IndexedFile(IndexedFile&& other) noexcept;
  IndexedFile& operator=(IndexedFile&& other) noexcept;

  std::int64_t size() const { return size_; }
  std::int64_t modified_ns() const { return modified_ns_; }  // ns since the Unix epoch
  // Reads the file from the start; std::nullopt and a reason when it cannot, or when it holds
  // more than `max_bytes` (it may have grown since it was opened).
  std::optional<std::string> read_all(std::uintmax_t max_bytes, std::string& why);

 private:
  int fd_ = -1;
  std::int64_t size_ = 0;
  std::int64_t modified_ns_ = 0;
};

// Opens the regular file `relative` under the folder `root` without following a symbolic link
// anywhere below `root`: every folder on the way is opened relative to the one before it with
// O_NOFOLLOW, the file too, and then checked to be a regular file. So a file or folder swapped
// for a link between the walk and the read is not read through the link. An empty `relative`
// opens `root` itself (a file named on the command line, link or not). std::nullopt and a reason
// when it cannot.
std::optional<IndexedFile> open_for_indexing(const std::filesystem::path& root,
                                             const std::filesystem::path& relative,
                                             std::string& why);

// The id of the document made from the file at `absolute` (stable across runs).
std::string document_id_for_path(const std::filesystem::path& absolute);

// Indexes `roots` (files or folders, walked recursively). Roots that do not exist are noted
// (and what was indexed from them removed). Throws StoreError on a database failure.
IndexSummary index_paths(KnowledgeStore& store, const std::vector<std::filesystem::path>& roots,
                         const IndexOptions& options);

// Indexes, then re-indexes after every burst of changes under `roots` (inotify) until `stop`
// becomes true. Calls on_cycle after each pass. Throws std::system_error when inotify is
// unavailable.
void watch_paths(KnowledgeStore& store, const std::vector<std::filesystem::path>& roots,
                 const IndexOptions& options, const std::atomic<bool>& stop,
                 const std::function<void(const IndexSummary&)>& on_cycle);

}  // namespace mcpp::knowledge
