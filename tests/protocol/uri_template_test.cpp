// Tests for RFC 6570 URI templates: the RFC's own expansion examples, matching, and parse errors.
#include "protocol/uri_template.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mcpp {
namespace {

using Vars = UriTemplate::Variables;
using Matches = UriTemplate::Matches;

// The variables of RFC 6570 section 3.2 (which also cover the section 1.2 examples).
const Vars& rfc_vars() {
  static const Vars vars = {
      {"count", std::vector<std::string>{"one", "two", "three"}},
      {"dom", std::vector<std::string>{"example", "com"}},
      {"dub", std::string("me/too")},
      {"hello", std::string("Hello World!")},
      {"half", std::string("50%")},
      {"var", std::string("value")},
      {"who", std::string("fred")},
      {"base", std::string("http://example.com/home/")},
      {"path", std::string("/foo/bar")},
      {"list", std::vector<std::string>{"red", "green", "blue"}},
      {"keys",
       std::vector<std::pair<std::string, std::string>>{
           {"semi", ";"}, {"dot", "."}, {"comma", ","}}},
      {"v", std::string("6")},
      {"x", std::string("1024")},
      {"y", std::string("768")},
      {"empty", std::string()},
      {"empty_keys", std::vector<std::pair<std::string, std::string>>{}},
      // "undef" is deliberately absent.
  };
  return vars;
}

struct ExpandCase {
  std::string_view tmpl;
  std::string_view expected;
};

void expect_expansions(const std::vector<ExpandCase>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(c.tmpl);
    EXPECT_EQ(UriTemplate(c.tmpl).expand(rfc_vars()), c.expected);
  }
}

TEST(UriTemplateExpand, Rfc6570Section1_2Levels) {
  expect_expansions({
      // Level 1
      {"{var}", "value"},
      {"{hello}", "Hello%20World%21"},
      // Level 2
      {"{+var}", "value"},
      {"{+hello}", "Hello%20World!"},
      {"{+path}/here", "/foo/bar/here"},
      {"here?ref={+path}", "here?ref=/foo/bar"},
      {"X{#var}", "X#value"},
      {"X{#hello}", "X#Hello%20World!"},
      // Level 3
      {"map?{x,y}", "map?1024,768"},
      {"{x,hello,y}", "1024,Hello%20World%21,768"},
      {"{+x,hello,y}", "1024,Hello%20World!,768"},
      {"{+path,x}/here", "/foo/bar,1024/here"},
      {"{#x,hello,y}", "#1024,Hello%20World!,768"},
      {"{#path,x}/here", "#/foo/bar,1024/here"},
      {"X{.var}", "X.value"},
      {"X{.x,y}", "X.1024.768"},
      {"{/var}", "/value"},
      {"{/var,x}/here", "/value/1024/here"},
      {"{;x,y}", ";x=1024;y=768"},
      {"{;x,y,empty}", ";x=1024;y=768;empty"},
      {"{?x,y}", "?x=1024&y=768"},
      {"{?x,y,empty}", "?x=1024&y=768&empty="},
      {"?fixed=yes{&x}", "?fixed=yes&x=1024"},
      {"{&x,y,empty}", "&x=1024&y=768&empty="},
      // Level 4
      {"{var:3}", "val"},
      {"{var:30}", "value"},
      {"{list}", "red,green,blue"},
      {"{list*}", "red,green,blue"},
      {"{keys}", "semi,%3B,dot,.,comma,%2C"},
      {"{keys*}", "semi=%3B,dot=.,comma=%2C"},
      {"{+path:6}/here", "/foo/b/here"},
      {"{+list}", "red,green,blue"},
      {"{+list*}", "red,green,blue"},
      {"{+keys}", "semi,;,dot,.,comma,,"},
      {"{+keys*}", "semi=;,dot=.,comma=,"},
      {"{#path:6}/here", "#/foo/b/here"},
      {"{#list}", "#red,green,blue"},
      {"{#list*}", "#red,green,blue"},
      {"{#keys}", "#semi,;,dot,.,comma,,"},
      {"{#keys*}", "#semi=;,dot=.,comma=,"},
      {"X{.var:3}", "X.val"},
      {"X{.list}", "X.red,green,blue"},
      {"X{.list*}", "X.red.green.blue"},
      {"X{.keys}", "X.semi,%3B,dot,.,comma,%2C"},
      {"X{.keys*}", "X.semi=%3B.dot=..comma=%2C"},
      {"{/var:1,var}", "/v/value"},
      {"{/list}", "/red,green,blue"},
      {"{/list*}", "/red/green/blue"},
      {"{/list*,path:4}", "/red/green/blue/%2Ffoo"},
      {"{/keys}", "/semi,%3B,dot,.,comma,%2C"},
      {"{/keys*}", "/semi=%3B/dot=./comma=%2C"},
      {"{;hello:5}", ";hello=Hello"},
      {"{;list}", ";list=red,green,blue"},
      {"{;list*}", ";list=red;list=green;list=blue"},
      {"{;keys}", ";keys=semi,%3B,dot,.,comma,%2C"},
      {"{;keys*}", ";semi=%3B;dot=.;comma=%2C"},
      {"{?var:3}", "?var=val"},
      {"{?list}", "?list=red,green,blue"},
      {"{?list*}", "?list=red&list=green&list=blue"},
      {"{?keys}", "?keys=semi,%3B,dot,.,comma,%2C"},
      {"{?keys*}", "?semi=%3B&dot=.&comma=%2C"},
      {"{&var:3}", "&var=val"},
      {"{&list}", "&list=red,green,blue"},
      {"{&list*}", "&list=red&list=green&list=blue"},
      {"{&keys}", "&keys=semi,%3B,dot,.,comma,%2C"},
      {"{&keys*}", "&semi=%3B&dot=.&comma=%2C"},
  });
}

