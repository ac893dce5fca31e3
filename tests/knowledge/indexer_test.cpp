// The indexer reads only what its walk found: no symbolic link below a root is followed, even one
// swapped in between the walk and the read, and reads are capped at the size limit.
#include "knowledge/indexer.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace kn = mcpp::knowledge;
namespace fs = std::filesystem;

namespace {

class TempFolder {
 public:
  TempFolder() {
    std::string tmpl = (fs::temp_directory_path() / "mcpp-indexer-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempFolder() {
    std::error_code ec;
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

// A folder to index and, outside it, a secret the indexer must never read.
struct Layout {
  TempFolder tmp;
  fs::path docs = tmp.path() / "docs";
  fs::path secret = tmp.path() / "secret.md";
  Layout() {
    write(docs / "a.md", "# A\n\nalpha");
    write(docs / "sub" / "b.md", "# B\n\nbravo");
    write(secret, "# Secret\n\nzanzibar");
    ::chmod(secret.c_str(), 0600);
  }
};

TEST(OpenForIndexing, ReadsARegularFileWithSizeAndTimeOfTheOpenFile) {
  Layout l;
  std::string why;
  auto f = kn::open_for_indexing(l.docs, "sub/b.md", why);
  ASSERT_TRUE(f) << why;
  EXPECT_EQ(f->size(), 10);
  struct stat st {};
  ASSERT_EQ(::stat((l.docs / "sub/b.md").c_str(), &st), 0);
  EXPECT_EQ(f->modified_ns(), st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec);
  auto bytes = f->read_all(1000, why);
  ASSERT_TRUE(bytes) << why;
  EXPECT_EQ(*bytes, "# B\n\nbravo");
}

TEST(OpenForIndexing, AFileThatIsALinkIsNotFollowed) {
  Layout l;
  fs::remove(l.docs / "a.md");
  fs::create_symlink(l.secret, l.docs / "a.md");
  std::string why;
  EXPECT_FALSE(kn::open_for_indexing(l.docs, "a.md", why));
  EXPECT_NE(why.find("symbolic link"), std::string::npos) << why;
}

TEST(OpenForIndexing, AFolderOnTheWayThatIsALinkIsNotFollowed) {
  Layout l;
  fs::path elsewhere = l.tmp.path() / "elsewhere";
  write(elsewhere / "b.md", "# Elsewhere\n\nzanzibar");
  fs::remove_all(l.docs / "sub");
  fs::create_directory_symlink(elsewhere, l.docs / "sub");
  std::string why;
  EXPECT_FALSE(kn::open_for_indexing(l.docs, "sub/b.md", why));
  EXPECT_NE(why.find("symbolic link"), std::string::npos) << why;
}

TEST(OpenForIndexing, OnlyRegularFilesAndNoWayOut) {
  Layout l;
  ASSERT_EQ(::mkfifo((l.docs / "pipe.md").c_str(), 0600), 0);
  std::string why;
  EXPECT_FALSE(kn::open_for_indexing(l.docs, "pipe.md", why));  // and does not block
  EXPECT_EQ(why, "not a regular file");
  EXPECT_FALSE(kn::open_for_indexing(l.docs, "sub/../../secret.md", why));
  EXPECT_NE(why.find("leaves the folder"), std::string::npos) << why;
  EXPECT_FALSE(kn::open_for_indexing(l.docs, "missing.md", why));
  EXPECT_EQ(why, "cannot read: No such file or directory");
}

TEST(OpenForIndexing, AFileNamedByTheOperatorMayBeALink) {
  Layout l;
  fs::path link = l.tmp.path() / "named-link.md";
  fs::create_symlink(l.docs / "a.md", link);
  std::string why;
  auto f = kn::open_for_indexing(link, {}, why);
  ASSERT_TRUE(f) << why;
  EXPECT_EQ(f->read_all(1000, why).value_or(""), "# A\n\nalpha");
}

TEST(OpenForIndexing, ReadsStopAtTheLimitWhenTheFileGrew) {
  Layout l;
  std::string why;
  auto f = kn::open_for_indexing(l.docs, "a.md", why);
  ASSERT_TRUE(f) << why;
  EXPECT_EQ(f->size(), 10);
  std::ofstream(l.docs / "a.md", std::ios::app) << std::string(5000, 'x');
  EXPECT_FALSE(f->read_all(100, why));
  EXPECT_NE(why.find("too large"), std::string::npos) << why;
}

TEST(Indexer, AFileSwappedForALinkDuringTheRunIsNotIndexed) {
  for (const bool swap_folder : {false, true}) {
    SCOPED_TRACE(swap_folder ? "folder swapped" : "file swapped");
    Layout l;
    write(l.docs / "one" / "c.md", "# C\n\ncharlie");
    write(l.docs / "two" / "c.md", "# C\n\ncharlie");
    fs::remove(l.docs / "a.md");
    fs::remove_all(l.docs / "sub");
    fs::path elsewhere = l.tmp.path() / "elsewhere";
    write(elsewhere / "c.md", "# Elsewhere\n\nzanzibar");
    kn::KnowledgeStore store((l.tmp.path() / "s.sqlite").string());
    kn::IndexOptions options;
    // After the first file is done (the walk is over), the other one, or its folder, becomes a
    // link to the secret: what the attacker of the finding did between walk and read.
    bool swapped = false;
    options.on_progress = [&](const kn::IndexProgress& p) {
      if (swapped || !p.current) return;
      swapped = true;
      fs::path other_folder =
          l.docs / (p.current->parent_path().filename() == "one" ? "two" : "one");
      if (swap_folder) {
        fs::remove_all(other_folder);
        fs::create_directory_symlink(elsewhere, other_folder);
      } else {
        fs::remove(other_folder / "c.md");
        fs::create_symlink(l.secret, other_folder / "c.md");
      }
    };
    auto s = kn::index_paths(store, {l.docs}, options);
    EXPECT_TRUE(swapped);
    EXPECT_EQ(s.added, 1u);
    EXPECT_EQ(s.skipped, 1u);
    ASSERT_EQ(s.notes.size(), 1u);
    EXPECT_NE(s.notes[0].reason.find("symbolic link"), std::string::npos) << s.notes[0].reason;
    EXPECT_TRUE(store.search("zanzibar").empty()) << "the link was followed";
  }
}

}  // namespace
