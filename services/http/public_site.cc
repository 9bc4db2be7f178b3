#include "services/http/public_site.h"

#include <grpcpp/support/status_code_enum.h>
#include <httplib.h>
#include <sodium.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/common/logging.h"

namespace infrashare::http {
namespace {

constexpr size_t kMaxSecretBytes = 128;      // of a secret route's secret
constexpr size_t kMaxFormBytes = 64 * 1024;  // a form's few fields
// What a multipart part costs beyond its name and content (a map entry, its copy), counted
// against the limit: parts without name or content would otherwise be free and without end.
constexpr size_t kPartBytes = 256;

enum class BodyRead { kRead, kTooLarge, kBad };

// A request's body, at most `limit` bytes however it comes (with a length, chunked, compressed:
// cpp-httplib 0.11 bounds only a declared Content-Length, so its own reading would take any size).
// Multipart parts go to `parts` (a multipart body is kBad without them). A body with neither a
// length nor chunks is empty: reading it "until the connection ends" would hold the thread.
BodyRead ReadBody(const httplib::Request& req, const httplib::ContentReader& read, size_t limit,
                  std::string* body, std::multimap<std::string, std::string>* parts) {
  const bool chunked = absl::StrContains(
      absl::AsciiStrToLower(req.get_header_value("Transfer-Encoding")), "chunked");
  if (!req.has_header("Content-Length") && !chunked) return BodyRead::kRead;
  size_t taken = 0;
  bool too_large = false;
  auto take = [&](size_t size) {
    taken += size;
    too_large = taken > limit;
    return !too_large;
  };
  bool read_all;
  if (req.is_multipart_form_data()) {
    if (parts == nullptr) return BodyRead::kBad;
    auto field = parts->end();  // the part being read
    read_all = read(
        [&](const httplib::MultipartFormData& part) {
          field = parts->emplace(part.name, "");
          return take(kPartBytes + part.name.size());
        },
        [&](const char* data, size_t size) {
          if (!take(size) || field == parts->end()) return false;
          field->second.append(data, size);
          return true;
        });
  } else {
    read_all = read([&](const char* data, size_t size) {
      if (!take(size)) return false;
      body->append(data, size);
      return true;
    });
  }
  if (read_all) return BodyRead::kRead;
  return too_large || req.get_header_value<uint64_t>("Content-Length") > limit ? BodyRead::kTooLarge
                                                                               : BodyRead::kBad;
}

// The query of a request target: parameters split at '&' only (cpp-httplib also splits at ';'),
// a name and its value at the first '=', '+' and %XX decoded.
std::multimap<std::string, std::string> ParseQuery(const std::string& target) {
  std::multimap<std::string, std::string> query;
  const size_t mark = target.find('?');
  if (mark == std::string::npos) return query;
  for (absl::string_view pair :
       absl::StrSplit(absl::string_view(target).substr(mark + 1), '&', absl::SkipEmpty())) {
    const size_t equals = pair.find('=');
    auto decode = [](absl::string_view text) {
      return httplib::detail::decode_url(std::string(text), true);
    };
    query.emplace(decode(pair.substr(0, equals)),
                  equals == absl::string_view::npos ? "" : decode(pair.substr(equals + 1)));
  }
  return query;
}

const char* StatusTitle(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

// Debian's cpp-httplib is built with zlib and brotli and compresses text/* replies for a client
// that accepts it (brotli first): the bytes sent differ, so the strong tag must differ too
// (RFC 9110 8.8.3). The rule is cpp-httplib 0.11's own (encoding_type, can_compress_content_type).
std::string ContentCoding(const httplib::Request& req, const std::string& content_type) {
  if (content_type.rfind("text/", 0) != 0) return "";
  const std::string accepted = req.get_header_value("Accept-Encoding");
  if (accepted.find("br") != std::string::npos) return "br";
  if (accepted.find("gzip") != std::string::npos) return "gzip";
  return "";
}

// An error of the API as the HTTP layer writes it: a google.rpc.Status without details.
std::string StatusJson(grpc::StatusCode code, absl::string_view message) {
  return nlohmann::json{{"code", static_cast<int>(code)}, {"message", std::string(message)}}.dump();
}

// Answers, then closes the connection, so that nothing after this request on it is read as
// another: cpp-httplib 0.11.4 has no way to ask for that, but it closes a connection whose content
// provider reports failure, which this one does once it has written the whole answer. The provider
// must be called: the answer is not cut to a Range (an offset past the body, or a range whose end
// comes before its start, would write beyond it or never call it), and a HEAD is answered as a GET
// (cpp-httplib writes no body for HEAD, so it would not close). The request object is the
// listener's own, not const; only the handlers' signatures are.
void AnswerAndClose(const httplib::Request& req, httplib::Response& res, int status,
                    std::string body, const std::string& content_type) {
  auto& request = const_cast<httplib::Request&>(req);
  request.ranges.clear();
  if (request.method == "HEAD") request.method = "GET";
  res.status = status;
  res.set_header("Connection", "close");
  const size_t length = body.size();
  res.set_content_provider(
      length, content_type,
      [body = std::move(body)](size_t offset, size_t, httplib::DataSink& sink) {
        if (offset < body.size()) sink.write(body.data() + offset, body.size() - offset);
        return false;
      });
}

// Whether the request says a body follows (a length above 0, or chunks).
bool SaysABodyFollows(const httplib::Request& req) {
  return req.has_header("Transfer-Encoding") ||
         req.get_header_value<uint64_t>("Content-Length") > 0;
}

// An answer sent before the request's body was read (or while part of it is unread): the rest of
// the body would be read as the next request on the connection (request smuggling), so the
// connection is closed after the answer.
void AnswerBeforeBody(const httplib::Request& req, httplib::Response& res, int status,
                      std::string body, const std::string& content_type) {
  if (SaysABodyFollows(req)) return AnswerAndClose(req, res, status, std::move(body), content_type);
  res.status = status;
  res.set_content(std::move(body), content_type);
}

// What makes a request's framing or headers ambiguous, so that a server in front of this one may
// read it otherwise (request smuggling, RFC 9112 section 6.3); empty when there is nothing.
std::string FramingMistake(const httplib::Request& req) {
  auto is_token_char = [](unsigned char c) {
    return absl::ascii_isalnum(c) ||
           absl::string_view("!#$%&'*+-.^_`|~").find(c) != absl::string_view::npos;
  };
  for (const auto& [name, value] : req.headers)
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char))
      return "a header name holds a space or another character names may not have";
  const auto lengths = req.headers.equal_range("Content-Length");
  for (auto length = lengths.first; length != lengths.second; ++length)
    if (length->second.empty() || length->second.size() > 18 ||
        !std::all_of(length->second.begin(), length->second.end(),
                     [](unsigned char c) { return absl::ascii_isdigit(c); }) ||
        length->second != lengths.first->second)
      return "Content-Length must be one number of digits";
  if (req.has_header("Transfer-Encoding")) {
    if (req.get_header_value_count("Transfer-Encoding") > 1 ||
        !absl::EqualsIgnoreCase(
            absl::StripAsciiWhitespace(req.get_header_value("Transfer-Encoding")), "chunked"))
      return "the only Transfer-Encoding taken is chunked";
    if (lengths.first != lengths.second) return "Transfer-Encoding and Content-Length together";
  }
  if (req.get_header_value_count("Content-Type") > 1)
    return "one Content-Type header at most: which one another server read is unknown";
  const size_t hosts = req.get_header_value_count("Host");
  if (hosts > 1 || (hosts == 0 && req.version == "HTTP/1.1"))
    return "an HTTP/1.1 request has one Host header";
  return "";
}

}  // namespace

