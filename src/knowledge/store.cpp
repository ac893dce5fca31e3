// The knowledge store: schema, writes, lookups and ranked full-text search.
#include "knowledge/store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <unordered_set>

namespace mcpp::knowledge {

namespace {

constexpr std::size_t kMaxQueryBytes = 1000;
constexpr std::size_t kMaxResults = 50;
// How often (in SQLite virtual machine instructions) a search looks at its time budget.
constexpr int kBudgetCheckInstructions = 1000;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS documents(
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  url TEXT NOT NULL,
  mime_type TEXT NOT NULL,
  metadata TEXT NOT NULL,
  path TEXT,
  modified_ns INTEGER NOT NULL DEFAULT 0,
  size INTEGER NOT NULL DEFAULT 0,
  content_hash TEXT NOT NULL,
  indexed_at INTEGER NOT NULL,
  text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS documents_by_path ON documents(path) WHERE path IS NOT NULL;
CREATE VIRTUAL TABLE IF NOT EXISTS documents_fts USING fts5(
  title, text, content='documents', content_rowid='rowid',
  tokenize='porter unicode61 remove_diacritics 2', prefix='3 4');
CREATE TRIGGER IF NOT EXISTS documents_fts_insert AFTER INSERT ON documents BEGIN
  INSERT INTO documents_fts(rowid, title, text) VALUES (new.rowid, new.title, new.text);
END;
CREATE TRIGGER IF NOT EXISTS documents_fts_delete AFTER DELETE ON documents BEGIN
  INSERT INTO documents_fts(documents_fts, rowid, title, text)
    VALUES ('delete', old.rowid, old.title, old.text);
END;
CREATE TRIGGER IF NOT EXISTS documents_fts_update AFTER UPDATE OF title, text ON documents BEGIN
  INSERT INTO documents_fts(documents_fts, rowid, title, text)
    VALUES ('delete', old.rowid, old.title, old.text);
  INSERT INTO documents_fts(rowid, title, text) VALUES (new.rowid, new.title, new.text);
END;
)sql";

// The statements every request runs, prepared once (see Database::cached).
constexpr const char* kPutSql = R"sql(
INSERT INTO documents(id, title, url, mime_type, metadata, path, modified_ns, size, content_hash,
                      indexed_at, text)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
ON CONFLICT(id) DO UPDATE SET title = excluded.title, url = excluded.url,
  mime_type = excluded.mime_type, metadata = excluded.metadata, path = excluded.path,
  modified_ns = excluded.modified_ns, size = excluded.size, content_hash = excluded.content_hash,
  indexed_at = excluded.indexed_at, text = excluded.text)sql";
constexpr const char* kGetSql = R"sql(
SELECT id, title, url, mime_type, metadata, path, modified_ns, size, content_hash, indexed_at, text
FROM documents WHERE id = ?1)sql";
constexpr const char* kSearchSql = R"sql(
WITH hits AS (
  SELECT rowid, snippet(documents_fts, 1, '**', '**', '…', 16) AS snip, rank
  FROM documents_fts WHERE documents_fts MATCH ?1 AND rowid >= ?3 ORDER BY rank LIMIT ?2)
SELECT d.id, d.title, d.url, hits.snip, hits.rank
FROM hits JOIN documents d ON d.rowid = hits.rowid ORDER BY hits.rank)sql";
// The rowid of the (window+1)-th newest match: where the ranked window starts.
constexpr const char* kWindowSql = R"sql(
SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?1 ORDER BY rowid DESC LIMIT 1 OFFSET ?2)sql";
constexpr const char* kExistsSql = "SELECT 1 FROM documents WHERE id = ?1";
constexpr const char* kTouchSql = "UPDATE documents SET modified_ns = ?2, size = ?3 WHERE id = ?1";
constexpr const char* kPrefixSql = "SELECT id FROM documents WHERE id >= ?1 ORDER BY id LIMIT ?2";
constexpr const char* kRemoveSql = "DELETE FROM documents WHERE id = ?1";

