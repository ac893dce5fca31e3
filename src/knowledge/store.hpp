// The knowledge store: documents and their full-text index (SQLite FTS5, bm25 ranking, the
// Porter stemmer over unicode61) in one file, shared with the audit log.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "knowledge/database.hpp"
#include "mcpp/json.hpp"

namespace mcpp::knowledge {

struct Document {
  std::string id;
  std::string title;
  std::string text;
  std::string url;
  std::string mime_type = "text/plain";
  json::object metadata;            // free-form, shown by `fetch`
  std::optional<std::string> path;  // the indexed file; none for documents added by a tool
  std::int64_t modified_ns = 0;     // the file's modification time (ns since the epoch)
  std::int64_t size = 0;            // the file's size in bytes
  std::string content_hash;         // SHA-256 of the file's bytes (or of the text)
  std::int64_t indexed_at = 0;      // Unix seconds
};

struct SearchHit {
  std::string id;
  std::string title;
  std::string url;
  std::string snippet;  // the best fragment, matched terms between ** **
  double score = 0;     // bm25: lower is better
};

// What `mcpp index` remembers of an indexed file, to skip it when unchanged.
struct FileState {
  std::string id;
  std::string path;
  std::int64_t modified_ns = 0;
  std::int64_t size = 0;
  std::string content_hash;
};

// A query that cannot be searched (empty, nothing but punctuation, too long, too broad).
class QueryError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Bounds on the work of one query (each refused with a QueryError saying "query too broad"):
// prefix searches need this many letters (the FTS5 prefix index has 3- and 4-letter prefixes;
// a shorter one merges the documents of every word that starts with it), ...
inline constexpr std::size_t kMinPrefixLength = 3;
// ... at most this many prefix searches, and this many words or phrases, per query.
inline constexpr std::size_t kMaxPrefixTerms = 4;
inline constexpr std::size_t kMaxQueryTerms = 32;
// The time a search may take by default (see KnowledgeStore::set_query_budget).
inline constexpr std::chrono::milliseconds kDefaultQueryBudget{500};

// Turns what a person or a model typed into an FTS5 query: words (letters and digits) quoted,
// "phrases in quotes" kept, a trailing * kept as a prefix search, common English words dropped
// when others remain; `any` joins terms with OR instead of AND. Throws QueryError.
std::string fts_query(std::string_view query, bool any = false);

// Matches ranked per query by default (see KnowledgeStore::set_rank_window).
inline constexpr std::size_t kDefaultRankWindow = 1000;

class KnowledgeStore {
 public:
  // Opens or creates the store at `path`. Throws StoreError.
  explicit KnowledgeStore(const std::string& path, bool read_only = false);

  // Inserts or replaces the document with this id.
  void put(const Document& doc);
  // Removes a document; false when there was none.
  bool remove(std::string_view id);
  std::optional<Document> get(std::string_view id);
  bool exists(std::string_view id);
  // The best `limit` matches, best first: documents with all the words, or, when there is none,
  // with any of them.
  // Throws QueryError for an empty or unusable query.
  std::vector<SearchHit> search(std::string_view query, std::size_t limit = 10);
  std::int64_t count();
  // Indexed files whose path starts with `prefix` ("" for all).
  std::vector<FileState> files(std::string_view prefix = {});
  // Records a new modification time and size for an unchanged file.
  void touch(std::string_view id, std::int64_t modified_ns, std::int64_t size);
  // Ids starting with `prefix` (completion of mcpp://doc/{id}), at most `limit`.
  std::vector<std::string> ids_with_prefix(std::string_view prefix, std::size_t limit);

  // How many of a query's matches are ranked by bm25 at most: beyond, the newest ones (0: all).
  // Bounds the time of a query matching a large part of the library.
  void set_rank_window(std::size_t matches) { rank_window_ = matches; }
  std::size_t rank_window() const { return rank_window_; }

  // How long one search may run (both its passes) before it is interrupted and refused with a
  // QueryError ("query too broad"); zero or less: no limit. The store is locked meanwhile, so
  // this also bounds how long one query holds up the others.
  void set_query_budget(std::chrono::nanoseconds budget) { query_budget_ = budget; }
  std::chrono::nanoseconds query_budget() const { return query_budget_; }

  // Groups writes into one transaction (much faster for bulk ingest).
  Transaction transaction() { return Transaction(*db_); }
  Database& database() { return *db_; }
  std::shared_ptr<Database> shared_database() { return db_; }

 private:
  std::vector<SearchHit> run_search(const std::string& match, std::size_t limit);
  std::shared_ptr<Database> db_;
  std::size_t rank_window_ = kDefaultRankWindow;
  std::chrono::nanoseconds query_budget_ = kDefaultQueryBudget;
};

}  // namespace mcpp::knowledge
