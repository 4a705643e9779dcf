#include "server/app.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "core/json_text.hpp"
#include "core/self_path.hpp"
#include "data/areas.hpp"
#include "data/attachments.hpp"
#include "data/blob_store.hpp"
#include "data/change_log.hpp"
#include "data/coverage_store.hpp"
#include "data/idempotency.hpp"
#include "data/position_writer.hpp"
#include "data/time.hpp"
#include "data/users.hpp"
#include "data/worker_directory.hpp"
#include "data/workers.hpp"
#include "geo/crs.hpp"
#include "geo/error.hpp"
#include "server/access.hpp"
#include "server/api_doc.hpp"
#include "server/content_coding.hpp"
#include "server/cors.hpp"
#include "server/json.hpp"
#include "server/locator_state.hpp"
#include "server/static_files.hpp"
#include "tiles/basemap.hpp"
#include "tiles/glyphs.hpp"
#include "tiles/service.hpp"

namespace gridmap::server {

namespace {
// The web map next to the program: the build tree's copy (build/web) or the installed one
// (PREFIX/share/gridmap/web); programs elsewhere in the build (the tests) take the build's.
std::string default_web_dir() {
  const std::filesystem::path installed = std::filesystem::path(kInstalledDataDir) / "web";
  if (auto dir = find_near_executable({"web", installed})) return dir->string();
  return GRIDMAP_WEB_DIR;
}

std::shared_ptr<const LocatorState> load_locator(data::Db& db) {
  return std::make_shared<LocatorState>(
      LocatorState{data::Locator::load(db), data::PlaceNames::load(db)});
}

// Each server thread reads through its own connection; the statement every request runs
// (the token check) stays prepared on it. Declared after the connection: destroyed first.
thread_local struct {
  const App* owner = nullptr;
  std::unique_ptr<data::Db> db;
  std::unique_ptr<data::TokenCheck> token;
} t_read;
}  // namespace

App::App(AppOptions options) : options_(std::move(options)) {
  // Attachments never live on one server's disk beside a shared database.
  if (data::is_postgresql(options_.db_path) && options_.files_dir.empty())
    throw_invalid(
        "on PostgreSQL, --files DIR names the directory of attachments (one every server shares)");
  writer_ = std::make_unique<data::Db>(data::Db::open(options_.db_path, options_.create));
  // Other servers' changes from this one on are applied (PostgreSQL): read before the
  // indexes, so that a change made meanwhile is applied again rather than missed.
  int64_t changes_through = data::newest_change(*writer_);
  locator_ = load_locator(*writer_);
  workers_ = std::make_unique<data::WorkerDirectory>(data::WorkerDirectory::load(*writer_));
  positions_ = std::make_unique<data::PositionWriter>(
      options_.db_path, std::chrono::milliseconds(500), changes_.origin());
  files_ = std::make_unique<data::DirBlobStore>(options_.files_dir.empty()
                                                    ? data::files_dir_for(options_.db_path)
                                                    : std::filesystem::path(options_.files_dir));
  // Files a stopped process stored but never referenced (it died between the two) go now.
  data::Attachments(*writer_, *files_).sweep_orphans();
  // Writes a stopped process claimed but never answered (killed midway): their keys are free.
  data::abandon_unfinished_idempotency_keys(*writer_);
  tiles_ = std::make_unique<tiles::TileService>();
  if (!options_.font_path.empty()) font_ = std::make_unique<tiles::GlyphFont>(options_.font_path);
  if (!options_.basemap_path.empty())
    basemap_ = std::make_unique<tiles::Basemap>(options_.basemap_path);
  changes_.subscribe([this](const data::ChangeNotice& c) { on_change(c); });
  register_locate(router_);
  register_workers(router_);
  register_petitions(router_);
  register_layers(router_);
  register_ogc(router_);
  register_stats(router_);
  register_system(router_);
  register_session(router_);
  register_residents(router_);
  register_catalogue(router_);
  register_departments(router_);
  register_tiles(router_);
  register_fonts(router_);
  register_basemap(router_);
  register_heat(router_);
  register_events(router_);
  register_field_work(router_);
  register_attachments(router_);
  register_patrols(router_);
  register_register(router_);
  register_open311(router_);
  register_exports(router_);
  register_offline(router_);
  web_ = std::make_unique<StaticFiles>(options_.web_dir.empty() ? default_web_dir()
                                                                : options_.web_dir);
  for (const Route& r : router_.routes()) {
    if (!rule_for(r.name)) throw_internal("route " + r.name + " has no entry in the access table");
    if (!doc_for(r.name))
      throw_internal("route " + r.name + " has no entry in server/api_doc_table.cpp");
  }
  metrics_.gauge("gridmap_grid_index_grids", "Grids in the point-in-grid index.",
                 [this] { return static_cast<double>(locator()->locator.size()); });
  metrics_.gauge("gridmap_grid_index_bytes", "Memory of the point-in-grid index.",
                 [this] { return static_cast<double>(locator()->locator.index().memory_bytes()); });
  metrics_.gauge("gridmap_worker_index_workers", "Workers in the nearest-worker index.",
                 [this] { return static_cast<double>(workers_->size()); });
  metrics_.gauge("gridmap_db_write_queue_positions", "Worker positions waiting to be written.",
                 [this] { return static_cast<double>(positions_->pending()); });
  metrics_.counter("gridmap_tile_cache_hits_total", "Tiles answered from the cache.",
                   [this] { return static_cast<double>(tiles_->cache().counters().hits); });
  metrics_.counter("gridmap_tile_cache_misses_total", "Tiles built because the cache had none.",
                   [this] { return static_cast<double>(tiles_->cache().counters().misses); });
  metrics_.gauge("gridmap_tile_cache_bytes", "Compressed bytes of the cached tiles.",
                 [this] { return static_cast<double>(tiles_->cache().counters().bytes); });
  metrics_.gauge("gridmap_tile_cache_entries", "Tiles in the cache.",
                 [this] { return static_cast<double>(tiles_->cache().counters().entries); });
  metrics_.gauge("gridmap_heat_cache_bytes", "Bytes of the cached heat map tiles.", [this] {
    return static_cast<double>(tiles_->heat().heat_cache().counters().bytes);
  });
  metrics_.gauge("gridmap_heat_cache_entries", "Heat map tiles in the cache.", [this] {
    return static_cast<double>(tiles_->heat().heat_cache().counters().entries);
  });
  metrics_.counter(
      "gridmap_heat_cache_hits_total", "Heat map tiles answered from the cache.",
      [this] { return static_cast<double>(tiles_->heat().heat_cache().counters().hits); });
  metrics_.counter(
      "gridmap_heat_cache_misses_total", "Heat map tiles drawn because the cache had none.",
      [this] { return static_cast<double>(tiles_->heat().heat_cache().counters().misses); });
  // The database on disk: the file and its write-ahead log (checkpointed back into it).
  auto file_bytes = [](std::string path) {
    std::error_code ec;
    auto n = std::filesystem::file_size(path, ec);
    return ec ? 0.0 : static_cast<double>(n);
  };
  metrics_.gauge("gridmap_db_bytes", "Size of the database file (PostgreSQL: of the database).",
                 [this, file_bytes] {
                   return data::is_postgresql(options_.db_path)
                              ? static_cast<double>(read_db().stored_bytes())
                              : file_bytes(options_.db_path);
                 });
  metrics_.gauge("gridmap_db_wal_bytes", "Size of the database's write-ahead log.",
                 [this, file_bytes] { return file_bytes(options_.db_path + "-wal"); });
  metrics_.counter("gridmap_db_busy_waits_total",
                   "Times a connection waited for another's database lock.",
                   [] { return static_cast<double>(data::busy_wait_count()); });
  // The petitions' heat index is read now, not on the first heat map request (the
  // province's 10 million petitions take a while). A failure here is left to that request,
  // which reads it again and reports what went wrong.
  notifier_ = std::make_unique<Notifier>(*this, options_.notify);
  heat_warm_ = std::thread([this] {
    try {
      data::Db db = data::Db::open(options_.db_path, false);
      tiles_->heat().petitions().warm(db, stopping_);
    } catch (const std::exception&) {
    }
  });
  if (writer_->postgresql())
    follower_ = std::make_unique<data::ChangeFollower>(
        options_.db_path, changes_.origin(), changes_through,
        [this](const data::LoggedChange& c) { on_logged_change(c); });
  metrics_.gauge(
      "gridmap_change_log_applied_seq",
      "The last change of the database's change log this server has followed "
      "(PostgreSQL; several servers).",
      [this] { return follower_ ? static_cast<double>(follower_->applied_through()) : 0.0; });
}

App::~App() {
  follower_.reset();  // it applies changes to everything below
  notifier_.reset();  // its threads write through the writer and read the indexes
  stopping_.store(true);
  if (heat_warm_.joinable()) heat_warm_.join();
}

int64_t App::now() {
  return data::now_seconds();
}

data::Db& App::read_db() {
  if (t_read.owner != this || !t_read.db) {
    t_read.token.reset();
    t_read.db = std::make_unique<data::Db>(data::Db::open(options_.db_path, false));
    t_read.owner = this;
  }
  return *t_read.db;
}

namespace {
// Each server thread's connection to the read replica (serve --db-read), like t_read's.
thread_local struct {
  const App* owner = nullptr;
  std::unique_ptr<data::Db> db;
} t_replica;
// How long a user's own write, and any change for the tile caches, is read from the primary.
constexpr auto kReadYourWrites = std::chrono::seconds(5);
}  // namespace

void App::note_write(int64_t user_id) {
  if (options_.read_replica.empty()) return;
  auto now = std::chrono::steady_clock::now();
  std::lock_guard l(writers_lock_);
  if (recent_writers_.size() > 100000)  // forget the ones past the window
    std::erase_if(recent_writers_, [&](const auto& w) { return now - w.second > kReadYourWrites; });
  recent_writers_[user_id] = now;
}

data::Db& App::replica_or_primary() {
  if (t_replica.owner != this || !t_replica.db) {
    try {
      t_replica.db = std::make_unique<data::Db>(data::Db::open(options_.read_replica, false));
      t_replica.owner = this;
    } catch (const Error&) {
      // The replica down: the primary answers (and the next request tries the replica again).
      return read_db();
    }
  }
  return *t_replica.db;
}

data::Db& App::replica_db(const Context& ctx) {
  if (options_.read_replica.empty()) return read_db();
  if (ctx.principal) {
    std::lock_guard l(writers_lock_);
    auto it = recent_writers_.find(ctx.principal->user_id);
    if (it != recent_writers_.end() &&
        std::chrono::steady_clock::now() - it->second < kReadYourWrites)
      return read_db();
  }
  return replica_or_primary();
}

data::Db& App::tile_db() {
  if (options_.read_replica.empty()) return read_db();
  // A tile built from a replica that has not yet replayed the change just told of would be
  // cached stale: for a while after any change, tiles are built from the primary.
  auto since = std::chrono::steady_clock::now().time_since_epoch() -
               std::chrono::steady_clock::duration(last_change_.load());
  if (since < kReadYourWrites) return read_db();
  return replica_or_primary();
}

void App::on_change(const data::ChangeNotice& c, bool remote) {
  last_change_.store(std::chrono::steady_clock::now().time_since_epoch().count());
  switch (c.layer) {
    case data::Layer::subdistricts:
    case data::Layer::communities:
    case data::Layer::grids:
      reload_locator();  // readers switch to the new index when it is complete
      tiles_->area_changed(c.layer, c.before, c.after);
      {
        std::lock_guard l(alphabet_lock_);  // a new name may bring new characters
        alphabet_.reset();
      }
      return;
    case data::Layer::workers:
      if (auto w = data::WorkerRepo(read_db()).get(std::stoll(c.key))) workers_->refresh(*w);
      forget_tokens();   // a worker user's patch follows the worker's grids from now on
      reload_locator();  // the workers named by point-in-grid
      tiles_->workers_changed(read_db());
      return;
    case data::Layer::households:
      if (c.key == data::kManyRecords)
        tiles_->households_reloaded(read_db());
      else
        tiles_->household_changed(read_db(), std::stoll(c.key));
      return;
    case data::Layer::petitions:
      if (notifier_ && !remote) notifier_->poke();  // its events become notifications
      tiles_->petition_changed(read_db(), std::stoll(c.key));
      return;
  }
}

void App::on_logged_change(const data::LoggedChange& c) {
  if (c.kind == data::kPositionsChange) {
    std::vector<WorkerMove> moves;
    for (const auto& [id, p] : data::parse_positions(c.detail.value_or("")))
      moves.push_back({WorkerId{id}, p});
    std::vector<WorkerId> unknown;
    workers_->index().move_all(moves, &unknown);
    for (WorkerId id : unknown)  // not in this server's index yet: placed from its row
      if (auto w = data::WorkerRepo(read_db()).get(id.value)) workers_->refresh(*w);
    return;
  }
  if (c.kind == kNotificationsChange) {
    if (notifier_) notifier_->poke_streams();  // read from the table into its streams
    return;
  }
  if (c.kind == data::kChangesMissed) {
    // Away longer than the log keeps: what changed meanwhile is unknown, so the process
    // starts again and reads everything afresh (its supervisor restarts it; the pings it
    // accepted are written first).
    std::fprintf(stderr,
                 "gridmap: this server missed changes older than the change log keeps; "
                 "exiting to be restarted with fresh indexes\n");
    positions_->flush();
    std::fflush(nullptr);
    std::_Exit(75);
  }
  if (auto notice = data::notice_of(c)) on_change(*notice, true);
}

void App::reload_locator() {
  auto fresh = write([](data::Db& db) { return load_locator(db); });
  locator_.store(fresh);
  invalidate_coverage();
}

void App::invalidate_coverage() {
  std::lock_guard l(coverage_lock_);
  coverage_cache_.clear();
}

std::string App::coverage_json() {
  std::lock_guard l(coverage_lock_);
  if (coverage_cache_.empty())
    coverage_cache_ = data::coverage_json(data::check_stored_coverage(read_db()));
  return coverage_cache_;
}

Response problem_for(const std::exception& e) {
  auto* err = dynamic_cast<const Error*>(&e);
  if (!err || err->kind() == ErrorKind::internal) {
    // Internal messages name tables and SQL, never request data; they go to the log only.
    std::fprintf(stderr, "gridmap: internal error: %s\n", e.what());
    return problem(500, "internal", "Internal error", "the server failed to answer this request");
  }
  switch (err->kind()) {
    case ErrorKind::invalid_input:
      return problem(400, "invalid_input", "Invalid input", err->what());
    case ErrorKind::not_found:
      return problem(404, "not_found", "Not found", err->what());
    case ErrorKind::conflict:
      return problem(409, "conflict", "Conflict", err->what());
    case ErrorKind::precondition_failed:
      return problem(412, "precondition_failed", "Precondition failed", err->what());
    case ErrorKind::precondition_required:
      return problem(428, "precondition_required", "Precondition required", err->what());
    case ErrorKind::forbidden:
      return problem(403, "forbidden", "Forbidden", err->what());
    case ErrorKind::unauthorized:
      return problem(401, "unauthorized", "Unauthorized", err->what());
    case ErrorKind::too_large:
      return problem(413, "too_large", "Too large", err->what());
    case ErrorKind::unsupported_media_type:
      return problem(415, "unsupported_media_type", "Unsupported media type", err->what());
    case ErrorKind::unavailable:
      return problem(503, "unavailable", "Service unavailable", err->what());
    case ErrorKind::internal:
      break;
  }
  return problem(500, "internal", "Internal error", "the server failed to answer this request");
}

namespace {
// The value of the cookie named exactly `name` in a Cookie header ("a=1; b=2").
std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    size_t end = header.find(';');
    std::string_view pair = header.substr(0, end);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name)
      return std::string(pair.substr(eq + 1));
    if (end == std::string_view::npos) break;
    header.remove_prefix(end + 1);
  }
  return std::nullopt;
}

