// The application behind the routes: shared state (indexes, connections, metrics) and the
// one place that maps domain errors to HTTP problems.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <rapidjson/fwd.h>

#include "data/changes.hpp"
#include "data/db.hpp"
#include "data/layer.hpp"
#include "geo/types.hpp"
#include "server/context.hpp"
#include "server/http/message.hpp"
#include "server/metrics.hpp"
#include "server/notifier.hpp"
#include "server/router.hpp"

// Held by the application, included by the handlers that use them.
namespace gridmap::data {
struct AreaEdit;
struct FeatureQuery;
struct Household;
class BlobStore;
class ChangeFollower;
struct LoggedChange;
class PositionWriter;
class WorkerDirectory;
}  // namespace gridmap::data
namespace gridmap::tiles {
class Basemap;
class GlyphFont;
struct LabelAlphabet;
class TileService;
}  // namespace gridmap::tiles

namespace gridmap::server {

struct AppOptions {
  std::string db_path;
  bool create = false;       // make an empty database when the file is new or empty
  std::string web_dir;       // the web map's files; empty: found next to the program
  std::string font_path;     // the font of map labels; empty: a map without names
  std::string basemap_path;  // an MBTiles base map; empty: a plain background
  // The origin users reach the server at ("https://grid.example.gov.cn"), for absolute URLs
  // in styles and TileJSON and as an accepted Origin; empty: URLs are relative to the page.
  std::string public_url;
  // /metrics answers requests from 127.0.0.0/8 and ::1 without credentials (serve
  // --metrics-from-loopback): a local Prometheus needs no token. Not behind a proxy on the
  // same machine, whose requests all come from there.
  bool metrics_from_loopback = false;
  // Addresses of the proxies in front (nginx): a request from one of them is taken to come
  // from the address its X-Forwarded-For names (sign-in throttle, access log, /metrics).
  std::vector<std::string> trusted_proxies;
  // Web origins whose pages may call the API from a browser (CORS, with credentials),
  // normalised (server/cors.hpp); empty: none but this server's own pages.
  std::vector<std::string> cors_origins;
  size_t max_batch = 100000;  // items per batch request (locate, nearest, positions)
  size_t max_page = 1000;     // features per page
  // Attachments: where their files live (empty: "<db>.files" beside the database) and the
  // largest file taken (larger: 413).
  std::string files_dir;
  // A PostgreSQL hot standby of db_path (serve --db-read) for lists, statistics and tiles.
  std::string read_replica;
  size_t max_upload_bytes = 10u << 20;
  int patrol_retention_days = 30;  // patrol track points older than this are purged
  // Reporters' contacts of cases closed longer ago than this are removed (0: kept).
  int contact_retention_days = 3 * 365;
  // Audit entries of the months older than this are removed (0: kept; else at least 180, the
  // Cybersecurity Law's six months of logs).
  int audit_retention_days = 0;
  NotifyOptions notify;  // the event stream and the webhooks
};

class StaticFiles;
struct LocatorState;  // server/locator_state.hpp

class App {
 public:
  explicit App(AppOptions options);
  ~App();

  // Routing, access control (the handler gets the caller and their scope in a Context),
  // error mapping, metrics.
  Response handle(Request& req);
  Principal authenticate(const Request& req);  // throws unauthorized
  // Refuses a write a browser made for another site's page (CSRF): 403 when its Origin (or
  // Referer) is not this server, or a cookie-signed write has neither; 415 for a body that
  // is not JSON.
  // `upload`: a route that takes a file (a photo, a PDF, or a multipart form holding one).
  void check_same_origin(const Request& req, bool upload = false) const;
  void forget_token(const std::string& token);  // after a sign-out
  void forget_tokens();  // after a change to who may see what (a worker's grids)

