// `mcpp index`, `mcpp audit` and the knowledge side of `mcpp serve`: argument parsing, progress
// and summaries. The work is done by src/knowledge.
#include "knowledge_commands.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "knowledge/connector.hpp"
#include "knowledge/indexer.hpp"
#include "knowledge/text_extract.hpp"
#include "terminal_text.hpp"

namespace kn = mcpp::knowledge;

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) {
  g_stop = true;
}

// A one-line progress bar on a terminal's stderr, redrawn at most every 100 ms.
class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled) {}
  void update(const kn::IndexProgress& p) {
    if (!enabled_ || p.total == 0) return;
    auto now = std::chrono::steady_clock::now();
    if (p.done != p.total && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    constexpr int kWidth = 30;
    int filled = static_cast<int>(kWidth * p.done / p.total);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(kWidth, '.');
    std::string name =
        p.current ? mcpp::cli::terminal_safe(p.current->filename().string(), false) : std::string();
    if (name.size() > 30) name = name.substr(0, 27) + "...";
    std::fprintf(stderr, "\r\033[K[%s] %3d%% %zu/%zu %s", bar.c_str(),
                 static_cast<int>(100 * p.done / p.total), p.done, p.total, name.c_str());
    if (p.done == p.total) std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point last_{};
};

void print_summary(const kn::IndexSummary& s, kn::KnowledgeStore& store,
                   const std::string& store_path) {
  std::ostringstream line;
  line << "indexed " << s.seen << " file" << (s.seen == 1 ? "" : "s") << " in " << std::fixed
       << std::setprecision(2) << static_cast<double>(s.elapsed.count()) / 1000.0
       << " s: " << s.added << " added, " << s.updated << " updated, " << s.unchanged
       << " unchanged, " << s.removed << " removed, " << s.skipped << " skipped; " << store.count()
       << " documents in " << store_path;
  std::cout << line.str() << "\n";
  for (const auto& n : s.notes)
    std::cout << "  skipped " << mcpp::cli::terminal_safe(n.path.string(), false) << ": "
              << mcpp::cli::terminal_safe(n.reason, false) << "\n";
  std::cout << std::flush;
}

int run_index(const std::vector<std::string>& paths, const std::string& store_path,
              const std::string& url_prefix, bool watch, bool quiet, bool hidden, double max_mib) {
  std::unique_ptr<kn::KnowledgeStore> store;
  try {
    store = std::make_unique<kn::KnowledgeStore>(store_path);
  } catch (const std::exception& e) {
    std::cerr << "mcpp index: " << e.what() << "\n";
    return 1;
  }
  std::vector<std::filesystem::path> roots(paths.begin(), paths.end());
  ProgressBar bar(!quiet && isatty(STDERR_FILENO));
  kn::IndexOptions options;
  options.url_prefix = url_prefix;
  options.include_hidden = hidden;
  options.max_file_bytes = static_cast<std::uintmax_t>(max_mib * 1024 * 1024);
  options.on_progress = [&bar](const kn::IndexProgress& p) { bar.update(p); };
  bool missing = false;
  auto report = [&](const kn::IndexSummary& s) {
    missing = false;
    for (const auto& n : s.notes) {
      if (n.reason == "does not exist") missing = true;
    }
    if (!quiet || s.added + s.updated + s.removed > 0) print_summary(s, *store, store_path);
  };
  try {
    if (watch) {
      ::signal(SIGINT, on_stop_signal);
      ::signal(SIGTERM, on_stop_signal);
      std::cerr << "mcpp index: watching " << paths.size() << " path"
                << (paths.size() == 1 ? "" : "s") << " (Ctrl-C to stop)\n";
      kn::watch_paths(*store, roots, options, g_stop, report);
      return 0;
    }
    report(kn::index_paths(*store, roots, options));
  } catch (const std::exception& e) {
    std::cerr << "mcpp index: " << e.what() << "\n";
    return 1;
  }
  if (missing) {
    std::cerr << "mcpp index: some paths do not exist (what was indexed from them was removed)\n";
    return 1;
  }
  return 0;
}

// The audit key for `path` (or the store's default), read only.
std::string audit_key_for(const std::string& store_path, const std::string& key_file) {
  return kn::load_audit_key(
      key_file.empty() ? kn::default_audit_key_path(store_path) : std::filesystem::path(key_file),
      false);
}

// `mcpp audit verify` (print_head false) and `mcpp audit head` (print_head true).
int run_audit_verify(const std::string& store_path, const std::string& key_file,
                     const std::string& head_text, bool print_head) {
  const char* command = print_head ? "mcpp audit head" : "mcpp audit verify";
  try {
    std::optional<kn::AuditHead> expected;
    if (!head_text.empty()) {
      expected = kn::AuditHead::parse(head_text);
      if (!expected) {
        std::cerr << command << ": --head takes SEQ:HASH as `mcpp audit head` prints it\n";
        return 2;
      }
    }
    auto db = std::make_shared<kn::Database>(store_path, true);
    kn::AuditLog log(db, audit_key_for(store_path, key_file), true);
    kn::AuditVerification v = log.verify(expected);
    if (!v.intact) {
      std::cout << "audit log BROKEN"
                << (v.bad_seq ? " at row " + std::to_string(v.bad_seq) : std::string()) << ": "
                << v.problem << "\n"
                << "(" << v.rows << " rows before it check out)\n";
      return 1;
    }
    if (print_head) {
      std::cout << v.head.text() << "\n";
      return 0;
    }
    if (v.rows == 0) {
      std::cout << "audit log intact: empty (no tool call recorded yet)\n";
    } else {
      std::cout << "audit log intact: " << v.rows << " row" << (v.rows == 1 ? "" : "s") << " from "
                << v.first_at << " to " << v.last_at << "; head " << v.head.text()
                << (expected ? " (reaches the recorded head " + expected->text() + ")" : "")
                << "\n";
    }
    if (v.unkeyed_rows > 0) {
      std::cout << "note: the first " << v.unkeyed_rows << " row"
                << (v.unkeyed_rows == 1 ? " was" : "s were")
                << " written before the keyed chain (plain SHA-256): anyone who can write the "
                   "store could have rewritten "
                << (v.unkeyed_rows == 1 ? "it" : "them")
                << " undetected; only a head recorded elsewhere vouches for them\n";
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << command << ": " << e.what() << "\n";
    return 2;
  }
}

int run_audit_list(const std::string& store_path, std::size_t limit, bool as_json) {
  try {
    auto db = std::make_shared<kn::Database>(store_path, true);
    kn::AuditLog log(db, std::string(), true);  // listing needs no key
    auto rows = log.tail(limit);
    if (rows.empty() && !as_json) {
      std::cout << "(no tool call recorded)\n";
      return 0;
    }
    if (as_json) {
      mcpp::json::array out;
      for (const auto& e : rows) {
        out.push_back(mcpp::json::object{{"seq", e.seq},
                                         {"at", e.at},
                                         {"subject", e.subject},
                                         {"client_id", e.client_id},
                                         {"tool", e.tool},
                                         {"arguments_sha256", e.arguments_sha256},
                                         {"outcome", e.outcome},
                                         {"detail", e.detail},
                                         {"duration_us", e.duration_us},
                                         {"hash", e.hash}});
      }
      std::cout << mcpp::json::serialize(out) << "\n";
      return 0;
    }
    for (const auto& e : rows) {
      using mcpp::cli::terminal_safe;
      std::cout << std::setw(6) << e.seq << "  " << terminal_safe(e.at, false) << "  " << std::left
                << std::setw(20) << terminal_safe(e.subject, false) << " " << std::setw(16)
                << terminal_safe(e.tool, false) << " " << std::setw(12)
                << terminal_safe(e.outcome, false) << std::right << std::setw(8)
                << e.duration_us / 1000.0 << " ms  "
                << terminal_safe(e.arguments_sha256.substr(0, 12), false)
                << (e.detail.empty() ? "" : "  " + terminal_safe(e.detail, false)) << "\n";
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "mcpp audit list: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace

void add_knowledge_serve_options(CLI::App& serve, KnowledgeServeOptions& o) {
  serve
      .add_option("--store", o.store,
                  "The knowledge store served without --fixture (see mcpp index)")
      ->capture_default_str();
  serve
      .add_option("--rate-limit", o.rate_limit,
                  "Requests (HTTP) or tool calls (stdio) per minute and client; 0: unlimited")
      ->check(CLI::Range(0.0, 1e9))
      ->capture_default_str();
  serve.add_option("--rate-burst", o.rate_burst, "Requests a client may send at once")
      ->check(CLI::Range(1.0, 1e9))
      ->capture_default_str();
  serve.add_option("--write-scope", o.write_scopes,
                   "With --auth: a scope the write tools need (repeatable; default: any token)");
  serve.add_option("--audit-key-file", o.audit_key_file,
                   "The audit log's secret key (made on first start, mode 0600; default: the "
                   "store's path + .audit-key)");
}

void add_knowledge_commands(CLI::App& app) {
  auto* index = app.add_subcommand(
      "index", "Ingest files into the knowledge store (Markdown, text, HTML, source code, PDF)");
  struct IndexArgs {
    std::vector<std::string> paths;
    std::string store = "mcpp.sqlite";
    std::string url_prefix;
    bool watch = false, quiet = false, hidden = false;
    double max_mib = 50;
  };
  auto ia = std::make_shared<IndexArgs>();
  index->add_option("paths", ia->paths, "Files and folders (folders are walked recursively)")
      ->required();
  index->add_option("--store", ia->store, "The SQLite store")->capture_default_str();
  index->add_option("--url-prefix", ia->url_prefix,
                    "Document URLs: this prefix + the path under its folder (default: file://)");
  index->add_flag("--watch", ia->watch, "Keep running and re-index on changes (inotify)");
  index->add_flag("-q,--quiet", ia->quiet,
                  "No progress bar; summaries only when something changed");
  index->add_flag("--hidden", ia->hidden, "Include files and folders whose name starts with '.'");
  index->add_option("--max-size", ia->max_mib, "Skip files larger than this many MiB")
      ->check(CLI::Range(0.001, 4096.0))
      ->capture_default_str();
  index->callback([ia] {
    throw CLI::RuntimeError(run_index(ia->paths, ia->store, ia->url_prefix, ia->watch, ia->quiet,
                                      ia->hidden, ia->max_mib));
  });

  auto* audit = app.add_subcommand("audit", "The audit log of tool calls in the store");
  audit->require_subcommand(1);
  auto store = std::make_shared<std::string>("mcpp.sqlite");
  auto key_file = std::make_shared<std::string>();
  auto head = std::make_shared<std::string>();
  auto* verify = audit->add_subcommand(
      "verify",
      "Check the keyed hash chain (and that it reaches --head): exit 0 when intact, 1 and the "
      "first bad row when not");
  verify->add_option("--store", *store, "The SQLite store")->capture_default_str();
  verify->add_option("--audit-key-file", *key_file,
                     "The audit key (default: the store's path + .audit-key)");
  verify->add_option("--head", *head,
                     "SEQ:HASH recorded earlier by `mcpp audit head`: the log must still reach it");
  verify->callback([store, key_file, head] {
    throw CLI::RuntimeError(run_audit_verify(*store, *key_file, *head, false));
  });
  auto* head_command = audit->add_subcommand(
      "head", "Verify the chain, then print its head as SEQ:HASH, to record outside the store");
  head_command->add_option("--store", *store, "The SQLite store")->capture_default_str();
  head_command->add_option("--audit-key-file", *key_file,
                           "The audit key (default: the store's path + .audit-key)");
  head_command->callback([store, key_file] {
    throw CLI::RuntimeError(run_audit_verify(*store, *key_file, {}, true));
  });
  auto* list = audit->add_subcommand("list", "The latest rows of the audit log");
  auto limit = std::make_shared<std::size_t>(20);
  auto as_json = std::make_shared<bool>(false);
  list->add_option("--store", *store, "The SQLite store")->capture_default_str();
  list->add_option("-n,--limit", *limit, "How many rows")->capture_default_str();
  list->add_flag("--json", *as_json, "Print JSON");
  list->callback([store, limit, as_json] {
    throw CLI::RuntimeError(run_audit_list(*store, *limit, *as_json));
  });
}

void prepare_knowledge_auth(const KnowledgeServeOptions& o, ServeAuthOptions& auth) {
  if (o.write_scopes.empty()) return;
  if (auth.scopes.empty()) auth.scopes.push_back("mcp");  // the default the AS would offer
  for (const auto& s : o.write_scopes) {
    if (std::find(auth.scopes.begin(), auth.scopes.end(), s) == auth.scopes.end()) {
      auth.scopes.push_back(s);
    }
  }
}

KnowledgeServe setup_knowledge_server(mcpp::Server& server, const KnowledgeServeOptions& o,
                                      const ServeAuthOptions& auth, bool stdio) {
  KnowledgeServe k;
  k.store = std::make_shared<kn::KnowledgeStore>(o.store);
  std::filesystem::path key_path = o.audit_key_file.empty()
                                       ? kn::default_audit_key_path(o.store)
                                       : std::filesystem::path(o.audit_key_file);
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::symlink_status(key_path, ec)) &&
      kn::AuditLog::written_with_a_key(k.store->database())) {
    throw std::runtime_error("the audit key file " + key_path.string() +
                             " is missing, but the audit log of " + o.store +
                             " was written with a key: restore that file, or name where it is "
                             "with --audit-key-file");
  }
  k.audit = std::make_shared<kn::AuditLog>(k.store->shared_database(),
                                           kn::load_audit_key(key_path, true));
  if (o.rate_limit > 0) k.limiter = std::make_shared<kn::RateLimiter>(o.rate_limit, o.rate_burst);
  kn::ConnectorOptions c;
  c.caller_without_token = stdio ? "stdio" : "anonymous";
  c.auth_enabled = !stdio && auth.mode != "none";
  c.write_scopes = o.write_scopes;
  c.public_reads = c.auth_enabled && auth.anonymous;
  if (stdio) c.call_limiter = k.limiter;
  kn::add_knowledge_connector(server, k.store, k.audit, c);
  std::int64_t n = k.store->count();
  std::cerr << "mcpp: store " << o.store << " (" << n << " document" << (n == 1 ? "" : "s")
            << (n == 0 ? "; add some with `mcpp index PATH`" : "") << ")\n";
  return k;
}

void install_rate_limit(const KnowledgeServe& k, mcpp::HttpOptions& http) {
  if (!k.limiter) return;
  http.authorizer = std::make_shared<kn::RateLimitingAuthorizer>(http.authorizer, k.limiter);
}
