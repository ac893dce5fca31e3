// The client side of stdio: spawns the server (posix_spawn, its own process group), writes
// newline-delimited JSON-RPC to its stdin, reads its stdout and stderr, and stops it in stages.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <deque>

#include "client/transport.hpp"
#include "jsonrpc/message.hpp"

extern char** environ;

namespace mcpp {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::size_t kMaxLineBytes = 64 * 1024 * 1024;
constexpr std::size_t kStderrTailLines = 20;

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = ::strsignal(WTERMSIG(status));
    return "was killed by signal " + std::to_string(WTERMSIG(status)) +
           (name ? std::string(" (") + name + ")" : std::string());
  }
  return "ended";
}

struct Pipe {
  int read = -1;
  int write = -1;
  bool open() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return false;
    read = fds[0];
    write = fds[1];
    return true;
  }
  // The server's stdin is a connected socket pair rather than a pipe: writing to a pipe whose
  // reader has gone raises SIGPIPE, which kills the process unless the application changed that;
  // Asio sends on sockets with MSG_NOSIGNAL, so a server that went away is an EPIPE error, and
  // the process's signal dispositions stay the application's business.
  bool open_socket_pair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return false;
    read = fds[0];
    write = fds[1];
    return true;
  }
  void close_both() {
    if (read >= 0) ::close(read);
    if (write >= 0) ::close(write);
    read = write = -1;
  }
};

class StdioCore : public std::enable_shared_from_this<StdioCore> {
 public:
  StdioCore(asio::any_io_executor ex, StdioTarget target)
      : ex_(ex), target_(std::move(target)), in_(ex), out_(ex), err_(ex) {}
  ~StdioCore() { kill_now(); }

  void start(ClientTransport::Callbacks cb) {
    cb_ = std::move(cb);
    spawn();
    asio::co_spawn(ex_, read_stdout(shared_from_this()), asio::detached);
    asio::co_spawn(ex_, read_stderr(shared_from_this()), asio::detached);
  }

  Task<void> send(json::value message) {
    if (closed_ || broken_) {
      throw TransportError(
          TransportError::Kind::kClosed,
          closed_ && !broken_ ? "the connection is closed" : "the server process " + what_ended());
    }
    std::string line = json::serialize(message);
    line += '\n';
    queue_.push_back(std::move(line));
    if (writing_) co_return;  // the coroutine writing now writes this too
    writing_ = true;
    auto self = shared_from_this();
    while (!queue_.empty()) {
      error_code ec;
      co_await asio::async_write(in_, asio::buffer(queue_.front()),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        queue_.clear();
        writing_ = false;
        broken_ = true;
        // Most often the server has exited: say how, with what it said on stderr.
        std::string why = co_await ended_message();
        throw TransportError(TransportError::Kind::kClosed, "cannot write to the server process (" +
                                                                ec.message() + "): it " + why);
      }
      queue_.pop_front();
    }
    writing_ = false;
  }

  Task<void> close() {
    if (closed_) co_return;
    closed_ = true;
    auto self = shared_from_this();
    error_code ec;
    in_.close(ec);  // the server sees the end of its input
    if (pid_ > 0 && !reaped_) {
      if (!co_await wait_exit(target_.shutdown_grace)) {
        signal_group(SIGTERM);
        if (!co_await wait_exit(target_.shutdown_grace)) {
          signal_group(SIGKILL);
          co_await wait_exit(std::chrono::milliseconds(5000));
        }
      }
    }
    out_.close(ec);
    err_.close(ec);
  }

  void kill_now() noexcept {
    closed_ = true;
    error_code ec;
    in_.close(ec);
    out_.close(ec);
    err_.close(ec);
    if (pid_ > 0 && !reaped_) {
      signal_group(SIGKILL);
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      reaped_ = true;
    }
  }