std::string FieldOf(const HttpQuery& fields, const std::string& name) {
  auto found = fields.find(name);
  return found == fields.end() ? std::string() : found->second;
}

std::string HtmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

HttpReply Problem(int status, const std::string& detail, const std::string& parameter) {
  nlohmann::ordered_json problem = {{"type", "about:blank"},
                                    {"title", StatusTitle(status)},
                                    {"status", status},
                                    {"detail", detail}};
  if (!parameter.empty()) problem["invalid-params"] = {{{"name", parameter}, {"reason", detail}}};
  return {status, "application/problem+json",
          problem.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

std::string EntityTag(const std::string& body, const std::string& coding) {
  unsigned char hash[16];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(body.data()),
                     body.size(), nullptr, 0);
  char hex[2 * sizeof hash + 1];
  sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
  return absl::StrCat("\"", hex, coding.empty() ? "" : "-", coding, "\"");
}

bool MatchesAny(const std::string& if_none_match, const std::string& etag) {
  for (absl::string_view candidate : absl::StrSplit(if_none_match, ',')) {
    candidate = absl::StripAsciiWhitespace(candidate);
    if (candidate == "*") return true;
    absl::ConsumePrefix(&candidate, "W/");
    if (candidate == etag) return true;
  }
  return false;
}

PublicSite::PublicSite(HttpConfig config, Metrics* metrics)
    : config_(std::move(config)),
      metrics_(metrics),
      rate_(config_.rate_per_s, config_.burst),
      server_(std::make_unique<httplib::Server>()) {}

PublicSite::~PublicSite() { Stop(); }

void PublicSite::Stop() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string PublicSite::BaseUrl() const {
  if (!config_.base_url.empty()) return config_.base_url;
  auto colon = config_.listen.rfind(':');
  return absl::StrCat("http://", config_.listen.substr(0, colon), ":", port_);
}

bool PublicSite::Servable(const std::string& path) const {
  if (paths_.count(path) || absl::StartsWith(path, "/vendor/")) return true;
  for (const auto& [prefix, suffix] : secret_paths_) {
    if (path.size() <= prefix.size() + suffix.size() || !absl::StartsWith(path, prefix) ||
        !absl::EndsWith(path, suffix))
      continue;
    const absl::string_view secret =
        absl::string_view(path).substr(prefix.size(), path.size() - prefix.size() - suffix.size());
    if (secret.size() <= kMaxSecretBytes && std::all_of(secret.begin(), secret.end(), [](char c) {
          return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
        }))
      return true;
  }
  if (config_.static_dir.empty()) return false;
  if (path == "/") return true;
  const bool top_level = path.size() > 1 && path.find('/', 1) == std::string::npos;
  return top_level && (absl::EndsWith(path, ".html") || absl::EndsWith(path, ".js") ||
                       absl::EndsWith(path, ".css"));
}

void PublicSite::Route(const std::string& path, HttpRoute route) {
  paths_.insert(path);
  server_->Get(
      path, [this, route = std::move(route)](const httplib::Request& req, httplib::Response& res) {
        Answer(route(HttpQuery(req.params.begin(), req.params.end())), true, req, res);
      });
}

void PublicSite::SecretRoute(const std::string& prefix, const std::string& suffix,
                             HttpSecretRoute route) {
  secret_paths_.emplace_back(prefix, suffix);
  // cpp-httplib routes by regular expression: the fixed parts escaped character by character.
  auto literal = [](const std::string& text) {
    std::string out;
    for (char c : text) {
      if (absl::string_view("\\^$.|?*+()[]{}").find(c) != absl::string_view::npos) out += '\\';
      out += c;
    }
    return out;
  };
  server_->Get(
      literal(prefix) + absl::StrCat("([A-Za-z0-9_-]{1,", kMaxSecretBytes, "})") + literal(suffix),
      [this, route = std::move(route)](const httplib::Request& req, httplib::Response& res) {
        Answer(route(req.matches[1].str()), false, req, res);
      });
}

void PublicSite::FormRoute(const std::string& path, HttpFormRoute route) {
  paths_.insert(path);
  form_paths_.insert(path);
  auto handle = [this, route](const httplib::Request& req, httplib::Response& res,
                              const httplib::ContentReader* read) {
    HttpQuery fields(req.params.begin(), req.params.end());
    // The form's fields beside the query's, multipart or urlencoded.
    if (read != nullptr) {
      std::string body;
      HttpQuery parts;
      const BodyRead got = ReadBody(req, *read, kMaxFormBytes, &body, &parts);
      if (got != BodyRead::kRead) {
        ++counters_->refused;
        AnswerBeforeBody(
            req, res, got == BodyRead::kTooLarge ? 413 : 400,
            got == BodyRead::kTooLarge ? "the form is too large" : "the form could not be read",
            "text/plain");
        return;
      }
      fields.insert(parts.begin(), parts.end());
      httplib::Params urlencoded;
      httplib::detail::parse_query_text(body, urlencoded);
      fields.insert(urlencoded.begin(), urlencoded.end());
    }
    HttpReply reply = route(fields, read != nullptr);
    if (reply.status >= 400 && reply.status < 500) ++counters_->refused;
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Robots-Tag", "noindex, nofollow");
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_header("Content-Security-Policy",
                   "default-src 'none'; form-action 'self'; frame-ancestors 'none'");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.status = reply.status;
    res.set_content(std::move(reply.body), reply.content_type);
  };
  server_->Get(path, [handle](const httplib::Request& req, httplib::Response& res) {
    handle(req, res, nullptr);
  });
  server_->Post(path, [handle](const httplib::Request& req, httplib::Response& res,
                               const httplib::ContentReader& read) { handle(req, res, &read); });
}

void PublicSite::CallerRoute(const std::string& path, HttpCallerRoute route) {
  paths_.insert(path);
  server_->Get(
      path, [this, route = std::move(route)](const httplib::Request& req, httplib::Response& res) {
        HttpQuery query(req.params.begin(), req.params.end());
        // Two tokens: which one another server in front would read is unknown.
        HttpReply reply = req.get_header_value_count("Authorization") > 1
                              ? Problem(400, "one Authorization header at most", "Authorization")
                              : route(query, req.get_header_value("Authorization"));
        if (reply.status >= 400 && reply.status < 500) ++counters_->refused;
        res.set_header("Cache-Control", "private, no-store");
        res.set_header("Vary", "Authorization");
        if (reply.retry_after_s > 0)
          res.set_header("Retry-After", std::to_string(reply.retry_after_s));
        if (reply.status == 401) res.set_header("WWW-Authenticate", "Bearer");
        res.status = reply.status;
        res.set_content(std::move(reply.body), reply.content_type);
      });
}

void PublicSite::ApiRoutes(const std::string& prefix, size_t max_body_bytes, ApiRoute route) {
  api_prefix_ = prefix;
  max_body_bytes_ = std::max(max_body_bytes_, max_body_bytes);
  auto handle = [this, route = std::move(route)](const httplib::Request& req,
                                                 httplib::Response& res,
                                                 const httplib::ContentReader* read) {
    // Two tokens or two keys: which one another server in front would read is unknown.
    if (req.get_header_value_count("Authorization") > 1 ||
        req.get_header_value_count("Idempotency-Key") > 1) {
      AnswerAndClose(req, res, 400,
                     StatusJson(grpc::StatusCode::INVALID_ARGUMENT,
                                "one Authorization header and one Idempotency-Key at most"),
                     "application/json");
      return;
    }
    // A call without a token is refused by the server whatever its body holds: the body is not
    // read (it cost the listener a parse of up to grpc.max_message_bytes for nothing), and the
    // connection closes after the answer when one follows.
    const bool tokenless = !req.has_header("Authorization");
    ApiRequest call;
    if (read != nullptr && !tokenless) {
      const BodyRead got = ReadBody(req, *read, max_body_bytes_, &call.body, nullptr);
      if (got != BodyRead::kRead) {
        ++counters_->refused;
        res.set_header("Cache-Control", "no-store");
        AnswerBeforeBody(
            req, res, got == BodyRead::kTooLarge ? 413 : 400,
            StatusJson(grpc::StatusCode::INVALID_ARGUMENT,
                       got == BodyRead::kTooLarge
                           ? absl::StrCat("the body is larger than ", max_body_bytes_, " bytes")
                           : "the body must be JSON (application/json), sent whole"),
            "application/json");
        return;
      }
    }
    call.method = req.method == "HEAD" ? "GET" : req.method;
    call.path = req.target.substr(0, req.target.find('?'));
    call.query = ParseQuery(req.target);
    call.authorization = req.get_header_value("Authorization");
    call.idempotency_key = req.get_header_value("Idempotency-Key");
    call.accept = req.get_header_value("Accept");
    call.content_type = req.get_header_value("Content-Type");
    call.peer =
        absl::StrCat(absl::StrContains(req.remote_addr, ':') ? "ipv6:[" : "ipv4:", req.remote_addr,
                     absl::StrContains(req.remote_addr, ':') ? "]" : "", ":", req.remote_port);
    ApiReply reply = route(call);
    if (reply.status >= 400 && reply.status < 500) ++counters_->refused;
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Content-Type-Options", "nosniff");
    for (const auto& [name, value] : reply.headers) res.set_header(name, value);
    if (tokenless && read != nullptr && !reply.stream) {
      AnswerBeforeBody(req, res, reply.status, std::move(reply.body), reply.content_type);
      return;
    }
    res.status = reply.status;
    if (!reply.stream) {
      res.set_content(std::move(reply.body), reply.content_type);
      return;
    }
    res.set_chunked_content_provider(
        reply.content_type, [stream = std::move(reply.stream)](size_t, httplib::DataSink& sink) {
          stream([&sink](const std::string& part) { return sink.write(part.data(), part.size()); },
                 [&sink] { return sink.is_writable(); });
          sink.done();
          return true;
        });
  };
  const std::string pattern = prefix + ".*";
  auto without_body = [handle](const httplib::Request& req, httplib::Response& res) {
    handle(req, res, nullptr);
  };
  server_->Get(pattern, without_body);
  server_->Options(pattern, without_body);  // 405 naming the methods the path takes
  auto with_body = [handle](const httplib::Request& req, httplib::Response& res,
                            const httplib::ContentReader& read) { handle(req, res, &read); };
  server_->Post(pattern, with_body);
  server_->Put(pattern, with_body);
  server_->Patch(pattern, with_body);
  server_->Delete(pattern, with_body);
}

bool PublicSite::Admit(const httplib::Request& req, httplib::Response& res) {
  ++counters_->requests;
  const bool api = !api_prefix_.empty() && absl::StartsWith(req.path, api_prefix_);
  // What follows on the connection cannot be trusted: it is closed after the answer.
  auto refuse_and_close = [&](const std::string& mistake) {
    ++counters_->refused;
    if (api) {
      AnswerAndClose(req, res, 400, StatusJson(grpc::StatusCode::INVALID_ARGUMENT, mistake),
                     "application/json");
    } else {
      HttpReply problem = Problem(400, mistake, "");
      AnswerAndClose(req, res, 400, std::move(problem.body), problem.content_type);
    }
    return false;
  };
  if (const std::string mistake = FramingMistake(req); !mistake.empty())
    return refuse_and_close(mistake);
  // cpp-httplib 0.11 reads a body only for POST, PUT, PATCH and DELETE: one sent with another
  // method would be read as the next request.
  if (SaysABodyFollows(req) && req.method != "POST" && req.method != "PUT" &&
      req.method != "PATCH" && req.method != "DELETE")
    return refuse_and_close(absl::StrCat("a ", req.method, " request carries no body"));
  if (api) {
    // An answer of the API is never cut to a byte range (cpp-httplib would apply a Range header
    // to any reply, a write's included: the write done, its answer a bare 416). The request
    // object is the listener's own, not const; only this handler's signature is.
    const_cast<httplib::Request&>(req).ranges.clear();
    if (req.target.size() <= static_cast<size_t>(config_.max_url_bytes)) return true;
    ++counters_->refused;
    AnswerBeforeBody(req, res, 414,
                     StatusJson(grpc::StatusCode::INVALID_ARGUMENT,
                                absl::StrCat("the request target is longer than ",
                                             config_.max_url_bytes, " bytes")),
                     "application/json");
    return false;
  }
  auto refuse = [&](const HttpReply& reply) {
    res.set_header("Access-Control-Allow-Origin", "*");
    AnswerBeforeBody(req, res, reply.status, reply.body, reply.content_type);
    return false;
  };
  if (int retry_after = rate_.Take(req.remote_addr); retry_after > 0) {
    ++counters_->rate_limited;
    res.set_header("Retry-After", std::to_string(retry_after));
    return refuse(Problem(429, "too many requests from this address"));
  }
  if (req.target.size() > static_cast<size_t>(config_.max_url_bytes)) {
    ++counters_->refused;
    return refuse(Problem(
        414, absl::StrCat("the request target is longer than ", config_.max_url_bytes, " bytes")));
  }
  const bool form = form_paths_.count(req.path) > 0;
  if (req.method != "GET" && req.method != "HEAD" && !(form && req.method == "POST")) {
    ++counters_->refused;
    res.set_header("Allow", form ? "GET, HEAD, POST" : "GET, HEAD");
    return refuse(Problem(405, "the open data is read-only: GET or HEAD"));
  }
  if (!Servable(req.path)) {
    ++counters_->refused;
    return refuse(Problem(404, "nothing is published at this path"));
  }
  return true;
}

void PublicSite::Answer(HttpReply reply, bool shared, const httplib::Request& req,
                        httplib::Response& res) {
  if (shared) {
    res.set_header("Access-Control-Allow-Origin", "*");
  } else {
    // The address is the credential: kept out of shared caches, search engines and the Referer
    // of anything the reply links to.
    res.set_header("X-Robots-Tag", "noindex, nofollow");
    res.set_header("Referrer-Policy", "no-referrer");
  }
  if (reply.status != 200) {
    if (reply.status >= 400 && reply.status < 500) ++counters_->refused;
    if (reply.retry_after_s > 0) res.set_header("Retry-After", std::to_string(reply.retry_after_s));
    res.set_header("Cache-Control", "no-store");
    res.status = reply.status;
    res.set_content(reply.body, reply.content_type);
    return;
  }
  const std::string etag = EntityTag(reply.body, ContentCoding(req, reply.content_type));
  res.set_header("ETag", etag);
  res.set_header("Cache-Control",
                 absl::StrCat(shared ? "public" : "private", ", max-age=", config_.max_age_s));
  res.set_header("Vary", "Accept-Encoding");
  if (req.has_header("If-None-Match") && MatchesAny(req.get_header_value("If-None-Match"), etag)) {
    ++counters_->not_modified;
    res.status = 304;
    return;
  }
  res.status = 200;
  res.set_content(std::move(reply.body), reply.content_type);
}

bool PublicSite::Start() {
  server_->new_task_queue = [threads = config_.threads] {
    return new httplib::ThreadPool(threads);
  };
  server_->set_payload_max_length(max_body_bytes_);  // a form's few fields, or the API's bodies
  server_->set_tcp_nodelay(true);  // a reply's headers and body are written apart: no 40 ms wait
  // An error the HTTP layer answers itself (a header too long, a request line it cannot read)
  // still gets a body: a google.rpc.Status on the API, a problem document elsewhere.
  server_->set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty() || res.content_provider_)
          return httplib::Server::HandlerResponse::Unhandled;
        const std::string detail = StatusTitle(res.status);
        // A request refused before its path was read has only its target.
        const std::string& path = req.path.empty() ? req.target : req.path;
        if (!api_prefix_.empty() && absl::StartsWith(path, api_prefix_)) {
          const grpc::StatusCode code = res.status == 404   ? grpc::StatusCode::NOT_FOUND
                                        : res.status == 405 ? grpc::StatusCode::UNIMPLEMENTED
                                        : res.status >= 500 ? grpc::StatusCode::INTERNAL
                                                            : grpc::StatusCode::INVALID_ARGUMENT;
          res.set_content(StatusJson(code, detail), "application/json");
        } else {
          const HttpReply problem = Problem(res.status, detail, "");
          res.set_content(problem.body, problem.content_type);
        }
        return httplib::Server::HandlerResponse::Handled;
      }));
  server_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    return Admit(req, res) ? httplib::Server::HandlerResponse::Unhandled
                           : httplib::Server::HandlerResponse::Handled;
  });
  if (!config_.static_dir.empty() && !server_->set_mount_point("/", config_.static_dir)) {
    logging::Error("http.static_dir is not a directory", {{"static_dir", config_.static_dir}});
    return false;
  }
  // The pages' libraries from the npm packages the lock file pins (scripts/bootstrap installs
  // them): only their dist/ folders, nothing else of node_modules.
  if (!config_.vendor_dir.empty())
    for (const char* package : {"leaflet", "chart.js"})
      if (!server_->set_mount_point(absl::StrCat("/vendor/", package),
                                    absl::StrCat(config_.vendor_dir, "/", package, "/dist")))
        logging::Warn("http.vendor_dir lacks a package the pages load (npm ci)",
                      {{"vendor_dir", config_.vendor_dir}, {"package", package}});
  auto colon = config_.listen.rfind(':');
  const std::string host = config_.listen.substr(0, colon);
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(config_.listen.substr(colon + 1), &port))
    return false;
  port_ =
      port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (port_ <= 0) return false;
  if (metrics_ != nullptr) {
    auto counter = [this](const char* name, const char* help,
                          std::atomic<long long> Counters::*value) {
      metrics_->AddSampled(name, "counter", help, [counters = counters_, value] {
        return static_cast<double>(((*counters).*value).load());
      });
    };
    counter("infrashare_http_requests_total", "Requests to the public HTTP listener.",
            &Counters::requests);
    counter("infrashare_http_not_modified_total",
            "Open-data requests answered 304 Not Modified (If-None-Match).",
            &Counters::not_modified);
    counter("infrashare_http_rate_limited_total",
            "Requests to the public HTTP listener refused with 429.", &Counters::rate_limited);
    counter("infrashare_http_refused_total",
            "Requests to the public HTTP listener refused as bad (400, 405, 414).",
            &Counters::refused);
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return true;
}

}  // namespace infrashare::http
