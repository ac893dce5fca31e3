// The knowledge store (FTS5 search, snippets, stemming, writes) and the incremental indexer
// (added, edited, deleted, unreadable and binary files).
#include "knowledge/store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "knowledge/indexer.hpp"

namespace kn = mcpp::knowledge;
namespace fs = std::filesystem;

namespace {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "mcpp-knowledge-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path_, fs::perms::owner_all, ec);
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void write(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

kn::Document doc(std::string id, std::string title, std::string text) {
  kn::Document d;
  d.id = std::move(id);
  d.title = std::move(title);
  d.text = std::move(text);
  d.url = "https://example.com/" + d.id;
  d.content_hash = "x";
  return d;
}

std::vector<std::string> ids(const std::vector<kn::SearchHit>& hits) {
  std::vector<std::string> out;
  for (const auto& h : hits) out.push_back(h.id);
  return out;
}

}  // namespace

TEST(FtsQuery, WordsPhrasesPrefixesAndStopWords) {
  EXPECT_EQ(kn::fts_query("refund policy"), "\"refund\" \"policy\"");
  EXPECT_EQ(kn::fts_query("refund policy", true), "\"refund\" OR \"policy\"");
  EXPECT_EQ(kn::fts_query("What is the refund policy?"), "\"refund\" \"policy\"");
  EXPECT_EQ(kn::fts_query("the"), "\"the\"");  // only stop words: kept
  EXPECT_EQ(kn::fts_query("\"exact phrase\" index*"), "\"exact phrase\" \"index\"*");
  EXPECT_EQ(kn::fts_query("AND OR NOT NEAR(a b)"), "\"not\" \"near\" \"b\"");
  EXPECT_EQ(kn::fts_query("dup Dup DUP"), "\"dup\"");
  EXPECT_EQ(kn::fts_query("x\"; DROP TABLE documents; --"), "\"x\" \"drop table documents\"");
}

TEST(FtsQuery, EmptyOrTooLongQueriesAreClearErrors) {
  EXPECT_THROW(kn::fts_query(""), kn::QueryError);
  EXPECT_THROW(kn::fts_query("   "), kn::QueryError);
  EXPECT_THROW(kn::fts_query("?! -- ()"), kn::QueryError);
  EXPECT_THROW(kn::fts_query("\"\""), kn::QueryError);
  EXPECT_THROW(kn::fts_query(std::string(1001, 'a')), kn::QueryError);
  try {
    kn::fts_query("");
  } catch (const kn::QueryError& e) {
    EXPECT_STREQ(e.what(), "the query has no words to search for: give one or more keywords");
  }
}

TEST(Store, PutGetRemoveAndCount) {
  TempDir dir;
  kn::KnowledgeStore store((dir.path() / "s.sqlite").string());
  EXPECT_EQ(store.count(), 0);
  auto d = doc("a1", "Alpha", "the first document");
  d.metadata = {{"k", "v"}};
  d.path = "/x/alpha.md";
  store.put(d);
  auto got = store.get("a1");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->title, "Alpha");
  EXPECT_EQ(got->text, "the first document");
  EXPECT_EQ(got->url, "https://example.com/a1");
  EXPECT_EQ(mcpp::json::serialize(got->metadata), R"({"k":"v"})");
  EXPECT_EQ(got->path, "/x/alpha.md");
  EXPECT_GT(got->indexed_at, 0);
  EXPECT_FALSE(store.get("nope"));
  EXPECT_TRUE(store.exists("a1"));
  EXPECT_EQ(store.count(), 1);
  EXPECT_TRUE(store.remove("a1"));
  EXPECT_FALSE(store.remove("a1"));
  EXPECT_EQ(store.count(), 0);
  EXPECT_TRUE(store.search("first").empty());
}