constexpr std::array<std::string_view, 44> kStopWords{
    "a",    "an",  "and",  "are", "as",   "at",   "be",    "by",    "can",  "do",    "does",
    "did",  "for", "from", "has", "have", "how",  "i",     "in",    "into", "is",    "it",
    "its",  "me",  "my",   "of",  "on",   "or",   "our",   "that",  "the",  "their", "there",
    "this", "to",  "was",  "we",  "what", "when", "where", "which", "who",  "why",   "with"};

bool is_word_byte(char c) {
  auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || u >= 0x80;
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Whitespace runs (line breaks included) as one space: a snippet reads as one line.
std::string one_line(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f') {
      space = !out.empty();
    } else {
      if (space) out += ' ';
      space = false;
      out += c;
    }
  }
  return out;
}

struct Term {
  std::vector<std::string> words;  // several: a phrase
  bool prefix = false;
};

std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// The time budget of one search, checked by SQLite's progress handler: past the deadline the
// running statement is interrupted (it fails with SQLITE_INTERRUPT).
class SearchBudget {
 public:
  SearchBudget(sqlite3* db, std::chrono::nanoseconds budget) : db_(db) {
    if (budget.count() <= 0) return;
    deadline_ = std::chrono::steady_clock::now() + budget;
    sqlite3_progress_handler(db_, kBudgetCheckInstructions, &SearchBudget::check, this);
  }
  ~SearchBudget() { sqlite3_progress_handler(db_, 0, nullptr, nullptr); }
  SearchBudget(const SearchBudget&) = delete;
  SearchBudget& operator=(const SearchBudget&) = delete;
  bool exceeded() const { return exceeded_; }

 private:
  static int check(void* self) {
    auto* b = static_cast<SearchBudget*>(self);
    if (std::chrono::steady_clock::now() < b->deadline_) return 0;
    b->exceeded_ = true;
    return 1;
  }
  sqlite3* db_;
  std::chrono::steady_clock::time_point deadline_;
  bool exceeded_ = false;
};

}  // namespace

std::string fts_query(std::string_view query, bool any) {
  if (query.size() > kMaxQueryBytes) {
    throw QueryError("the query is too long (" + std::to_string(query.size()) + " bytes; at most " +
                     std::to_string(kMaxQueryBytes) + ")");
  }
  std::vector<Term> terms;
  std::size_t i = 0;
  auto words_in = [](std::string_view s) {
    std::vector<std::string> out;
    std::size_t k = 0;
    while (k < s.size()) {
      while (k < s.size() && !is_word_byte(s[k])) ++k;
      std::size_t start = k;
      while (k < s.size() && is_word_byte(s[k])) ++k;
      if (k > start) out.push_back(lower_ascii(s.substr(start, k - start)));
    }
    return out;
  };
  while (i < query.size()) {
    char c = query[i];
    if (c == '"') {
      std::size_t close = query.find('"', i + 1);
      if (close == std::string_view::npos) close = query.size();
      Term t{words_in(query.substr(i + 1, close - i - 1)), false};
      if (!t.words.empty()) terms.push_back(std::move(t));
      i = close + 1;
      continue;
    }
    if (!is_word_byte(c)) {
      ++i;
      continue;
    }
    std::size_t start = i;
    while (i < query.size() && is_word_byte(query[i])) ++i;
    Term t{{lower_ascii(query.substr(start, i - start))}, i < query.size() && query[i] == '*'};
    if (t.prefix && code_points(t.words[0]) < kMinPrefixLength) {
      throw QueryError("query too broad: a prefix search needs at least " +
                       std::to_string(kMinPrefixLength) + " letters before the * (\"" + t.words[0] +
                       "*\")");
    }
    terms.push_back(std::move(t));
    if (terms.size() > kMaxQueryTerms) {
      throw QueryError("query too broad: more than " + std::to_string(kMaxQueryTerms) +
                       " words or phrases; keep the distinctive ones");
    }
  }
  if (terms.empty()) {
    throw QueryError("the query has no words to search for: give one or more keywords");
  }
  if (std::count_if(terms.begin(), terms.end(), [](const Term& t) { return t.prefix; }) >
      static_cast<std::ptrdiff_t>(kMaxPrefixTerms)) {
    throw QueryError("query too broad: at most " + std::to_string(kMaxPrefixTerms) +
                     " prefix searches (word*) in a query");
  }
  auto is_stop = [](const Term& t) {
    return t.words.size() == 1 && !t.prefix &&
           std::find(kStopWords.begin(), kStopWords.end(), t.words[0]) != kStopWords.end();
  };
  if (!std::all_of(terms.begin(), terms.end(), is_stop)) {
    std::erase_if(terms, is_stop);
  }
  std::string out;
  std::unordered_set<std::string> seen;
  for (const auto& t : terms) {
    std::string quoted = "\"";
    for (std::size_t k = 0; k < t.words.size(); ++k) {
      if (k) quoted += ' ';
      quoted += t.words[k];  // letters and digits only: nothing to escape
    }
    quoted += '"';
    if (t.prefix) quoted += '*';
    if (!seen.insert(quoted).second) continue;
    if (!out.empty()) out += any ? " OR " : " ";
    out += quoted;
  }
  return out;
}

