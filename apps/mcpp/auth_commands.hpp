// `mcpp auth tokens` and `mcpp auth revoke`: the operator's view of the grants in the embedded
// authorization server's database (serve's --auth-db), and their revocation.
#pragma once

#include <CLI/CLI.hpp>

// Registers `mcpp auth` and its subcommands.
void add_auth_commands(CLI::App& app);