TEST(UriTemplateExpand, Rfc6570Section3_2_1VariableExpansion) {
  expect_expansions({
      {"{count}", "one,two,three"},
      {"{count*}", "one,two,three"},
      {"{/count}", "/one,two,three"},
      {"{/count*}", "/one/two/three"},
      {"{;count}", ";count=one,two,three"},
      {"{;count*}", ";count=one;count=two;count=three"},
      {"{?count}", "?count=one,two,three"},
      {"{?count*}", "?count=one&count=two&count=three"},
      {"{&count*}", "&count=one&count=two&count=three"},
  });
}

TEST(UriTemplateExpand, Rfc6570Section3_2_2SimpleString) {
  expect_expansions({
      {"{var}", "value"},
      {"{hello}", "Hello%20World%21"},
      {"{half}", "50%25"},
      {"O{empty}X", "OX"},
      {"O{undef}X", "OX"},
      {"{x,y}", "1024,768"},
      {"{x,hello,y}", "1024,Hello%20World%21,768"},
      {"?{x,empty}", "?1024,"},
      {"?{x,undef}", "?1024"},
      {"?{undef,y}", "?768"},
      {"{var:3}", "val"},
      {"{var:30}", "value"},
      {"{list}", "red,green,blue"},
      {"{list*}", "red,green,blue"},
      {"{keys}", "semi,%3B,dot,.,comma,%2C"},
      {"{keys*}", "semi=%3B,dot=.,comma=%2C"},
  });
}

TEST(UriTemplateExpand, Rfc6570Section3_2_3Reserved) {
  expect_expansions({
      {"{+var}", "value"},
      {"{+hello}", "Hello%20World!"},
      {"{+half}", "50%25"},
      {"{base}index", "http%3A%2F%2Fexample.com%2Fhome%2Findex"},
      {"{+base}index", "http://example.com/home/index"},
      {"O{+empty}X", "OX"},
      {"O{+undef}X", "OX"},
      {"{+path}/here", "/foo/bar/here"},
      {"here?ref={+path}", "here?ref=/foo/bar"},
      {"up{+path}{var}/here", "up/foo/barvalue/here"},
      {"{+x,hello,y}", "1024,Hello%20World!,768"},
      {"{+path,x}/here", "/foo/bar,1024/here"},
      {"{+path:6}/here", "/foo/b/here"},
      {"{+list}", "red,green,blue"},
      {"{+list*}", "red,green,blue"},
      {"{+keys}", "semi,;,dot,.,comma,,"},
      {"{+keys*}", "semi=;,dot=.,comma=,"},
  });
}

