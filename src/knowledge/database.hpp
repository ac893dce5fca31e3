// The knowledge layer's names for the shared SQLite wrappers (src/sqlite/database.hpp).
#pragma once

#include "sqlite/database.hpp"

namespace mcpp::knowledge {

using StoreError = sqlite::Error;
using sqlite::CachedStatement;
using sqlite::Database;
using sqlite::Statement;
using sqlite::Transaction;

}  // namespace mcpp::knowledge