TEST(Store, SearchRanksStemsAndHighlights) {
  TempDir dir;
  kn::KnowledgeStore store((dir.path() / "s.sqlite").string());
  store.put(doc("d1", "Cooking pasta", "Boil water, add salt, then the pasta."));
  store.put(doc("d2", "Indexing documents", "The indexer walks folders and indexes files."));
  store.put(doc("d3", "Garden notes", "Tomatoes need water; pasta sauce needs tomatoes."));
  store.put(doc("d4", "Café menu", "Crème brûlée and espresso."));

  auto hits = store.search("index");  // stemmed: indexing, indexer, indexes
  ASSERT_EQ(ids(hits), std::vector<std::string>{"d2"});
  EXPECT_EQ(hits[0].title, "Indexing documents");
  EXPECT_EQ(hits[0].url, "https://example.com/d2");
  EXPECT_NE(hits[0].snippet.find("**"), std::string::npos) << hits[0].snippet;

  // A title match counts more than a text match.
  auto pasta = store.search("pasta");
  ASSERT_EQ(pasta.size(), 2u);
  EXPECT_EQ(pasta[0].id, "d1");
  EXPECT_LT(pasta[0].score, pasta[1].score);

  // Documents with all the words; when none has them all, those with any.
  auto both = store.search("pasta tomatoes");
  ASSERT_EQ(ids(both), std::vector<std::string>{"d3"});
  EXPECT_NE(both[0].snippet.find("**tomatoes**"), std::string::npos) << both[0].snippet;
  auto either = ids(store.search("espresso tomatoes"));
  std::sort(either.begin(), either.end());
  EXPECT_EQ(either, (std::vector<std::string>{"d3", "d4"}));

  EXPECT_EQ(ids(store.search("cafe creme")), std::vector<std::string>{"d4"});  // diacritics
  EXPECT_EQ(ids(store.search("\"pasta sauce\"")), std::vector<std::string>{"d3"});
  EXPECT_EQ(ids(store.search("garde*")), std::vector<std::string>{"d3"});
  EXPECT_TRUE(store.search("nonexistentword").empty());
  EXPECT_EQ(store.search("water", 1).size(), 1u);
  EXPECT_THROW(store.search("  "), kn::QueryError);
}

TEST(Store, UpdateReplacesTheIndexedText) {
  TempDir dir;
  kn::KnowledgeStore store((dir.path() / "s.sqlite").string());
  store.put(doc("d1", "Old title", "apples"));
  store.put(doc("d1", "New title", "oranges"));
  EXPECT_EQ(store.count(), 1);
  EXPECT_TRUE(store.search("apples").empty());
  EXPECT_EQ(ids(store.search("oranges")), std::vector<std::string>{"d1"});
  EXPECT_EQ(store.get("d1")->title, "New title");
}

TEST(Store, IdsWithPrefixAndReopen) {
  TempDir dir;
  std::string path = (dir.path() / "s.sqlite").string();
  {
    kn::KnowledgeStore store(path);
    for (auto id : {"ab1", "ab2", "b1", "abc"}) store.put(doc(id, "t", "x"));
    EXPECT_EQ(store.ids_with_prefix("ab", 10), (std::vector<std::string>{"ab1", "ab2", "abc"}));
    EXPECT_EQ(store.ids_with_prefix("ab", 2).size(), 2u);
    EXPECT_TRUE(store.ids_with_prefix("zz", 10).empty());
  }
  kn::KnowledgeStore again(path);
  EXPECT_EQ(again.count(), 4);
  kn::KnowledgeStore read_only(path, true);
  EXPECT_EQ(read_only.count(), 4);
}

TEST(Store, BadFilesAreClearErrors) {
  TempDir dir;
  EXPECT_THROW(kn::KnowledgeStore((dir.path() / "missing" / "s.sqlite").string()), kn::StoreError);
  write(dir.path() / "junk.sqlite", std::string(4096, 'j'));
  EXPECT_THROW(kn::KnowledgeStore((dir.path() / "junk.sqlite").string()), kn::StoreError);
  EXPECT_THROW(kn::KnowledgeStore((dir.path() / "absent.sqlite").string(), true), kn::StoreError);
}

