// Knowledge store figures: ingest rate (store.put in batches, and `mcpp index` over generated
// files) and search latency percentiles (KnowledgeStore::search, as the `search` tool runs it)
// on N generated documents. Not a Google Benchmark binary: it prints a small report.
//
//   knowledge_search --docs 1000000 [--queries 2000] [--files 2000] [--window 1000] [--store PATH]
//                    [--keep] [--query TEXT]
//
// MCPP_BENCH_DOCS sets --docs too. A store at --store with exactly N documents is reused (the
// 1M-document store takes a while to build); otherwise it is rebuilt. Without --store the store
// is made in a temporary folder, removed at the end unless --keep.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "knowledge/indexer.hpp"
#include "knowledge/store.hpp"

namespace kn = mcpp::knowledge;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// A vocabulary of pronounceable made-up words, and a Zipf sampler over it: a few words are very
// common, most are rare, as in natural text.
class Corpus {
 public:
  explicit Corpus(std::size_t vocabulary, std::uint64_t seed) : rng_(seed) {
    static constexpr const char* kOnsets[] = {"b", "c", "d", "f", "g", "h", "k",  "l",  "m",  "n",
                                              "p", "r", "s", "t", "v", "z", "br", "st", "tr", "pl"};
    static constexpr const char* kVowels[] = {"a", "e", "i", "o", "u", "ai", "ou", "ea"};
    std::uniform_int_distribution<int> syllables(1, 4);
    while (words_.size() < vocabulary) {
      std::string w;
      int n = syllables(rng_);
      for (int i = 0; i < n; ++i) {
        w += kOnsets[rng_() % std::size(kOnsets)];
        w += kVowels[rng_() % std::size(kVowels)];
      }
      if (rng_() % 3 == 0) w += "n";
      words_.push_back(std::move(w));
    }
    // Zipf (s = 1): cumulative weights 1/rank.
    cumulative_.reserve(vocabulary);
    double sum = 0;
    for (std::size_t r = 1; r <= vocabulary; ++r) {
      sum += 1.0 / static_cast<double>(r);
      cumulative_.push_back(sum);
    }
  }
  std::size_t word_rank() {
    std::uniform_real_distribution<double> u(0, cumulative_.back());
    return static_cast<std::size_t>(
        std::lower_bound(cumulative_.begin(), cumulative_.end(), u(rng_)) - cumulative_.begin());
  }
  const std::string& word(std::size_t rank) const { return words_[rank]; }
  std::string text(int min_words, int max_words, std::vector<std::size_t>* ranks = nullptr) {
    std::uniform_int_distribution<int> len(min_words, max_words);
    int n = len(rng_);
    std::string out;
    for (int i = 0; i < n; ++i) {
      std::size_t r = word_rank();
      if (ranks) ranks->push_back(r);
      if (i) out += (i % 12 == 0) ? ". " : " ";
      out += words_[r];
    }
    return out + ".";
  }
  std::mt19937_64& rng() { return rng_; }

 private:
  std::mt19937_64 rng_;
  std::vector<std::string> words_;
  std::vector<double> cumulative_;
};

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  std::size_t i = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, i == 0 ? 0 : i - 1)];
}

long arg_value(int argc, char** argv, const char* name, long fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == name) return std::atol(argv[i + 1]);
  }
  return fallback;
}

std::string arg_string(int argc, char** argv, const char* name, std::string fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == name) return argv[i + 1];
  }
  return fallback;
}

bool has_flag(int argc, char** argv, const char* name) {
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == name) return true;
  }
  return false;
}

constexpr std::size_t kVocabulary = 50'000;
constexpr std::size_t kSkipCommon = 100;  // the most frequent words play the stop words

}  // namespace