// The client's X-Request-Id when it is a sane token (a proxy's id ties the two logs
// together), else a fresh one.
std::string request_id(const Request& req) {
  if (auto given = req.header("x-request-id");
      given && !given->empty() && given->size() <= 64 &&
      std::all_of(given->begin(), given->end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      }))
    return *given;
  return new_request_id();
}

// The client behind trusted proxies (serve --trusted-proxy): X-Forwarded-For read from the
// right, each hop a trusted proxy names; the first address not a trusted proxy is the client.
// A request not from a trusted proxy keeps its peer address, whatever it claims.
std::string client_address(const Request& req, const std::vector<std::string>& trusted) {
  auto is_trusted = [&](std::string_view a) {
    if (a.rfind("::ffff:", 0) == 0) a.remove_prefix(7);  // IPv4 on an IPv6 socket
    return std::find(trusted.begin(), trusted.end(), a) != trusted.end();
  };
  std::string address = req.remote;
  if (!is_trusted(address)) return address;
  auto forwarded = req.header("x-forwarded-for");
  if (!forwarded) return address;
  std::string_view list = *forwarded;
  while (!list.empty()) {
    size_t comma = list.rfind(',');
    std::string_view hop = comma == std::string_view::npos ? list : list.substr(comma + 1);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(0, comma);
    while (!hop.empty() && hop.front() == ' ') hop.remove_prefix(1);
    while (!hop.empty() && hop.back() == ' ') hop.remove_suffix(1);
    if (hop.empty() || hop.size() > 64 ||
        hop.find_first_not_of("0123456789abcdefABCDEF.:") != std::string_view::npos)
      break;  // not an address: the hops before it are not to be believed
    address = std::string(hop);
    if (!is_trusted(hop)) break;
  }
  return address;
}

