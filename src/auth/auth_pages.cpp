// Login and consent page, error and notice pages: plain HTML forms that work without scripts.
#include "auth/auth_pages.hpp"

#include "auth/authz_http.hpp"

namespace mcpp::auth::authz {

namespace {

constexpr const char* kStyle = R"css(
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f4f5f7;color:#1d2330;
margin:0;padding:2rem 1rem}
main{max-width:28rem;margin:0 auto;background:#fff;border-radius:10px;padding:1.5rem 1.75rem;
box-shadow:0 1px 4px rgba(0,0,0,.12)}
h1{font-size:1.3rem;margin:0 0 1rem}
p,li{line-height:1.45}
code{background:#eef0f3;padding:.05rem .3rem;border-radius:4px;word-break:break-all}
.error{background:#fdecea;color:#8a1c12;padding:.6rem .8rem;border-radius:6px}
.warn{background:#fff6e0;color:#6b4b00;padding:.6rem .8rem;border-radius:6px}
label{display:block;margin:.7rem 0 .2rem;font-weight:600}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.5rem;
border:1px solid #b8bfcc;border-radius:6px;font-size:1rem}
.buttons{display:flex;flex-direction:row-reverse;gap:.75rem;margin-top:1.25rem}
.host{font-size:1.1rem}
button{flex:1;padding:.6rem;font-size:1rem;border-radius:6px;border:1px solid #b8bfcc;
background:#fff;cursor:pointer}
button.approve{background:#1f6feb;border-color:#1f6feb;color:#fff}
.small{font-size:.85rem;color:#5b6475}
)css";

std::string page(const std::string& title, const std::string& body) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<meta name=\"referrer\" content=\"no-referrer\">"
         "<title>" +
         html_escape(title) + "</title><style>" + kStyle + "</style></head><body><main>\n" + body +
         "\n</main></body></html>\n";
}

std::string hidden(const char* name, const std::string& value) {
  return std::string("<input type=\"hidden\" name=\"") + name + "\" value=\"" + html_escape(value) +
         "\">\n";
}

}  // namespace

std::string render_consent(const ConsentPage& p) {
  auto uri = split_uri(p.redirect_uri);
  std::string redirect_host = uri ? uri->host : p.redirect_uri;
  bool loopback =
      uri && (uri->scheme == "http" || uri->scheme == "https") && is_loopback(uri->host);
  bool custom_scheme = uri && uri->scheme != "http" && uri->scheme != "https";
  std::string name = p.client_name.empty() ? p.client_id : p.client_name;

  std::string b = "<h1>Authorize " + html_escape(name) + "</h1>\n";
  if (!p.error.empty()) b += "<p class=\"error\">" + html_escape(p.error) + "</p>\n";
  b += "<p><strong>" + html_escape(name) + "</strong> asks for access to <code>" +
       html_escape(p.resource) + "</code>";
  b += p.signed_in_as ? " as <strong>" + html_escape(*p.signed_in_as) + "</strong>.</p>\n"
                      : ".</p>\n";
  if (!p.client_host.empty()) {
    b += "<p class=\"warn\">This application is published by <strong class=\"host\">" +
         html_escape(p.client_host) +
         "</strong>. Its name is what it says about itself: approve only if you trust " +
         html_escape(p.client_host) + ".</p>\n";
  }
  if (!p.scopes.empty()) {
    b += "<p>Permissions:</p><ul>\n";
    for (const auto& s : p.scopes) b += "<li><code>" + html_escape(s) + "</code></li>\n";
    b += "</ul>\n";
  }
  b += "<p>After you decide, your browser goes to <strong>" +
       html_escape(custom_scheme ? uri->scheme + ":" : redirect_host) + "</strong>";
  b += custom_scheme ? " (an application on this device).</p>\n" : ".</p>\n";
  if (loopback) {
    b += "<p class=\"warn\">The answer goes to a program on <em>this computer</em> "
         "(" +
         html_escape(redirect_host) +
         "). Approve only if you just started the sign-in from an application you trust.</p>\n";
  }
  if (p.client_name.empty() || p.client_name != p.client_id) {
    b += "<p class=\"small\">Client ID: <code>" + html_escape(p.client_id) + "</code></p>\n";
  }
  b += "<form method=\"post\" action=\"" + html_escape(p.action) + "\">\n";
  b += hidden("request_id", p.request_id);
  b += hidden("csrf", p.csrf);
  if (!p.signed_in_as) {
    if (p.password_login) {
      b += "<label for=\"username\">User name</label>"
           "<input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" "
           "autocapitalize=\"none\" spellcheck=\"false\">\n"
           "<label for=\"password\">Password</label>"
           "<input type=\"password\" id=\"password\" name=\"password\" "
           "autocomplete=\"current-password\">\n";
    } else {
      b += "<p class=\"warn\">To sign in, open the one-time admin link that <code>mcpp "
           "serve</code> printed when it started, in this browser, then come back to this "
           "page.</p>\n";
    }
  }
  // Approve comes first in the form, so that Enter in the password field approves (the first
  // submit button is the form's default); the row is reversed to show Deny on the left.
  b += "<div class=\"buttons\">"
       "<button type=\"submit\" class=\"approve\" name=\"decision\" value=\"approve\">Approve"
       "</button>"
       "<button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></div>\n</form>\n";
  return page("Authorize " + name, b);
}

std::string render_notice(const std::string& title, const std::string& message) {
  return page(title, "<h1>" + html_escape(title) + "</h1>\n<p>" + html_escape(message) + "</p>");
}

}  // namespace mcpp::auth::authz
