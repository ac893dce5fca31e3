// A small payments MCP server over stdio for the host's examples and tests: `list_charges` (a
// read) and `refund` (a write). Each refund appends a line to the file named by PAYMENTS_LEDGER.
#include <cstdlib>
#include <fstream>
#include <map>

#include "mcpp/server.hpp"
#include "mcpp/transport/stdio.hpp"

struct Charge {
  std::string id;
  std::string customer;
  std::int64_t amount_cents = 0;
  std::int64_t refunded_cents = 0;
};
BOOST_DESCRIBE_STRUCT(Charge, (), (id, customer, amount_cents, refunded_cents))
struct ChargeList {
  std::vector<Charge> charges;
};
BOOST_DESCRIBE_STRUCT(ChargeList, (), (charges))
struct NoArguments {};
BOOST_DESCRIBE_STRUCT(NoArguments, (), ())
struct Refund {
  std::string charge_id;
  std::int64_t amount_cents = 0;
};
BOOST_DESCRIBE_STRUCT(Refund, (), (charge_id, amount_cents))

int main() {
  std::map<std::string, Charge> charges{{"ch_1", {"ch_1", "Ada", 4200, 0}},
                                        {"ch_2", {"ch_2", "Grace", 1999, 0}}};
  mcpp::Server server({.info = {.name = "payments", .version = "1.0.0"},
                       .instructions = "Amounts are in cents. Refund only what was asked."});
  server.tool("list_charges", "Lists the recent charges",
              [&](const NoArguments&, mcpp::Context&) {
                ChargeList list;
                for (const auto& [id, charge] : charges) list.charges.push_back(charge);
                return list;
              },
              {.annotations = {.read_only_hint = true}});
  server.tool("refund", "Refunds part or all of a charge",
              [&](const Refund& r, mcpp::Context&) {
                auto it = charges.find(r.charge_id);
                if (it == charges.end()) return mcpp::ToolResult::error("no charge " + r.charge_id);
                Charge& c = it->second;
                if (r.amount_cents <= 0 || r.amount_cents > c.amount_cents - c.refunded_cents) {
                  return mcpp::ToolResult::error("the amount must be between 1 and " +
                                                 std::to_string(c.amount_cents - c.refunded_cents));
                }
                c.refunded_cents += r.amount_cents;
                if (const char* ledger = std::getenv("PAYMENTS_LEDGER")) {
                  std::ofstream(ledger, std::ios::app)
                      << "refund " << r.charge_id << " " << r.amount_cents << "\n";
                }
                return mcpp::ToolResult::text("Refunded " + std::to_string(r.amount_cents) +
                                              " cents of " + r.charge_id);
              },
              {.annotations = {.read_only_hint = false, .destructive_hint = false}});
  return mcpp::serve_stdio(server);
}