bool is_loopback(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address == "::1" || address.rfind("::ffff:127.", 0) == 0;
}

// RFC 9457's `instance`: the resource the problem occurred at (the path, never the query).
void add_instance(Response& res, const std::string& path) {
  if (res.body.size() < 2 || res.body.back() != '}' ||
      res.body.find("\"instance\"") != std::string::npos)
    return;
  res.body.pop_back();
  res.body += ",\"instance\":";
  append_json_string(res.body, path);
  res.body += "}";
}

std::optional<std::string> bearer(const Request& req) {
  if (auto a = req.header("authorization"); a && a->rfind("Bearer ", 0) == 0) return a->substr(7);
  return std::nullopt;
}

std::optional<std::string> session_cookie(const Request& req) {
  auto c = req.header("cookie");
  return c ? cookie_value(*c, "gridmap_session") : std::nullopt;
}

// "host:port" of an origin or URL ("http://host:port/path" -> "host:port"), lower case.
std::string authority(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
  url = url.substr(0, url.find('/'));
  std::string out(url);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

bool is_write(const std::string& method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}
}  // namespace

std::optional<std::string> credential(const Request& req) {
  if (auto b = bearer(req)) return b;
  return session_cookie(req);
}

void App::check_same_origin(const Request& req, bool upload) const {
  if (!is_write(req.method)) return;
  // A browser sends the session cookie with requests other sites' pages make, and says
  // which page made them (Origin, else Referer), which no page can forge. A bearer token
  // is never sent by a browser on its own.
  auto origin = req.header("origin");
  if (!origin || *origin == "null") origin = req.header("referer");
  bool by_cookie = !bearer(req) && session_cookie(req);
  if (!origin && !by_cookie) return;  // a script or a tool, not a browser page
  if (!origin)
    throw Error(ErrorKind::forbidden,
                "a signed-in write needs an Origin header (cross-site requests are refused)");
  std::string from = authority(*origin);
  bool same = from == authority(req.header("host").value_or("")) ||
              (!options_.public_url.empty() && from == authority(options_.public_url)) ||
              allowed_origin(options_.cors_origins, req).has_value();
  if (!same)
    throw Error(ErrorKind::forbidden,
                "a request from another site's page is refused (Origin " + from + ")");
  // Another site's form can send text/plain without asking; JSON needs our own page.
  if (!req.body.empty()) {
    std::string type = media_type(req);
    bool json = type == "application/json" || type == "application/geo+json" ||
                type == "application/merge-patch+json";
    // A file comes as itself or in a multipart form (the web app's upload): the Origin was
    // checked above, and the handler checks the file's type by its content.
    bool file = upload &&
                (type == "multipart/form-data" || type == "application/octet-stream" ||
                 type == "application/pdf" || type.rfind("image/", 0) == 0 || type == "text/csv" ||
                 type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" ||
                 type == "application/vnd.oasis.opendocument.spreadsheet");
    if (!json && !file)
      throw Error(ErrorKind::unsupported_media_type,
                  "send the body as application/json, not '" + type + "'");
  }
}

