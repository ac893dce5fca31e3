// The host's connector commands: `mcpp connectors add|list|show|enable|disable|tools|refresh|
// accept|remove|import` and `mcpp host config|policy`, over the host store (--host-db PATH,
// MCPP_HOST_DB, or ~/.local/share/mcpp/host.sqlite).
#pragma once

#include <CLI/CLI.hpp>

// Registers `connectors` and `host` on `app` and returns the `host` subcommand (the chat engine
// and the web console add theirs to it). Each command ends with CLI::RuntimeError carrying its
// exit code: 0 ok, 1 failed, 2 usage (unknown connector, bad value), 3 a server unreachable.
CLI::App* add_connectors_commands(CLI::App& app);
