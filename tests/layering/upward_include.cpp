// Must not compile: it is built with mcpp_protocol's usage requirements, and server is above
// protocol, so "server/session.hpp" (which exists, in src/server/) is not on its include path.
// tests/layering/check_build.cmake builds it and expects exactly that failure.
#include "server/session.hpp"
