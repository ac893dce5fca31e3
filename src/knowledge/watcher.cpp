// `mcpp index --watch`: inotify on every folder under the roots (and on the folder of a file
// root); a burst of events is followed, once quiet for a moment, by an incremental pass.
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <system_error>

#include "knowledge/indexer.hpp"

namespace mcpp::knowledge {

namespace fs = std::filesystem;

namespace {

constexpr std::uint32_t kEvents = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE |
                                  IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF |
                                  IN_ATTRIB;
constexpr int kQuietMs = 300;  // events this close together make one pass
constexpr int kPollMs = 200;   // how often `stop` is looked at

class Inotify {
 public:
  Inotify() : fd_(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "inotify_init1");
  }
  ~Inotify() { ::close(fd_); }
  Inotify(const Inotify&) = delete;
  Inotify& operator=(const Inotify&) = delete;

  // Watches `dir` (a folder); 0, or the errno when it cannot (gone, no permission, ENOSPC:
  // out of watches, see /proc/sys/fs/inotify/max_user_watches).
  int add(const fs::path& dir) {
    if (watched_.count(dir.string())) return 0;
    int wd = inotify_add_watch(fd_, dir.c_str(), kEvents);
    if (wd < 0) return errno;
    watched_.insert(dir.string());
    return 0;
  }
  // Forgets folders, so that the next add() of each checks again (they may be new).
  void clear_known() { watched_.clear(); }

  // Waits up to `ms` for events; true when some arrived (all are read and dropped).
  bool wait(int ms) {
    pollfd p{fd_, POLLIN, 0};
    int n = ::poll(&p, 1, ms);
    if (n <= 0) return false;
    alignas(inotify_event) char buf[16 * 1024];
    bool any = false;
    for (;;) {
      ssize_t r = ::read(fd_, buf, sizeof buf);
      if (r <= 0) break;
      any = true;
    }
    return any;
  }

 private:
  int fd_;
  std::set<std::string> watched_;
};

// Watches every folder under `roots`; notes the folders that could not be watched.
std::vector<IndexNote> watch_tree(Inotify& in, const std::vector<fs::path>& roots,
                                  bool include_hidden) {
  std::vector<IndexNote> notes;
  auto add = [&](const fs::path& dir) {
    if (int err = in.add(dir)) {
      notes.push_back({dir, std::string("cannot watch for changes: ") + std::strerror(err)});
    }
  };
  in.clear_known();
  for (const auto& r : roots) {
    std::error_code ec;
    fs::path abs = fs::absolute(r, ec).lexically_normal();
    if (fs::is_directory(abs, ec)) {
      add(abs);
      fs::recursive_directory_iterator it(abs, fs::directory_options::skip_permission_denied, ec);
      for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        std::string name = it->path().filename().string();
        bool is_hidden = name.size() > 1 && name[0] == '.';
        std::error_code dec;
        if (!it->is_directory(dec) || it->is_symlink(dec)) continue;
        if (is_hidden && !include_hidden) {
          it.disable_recursion_pending();
          continue;
        }
        add(it->path());
      }
    } else {
      // A file root (or a root that does not exist yet): watch the folder it is in.
      fs::path parent = abs.parent_path();
      if (fs::is_directory(parent, ec)) add(parent);
    }
  }
  return notes;
}

}  // namespace

void watch_paths(KnowledgeStore& store, const std::vector<fs::path>& roots,
                 const IndexOptions& options, const std::atomic<bool>& stop,
                 const std::function<void(const IndexSummary&)>& on_cycle) {
  Inotify in;
  auto pass = [&] {
    std::vector<IndexNote> unwatched = watch_tree(in, roots, options.include_hidden);
    IndexSummary s = index_paths(store, roots, options);
    s.notes.insert(s.notes.end(), unwatched.begin(), unwatched.end());
    on_cycle(s);
  };
  pass();
  while (!stop.load()) {
    if (!in.wait(kPollMs)) continue;
    // Let a burst (an editor's save, a git checkout) settle first.
    while (!stop.load() && in.wait(kQuietMs)) {
    }
    if (stop.load()) break;
    pass();  // folders may have been created: watched again first
  }
}

}  // namespace mcpp::knowledge