Principal App::authenticate(const Request& req) {
  auto token = credential(req);
  if (!token)
    throw Error(ErrorKind::unauthorized,
                "sign in first: send 'Authorization: Bearer <token>' or a session cookie");
  std::string hash = data::token_hash(*token);
  int64_t t = now();
  {
    std::shared_lock l(token_lock_);
    if (auto it = tokens_.find(hash); it != tokens_.end() && t - it->second.checked_at < 1)
      return it->second.principal;
  }
  Principal p = check_token(*token, hash, t);
  std::unique_lock l(token_lock_);
  if (tokens_.size() > 10000) tokens_.clear();
  tokens_[hash] = {p, t};
  return p;
}

void App::forget_token(const std::string& token) {
  std::unique_lock l(token_lock_);
  tokens_.erase(data::token_hash(token));
}

void App::forget_tokens() {
  std::unique_lock l(token_lock_);
  tokens_.clear();
}

Principal App::check_token(const std::string& token, const std::string& hash, int64_t t) {
  data::Db& db = read_db();
  if (!t_read.token) t_read.token = std::make_unique<data::TokenCheck>(db);
  auto u = t_read.token->user(token, hash, t);
  if (!u)
    throw Error(ErrorKind::unauthorized, "the token is unknown, expired or revoked; sign in again");
  return Principal{u->id,        std::move(u->name),      std::move(u->role), std::move(u->grids),
                   u->worker_id, std::move(u->area_code), u->department_id};
}

