// The incremental indexer: walk, compare with what the store remembers, extract what changed,
// remove what is gone.
#include "knowledge/indexer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <system_error>
#include <utility>

#include "knowledge/audit_log.hpp"
#include "knowledge/text_extract.hpp"

namespace mcpp::knowledge {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kBatch = 256;  // documents per transaction

bool hidden(const fs::path& p) {
  std::string name = p.filename().string();
  return name.size() > 1 && name[0] == '.' && name != "..";
}

std::string percent_encode_path(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : path) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string iso_time_of(std::int64_t ns) {
  auto tp = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(ns)));
  std::time_t secs = std::chrono::system_clock::to_time_t(tp);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// A file found under a root.
struct Candidate {
  fs::path path;      // absolute, lexically normal
  fs::path relative;  // to its root's folder (the file name for a file root)
  fs::path folder;    // the root folder it was found in; empty for a file root
};

// A descriptor closed when it goes.
struct OwnedFd {
  int fd = -1;
  explicit OwnedFd(int f) : fd(f) {}
  ~OwnedFd() {
    if (fd >= 0) ::close(fd);
  }
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  int release() { return std::exchange(fd, -1); }
};

std::string open_failure(const std::string& what, int error) {
  if (error == ELOOP || error == ENOTDIR) {
    return what + " is a symbolic link or not what the walk found (not followed)";
  }
  return "cannot read: " + std::string(std::strerror(error));
}

void walk(const fs::path& root, const IndexOptions& options, std::vector<Candidate>& out,
          std::vector<IndexNote>& notes) {
  std::error_code ec;
  auto status = fs::status(root, ec);
  if (ec || !fs::exists(status)) {
    notes.push_back({root, "does not exist"});
    return;
  }
  if (fs::is_regular_file(status)) {
    out.push_back({root, root.filename(), {}});
    return;
  }
  if (!fs::is_directory(status)) {
    notes.push_back({root, "not a regular file or folder"});
    return;
  }
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  if (ec) {
    notes.push_back({root, "cannot list: " + ec.message()});
    return;
  }
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) {
      notes.push_back({it->path(), "cannot list: " + ec.message()});
      ec.clear();
      break;
    }
    const fs::path& p = it->path();
    if (!options.include_hidden && hidden(p)) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    std::error_code fec;
    if (it->is_symlink(fec)) continue;  // links could loop or leave the root
    if (it->is_regular_file(fec)) out.push_back({p, p.lexically_relative(root), root});
  }
}

bool under(const std::string& path, const std::string& root) {
  if (path == root) return true;
  if (!path.starts_with(root)) return false;
  return root.ends_with('/') || path[root.size()] == '/';
}

}  // namespace

IndexedFile::IndexedFile(int fd) : fd_(fd) {
  struct stat st {};
  if (fd_ >= 0 && ::fstat(fd_, &st) == 0) {
    size_ = static_cast<std::int64_t>(st.st_size);
    modified_ns_ = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 +
                   static_cast<std::int64_t>(st.st_mtim.tv_nsec);
  }
}

IndexedFile::~IndexedFile() {
  if (fd_ >= 0) ::close(fd_);
}

IndexedFile::IndexedFile(IndexedFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), size_(other.size_), modified_ns_(other.modified_ns_) {}

IndexedFile& IndexedFile::operator=(IndexedFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = other.size_;
    modified_ns_ = other.modified_ns_;
  }
  return *this;
}

