// `mcpp index`, `mcpp audit` and the knowledge side of `mcpp serve`: argument parsing, progress
// and summaries. The work is done by src/knowledge.
#include "knowledge_commands.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "knowledge/connector.hpp"
#include "knowledge/indexer.hpp"
#include "knowledge/text_extract.hpp"

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
    std::string name = p.current ? p.current->filename().string() : std::string();
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
    std::cout << "  skipped " << n.path.string() << ": " << n.reason << "\n";
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

int run_audit_verify(const std::string& store_path) {
  try {
    auto db = std::make_shared<kn::Database>(store_path, true);
    kn::AuditLog log(db, true);
    kn::AuditVerification v = log.verify();
    if (!v.intact) {
      std::cout << "audit log BROKEN at row " << v.bad_seq << ": " << v.problem << "\n"
                << "(" << v.rows << " rows before it check out)\n";
      return 1;
    }
    if (v.rows == 0) {
      std::cout << "audit log intact: empty (no tool call recorded yet)\n";
    } else {
      std::cout << "audit log intact: " << v.rows << " row" << (v.rows == 1 ? "" : "s") << " from "
                << v.first_at << " to " << v.last_at << "; head " << v.head << "\n";
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "mcpp audit verify: " << e.what() << "\n";
    return 2;
  }
}

int run_audit_list(const std::string& store_path, std::size_t limit, bool as_json) {
  try {
    auto db = std::make_shared<kn::Database>(store_path, true);
    kn::AuditLog log(db, true);
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
      std::cout << std::setw(6) << e.seq << "  " << e.at << "  " << std::left << std::setw(20)
                << e.subject << " " << std::setw(16) << e.tool << " " << std::setw(12) << e.outcome
                << std::right << std::setw(8) << e.duration_us / 1000.0 << " ms  "
                << e.arguments_sha256.substr(0, 12) << (e.detail.empty() ? "" : "  " + e.detail)
                << "\n";
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
  auto* verify = audit->add_subcommand(
      "verify", "Check the hash chain: exit 0 when intact, 1 and the first bad row when not");
  verify->add_option("--store", *store, "The SQLite store")->capture_default_str();
  verify->callback([store] { throw CLI::RuntimeError(run_audit_verify(*store)); });
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
  k.audit = std::make_shared<kn::AuditLog>(k.store->shared_database());
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