  data::Db& read_db();  // this thread's connection
  // Reads that tolerate replication lag (lists, statistics, OGC items): this thread's
  // connection to the read replica (serve --db-read), except for a user who wrote in the last
  // 5 s (their own write is read back from the primary) or while the replica cannot be
  // reached; read_db() without a replica.
  data::Db& replica_db(const Context& ctx);
  // Tiles, heat maps and hotspots, which are cached until a change: the replica too, except in
  // the 5 s after a change (a tile built from a replica behind it would stay stale in the cache).
  data::Db& tile_db();
  // Runs f(Db&) on the single writer connection, one writer at a time; then, with the write
  // lock let go, delivers the change notices its commits published (the indexes and caches
  // catch up before the answer is sent).
  template <class F>
  auto write(F&& f) {
    struct Deliver {
      data::ChangeFeed& feed;
      ~Deliver() { feed.deliver(); }
    } deliver{changes_};
    std::lock_guard l(write_lock_);
    return f(*writer_);
  }
  data::ChangeFeed& changes() { return changes_; }  // for the services a handler calls
  std::shared_ptr<const LocatorState> locator() const { return locator_.load(); }
  void reload_locator();  // after grids or assignments change
  void invalidate_coverage();
  std::string coverage_json();  // cached until the layout changes
  data::WorkerDirectory& workers() { return *workers_; }
  data::PositionWriter& positions() { return *positions_; }
  data::BlobStore& files() { return *files_; }      // attachments' bytes
  tiles::TileService& tiles() { return *tiles_; }   // tiles and their cache; told of changes
  tiles::GlyphFont* font() { return font_.get(); }  // null: no labels
  // The characters the areas' names use (the glyphs a map needs), read again when older
  // than a few seconds.
  std::shared_ptr<const tiles::LabelAlphabet> label_alphabet();
  const tiles::Basemap* basemap() const { return basemap_.get(); }  // null: none
  Metrics& metrics() { return metrics_; }
  Notifier& notifier() { return *notifier_; }
  const AppOptions& options() const { return options_; }
  const Router& router() const { return router_; }
  static int64_t now();

