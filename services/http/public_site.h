// The public HTTP listener (config http.listen): no token, GET and HEAD only (and POST to a form
// route). Every route's 200
// reply gets a strong ETag from its bytes (If-None-Match answers 304), Cache-Control and CORS for
// any origin (a secret route's: private, no CORS); every request counts against its client
// address's rate (429 with Retry-After); other methods get 405 and over-long targets 414. Static
// files (config http.static_dir) are served under /. Routes are registered in one place,
// routes.cc.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "services/common/config.h"
#include "services/common/metrics.h"
#include "services/http/client_rate_limit.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace infrashare::http {

using HttpQuery = std::multimap<std::string, std::string>;

struct HttpReply {
  int status = 200;
  std::string content_type;
  std::string body;
  int retry_after_s = 0;  // 503: when to try again
};
using HttpRoute = std::function<HttpReply(const HttpQuery& query)>;
// A route whose answer depends on who asks: it gets the Authorization header as sent ("" when
// none). Its replies are never stored by shared caches nor readable from other origins.
using HttpCallerRoute =
    std::function<HttpReply(const HttpQuery& query, const std::string& authorization)>;
// A route whose path carries a credential (a calendar feed's address): it gets the secret. Its
// replies are for whoever holds the address only: no shared caching, no CORS, no indexing, no
// Referer sent on.
using HttpSecretRoute = std::function<HttpReply(const std::string& secret)>;
// A route that takes a small form too (a person's e-mail preferences): GET shows it, POST sends it
// (application/x-www-form-urlencoded, its fields beside the query's). `post` tells which. Its
// replies are private like a secret route's: the URL carries a signature.
using HttpFormRoute = std::function<HttpReply(const HttpQuery& fields, bool post)>;

// A call of the REST API (rest_gateway.h) as the listener hands it over.
struct ApiRequest {
  std::string method;  // GET (HEAD too), POST, PUT, PATCH, DELETE
  std::string path;    // as sent: percent-encoded, without the query
  HttpQuery query;     // decoded
  std::string authorization, idempotency_key, accept, content_type;  // headers, "" when none
  std::string body;
  std::string peer;  // the client's address, "ipv4:192.0.2.1:50123"
};
struct ApiReply {
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set for a stream that has begun: sends its parts with `write` (false once the client has
  // gone) until it ends, asking `connected` while it has nothing to send. `body` is then unused.
  std::function<void(const std::function<bool(const std::string&)>& write,
                     const std::function<bool()>& connected)>
      stream;
};
using ApiRoute = std::function<ApiReply(const ApiRequest& request)>;

// An error reply as an RFC 9457 problem document; `parameter` names the bad query parameter.
HttpReply Problem(int status, const std::string& detail, const std::string& parameter = "");

// The first value of `name` in `fields`; "" when it is not there.
std::string FieldOf(const HttpQuery& fields, const std::string& name);

// `text` for HTML text and attribute values: & < > " escaped.
std::string HtmlEscape(const std::string& text);

// The strong entity tag of a body: a quoted hash of its bytes, with the content coding it is sent
// in ("gzip", "br"; "" for none).
std::string EntityTag(const std::string& body, const std::string& coding = "");
// True when an If-None-Match header value names `etag` (or is "*"); weak comparison (RFC 9110
// 13.1.2).
bool MatchesAny(const std::string& if_none_match, const std::string& etag);

class PublicSite {
 public:
  PublicSite(HttpConfig config, Metrics* metrics);
  ~PublicSite();
  PublicSite(const PublicSite&) = delete;
  PublicSite& operator=(const PublicSite&) = delete;

  // Before Start: answer GET (and HEAD) of `path` with `route`.
  void Route(const std::string& path, HttpRoute route);
  void CallerRoute(const std::string& path, HttpCallerRoute route);
  // GET <prefix><secret><suffix>, the secret 1 to 128 of [A-Za-z0-9_-]; `prefix` and `suffix`
  // are plain text (no regular expression).
  void SecretRoute(const std::string& prefix, const std::string& suffix, HttpSecretRoute route);
  void FormRoute(const std::string& path, HttpFormRoute route);
  // Every method of every path under `prefix` ("/v1/"): an API whose calls carry their own
  // token, and with it their own rate limits, so the listener's per-address rate does not apply.
  // Bodies up to `max_body_bytes`. Replies are never cached nor readable from other origins.
  void ApiRoutes(const std::string& prefix, size_t max_body_bytes, ApiRoute route);
  // Binds http.listen and serves; false when it cannot bind (or the static directory is missing).
  bool Start();
  void Stop();
  int port() const { return port_; }
  // The listener's absolute URL for documents that link to themselves (http.base_url, else
  // http://<listen>).
  std::string BaseUrl() const;

 private:
  bool Admit(const httplib::Request& req, httplib::Response& res);
  // A registered route, a library under /vendor/, or a page file at the top of http.static_dir
  // (.html, .js, .css): nothing else of that folder (its package.json, node_modules, tests).
  bool Servable(const std::string& path) const;
  // The reply of a route: ETag and 304, caching for everyone (`shared`) or only for the client.
  void Answer(HttpReply reply, bool shared, const httplib::Request& req, httplib::Response& res);

  HttpConfig config_;
  Metrics* metrics_;
  ClientRateLimit rate_;
  std::unique_ptr<httplib::Server> server_;
  std::set<std::string> paths_;                                    // of the registered routes
  std::set<std::string> form_paths_;                               // that take POST too
  std::vector<std::pair<std::string, std::string>> secret_paths_;  // prefix and suffix
  std::string api_prefix_;                                         // "" when no API
  size_t max_body_bytes_ = 64 * 1024;                              // of any request
  std::thread thread_;
  int port_ = 0;
  struct Counters {
    std::atomic<long long> requests{0}, not_modified{0}, rate_limited{0}, refused{0};
  };
  // Shared with the metrics' readers, which may outlive the site.
  std::shared_ptr<Counters> counters_ = std::make_shared<Counters>();
};

}  // namespace infrashare::http
