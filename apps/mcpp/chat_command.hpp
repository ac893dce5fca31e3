// `mcpp chat`: the terminal front-end of the host's chat engine (REPL, one-shot --message,
// --list and --export of stored conversations).
#pragma once

#include <CLI/CLI.hpp>

// Registers `mcpp chat` on the app.
void add_chat_command(CLI::App& app);