 private:
  void spawn() {
    Pipe in, out, err;
    if (!in.open_socket_pair() || !out.open() || !err.open()) {
      int e = errno;
      in.close_both();
      out.close_both();
      err.close_both();
      throw TransportError(TransportError::Kind::kUnreachable,
                           std::string("cannot create pipes: ") + std::strerror(e));
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    ::posix_spawn_file_actions_init(&fa);
    ::posix_spawnattr_init(&attr);
    ::posix_spawn_file_actions_adddup2(&fa, in.read, 0);
    ::posix_spawn_file_actions_adddup2(&fa, out.write, 1);
    ::posix_spawn_file_actions_adddup2(&fa, err.write, 2);
    if (!target_.cwd.empty()) ::posix_spawn_file_actions_addchdir_np(&fa, target_.cwd.c_str());
    // Its own process group: a terminal's Ctrl-C reaches us only, and stopping the server also
    // stops what it started (npx, shells). Signals start at their defaults, unblocked.
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) sigaddset(&defaults, s);
    ::posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    ::posix_spawnattr_setpgroup(&attr, 0);
    ::posix_spawnattr_setsigmask(&attr, &none);
    ::posix_spawnattr_setsigdefault(&attr, &defaults);

    std::vector<std::string> argv_s;
    argv_s.push_back(target_.command);
    for (const auto& a : target_.args) argv_s.push_back(a);
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);