KnowledgeStore::KnowledgeStore(const std::string& path, bool read_only)
    : db_(std::make_shared<Database>(path, read_only)) {
  std::lock_guard lock(db_->mutex());
  if (read_only) {
    Statement s(*db_, "SELECT count(*) FROM sqlite_master WHERE name = 'documents'");
    if (!s.step() || s.integer(0) == 0) {
      throw StoreError(path + " is not an mcpp store (no documents table)");
    }
    return;
  }
  db_->exec(kSchema);
  Statement version(*db_, "PRAGMA user_version");
  if (version.step() && version.integer(0) == 0) {
    // bm25 weights: a match in the title counts four times one in the text.
    db_->exec("INSERT INTO documents_fts(documents_fts, rank) VALUES ('rank', 'bm25(4.0, 1.0)')");
    db_->exec("PRAGMA user_version = 1");
  }
}

void KnowledgeStore::put(const Document& doc) {
  std::lock_guard lock(db_->mutex());
  CachedStatement cs(*db_, kPutSql);
  Statement& s = *cs;
  std::int64_t now =
      doc.indexed_at ? doc.indexed_at : static_cast<std::int64_t>(std::time(nullptr));
  s.bind(doc.id)
      .bind(doc.title)
      .bind(doc.url)
      .bind(doc.mime_type)
      .bind(json::serialize(doc.metadata))
      .bind(doc.path)
      .bind(doc.modified_ns)
      .bind(doc.size)
      .bind(doc.content_hash)
      .bind(now)
      .bind(doc.text);
  s.run();
}

bool KnowledgeStore::remove(std::string_view id) {
  std::lock_guard lock(db_->mutex());
  CachedStatement cs(*db_, kRemoveSql);
  Statement& s = *cs;
  s.bind(id).run();
  return db_->changes() > 0;
}

std::optional<Document> KnowledgeStore::get(std::string_view id) {
  std::lock_guard lock(db_->mutex());
  CachedStatement cs(*db_, kGetSql);
  Statement& s = *cs;
  s.bind(id);
  if (!s.step()) return std::nullopt;
  Document d;
  d.id = s.text(0);
  d.title = s.text(1);
  d.url = s.text(2);
  d.mime_type = s.text(3);
  boost::system::error_code ec;
  json::value meta = json::parse(s.text(4), ec);
  if (!ec && meta.is_object()) d.metadata = std::move(meta.get_object());
  d.path = s.optional_text(5);
  d.modified_ns = s.integer(6);
  d.size = s.integer(7);
  d.content_hash = s.text(8);
  d.indexed_at = s.integer(9);
  d.text = s.text(10);
  return d;
}

