# The installed package works for a project outside mcpp's tree: `cmake --install` into a
# temporary prefix, then tests/install/consumer (find_package(mcpp)) builds examples/hello_server.cpp,
# and the program answers a tools/call over stdio. Also checks that mcpp.pc resolves to the
# installed headers and libraries. Uses bash, cmake and pkg-config.
source "$(dirname "$0")/lib.bash"
BUILD="$(dirname "$MCPP")"
PREFIX="$WORK/prefix"

if ! cmake --install "$BUILD" --prefix "$PREFIX" >"$WORK/install.log" 2>&1; then
  echo "FAIL: cmake --install"; cat "$WORK/install.log"; exit 1
fi
for f in include/mcpp/server.hpp include/mcpp/rpc_error.hpp bin/mcpp; do
  [ -e "$PREFIX/$f" ] || { echo "FAIL: $f was not installed"; exit 1; }
done
if find "$PREFIX/include" -path '*/server/session.hpp' | grep -q .; then
  echo "FAIL: private headers were installed"; exit 1
fi

# pkg-config: every include directory and library it names exists in the prefix.
PC_DIR="$(dirname "$(find "$PREFIX" -name mcpp.pc | head -1)")"
[ -n "$PC_DIR" ] || { echo "FAIL: mcpp.pc was not installed"; exit 1; }
if command -v pkg-config >/dev/null; then
  flags="$(PKG_CONFIG_PATH="$PC_DIR" pkg-config --cflags --libs mcpp)"
  include_dir="$(sed -n 's/.*-I\([^ ]*\).*/\1/p' <<<"$flags")"
  lib_dir="$(sed -n 's/.*-L\([^ ]*\).*/\1/p' <<<"$flags")"
  [ -f "$include_dir/mcpp/server.hpp" ] || { echo "FAIL: pkg-config -I: $flags"; exit 1; }
  for lib in $(grep -o -- '-lmcpp_[a-z]*' <<<"$flags"); do
    [ -f "$lib_dir/lib${lib#-l}.a" ] || { echo "FAIL: pkg-config names $lib, not in $lib_dir"; exit 1; }
  done
else
  skip_part "pkg-config is not installed: mcpp.pc not checked"
fi

# The consumer project, configured and built against the prefix only.
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
# Libraries built with ASan+UBSan (the asan-ubsan preset) need a consumer built with them too.
sanitize=()
if grep -q '^MCPP_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null; then
  sanitize=(-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined
            -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined)
fi
if ! cmake -S "$ROOT/tests/install/consumer" -B "$WORK/consumer" -DCMAKE_BUILD_TYPE=Debug \
     -DCMAKE_PREFIX_PATH="$PREFIX" "${launcher[@]}" "${sanitize[@]}" >"$WORK/configure.log" 2>&1; then
  echo "FAIL: configuring the consumer project"; cat "$WORK/configure.log"; exit 1
fi
if ! cmake --build "$WORK/consumer" >"$WORK/build.log" 2>&1; then
  echo "FAIL: building the consumer project"; cat "$WORK/build.log"; exit 1
fi

# One session over stdio: initialize, initialized, tools/call greet.
reply="$(printf '%s\n' \
  '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"install-test","version":"1"}}}' \
  '{"jsonrpc":"2.0","method":"notifications/initialized"}' \
  '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"greet","arguments":{"name":"installed world"}}}' |
  timeout 20 "$WORK/consumer/hello_server")"
if ! grep -q '"id":2,"result":{"content":\[{"type":"text","text":"Hello, installed world!"}\]' <<<"$reply"; then
  echo "FAIL: the consumer's hello_server did not answer tools/call as expected:"
  echo "$reply"
  exit 1
fi
echo "PASS: installed, built a consumer with find_package(mcpp), and it answered tools/call"