TEST(Indexer, IncrementalAddEditDelete) {
  TempDir dir;
  fs::path docs = dir.path() / "docs";
  write(docs / "a.md", "# Apples\n\nRed fruit.");
  write(docs / "sub" / "b.txt", "Bananas\nYellow fruit.");
  write(docs / "c.html", "<title>Cherries</title><p>Small fruit.</p>");
  write(docs / ".hidden" / "secret.md", "# Secret");
  write(docs / "image.bin", std::string("\x89PNG\0\0\0", 7));
  kn::KnowledgeStore store((dir.path() / "s.sqlite").string());
  kn::IndexOptions options;
  options.url_prefix = "https://docs.example.com/";
  std::size_t progress_calls = 0;
  options.on_progress = [&](const kn::IndexProgress& p) {
    ++progress_calls;
    EXPECT_LE(p.done, p.total);
  };

  auto s1 = kn::index_paths(store, {docs}, options);
  EXPECT_EQ(s1.seen, 4u);
  EXPECT_EQ(s1.added, 3u);
  EXPECT_EQ(s1.skipped, 1u);
  ASSERT_EQ(s1.notes.size(), 1u);
  EXPECT_EQ(s1.notes[0].path.filename(), "image.bin");
  EXPECT_EQ(s1.notes[0].reason, "binary file (not text)");
  EXPECT_EQ(progress_calls, 4u);
  EXPECT_EQ(store.count(), 3);
  std::string id_a = kn::document_id_for_path(fs::absolute(docs / "a.md").lexically_normal());
  auto a = store.get(id_a);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->title, "Apples");
  EXPECT_EQ(a->url, "https://docs.example.com/a.md");
  EXPECT_EQ(a->metadata.at("path").as_string(), "a.md");
  EXPECT_EQ(ids(store.search("cherries")).size(), 1u);
  EXPECT_TRUE(store.search("secret").empty());

  // Nothing changed.
  auto s2 = kn::index_paths(store, {docs}, options);
  EXPECT_EQ(s2.unchanged, 3u);
  EXPECT_EQ(s2.added + s2.updated + s2.removed, 0u);

  // Edit one, delete one, add one.
  write(docs / "a.md", "# Apples\n\nGreen fruit, sometimes.");
  fs::last_write_time(docs / "a.md", fs::last_write_time(docs / "a.md") + std::chrono::seconds(2));
  fs::remove(docs / "sub" / "b.txt");
  write(docs / "d.md", "# Dates\n\nSweet.");
  auto s3 = kn::index_paths(store, {docs}, options);
  EXPECT_EQ(s3.added, 1u);
  EXPECT_EQ(s3.updated, 1u);
  EXPECT_EQ(s3.removed, 1u);
  EXPECT_EQ(s3.unchanged, 1u);
  EXPECT_EQ(store.count(), 3);
  EXPECT_TRUE(store.search("bananas").empty());
  EXPECT_TRUE(store.search("red").empty());
  EXPECT_EQ(ids(store.search("green")), std::vector<std::string>{id_a});

  // Touched but not changed: unchanged by content hash.
  fs::last_write_time(docs / "d.md", fs::last_write_time(docs / "d.md") + std::chrono::seconds(5));
  auto s4 = kn::index_paths(store, {docs}, options);
  EXPECT_EQ(s4.unchanged, 3u);
  EXPECT_EQ(s4.updated, 0u);

  // The whole folder gone: its documents go too, and the root is noted.
  fs::remove_all(docs);
  auto s5 = kn::index_paths(store, {docs}, options);
  EXPECT_EQ(s5.removed, 3u);
  ASSERT_EQ(s5.notes.size(), 1u);
  EXPECT_EQ(s5.notes[0].reason, "does not exist");
  EXPECT_EQ(store.count(), 0);
}

TEST(Indexer, FileRootsLargeAndUnreadableFiles) {
  TempDir dir;
  write(dir.path() / "one.md", "# One\n\nfirst");
  write(dir.path() / "big.txt", std::string(3000, 'x'));
  kn::KnowledgeStore store((dir.path() / "s.sqlite").string());
  kn::IndexOptions options;
  options.max_file_bytes = 2000;
  auto s = kn::index_paths(store, {dir.path() / "one.md", dir.path() / "big.txt"}, options);
  EXPECT_EQ(s.added, 1u);
  EXPECT_EQ(s.skipped, 1u);
  ASSERT_EQ(s.notes.size(), 1u);
  EXPECT_EQ(s.notes[0].reason, "too large (3000 bytes; the limit is 2000)");
  auto hits = store.search("first");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].url.rfind("file://", 0), 0u) << hits[0].url;

  // A file that cannot be read (as root, permissions do not stop reads: /proc/self/mem
  // fails with EIO at offset 0 for anyone).
  auto unreadable = kn::index_paths(store, {"/proc/self/mem"}, options);
  EXPECT_EQ(unreadable.skipped, 1u);
  ASSERT_EQ(unreadable.notes.size(), 1u);
  EXPECT_EQ(unreadable.notes[0].reason.rfind("cannot read: ", 0), 0u) << unreadable.notes[0].reason;
  if (::geteuid() != 0) {
    write(dir.path() / "locked.md", "# Locked");
    ::chmod((dir.path() / "locked.md").c_str(), 0);
    auto locked = kn::index_paths(store, {dir.path() / "locked.md"}, options);
    ASSERT_EQ(locked.notes.size(), 1u);
    EXPECT_EQ(locked.notes[0].reason, "cannot read: Permission denied");
  }
}