int main(int argc, char** argv) {
  const char* env = std::getenv("MCPP_BENCH_DOCS");
  long docs = arg_value(argc, argv, "--docs", env ? std::atol(env) : 100'000);
  long queries = arg_value(argc, argv, "--queries", 2'000);
  long files = arg_value(argc, argv, "--files", 2'000);
  if (docs < 1 || queries < 1 || files < 0) {
    std::fprintf(
        stderr,
        "usage: knowledge_search --docs N [--queries Q] [--files F] [--store PATH] [--keep] "
        "[--query TEXT]\n");
    return 2;
  }
  fs::path work =
      fs::temp_directory_path() / ("mcpp-knowledge-bench-" + std::to_string(::getpid()));
  fs::create_directories(work);
  std::string store_path = arg_string(
      argc, argv, "--store", (work / ("bench-" + std::to_string(docs) + ".sqlite")).string());
  bool keep = has_flag(argc, argv, "--keep");  // the generated store, when not at --store

  Corpus corpus(kVocabulary, 42);
  std::printf(
      "knowledge store benchmark: %ld documents (40-120 words, Zipf over %zu words), %ld queries\n",
      docs, kVocabulary, queries);
  std::vector<std::vector<std::size_t>> sample_docs;  // word ranks of some documents, for queries
  {
    kn::KnowledgeStore probe(store_path);
    if (probe.count() == docs) {
      std::printf("reusing %s (%ld documents)\n", store_path.c_str(), docs);
      Corpus again(kVocabulary, 42);
      for (long i = 0; i < std::min<long>(docs, 5000); ++i) {
        std::vector<std::size_t> ranks;
        again.text(4, 8, &ranks);
        again.text(40, 120, &ranks);
        sample_docs.push_back(std::move(ranks));
      }
    } else {
      probe.database().exec("DELETE FROM documents");
      auto t0 = Clock::now();
      std::size_t bytes = 0;
      std::optional<kn::Transaction> tx;
      for (long i = 0; i < docs; ++i) {
        if (!tx) tx.emplace(probe.database());
        std::vector<std::size_t> ranks;
        kn::Document d;
        d.id = "doc" + std::to_string(i);
        d.title = corpus.text(4, 8, &ranks);
        d.text = corpus.text(40, 120, &ranks);
        d.url = "https://example.com/docs/" + std::to_string(i);
        d.content_hash = "-";
        bytes += d.text.size() + d.title.size();
        probe.put(d);
        if (sample_docs.size() < 5000) sample_docs.push_back(std::move(ranks));
        if ((i + 1) % 1000 == 0) {
          tx->commit();
          tx.reset();
        }
        if ((i + 1) % 100'000 == 0) {
          std::fprintf(stderr, "  %ld documents, %.0f s\n", i + 1, ms_since(t0) / 1000);
        }
      }
      if (tx) tx->commit();
      double ms = ms_since(t0);
      std::printf(
          "ingest (store.put, 1000 per transaction): %ld documents, %.1f MB of text in %.1f s: "
          "%.0f documents/s, %.1f MB/s\n",
          docs, static_cast<double>(bytes) / 1e6, ms / 1000, docs / (ms / 1000),
          static_cast<double>(bytes) / 1e6 / (ms / 1000));
    }
  }
  std::error_code ec;
  std::printf("store file: %.1f MB\n", static_cast<double>(fs::file_size(store_path, ec)) / 1e6);

  // Queries: two words of one document (so there is an answer), skipping the most common words
  // as a person skips "the" and "of"; one query in ten is a single word, one in ten a prefix.
  kn::KnowledgeStore store(store_path);
  long window = arg_value(argc, argv, "--window", static_cast<long>(kn::kDefaultRankWindow));
  store.set_rank_window(static_cast<std::size_t>(std::max(0L, window)));
  std::printf("rank window: %ld matches%s\n", window, window == 0 ? " (all)" : "");
  // --query Q: the time of that one query (three runs) or the error it gets, and nothing else.
  if (std::string q = arg_string(argc, argv, "--query", ""); !q.empty()) {
    for (int run = 0; run < 3; ++run) {
      auto t0 = Clock::now();
      try {
        auto r = store.search(q, 10);
        std::printf("query \"%s\": %.1f ms, %zu results\n", q.c_str(), ms_since(t0), r.size());
      } catch (const std::exception& e) {
        std::printf("query \"%s\": %.1f ms, refused: %s\n", q.c_str(), ms_since(t0), e.what());
      }
    }
    if (!keep) fs::remove_all(work, ec);
    return 0;
  }
  std::vector<std::string> qs;
  std::mt19937_64& rng = corpus.rng();
  while (static_cast<long>(qs.size()) < queries) {
    const auto& ranks = sample_docs[rng() % sample_docs.size()];
    std::vector<std::size_t> rare;
    for (auto r : ranks) {
      if (r >= kSkipCommon) rare.push_back(r);
    }
    if (rare.size() < 2) continue;
    std::string a = corpus.word(rare[rng() % rare.size()]);
    std::string b = corpus.word(rare[rng() % rare.size()]);
    switch (qs.size() % 10) {
      case 0:
        qs.push_back(a);
        break;
      case 1:
        // A prefix of at least 3 letters (the store refuses shorter ones as too broad).
        if (a.size() < 3) continue;
        qs.push_back(a.substr(0, std::max<std::size_t>(3, a.size() - 2)) + "*");
        break;
      default:
        qs.push_back(a + " " + b);
    }
  }
  for (int i = 0; i < 50; ++i) store.search(qs[static_cast<std::size_t>(i) % qs.size()]);  // warm
  std::vector<double> lat;
  std::vector<double> by_kind[3];  // one word, prefix, two words
  lat.reserve(qs.size());
  std::size_t hits = 0, empty = 0;
  auto all0 = Clock::now();
  for (std::size_t i = 0; i < qs.size(); ++i) {
    auto t0 = Clock::now();
    auto r = store.search(qs[i], 10);
    lat.push_back(ms_since(t0));
    by_kind[std::min<std::size_t>(i % 10, 2)].push_back(lat.back());
    hits += r.size();
    if (r.empty()) ++empty;
  }
  double total = ms_since(all0);
  const char* kinds[3] = {"one word", "prefix*", "two words"};
  for (int k = 0; k < 3; ++k) {
    std::printf("  %-9s (%zu): p50 %.3f ms, p90 %.3f ms, p99 %.3f ms\n", kinds[k],
                by_kind[k].size(), percentile(by_kind[k], 50), percentile(by_kind[k], 90),
                percentile(by_kind[k], 99));
  }
  std::printf(
      "search (top 10, bm25, snippets): p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms; "
      "%.0f queries/s on one thread; %.1f results per query, %zu with none\n",
      percentile(lat, 50), percentile(lat, 90), percentile(lat, 99), percentile(lat, 100),
      static_cast<double>(qs.size()) / (total / 1000), static_cast<double>(hits) / qs.size(),
      empty);

  // `mcpp index` over real files: write F small Markdown files, index them, then a no-change pass.
  if (files > 0) {
    fs::path dir = work / "files";
    fs::create_directories(dir);
    for (long i = 0; i < files; ++i) {
      std::ofstream(dir / ("note-" + std::to_string(i) + ".md"))
          << "# " << corpus.text(3, 6) << "\n\n"
          << corpus.text(100, 400) << "\n";
    }
    kn::KnowledgeStore fstore((work / "files.sqlite").string());
    auto s1 = kn::index_paths(fstore, {dir}, {});
    auto s2 = kn::index_paths(fstore, {dir}, {});
    std::printf("mcpp index: %ld Markdown files in %.2f s (%.0f files/s); unchanged pass %.3f s\n",
                files, s1.elapsed.count() / 1000.0,
                static_cast<double>(s1.added) / std::max(0.001, s1.elapsed.count() / 1000.0),
                s2.elapsed.count() / 1000.0);
  }
  if (keep) {
    fs::remove_all(work / "files", ec);
    fs::remove_all(work / "files.sqlite", ec);
  } else {
    fs::remove_all(work, ec);
  }
  return 0;
}