std::optional<std::string> IndexedFile::read_all(std::uintmax_t max_bytes, std::string& why) {
  std::string out;
  char buf[64 * 1024];
  for (;;) {
    // Never more than max_bytes + 1: a file that grew past the limit is noticed, not read.
    std::uintmax_t room = max_bytes + 1 - std::min<std::uintmax_t>(out.size(), max_bytes + 1);
    if (room == 0) {
      why = "too large (more than " + std::to_string(max_bytes) + " bytes; it grew while read)";
      return std::nullopt;
    }
    ssize_t n =
        ::read(fd_, buf, static_cast<std::size_t>(std::min<std::uintmax_t>(room, sizeof buf)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      why = std::string("cannot read: ") + std::strerror(errno);
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  if (out.size() > max_bytes) {
    why = "too large (more than " + std::to_string(max_bytes) + " bytes; it grew while read)";
    return std::nullopt;
  }
  return out;
}

std::optional<IndexedFile> open_for_indexing(const fs::path& root, const fs::path& relative,
                                             std::string& why) {
  constexpr int kFileFlags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
  int fd = -1;
  if (relative.empty()) {
    fd = ::open(root.c_str(), kFileFlags);  // named by the operator: a link is theirs to give
    if (fd < 0) {
      int error = errno;
      why = open_failure("it", error);
      return std::nullopt;
    }
  } else {
    OwnedFd dir(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.fd < 0) {
      why = "cannot open its folder " + root.string() + ": " + std::strerror(errno);
      return std::nullopt;
    }
    std::vector<std::string> parts;
    for (const auto& part : relative) parts.push_back(part.string());
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const std::string& part = parts[i];
      if (part.empty() || part == "." || part == ".." || part == "/") {
        why = "its path leaves the folder (" + relative.string() + ")";
        return std::nullopt;
      }
      bool last = i + 1 == parts.size();
      int next = ::openat(
          dir.fd, part.c_str(),
          last ? kFileFlags | O_NOFOLLOW : O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (next < 0) {
        int error = errno;
        why = open_failure(last ? std::string("it") : "its folder " + part, error);
        return std::nullopt;
      }
      if (last) {
        fd = next;
      } else {
        OwnedFd opened(next);
        std::swap(dir.fd, opened.fd);
      }
    }
  }
  OwnedFd file(fd);
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) {
    why = std::string("cannot stat: ") + std::strerror(errno);
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    why = "not a regular file";
    return std::nullopt;
  }
  return IndexedFile(file.release());
}

std::string document_id_for_path(const fs::path& absolute) {
  return sha256_hex(absolute.string()).substr(0, 16);
}

IndexSummary index_paths(KnowledgeStore& store, const std::vector<fs::path>& roots,
                         const IndexOptions& options) {
  auto started = std::chrono::steady_clock::now();
  IndexSummary summary;
  std::vector<Candidate> candidates;
  std::vector<std::string> root_strings;
  for (const auto& r : roots) {
    std::error_code ec;
    fs::path abs = fs::absolute(r, ec).lexically_normal();
    if (ec) abs = r;
    std::string s = abs.string();
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    abs = s;
    root_strings.push_back(s);
    walk(abs, options, candidates, summary.notes);
  }

  // What the store knows of files under these roots.
  std::map<std::string, FileState> known;
  for (const auto& root : root_strings) {
    for (auto& f : store.files(root)) {
      if (under(f.path, root)) known.emplace(f.path, std::move(f));
    }
  }

  std::set<std::string> present;
  std::size_t in_batch = 0;
  std::optional<Transaction> tx;
  auto commit_if_full = [&](bool force) {
    if (tx && (force || in_batch >= kBatch)) {
      tx->commit();
      tx.reset();
      in_batch = 0;
    }
  };
  auto write = [&]() {
    if (!tx) tx.emplace(store.database());
    ++in_batch;
  };

  IndexProgress progress{0, candidates.size(), nullptr};
  for (const auto& c : candidates) {
    ++summary.seen;
    progress.current = &c.path;
    std::string path = c.path.string();
    auto note = [&](std::string reason) {
      ++summary.skipped;
      summary.notes.push_back({c.path, std::move(reason)});
    };
    std::string why;
    std::optional<IndexedFile> file = c.folder.empty()
                                          ? open_for_indexing(c.path, {}, why)
                                          : open_for_indexing(c.folder, c.relative, why);
    const std::uintmax_t size = file ? static_cast<std::uintmax_t>(file->size()) : 0;
    if (!file) {
      note(why);
    } else if (size > options.max_file_bytes) {
      note("too large (" + std::to_string(size) + " bytes; the limit is " +
           std::to_string(options.max_file_bytes) + ")");
    } else {
      auto k = known.find(path);
      const std::int64_t ns = file->modified_ns();
      if (k != known.end() && k->second.modified_ns == ns &&
          k->second.size == static_cast<std::int64_t>(size)) {
        ++summary.unchanged;
        present.insert(path);
      } else {
        std::optional<std::string> bytes = file->read_all(options.max_file_bytes, why);
        if (!bytes) {
          note(why);
        } else {
          std::string hash = sha256_hex(*bytes);
          if (k != known.end() && k->second.content_hash == hash) {
            write();
            store.touch(k->second.id, ns, static_cast<std::int64_t>(bytes->size()));
            ++summary.unchanged;
            present.insert(path);
          } else if (Extraction ex = extract_text(c.path, *bytes); !ex.document) {
            note(ex.skipped);
          } else {
            Document d;
            d.id = document_id_for_path(c.path);
            d.title = ex.document->title.empty() ? c.relative.string() : ex.document->title;
            d.text = std::move(ex.document->text);
            d.mime_type = std::move(ex.document->mime_type);
            d.url = options.url_prefix.empty()
                        ? "file://" + percent_encode_path(path)
                        : options.url_prefix + percent_encode_path(c.relative.string());
            d.path = path;
            d.modified_ns = ns;
            d.size = static_cast<std::int64_t>(bytes->size());
            d.content_hash = hash;
            d.metadata = {{"source", "file"},
                          {"path", c.relative.string()},
                          {"mime_type", d.mime_type},
                          {"size", d.size},
                          {"modified", iso_time_of(ns)}};
            write();
            store.put(d);
            ++(k == known.end() ? summary.added : summary.updated);
            present.insert(path);
          }
        }
      }
    }
    ++progress.done;
    if (options.on_progress) options.on_progress(progress);
    commit_if_full(false);
  }
  // Gone (or no longer indexable): remove.
  for (const auto& [path, state] : known) {
    if (present.count(path)) continue;
    write();
    if (store.remove(state.id)) ++summary.removed;
    commit_if_full(false);
  }
  commit_if_full(true);
  summary.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  return summary;
}

}  // namespace mcpp::knowledge