TEST(Indexer, WatchFollowsChanges) {
  TempDir dir;
  fs::path docs = dir.path() / "docs";
  write(docs / "a.md", "# Alpha\n\nfirst version");
  kn::KnowledgeStore store((dir.path() / "s.sqlite").string());
  std::atomic<bool> stop{false};
  std::atomic<int> cycles{0};
  std::thread watcher([&] {
    kn::watch_paths(store, {docs}, {}, stop, [&](const kn::IndexSummary&) { ++cycles; });
  });
  auto wait_for = [&](auto pred) {
    for (int i = 0; i < 100 && !pred(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return pred();
  };
  EXPECT_TRUE(wait_for([&] { return cycles.load() >= 1; }));
  EXPECT_EQ(store.search("first").size(), 1u);
  write(docs / "new" / "b.md", "# Beta\n\nsecond document");
  EXPECT_TRUE(wait_for([&] { return !store.search("second").empty(); }));
  fs::remove(docs / "a.md");
  EXPECT_TRUE(wait_for([&] { return store.search("first").empty(); }));
  stop = true;
  watcher.join();
}

// ---- the bounds on one query's work (issue 17, finding 7) ----

std::string query_error(std::string_view query) {
  try {
    kn::fts_query(query);
  } catch (const kn::QueryError& e) {
    return e.what();
  }
  return {};
}

TEST(FtsQuery, ShortPrefixesAreTooBroad) {
  for (std::string q : {"a*", "ab*", "refund a*", "\xc3\xa9t*"}) {
    std::string why = query_error(q);
    EXPECT_NE(why.find("query too broad"), std::string::npos) << q << ": " << why;
    EXPECT_NE(why.find("at least 3 letters"), std::string::npos) << why;
  }
  EXPECT_EQ(kn::fts_query("abc*"), "\"abc\"*");
  EXPECT_EQ(kn::fts_query("\xc3\xa9t\xc3\xa9*"), "\"\xc3\xa9t\xc3\xa9\"*");
  // The 26 one-letter prefixes of the finding.
  std::string letters;
  for (char c = 'a'; c <= 'z'; ++c) letters += std::string(1, c) + "* ";
  EXPECT_NE(query_error(letters).find("query too broad"), std::string::npos);
}

TEST(FtsQuery, AtMostFourPrefixesAndThirtyTwoTerms) {
  EXPECT_NO_THROW(kn::fts_query("abc* bcd* cde* def*"));
  std::string why = query_error("abc* bcd* cde* def* efg*");
  EXPECT_NE(why.find("at most 4 prefix searches"), std::string::npos) << why;
  std::string words;
  for (int i = 0; i < 32; ++i) words += "w" + std::to_string(i) + " ";
  EXPECT_NO_THROW(kn::fts_query(words));
  why = query_error(words + "one-more");
  EXPECT_NE(why.find("more than 32 words or phrases"), std::string::npos) << why;
}

TEST(Store, ASearchOverItsTimeBudgetIsRefusedAsTooBroad) {
  TempDir dir;
  kn::KnowledgeStore store((dir.path() / "s.sqlite").string());
  {
    auto tx = store.transaction();
    for (int i = 0; i < 300; ++i) {
      store.put(doc("d" + std::to_string(i), "common title " + std::to_string(i),
                    "common words in every document, number " + std::to_string(i)));
    }
    tx.commit();
  }
  EXPECT_EQ(store.search("common").size(), 10u);  // the default budget is ample
  // One nanosecond: over at SQLite's first progress check, however fast the machine.
  store.set_query_budget(std::chrono::nanoseconds(1));
  try {
    store.search("common");
    FAIL() << "the search ran past its budget";
  } catch (const kn::QueryError& e) {
    EXPECT_NE(std::string(e.what()).find("query too broad"), std::string::npos) << e.what();
  }
  // The handler is gone after the search: other statements on the store run normally.
  EXPECT_EQ(store.count(), 300);
  store.set_query_budget(std::chrono::nanoseconds(0));  // no limit
  EXPECT_EQ(store.search("common").size(), 10u);
}
