// Chat events as JSON: what the web console streams and the terminal renders.
#include "host/chat_events.hpp"

#include <gtest/gtest.h>

namespace mcpp::host {
namespace {

TEST(ChatEvent, RoundTripsThroughJson) {
  ChatEvent e{std::string(event_type::kApprovalNeeded),
              "c1",
              {{"call_id", "call_1"}, {"arguments", {{"amount", 12}}}, {"destructive", true}}};
  json::object j = e.to_json();
  EXPECT_EQ(j.at("type"), "approval_needed");
  EXPECT_EQ(j.at("conversation"), "c1");
  EXPECT_EQ(j.at("arguments").at("amount"), 12);
  ChatEvent back = ChatEvent::from_json(j);
  EXPECT_EQ(back.type, e.type);
  EXPECT_EQ(back.conversation, e.conversation);
  EXPECT_EQ(back.data, e.data);
}

TEST(ChatEvent, DataCannotOverrideTypeOrConversation) {
  ChatEvent e{"notice", "c1", {{"type", "evil"}, {"conversation", "c2"}, {"message", "m"}}};
  json::object j = e.to_json();
  EXPECT_EQ(j.at("type"), "notice");
  EXPECT_EQ(j.at("conversation"), "c1");
}

TEST(ChatEvent, FromJsonNeedsAType) {
  EXPECT_THROW(ChatEvent::from_json({{"conversation", "c1"}}), std::invalid_argument);
}

TEST(ChatEvent, SimpleConstructors) {
  EXPECT_EQ(text_delta_event("c", "hi").to_json().at("text"), "hi");
  EXPECT_EQ(notice_event("c", "n").type, "notice");
  EXPECT_EQ(error_event("c", "e").data.at("message"), "e");
}

}  // namespace
}  // namespace mcpp::host