std::shared_ptr<const tiles::LabelAlphabet> App::label_alphabet() {
  auto now = std::chrono::steady_clock::now();
  std::lock_guard l(alphabet_lock_);
  if (!alphabet_ || now - alphabet_read_ > std::chrono::seconds(5)) {
    alphabet_ = std::make_shared<const tiles::LabelAlphabet>(
        tiles::label_alphabet(data::area_label_texts(read_db())));
    alphabet_read_ = now;
  }
  return alphabet_;
}

namespace {
// Everything that makes a request this request, for its idempotency key: the method, the
// path, the query (in order) and the body.
std::string request_identity(const Request& req) {
  std::string out = req.method;
  out.append("\n").append(req.path).append("\n");
  for (const auto& [k, v] : req.query) out.append(k).append("=").append(v).append("&");
  out.append("\n").append(req.body);
  return out;
}

// A write named by an Idempotency-Key: the kept answer of its first run, or a first run
// whose answer is kept (anything but a server failure, which frees the key for a retry).
Response idempotent(App& app, const std::string& key, int64_t user_id,
                    const std::function<Response()>& run, const Request& req) {
  data::IdempotencyClaim claim = app.write([&](data::Db& db) {
    return data::claim_idempotency_key(db, user_id, key, request_identity(req), App::now());
  });
  using Outcome = data::IdempotencyClaim::Outcome;
  if (claim.outcome == Outcome::mismatch)
    return problem(422, "idempotency_key_reused", "Idempotency key reused",
                   "this Idempotency-Key named another request: give each request its own key");
  if (claim.outcome == Outcome::in_progress) {
    Response r = problem(409, "idempotency_key_in_use", "Idempotency key in use",
                         "a request with this Idempotency-Key is still being processed");
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }
  if (claim.outcome == Outcome::replay) {
    Response r;
    r.status = claim.answer.status;
    r.content_type = claim.answer.content_type;
    r.headers = std::move(claim.answer.headers);
    r.body = std::move(claim.answer.body);
    r.headers.emplace_back("Idempotent-Replayed", "true");
    return r;
  }
  auto settle = [&app, key, user_id](const Response& r) {
    app.write([&](data::Db& db) {
      if (r.status >= 500)
        data::abandon_idempotency_key(db, user_id, key);
      else
        data::finish_idempotency_key(db, user_id, key,
                                     {r.status, r.content_type, r.headers, r.body});
    });
  };
  Response res;
  try {
    res = run();
  } catch (const std::exception& e) {
    res = problem_for(e);  // a refusal (4xx) is an answer like any other; a failure frees the key
  }
  if (res.deferred) {
    res.deferred = [job = std::move(res.deferred), settle]() {
      Response r;
      try {
        r = job();
      } catch (const std::exception& e) {
        r = problem_for(e);
      }
      settle(r);
      return r;
    };
    return res;
  }
  if (res.stream) {  // not kept: a stream is not an answer to replay
    app.write([&](data::Db& db) { data::abandon_idempotency_key(db, user_id, key); });
    return res;
  }
  settle(res);
  return res;
}
}  // namespace