bool KnowledgeStore::exists(std::string_view id) {
  std::lock_guard lock(db_->mutex());
  CachedStatement cs(*db_, kExistsSql);
  Statement& s = *cs;
  s.bind(id);
  return s.step();
}

std::vector<SearchHit> KnowledgeStore::run_search(const std::string& match, std::size_t limit) {
  // bm25 costs a few microseconds per matching document, and FTS5 computes it for every match
  // before sorting. Past rank_window_ matches only the newest rank_window_ are ranked, which
  // bounds a broad query's time; finding where they start walks the doclists without ranking.
  std::int64_t from_rowid = 0;
  if (rank_window_ > 0) {
    CachedStatement w(*db_, kWindowSql);
    w->bind(match).bind(static_cast<std::int64_t>(rank_window_));
    if (w->step()) from_rowid = w->integer(0) + 1;
  }
  CachedStatement cs(*db_, kSearchSql);
  Statement& s = *cs;
  s.bind(match).bind(static_cast<std::int64_t>(limit)).bind(from_rowid);
  std::vector<SearchHit> hits;
  while (s.step()) {
    hits.push_back({s.text(0), s.text(1), s.text(2), one_line(s.text(3)), s.real(4)});
  }
  return hits;
}

std::vector<SearchHit> KnowledgeStore::search(std::string_view query, std::size_t limit) {
  limit = std::clamp<std::size_t>(limit, 1, kMaxResults);
  std::string all = fts_query(query, false);
  std::lock_guard lock(db_->mutex());
  SearchBudget budget(db_->handle(), query_budget_);  // both passes share it
  try {
    std::vector<SearchHit> hits = run_search(all, limit);
    if (hits.empty()) {
      // No document has every word: rank those with any of them (a second ranked pass, so
      // only when the first found nothing).
      std::string any = fts_query(query, true);
      if (any != all) hits = run_search(any, limit);
    }
    return hits;
  } catch (const StoreError&) {
    if (!budget.exceeded()) throw;
    throw QueryError(
        "query too broad: it matches too much to rank within " +
        std::to_string(
            std::chrono::duration_cast<std::chrono::milliseconds>(query_budget_).count()) +
        " ms; use longer or more distinctive words, fewer prefixes");
  }
}

std::int64_t KnowledgeStore::count() {
  std::lock_guard lock(db_->mutex());
  Statement s(*db_, "SELECT count(*) FROM documents");
  return s.step() ? s.integer(0) : 0;
}

std::vector<FileState> KnowledgeStore::files(std::string_view prefix) {
  std::lock_guard lock(db_->mutex());
  Statement s(*db_, R"sql(
SELECT id, path, modified_ns, size, content_hash FROM documents
WHERE path IS NOT NULL AND substr(path, 1, length(?1)) = ?1)sql");
  s.bind(prefix);
  std::vector<FileState> out;
  while (s.step()) {
    out.push_back({s.text(0), s.text(1), s.integer(2), s.integer(3), s.text(4)});
  }
  return out;
}

void KnowledgeStore::touch(std::string_view id, std::int64_t modified_ns, std::int64_t size) {
  std::lock_guard lock(db_->mutex());
  CachedStatement cs(*db_, kTouchSql);
  Statement& s = *cs;
  s.bind(id).bind(modified_ns).bind(size).run();
}

std::vector<std::string> KnowledgeStore::ids_with_prefix(std::string_view prefix,
                                                         std::size_t limit) {
  std::lock_guard lock(db_->mutex());
  // The unique index on id serves the range scan.
  CachedStatement cs(*db_, kPrefixSql);
  Statement& s = *cs;
  s.bind(prefix).bind(static_cast<std::int64_t>(limit));
  std::vector<std::string> out;
  while (s.step()) {
    std::string id = s.text(0);
    if (!id.starts_with(prefix)) break;
    out.push_back(std::move(id));
  }
  return out;
}

}  // namespace mcpp::knowledge