TEST(UriTemplateExpand, Rfc6570Section3_2_4Fragment) {
  expect_expansions({
      {"{#var}", "#value"},
      {"{#hello}", "#Hello%20World!"},
      {"{#half}", "#50%25"},
      {"foo{#empty}", "foo#"},
      {"foo{#undef}", "foo"},
      {"{#x,hello,y}", "#1024,Hello%20World!,768"},
      {"{#path,x}/here", "#/foo/bar,1024/here"},
      {"{#path:6}/here", "#/foo/b/here"},
      {"{#list}", "#red,green,blue"},
      {"{#list*}", "#red,green,blue"},
      {"{#keys}", "#semi,;,dot,.,comma,,"},
      {"{#keys*}", "#semi=;,dot=.,comma=,"},
  });
}

TEST(UriTemplateExpand, Rfc6570Section3_2_5Label) {
  expect_expansions({
      {"{.who}", ".fred"},
      {"{.who,who}", ".fred.fred"},
      {"{.half,who}", ".50%25.fred"},
      {"www{.dom*}", "www.example.com"},
      {"X{.var}", "X.value"},
      {"X{.empty}", "X."},
      {"X{.undef}", "X"},
      {"X{.var:3}", "X.val"},
      {"X{.list}", "X.red,green,blue"},
      {"X{.list*}", "X.red.green.blue"},
      {"X{.keys}", "X.semi,%3B,dot,.,comma,%2C"},
      {"X{.keys*}", "X.semi=%3B.dot=..comma=%2C"},
      {"X{.empty_keys}", "X"},
      {"X{.empty_keys*}", "X"},
  });
}

TEST(UriTemplateExpand, Rfc6570Section3_2_6PathSegment) {
  expect_expansions({
      {"{/who}", "/fred"},
      {"{/who,who}", "/fred/fred"},
      {"{/half,who}", "/50%25/fred"},
      {"{/who,dub}", "/fred/me%2Ftoo"},
      {"{/var}", "/value"},
      {"{/var,empty}", "/value/"},
      {"{/var,undef}", "/value"},
      {"{/var,x}/here", "/value/1024/here"},
      {"{/var:1,var}", "/v/value"},
      {"{/list}", "/red,green,blue"},
      {"{/list*}", "/red/green/blue"},
      {"{/list*,path:4}", "/red/green/blue/%2Ffoo"},
      {"{/keys}", "/semi,%3B,dot,.,comma,%2C"},
      {"{/keys*}", "/semi=%3B/dot=./comma=%2C"},
  });
}

TEST(UriTemplateExpand, Rfc6570Section3_2_7PathStyleParameters) {
  expect_expansions({
      {"{;who}", ";who=fred"},
      {"{;half}", ";half=50%25"},
      {"{;empty}", ";empty"},
      {"{;v,empty,who}", ";v=6;empty;who=fred"},
      {"{;v,bar,who}", ";v=6;who=fred"},
      {"{;x,y}", ";x=1024;y=768"},
      {"{;x,y,empty}", ";x=1024;y=768;empty"},
      {"{;x,y,undef}", ";x=1024;y=768"},
      {"{;hello:5}", ";hello=Hello"},
      {"{;list}", ";list=red,green,blue"},
      {"{;list*}", ";list=red;list=green;list=blue"},
      {"{;keys}", ";keys=semi,%3B,dot,.,comma,%2C"},
      {"{;keys*}", ";semi=%3B;dot=.;comma=%2C"},
  });
}

TEST(UriTemplateExpand, Rfc6570Section3_2_8FormQuery) {
  expect_expansions({
      {"{?who}", "?who=fred"},
      {"{?half}", "?half=50%25"},
      {"{?x,y}", "?x=1024&y=768"},
      {"{?x,y,empty}", "?x=1024&y=768&empty="},
      {"{?x,y,undef}", "?x=1024&y=768"},
      {"{?var:3}", "?var=val"},
      {"{?list}", "?list=red,green,blue"},
      {"{?list*}", "?list=red&list=green&list=blue"},
      {"{?keys}", "?keys=semi,%3B,dot,.,comma,%2C"},
      {"{?keys*}", "?semi=%3B&dot=.&comma=%2C"},
  });
}

TEST(UriTemplateExpand, Rfc6570Section3_2_9FormContinuation) {
  expect_expansions({
      {"{&who}", "&who=fred"},
      {"{&half}", "&half=50%25"},
      {"?fixed=yes{&x}", "?fixed=yes&x=1024"},
      {"{&x,y,empty}", "&x=1024&y=768&empty="},
      {"{&var:3}", "&var=val"},
      {"{&list}", "&list=red,green,blue"},
      {"{&list*}", "&list=red&list=green&list=blue"},
      {"{&keys}", "&keys=semi,%3B,dot,.,comma,%2C"},
      {"{&keys*}", "&semi=%3B&dot=.&comma=%2C"},
  });
}