Response App::handle(Request& req) {
  auto start = std::chrono::steady_clock::now();
  std::string route = "-";
  std::string user;
  Response res;
  try {
    if (!options_.trusted_proxies.empty())
      req.remote = client_address(req, options_.trusted_proxies);
    if (auto pre = preflight(options_.cors_origins, req)) return *pre;
    // The sign-in page and the web map's files answer without credentials.
    if (auto file = web_->serve(req)) {
      metrics_.observe(
          "web", file->status,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      file->request_id = request_id(req);
      file->route = "web";
      return *file;
    }
    identity_validators(req);
    // A parameter given twice is refused everywhere: lists are comma-separated values of one
    // parameter, so a repeat is either a mistake or an attempt to confuse a filter.
    for (auto it = req.query.begin(); it != req.query.end(); it = req.query.upper_bound(it->first))
      if (req.query.count(it->first) > 1)
        throw_invalid("parameter '" + it->first +
                      "' is given more than once; give it once (lists are comma-separated)");
    const Route* r = router_.find(req, res);
    if (r) {
      route = r->name;
      const AccessRule* rule = rule_for(r->name);
      if (!rule) throw_internal("route " + r->name + " has no access rule");
      bool upload = r->name == "register.import" ||
                    (r->name.size() > 19 &&
                     r->name.compare(r->name.size() - 19, 19, ".attachments.create") == 0);
      adopt_api_key(req);  // Open311's api_key is a token
      check_same_origin(req, upload);
      Context ctx;
      // Prometheus on this machine may scrape without a token when the operator allows it.
      bool loopback_scrape = r->name == "metrics" && options_.metrics_from_loopback &&
                             is_loopback(req.remote) && !credential(req);
      if (!rule->is_public && !loopback_scrape) {
        Principal p = authenticate(req);
        ctx.scope = scope_of(*rule, p.role);
        if (ctx.scope == Scope::denied)
          throw Error(ErrorKind::forbidden, "a " + p.role + " may not use " + r->name);
        user = std::to_string(p.user_id);
        ctx.principal = std::move(p);
      }
      check_query(*doc_for(r->name), req);  // every route has one (checked at start-up)
      std::optional<std::string> key;
      if (ctx.principal && req.method != "GET" && req.method != "HEAD") {
        key = req.header("idempotency-key");
        note_write(ctx.principal->user_id);  // their next reads come from the primary
      }
      if (!key) {
        res = r->fn(*this, req, ctx);
      } else {
        res = idempotent(
            *this, *key, ctx.principal->user_id, [&]() { return r->fn(*this, req, ctx); }, req);
      }
      if (res.deferred)  // its errors map to problems like any other answer's
        res.deferred = [job = std::move(res.deferred)]() {
          try {
            return job();
          } catch (const std::exception& e) {
            return problem_for(e);
          }
        };
    }
  } catch (const std::exception& e) {
    res = problem_for(e);
  }
  // How to authenticate, on every 401 (RFC 9110 11.6.1): a bearer token (or the session
  // cookie the web map's sign-in sets).
  if (res.status == 401) res.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"gridmap\"");
  if (res.content_type == "application/problem+json") {
    if (is_open311(req))
      res = open311_errors(req, res);
    else
      add_instance(res, req.path);
  }
  res.request_id = request_id(req);
  res.user = std::move(user);
  res.route = route;
  encode_for(req, res);
  add_cors_headers(options_.cors_origins, req, route == "fonts", res);
  metrics_.observe(route, res.status,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return res;
}

Response no_content() {
  Response r;
  r.status = 204;
  return r;
}

Response json_response(std::string body, int status) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response geojson_response(std::string body, int status) {
  Response r = json_response(std::move(body), status);
  r.content_type = "application/geo+json";
  return r;
}

namespace {
double number_param(const Request& req, const char* name) {
  auto v = req.param(name);
  if (!v) throw_invalid(std::string("'") + name + "' is required");
  double out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p != v->data() + v->size() || v->empty() || !std::isfinite(out))
    throw_invalid(std::string("'") + name + "' must be a finite number, not '" + *v + "'");
  return out;
}

crs::Crs crs_of(const Request& req) {
  auto c = req.param("crs");
  return c ? crs::parse(*c) : crs::Crs{};
}
}  // namespace