 private:
  AppOptions options_;
  // What each index and cache does with a change; `remote`: another server's (PostgreSQL),
  // whose notifications that server collects.
  void on_change(const data::ChangeNotice& change, bool remote = false);
  void note_write(int64_t user_id);  // a user's write: read back from the primary
  // This thread's connection to the read replica; the primary's while it cannot be reached.
  data::Db& replica_or_primary();
  std::mutex writers_lock_;
  std::unordered_map<int64_t, std::chrono::steady_clock::time_point> recent_writers_;
  std::atomic<std::chrono::steady_clock::rep> last_change_{0};
  // Another server's change (PostgreSQL: data/change_log.hpp): the notice's work, its workers'
  // positions moved, its notifications streamed.
  void on_logged_change(const data::LoggedChange& change);
  data::ChangeFeed changes_;
  std::mutex write_lock_;
  std::unique_ptr<data::Db> writer_;
  std::atomic<std::shared_ptr<const LocatorState>> locator_;
  std::unique_ptr<data::WorkerDirectory> workers_;
  std::unique_ptr<data::PositionWriter> positions_;
  std::unique_ptr<data::BlobStore> files_;
  std::unique_ptr<tiles::TileService> tiles_;
  std::unique_ptr<tiles::GlyphFont> font_;
  std::mutex alphabet_lock_;
  std::shared_ptr<const tiles::LabelAlphabet> alphabet_;
  std::chrono::steady_clock::time_point alphabet_read_;
  std::unique_ptr<tiles::Basemap> basemap_;
  std::mutex coverage_lock_;
  std::string coverage_cache_;
  Metrics metrics_;
  Router router_;
  std::unique_ptr<StaticFiles> web_;
  // Checked tokens, trusted for a second: a revocation through this server (sign-out) is
  // immediate, one made elsewhere (gridmap user disable) within a second.
  Principal check_token(const std::string& token, const std::string& hash, int64_t now);
  struct CachedToken {
    Principal principal;
    int64_t checked_at;
  };
  std::shared_mutex token_lock_;
  std::unordered_map<std::string, CachedToken> tokens_;
  std::atomic<bool> stopping_{false};
  std::thread heat_warm_;                           // reads the heat index at start-up
  std::unique_ptr<Notifier> notifier_;              // its threads use everything above
  std::unique_ptr<data::ChangeFollower> follower_;  // last: other servers' changes, applied
};

// Maps a domain error to its HTTP problem (status, stable type).
Response problem_for(const std::exception& e);

// Route registration, one function per resource file under handlers/.
void register_locate(Router& r);
void register_workers(Router& r);
void register_layers(Router& r);
void register_ogc(Router& r);
void register_petitions(Router& r);
void register_stats(Router& r);
void register_system(Router& r);
void register_session(Router& r);
void register_residents(Router& r);
void register_catalogue(Router& r);
void register_departments(Router& r);
void register_tiles(Router& r);
void register_fonts(Router& r);
void register_basemap(Router& r);
void register_heat(Router& r);
void register_events(Router& r);
void register_field_work(Router& r);
void register_attachments(Router& r);
void register_patrols(Router& r);
void register_register(Router& r);
void register_open311(Router& r);
void register_exports(Router& r);
void register_offline(Router& r);

// Helpers shared by handlers.
Response json_response(std::string body, int status = 200);
// A GeoJSON Feature or FeatureCollection (RFC 7946: application/geo+json).
Response geojson_response(std::string body, int status = 200);
Response no_content();  // 204
// A worker's field records (visits, work log) are theirs; a supervisor (a community's or
// subdistrict's office) reaches the workers with a grid in its area. 403 for a worker
// naming another, 404 for a worker outside a supervisor's area, as for a missing one.
void require_worker_in_reach(App& app, const Context& ctx, int64_t worker);
LonLat lonlat_param(const Request& req, const char* lon = "lon", const char* lat = "lat");
// Converts a coordinate given in the request's `crs` parameter to WGS84.
LonLat to_wgs84(const Request& req, LonLat p);
LonLat from_wgs84(const Request& req, LonLat p);
// Refuses (413) a batch of more than options().max_batch items.
void check_batch_size(App& app, size_t n, const char* items);
// The body as a JSON array of [lon, lat] pairs in the request's crs, converted to WGS84;
// throws invalid_input naming the first bad item, too_large past max_batch.
std::vector<LonLat> points_body(App& app, const Request& req);
std::optional<int64_t> time_param(const Request& req, const char* name);
// The body's media type: Content-Type without parameters, lower case ("" when absent).
std::string media_type(const Request& req);
// 'limit' of a list: `fallback` when absent, clamped to 1..5000; 400 when not a number.
size_t limit_param(const Request& req, size_t fallback = 500);
// The body's non-empty "reason" (a reveal of personal data says why: it goes to the audit
// log); 400 without one.
std::string reason_param(const Request& req);
// A numeric id in the path: one that cannot exist is simply not found ("no <what> '<text>'").
int64_t path_id(const Request& req, const char* name, const char* what);
std::optional<int64_t> if_match_version(const Request& req);  // "v12" / "12" in If-Match
// The configured public URL for absolute URLs in styles and TileJSON, or "" (URLs relative
// to the page). Never the request's Host: behind a cache that would let anyone poison it.
std::string base_url(const App& app);
// The token a request carries: "Authorization: Bearer ..." or the session cookie.
std::optional<std::string> credential(const Request& req);
// Whether the caller may see the record (own-patch callers only their patch); handlers
// answer 404 otherwise, so existence does not leak.
bool record_visible(App& app, data::Layer layer, const Context& ctx, const std::string& key);
// A boundary edit from a GeoJSON Feature: properties code (on create), name, the parent's
// code (subdistrict_code of a community, community_code of a grid); the geometry.
data::AreaEdit area_edit(data::Layer layer, const rapidjson::Value& feature, bool create,
                         const std::string& path_code);
// A household at `p`, with the grid, community and subdistrict the point lies in.
data::Household stamped_household(App& app, LonLat p);
// Holds a list's query to the caller's patch when their role reaches only their own (a
// worker's grids, cases they reported or handle; an office's area or department).
void apply_reach(const Context& ctx, data::FeatureQuery& q);
// Open311 (handlers/open311.cpp): its routes take the token as api_key too (query or form),
// and answer errors as Open311's list of {code, description}.
bool is_open311(const Request& req);
void adopt_api_key(Request& req);
Response open311_errors(const Request& req, const Response& problem);
// A list's query from its parameters (bbox, limit, cursor and attribute filters: every
// parameter not `reserved`) and the caller's patch (handlers/layers.cpp).
data::FeatureQuery layer_query(App& app, data::Layer layer, const Request& req, const Context& ctx,
                               std::initializer_list<std::string_view> reserved);

}  // namespace gridmap::server