TEST(UriTemplateExpand, LiteralsUtf8AndPrefixCodePoints) {
  const Vars vars = {{"word", std::string("\xC3\xA9t\xC3\xA9")},  // "été"
                     {"id", std::string("a b/c")}};
  // A prefix counts code points and never splits a UTF-8 sequence.
  EXPECT_EQ(UriTemplate("{word:1}").expand(vars), "%C3%A9");
  EXPECT_EQ(UriTemplate("{word:2}").expand(vars), "%C3%A9t");
  EXPECT_EQ(UriTemplate("{+word:3}").expand(vars), "%C3%A9t%C3%A9");
  // Non-ASCII literals are percent-encoded; pct-encoded literals are kept.
  EXPECT_EQ(UriTemplate("caf\xC3\xA9/{id}").expand(vars), "caf%C3%A9/a%20b%2Fc");
  EXPECT_EQ(UriTemplate("a%2Fb/{id}").expand(vars), "a%2Fb/a%20b%2Fc");
  // No expressions at all.
  EXPECT_EQ(UriTemplate("file:///etc/hosts").expand(vars), "file:///etc/hosts");
  EXPECT_EQ(UriTemplate("").expand(vars), "");
}

TEST(UriTemplate, StrAndVariables) {
  const UriTemplate t("api://{+path}{?q,limit}{&path}{#frag}");
  EXPECT_EQ(t.str(), "api://{+path}{?q,limit}{&path}{#frag}");
  EXPECT_EQ(t.variables(), (std::vector<std::string>{"path", "q", "limit", "frag"}));
  EXPECT_TRUE(UriTemplate("file:///x").variables().empty());
  EXPECT_EQ(UriTemplate("{a.b,c_1,%41x:3,d*}").variables(),
            (std::vector<std::string>{"a.b", "c_1", "%41x", "d"}));
}

// ---- matching -------------------------------------------------------------------------------

struct MatchCase {
  std::string_view tmpl;
  std::string_view uri;
  std::optional<Matches> expected;
};

void expect_matches(const std::vector<MatchCase>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.tmpl) + " <- " + std::string(c.uri));
    EXPECT_EQ(UriTemplate(c.tmpl).match(c.uri), c.expected);
  }
}

TEST(UriTemplateMatch, McpResourceTemplates) {
  expect_matches({
      {"file:///{path}", "file:///README.md", Matches{{"path", "README.md"}}},
      {"test://template/{id}/data", "test://template/42/data", Matches{{"id", "42"}}},
      {"mcpp://doc/{id}", "mcpp://doc/intro", Matches{{"id", "intro"}}},
      {"api://{+path}{?q,limit}", "api://a/b/c?q=hello&limit=10",
       Matches{{"path", "a/b/c"}, {"q", "hello"}, {"limit", "10"}}},
      {"api://{+path}{?q,limit}", "api://a/b/c?limit=10&q=hello",
       Matches{{"path", "a/b/c"}, {"q", "hello"}, {"limit", "10"}}},
      {"api://{+path}{?q,limit}", "api://a/b/c?limit=10",
       Matches{{"path", "a/b/c"}, {"limit", "10"}}},
      {"api://{+path}{?q,limit}", "api://a/b/c", Matches{{"path", "a/b/c"}}},
      {"api://{+path}{?q,limit}", "api://a/b/c?", Matches{{"path", "a/b/c"}}},
      {"api://{+path}{?q,limit}", "api://x?q=", Matches{{"path", "x"}, {"q", ""}}},
      {"api://{+path}{?q,limit}", "api://x?q", Matches{{"path", "x"}, {"q", ""}}},
      // The empty string is a defined value.
      {"test://template/{id}/data", "test://template//data", Matches{{"id", ""}}},
  });
}