LonLat lonlat_param(const Request& req, const char* lon, const char* lat) {
  return to_wgs84(req, {number_param(req, lon), number_param(req, lat)});
}

LonLat to_wgs84(const Request& req, LonLat p) {
  crs::Crs c = crs_of(req);
  LonLat w = c.kind == crs::Kind::wgs84 ? p : crs::Transformer(c, crs::Crs{})(p);
  if (!is_valid_wgs84(w))
    throw_invalid("coordinate (" + std::to_string(p.lon) + ", " + std::to_string(p.lat) +
                  ") is out of range");
  return w;
}

void check_batch_size(App& app, size_t n, const char* items) {
  size_t most = app.options().max_batch;
  if (n > most)
    throw Error(ErrorKind::too_large, "at most " + std::to_string(most) + " " + items +
                                          " per request, got " + std::to_string(n));
}

std::vector<LonLat> points_body(App& app, const Request& req) {
  rapidjson::Document d = parse_json(req.body);
  if (!d.IsArray()) throw_invalid("expected a JSON array of [lon, lat] pairs");
  size_t n = d.Size();
  check_batch_size(app, n, "points");
  std::vector<LonLat> pts(n);
  for (size_t i = 0; i < n; ++i) {
    const auto& v = d[static_cast<rapidjson::SizeType>(i)];
    if (!v.IsArray() || v.Size() != 2 || !v[0].IsNumber() || !v[1].IsNumber())
      throw_invalid("item " + std::to_string(i) + " is not a [lon, lat] pair of numbers");
    pts[i] = to_wgs84(req, {v[0].GetDouble(), v[1].GetDouble()});
  }
  return pts;
}

