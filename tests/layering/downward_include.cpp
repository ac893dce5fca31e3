// Must compile: built with mcpp_server's usage requirements, it includes headers of the server
// layer itself and of the layers below it (protocol, jsonrpc), spelled "layer/file.hpp".
#include "jsonrpc/message.hpp"
#include "protocol/versions.hpp"
#include "server/session.hpp"