TEST(UriTemplateMatch, NonMatches) {
  expect_matches({
      // Extra path segment: a simple expression never crosses '/'.
      {"file:///{path}", "file:///a/b", std::nullopt},
      {"test://template/{id}/data", "test://template/42/data/extra", std::nullopt},
      {"test://template/{id}/data", "test://template/4/2/data", std::nullopt},
      {"mcpp://doc/{id}", "mcpp://doc/a?b", std::nullopt},
      {"mcpp://doc/{id}", "mcpp://doc/a#b", std::nullopt},
      // Wrong literal prefix or suffix.
      {"test://template/{id}/data", "test://other/42/data", std::nullopt},
      {"test://template/{id}/data", "test://template/42/date", std::nullopt},
      {"mcpp://doc/{id}", "mcp://doc/x", std::nullopt},
      {"mcpp://doc/{id}", "", std::nullopt},
      {"file:///etc/hosts", "file:///etc/hosts2", std::nullopt},
      // A query parameter the template does not name.
      {"api://{+path}{?q,limit}", "api://x?q=1&other=2", std::nullopt},
      // More segments than {/a,b} can produce.
      {"{/a,b}", "/x/y/z", std::nullopt},
      // A variable used twice must agree.
      {"{x}/{x}", "1/2", std::nullopt},
  });
}

TEST(UriTemplateMatch, OperatorsAndComposites) {
  expect_matches({
      {"file:///etc/hosts", "file:///etc/hosts", Matches{}},
      {"{+path}/here", "/foo/bar/here", Matches{{"path", "/foo/bar"}}},
      {"{+path}{#frag}", "/a/b#sec/1", Matches{{"path", "/a/b"}, {"frag", "sec/1"}}},
      {"{#frag}", "#a/b?c", Matches{{"frag", "a/b?c"}}},
      {"foo{#frag}", "foo", Matches{}},
      {"foo{#frag}", "foo#", Matches{{"frag", ""}}},
      {"{x,y}", "1024,768", Matches{{"x", "1024"}, {"y", "768"}}},
      {"{x,y}", "1024", Matches{{"x", "1024"}}},
      {"{x,y}", "1,2,3", Matches{{"x", "1"}, {"y", "2,3"}}},
      {"{x,hello,y}", "1024,Hello%20World%21,768",
       Matches{{"x", "1024"}, {"hello", "Hello World!"}, {"y", "768"}}},
      {"{name}.{ext}", "archive.tar.gz", Matches{{"name", "archive.tar"}, {"ext", "gz"}}},
      {"{list}", "red,green,blue", Matches{{"list", "red,green,blue"}}},
      {"{list*}", "red,green,blue", Matches{{"list", "red,green,blue"}}},
      {"{a,rest*}", "1,2,3", Matches{{"a", "1"}, {"rest", "2,3"}}},
      {"{rest*,z}", "1,2,3", Matches{{"rest", "1,2"}, {"z", "3"}}},
      {"X{.list*}", "X.red.green.blue", Matches{{"list", "red,green,blue"}}},
      {"X{.x,y}", "X.1024.768", Matches{{"x", "1024"}, {"y", "768"}}},
      {"X{.var}", "X", Matches{}},
      {"X{.var}", "X.", Matches{{"var", ""}}},
      {"www{.dom*}", "www.example.com", Matches{{"dom", "example,com"}}},
      {"{/list*}", "/red/green/blue", Matches{{"list", "red,green,blue"}}},
      {"{/list*}", "", Matches{}},
      {"{/var,x}/here", "/value/1024/here", Matches{{"var", "value"}, {"x", "1024"}}},
      {"{/a,b}", "/x", Matches{{"a", "x"}}},
      {"{/list*,tail}/end", "/a/b/c/end", Matches{{"list", "a,b"}, {"tail", "c"}}},
      {"{/who,dub}", "/fred/me%2Ftoo", Matches{{"who", "fred"}, {"dub", "me/too"}}},
      {"{;x,y}", ";y=768;x=1024", Matches{{"x", "1024"}, {"y", "768"}}},
      {"{;x,y,empty}", ";x=1024;empty", Matches{{"x", "1024"}, {"empty", ""}}},
      {"{;list*}", ";list=red;list=green", Matches{{"list", "red,green"}}},
      {"{;keys*}", ";semi=%3B;dot=.", Matches{{"keys", "semi=;,dot=."}}},
      {"{?list}", "?list=red,green,blue", Matches{{"list", "red,green,blue"}}},
      {"{?list*}", "?list=red&list=green&list=blue", Matches{{"list", "red,green,blue"}}},
      {"{?keys*}", "?semi=%3B&dot=.&comma=%2C", Matches{{"keys", "semi=;,dot=.,comma=,"}}},
      {"{?q}{&page}", "?page=2&q=x", Matches{{"q", "x"}, {"page", "2"}}},
      {"?fixed=yes{&x}", "?fixed=yes&x=1024", Matches{{"x", "1024"}}},
      {"?fixed=yes{&x}", "?fixed=no&x=1024", std::nullopt},
      {"{x}/{x}", "1/1", Matches{{"x", "1"}}},
      {"{x}/{?x}", "1/?x=1", Matches{{"x", "1"}}},
      {"{x}/{?x}", "1/?x=2", std::nullopt},
  });
}