    std::vector<std::string> env_s;
    if (target_.inherit_env) {
      for (char** e = environ; e && *e; ++e) {
        std::string_view kv(*e);
        std::string key(kv.substr(0, kv.find('=')));
        if (!target_.env.count(key)) env_s.emplace_back(kv);
      }
    }
    for (const auto& [k, v] : target_.env) env_s.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);

    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, target_.command.c_str(), &fa, &attr, argv.data(), envp.data());
    ::posix_spawn_file_actions_destroy(&fa);
    ::posix_spawnattr_destroy(&attr);
    ::close(in.read);
    ::close(out.write);
    ::close(err.write);
    if (rc != 0) {
      ::close(in.write);
      ::close(out.read);
      ::close(err.read);
      std::string where = target_.cwd.empty() ? "" : " in " + target_.cwd;
      throw TransportError(
          TransportError::Kind::kUnreachable,
          "cannot start `" + target_.command + "`" + where + ": " + std::strerror(rc));
    }
    pid_ = pid;
    in_.assign(asio::local::stream_protocol(), in.write);
    out_.assign(out.read);
    err_.assign(err.read);
  }

  static Task<void> read_stdout(std::shared_ptr<StdioCore> self) {
    std::array<char, 64 * 1024> buf;
    std::string pending;
    bool skipping = false;  // inside a line over the limit
    for (;;) {
      error_code ec;
      std::size_t n = co_await self->out_.async_read_some(
          asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      std::string_view chunk(buf.data(), n);
      while (!chunk.empty()) {
        auto nl = chunk.find('\n');
        if (!skipping) pending.append(chunk.substr(0, nl));
        if (pending.size() > kMaxLineBytes) {
          pending.clear();
          skipping = true;
          self->note_stderr("[mcpp] skipped a line of the server's output longer than " +
                            std::to_string(kMaxLineBytes) + " bytes");
        }
        if (nl == std::string_view::npos) break;
        if (!skipping) self->on_line(pending);
        pending.clear();
        skipping = false;
        chunk.remove_prefix(nl + 1);
      }
    }
    if (!pending.empty() && !skipping) self->on_line(pending);
    co_await self->on_stdout_end();
  }

  static Task<void> read_stderr(std::shared_ptr<StdioCore> self) {
    std::array<char, 16 * 1024> buf;
    std::string pending;
    for (;;) {
      error_code ec;
      std::size_t n = co_await self->err_.async_read_some(
          asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      pending.append(buf.data(), n);
      std::size_t nl;
      while ((nl = pending.find('\n')) != std::string::npos) {
        std::string line = pending.substr(0, nl);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        pending.erase(0, nl + 1);
        self->note_stderr(std::move(line));
      }
      if (pending.size() > 64 * 1024) {
        self->note_stderr(std::move(pending));
        pending.clear();
      }
    }
    if (!pending.empty()) self->note_stderr(std::move(pending));
    self->stderr_done_ = true;
  }

  void on_line(std::string& line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) return;
    auto parsed = jsonrpc::parse(line);
    if (std::holds_alternative<jsonrpc::Error>(parsed)) {
      note_stderr("[mcpp] ignored a line of the server's stdout that is not JSON: " +
                  line.substr(0, 200));
      return;
    }
    if (cb_.on_message) cb_.on_message(std::move(std::get<json::value>(parsed)), nullptr);
  }

  void note_stderr(std::string line) {
    if (target_.on_stderr) {
      target_.on_stderr(line);
      return;
    }
    tail_.push_back(std::move(line));
    if (tail_.size() > kStderrTailLines) tail_.pop_front();
  }

  std::string stderr_suffix() const {
    if (tail_.empty()) return {};
    std::string out = "; its stderr ended with:";
    for (const auto& l : tail_) out += "\n  " + l;
    return out;
  }

  std::string what_ended() const {
    if (reaped_) return describe_status(status_) + stderr_suffix();
    return "closed its output" + stderr_suffix();
  }

  Task<void> on_stdout_end() {
    broken_ = true;
    if (closed_) co_return;
    std::string why = co_await ended_message();
    if (closed_) co_return;
    closed_ = true;
    if (cb_.on_closed) {
      cb_.on_closed(TransportError(TransportError::Kind::kClosed, "the server process " + why));
    }
  }

  // How the process ended and the end of its stderr, once both are known (or after a while).
  Task<std::string> ended_message() {
    co_await wait_exit(std::chrono::milliseconds(1000));
    asio::steady_timer timer(ex_);
    for (int i = 0; i < 50 && !stderr_done_; ++i) {
      timer.expires_after(std::chrono::milliseconds(10));
      error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return what_ended();
  }

  // Polls for the child's exit for at most `limit`; true once it has been reaped.
  Task<bool> wait_exit(std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    asio::steady_timer timer(ex_);
    for (;;) {
      if (reaped_ || pid_ <= 0) co_return true;
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || (r < 0 && errno == ECHILD)) {
        reaped_ = true;
        status_ = r == pid_ ? status : 0;
        co_return true;
      }
      if (std::chrono::steady_clock::now() >= deadline) co_return false;
      timer.expires_after(std::chrono::milliseconds(20));
      error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  void signal_group(int sig) noexcept {
    if (pid_ <= 0 || reaped_) return;
    if (::kill(-pid_, sig) != 0) ::kill(pid_, sig);
  }

  asio::any_io_executor ex_;
  StdioTarget target_;
  ClientTransport::Callbacks cb_;
  asio::local::stream_protocol::socket in_;  // the server's stdin (a socket pair, see Pipe)
  asio::posix::stream_descriptor out_;
  asio::posix::stream_descriptor err_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  bool closed_ = false;
  bool broken_ = false;
  bool writing_ = false;
  bool stderr_done_ = false;
  std::deque<std::string> queue_;
  std::deque<std::string> tail_;
};

class StdioTransport final : public ClientTransport {
 public:
  StdioTransport(asio::any_io_executor ex, StdioTarget target)
      : core_(std::make_shared<StdioCore>(std::move(ex), std::move(target))) {}
  ~StdioTransport() override { core_->kill_now(); }

  std::string_view name() const override { return "stdio"; }
  bool supports_stateless() const override { return true; }
  Task<void> start(Callbacks callbacks) override {
    core_->start(std::move(callbacks));
    co_return;
  }
  Task<void> send(json::value message) override { return core_->send(std::move(message)); }
  Task<void> close() override { return core_->close(); }
  void abort() noexcept override { core_->kill_now(); }

 private:
  std::shared_ptr<StdioCore> core_;
};

}  // namespace

std::unique_ptr<ClientTransport> make_stdio_transport(asio::any_io_executor ex,
                                                      StdioTarget target) {
  if (target.command.empty()) {
    throw TransportError(TransportError::Kind::kUnreachable, "no command to run");
  }
  return std::make_unique<StdioTransport>(std::move(ex), std::move(target));
}

}  // namespace mcpp
