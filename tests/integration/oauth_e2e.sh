# End to end, what ChatGPT does with an OAuth-protected remote MCP server: discovery, dynamic
# registration, authorization code with PKCE through the login/consent page, tokens bound to the
# resource, a tool call with the bearer; 401 for missing, foreign and expired tokens; refresh,
# rotation and a server restart. The work is done by oauth_e2e.mjs.
source "$(dirname "$0")/lib.bash"
need_node
timeout 300 "$NODE" "$(dirname "$0")/oauth_e2e.mjs" --mcpp "$MCPP" --work "$WORK"