TEST(UriTemplateMatch, PercentDecoding) {
  expect_matches({
      {"mcpp://doc/{id}", "mcpp://doc/a%20b", Matches{{"id", "a b"}}},
      {"mcpp://doc/{id}", "mcpp://doc/%E2%82%AC", Matches{{"id", "\xE2\x82\xAC"}}},
      {"mcpp://doc/{id}", "mcpp://doc/a%2Fb", Matches{{"id", "a/b"}}},
      {"mcpp://doc/{id}", "mcpp://doc/%2f%2F", Matches{{"id", "//"}}},
      // Malformed escapes are kept as they are.
      {"mcpp://doc/{id}", "mcpp://doc/100%", Matches{{"id", "100%"}}},
      {"mcpp://doc/{id}", "mcpp://doc/%zz%4", Matches{{"id", "%zz%4"}}},
      // Decoding happens after splitting, so an encoded separator stays inside its value.
      {"{x,y}", "a%2Cb,c", Matches{{"x", "a,b"}, {"y", "c"}}},
      {"{?q}", "?q=a%26b%3Dc", Matches{{"q", "a&b=c"}}},
      {"{+path}", "/a%20b/c", Matches{{"path", "/a b/c"}}},
  });
}

TEST(UriTemplateMatch, RoundTripsSimpleValues) {
  const std::vector<std::string> values = {
      "plain", "", "with space", "a/b?c#d&e=f,g;h", "50%", "\xC3\xA9t\xC3\xA9", "a.b-c_d~e",
  };
  const std::vector<std::string_view> templates = {
      "{var}",
      "file:///{var}",
      "test://template/{var}/data",
      "mcpp://doc/{var}{?q,limit}",
      "X{.var}",
      "{/var,other}/end",
      "{;var,other}",
      "{?var,other}",
      "?fixed=1{&var,other}",
      "{#var}",
      "{var}/{other}",
      "{x,var,other}",
  };
  for (const auto tmpl : templates) {
    const UriTemplate t(tmpl);
    for (const auto& v : values) {
      for (const auto& other : {std::string("2"), std::string("x y")}) {
        SCOPED_TRACE(std::string(tmpl) + " var=" + v + " other=" + other);
        Vars vars = {{"var", v},
                     {"other", other},
                     {"q", std::string("?&=")},
                     {"limit", std::string("10")},
                     {"x", std::string("0")}};
        const std::string uri = t.expand(vars);
        const auto m = t.match(uri);
        ASSERT_TRUE(m.has_value()) << uri;
        for (const auto& name : t.variables()) {
          const auto it = m->find(name);
          ASSERT_NE(it, m->end()) << name << " in " << uri;
          EXPECT_EQ(it->second, std::get<std::string>(vars.at(name))) << name << " in " << uri;
        }
      }
    }
  }
  // Reserved expansion round-trips values that hold reserved characters but no '%' escapes.
  const UriTemplate reserved("api://{+path}{?q}");
  for (const std::string path : {"a/b/c", "", "x:y@z!$&'()*+,;=", "with space/\xC3\xA9"}) {
    SCOPED_TRACE(path);
    const std::string uri = reserved.expand({{"path", path}, {"q", std::string("1 2")}});
    EXPECT_EQ(reserved.match(uri), (Matches{{"path", path}, {"q", "1 2"}})) << uri;
  }
}

