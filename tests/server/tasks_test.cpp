// TaskStore: tasks belong to the subject that started them.
#include "server/tasks.hpp"

#include <gtest/gtest.h>

namespace mcpp {
namespace {

TEST(TaskStore, OnlyTheOwnerSeesUpdatesOrCancelsATask) {
  TaskStore store(TaskStore::Options{});
  std::string id = store.create("alice");
  ASSERT_FALSE(id.empty());
  EXPECT_TRUE(store.describe(id, "alice"));
  EXPECT_FALSE(store.describe(id, "bob"));
  EXPECT_FALSE(store.describe(id));  // anonymous
  auto accept_all = [](std::string_view, std::string_view, const json::value&) {};
  EXPECT_FALSE(store.update(id, json::object{}, accept_all, "bob"));
  EXPECT_FALSE(store.cancel(id, "bob"));
  EXPECT_EQ(store.describe(id, "alice")->at("status"), "working");
  EXPECT_TRUE(store.cancel(id, "alice"));
  EXPECT_EQ(store.describe(id, "alice")->at("status"), "cancelled");
  // Without authorization every task has the empty owner.
  std::string open = store.create();
  EXPECT_TRUE(store.describe(open));
  EXPECT_FALSE(store.describe(open, "alice"));
}

}  // namespace
}  // namespace mcpp