LonLat from_wgs84(const Request& req, LonLat p) {
  crs::Crs c = crs_of(req);
  return c.kind == crs::Kind::wgs84 ? p : crs::Transformer(crs::Crs{}, c)(p);
}

std::optional<int64_t> time_param(const Request& req, const char* name) {
  auto v = req.param(name);
  if (!v || v->empty()) return std::nullopt;
  auto t = data::parse_time(*v);
  if (!t)
    throw_invalid(std::string("'") + name +
                  "' must be a date or time like 2026-03-01 or 2026-03-01T08:00:00+08:00");
  return t;
}

std::string media_type(const Request& req) {
  std::string type = req.header("content-type").value_or("");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (char& ch : type) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return type;
}

size_t limit_param(const Request& req, size_t fallback) {
  auto l = req.param("limit");
  if (!l) return fallback;
  try {
    return static_cast<size_t>(std::clamp<long long>(std::stoll(*l), 1, 5000));
  } catch (const std::exception&) {
    throw_invalid("'limit' is a number from 1 to 5000");
  }
}

std::string reason_param(const Request& req) {
  rapidjson::Document d = parse_json(req.body.empty() ? "{}" : req.body);
  std::string reason = opt_string(d, "reason").value_or("");
  if (reason.empty()) throw_invalid("say why in 'reason' (it goes to the audit log)");
  return reason;
}

int64_t path_id(const Request& req, const char* name, const char* what) {
  const std::string& s = req.path_params.at(name);
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size())
    throw Error(ErrorKind::not_found, std::string("no ") + what + " '" + s + "'");
  return v;
}

std::optional<int64_t> if_match_version(const Request& req) {
  auto h = req.header("if-match");
  if (!h || *h == "*") return std::nullopt;
  std::string v = *h;
  if (v.rfind("W/", 0) == 0) v = v.substr(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  if (!v.empty() && v[0] == 'v') v = v.substr(1);
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size() || v.empty())
    throw Error(ErrorKind::precondition_failed,
                "If-Match '" + *h + "' is not a version this server issued");
  return out;
}

}  // namespace gridmap::server