TEST(UriTemplateMatch, HostileInputIsBoundedByDesign) {
  // A backtracking matcher would take O(n^k) here; the Pike VM is O(n * |program|).
  const std::string a_run(10000, 'a');
  const UriTemplate simple("{a}{b}{c}{d}{e}{f}{g}{h}!");
  EXPECT_EQ(simple.match(a_run), std::nullopt);
  const auto whole = simple.match(a_run + "!");
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(whole->at("a"), a_run);  // greedy: the first expression takes the run

  const std::string slashes(10000, '/');
  const UriTemplate reserved("{+a}/{+b}/{+c}/{+d}/{+e}/end");
  EXPECT_EQ(reserved.match(slashes), std::nullopt);
  EXPECT_TRUE(reserved.match(slashes + "end").has_value());

  std::string query = "api://p?";
  for (int i = 0; i < 3000; ++i) query += "q=1&";
  const UriTemplate params("api://{+path}{?q}{&r}{&s}{&t}x");
  EXPECT_EQ(params.match(query), std::nullopt);
  const auto repeated = UriTemplate("api://{+path}{?q}").match(query);
  ASSERT_TRUE(repeated.has_value());
  EXPECT_EQ(repeated->at("q").size(), 2 * 3000 - 1);  // "1,1,...,1"

  const UriTemplate segments("{/a*}{/b*}{/c*}{/d*}x");
  EXPECT_EQ(segments.match(slashes), std::nullopt);
}

// ---- malformed templates ----------------------------------------------------------------------

TEST(UriTemplateParse, MalformedTemplatesThrowWithPositionAndReason) {
  struct ErrorCase {
    std::string_view tmpl;
    std::string_view reason;
    std::string_view position;
  };
  const std::vector<ErrorCase> cases = {
      {"file:///{path", "unclosed expression", "position 8"},
      {"{", "unclosed expression", "position 0"},
      {"{var*", "unclosed expression", "position 0"},
      {"{x:3", "unclosed expression", "position 0"},
      {"a}b", "unmatched '}'", "position 1"},
      {"{a{b}}", "nested '{' inside an expression", "position 2"},
      {"{{a}}", "nested '{' inside an expression", "position 1"},
      {"{a#b}", "unexpected '#' in expression", "position 2"},
      {"{+#a}", "invalid character '#' in variable name", "position 2"},
      {"{}", "empty variable name", "position 1"},
      {"{x,}", "empty variable name", "position 3"},
      {"{,x}", "reserved operator ','", "position 1"},
      {"{=x}", "reserved operator '='", "position 1"},
      {"{!x}", "reserved operator '!'", "position 1"},
      {"{@x}", "reserved operator '@'", "position 1"},
      {"{|x}", "reserved operator '|'", "position 1"},
      {"{$x}", "invalid operator '$'", "position 1"},
      {"{-x}", "invalid operator '-'", "position 1"},
      {"{x-y}", "unexpected '-' in expression", "position 2"},
      {"{x y}", "unexpected byte 0x20 in expression", "position 2"},
      {"{x:0}", "invalid prefix length", "position 3"},
      {"{x:}", "invalid prefix length", "position 3"},
      {"{x:a}", "invalid prefix length", "position 3"},
      {"{x:10000}", "invalid prefix length", "position 3"},
      {"{x:007}", "invalid prefix length", "position 3"},
      {"{x:3*}", "prefix and explode", "position 4"},
      {"{x**}", "unexpected '*' in expression", "position 3"},
      {"{.a..b}", "misplaced '.'", "position 4"},
      {"{.a.}", "variable name ends with '.'", "position 3"},
      {"{%zz}", "'%' not followed by two hex digits", "position 1"},
      {"a%zzb", "'%' not followed by two hex digits", "position 1"},
      {"a%2", "'%' not followed by two hex digits", "position 1"},
      {"a b", "byte 0x20 is not allowed", "position 1"},
      {"a\"b", "'\"' is not allowed", "position 1"},
      {"a<b>", "'<' is not allowed", "position 1"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.tmpl);
    try {
      UriTemplate t(c.tmpl);
      ADD_FAILURE() << "no exception for " << c.tmpl;
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(c.reason), std::string::npos) << what;
      EXPECT_NE(what.find(c.position), std::string::npos) << what;
      EXPECT_NE(what.find(c.tmpl), std::string::npos) << what;
    }
  }
}

TEST(UriTemplateParse, AcceptsTheFullVarspecGrammar) {
  EXPECT_NO_THROW(UriTemplate("{x:1}{y:9999}{z*}{a.b.c}{_1}{%41B}"));
  EXPECT_NO_THROW(UriTemplate("{+a}{#b}{.c}{/d}{;e}{?f}{&g}"));
  EXPECT_NO_THROW(UriTemplate("http://example.com/~user/%7Euser/[v6]/{x}!$&()*+,;=:@"));
  EXPECT_NO_THROW(UriTemplate("caf\xC3\xA9/{x}"));
}

}  // namespace
}  // namespace mcpp
