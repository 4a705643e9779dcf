// gridmap serve --db FILE [--create] [--listen 127.0.0.1:8080] [--threads N] [--font FILE]
//               [--basemap FILE.mbtiles] [--public-url URL] [--max-connections N]
//               [--max-connections-per-address N] [--deadline-warning-hours N]
//               [--notify-check-ms N] [--sse-heartbeat-ms N] [--sse-lifetime-ms N]
//               [--webhook-retry-ms N]
//               [--webhook-retry-max-ms N] [--patrol-retention-days N]
//               [--audit-retention-days N] [--log-format text|json]
#include <arpa/inet.h>

#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "core/text.hpp"
#include "data/backup.hpp"
#include "data/db.hpp"
#include "data/position_writer.hpp"
#include "data/serve_lock.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"
#include "server/access_log.hpp"
#include "server/app.hpp"
#include "server/cli/args.hpp"
#include "server/cli/commands.hpp"
#include "server/cors.hpp"
#include "server/http/server.hpp"
#include "tiles/glyphs.hpp"

namespace gridmap::cli {

namespace {
// The values of an option given repeatedly or as a comma-separated list ("a, b"), each
// without the spaces around it.
std::vector<std::string> list_option(const Args& args, const char* name) {
  std::vector<std::string> out;
  for (const std::string& list : args.all(name))
    for (std::string_view part : split(list, ',')) {
      while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
      while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
      out.emplace_back(part);
    }
  return out;
}

// "90s", "30m", "6h", "1d": a positive whole number and its unit.
std::chrono::seconds parse_duration(const std::string& text, const std::string& what) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  std::string unit = text.substr(digits);
  long long n = digits > 0 && digits <= 9 ? std::stoll(text.substr(0, digits)) : 0;
  long long scale = unit == "s"   ? 1
                    : unit == "m" ? 60
                    : unit == "h" ? 3600
                    : unit == "d" ? 86400
                                  : 0;
  if (n <= 0 || scale == 0)
    throw_invalid(what + " must be like 90s, 30m, 6h or 1d, not '" + text + "'");
  return std::chrono::seconds(n * scale);
}

// serve --backup-dir: a backup every `every`, the oldest beyond `keep` removed; each one
// logged on stderr. Stops (between backups, or after the one running) with the server.
class BackupSchedule {
 public:
  BackupSchedule(data::BackupOptions base, std::string dir, std::chrono::seconds every, int keep)
      : thread_([=, this](std::stop_token stop) { run(stop, base, dir, every, keep); }) {}
  ~BackupSchedule() {
    thread_.request_stop();
    wake_.notify_all();
  }

 private:
  void run(std::stop_token stop, data::BackupOptions o, const std::string& dir,
           std::chrono::seconds every, int keep) {
    while (true) {
      {
        std::unique_lock l(lock_);
        if (wake_.wait_for(l, stop, every, [] { return false; }) || stop.stop_requested()) return;
      }
      o.out =
          (std::filesystem::path(dir) / data::scheduled_backup_name(data::now_seconds())).string();
      try {
        auto started = std::chrono::steady_clock::now();
        data::BackupManifest m = data::backup_database(o);
        int removed = data::prune_backups(dir, keep);
        double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        std::fprintf(stderr,
                     "gridmap: backup %s written in %.1f s (%lld bytes of database, %lld "
                     "attachments; %d old removed)\n",
                     o.out.c_str(), s, static_cast<long long>(m.database_bytes),
                     static_cast<long long>(m.files), removed);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "gridmap: scheduled backup to %s failed: %s\n", o.out.c_str(),
                     e.what());
      }
    }
  }

  std::mutex lock_;
  std::condition_variable_any wake_;
  std::jthread thread_;  // last: it starts once the members it uses exist
};

// "http[s]://host[:port]" with nothing after it but an optional "/".
std::string checked_public_url(std::string url, const char* option = "--public-url") {
  while (!url.empty() && url.back() == '/') url.pop_back();
  size_t scheme = url.find("://");
  std::string host = scheme == std::string::npos ? "" : url.substr(scheme + 3);
  bool ok = (url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0) && !host.empty() &&
            host.find_first_of("/?#@ \"'<>\\") == std::string::npos;
  if (!ok)
    throw_invalid(std::string(option) +
                  " must be like https://grid.example.gov.cn (scheme and host, no path), not '" +
                  url + "'");
  return url;
}
}  // namespace

const CommandSpec& serve_spec() {
  static const CommandSpec spec{
      "serve",
      "serve   --db FILE [--create] [--listen 127.0.0.1:8080] [--threads N]\n"
      "        [--public-url URL] [--cors-origin URL[,URL...]] [--web DIR] [--font FILE]\n"
      "        [--basemap FILE.mbtiles] [--files DIR] [--db-read URL] [--max-upload-mb N]\n"
      "        [--max-body-mb N]\n"
      "        [--request-timeout-ms N] [--max-connections N] [--max-connections-per-address N]\n"
      "        [--sse-heartbeat-ms N] [--sse-lifetime-ms N] [--notify-check-ms N]\n"
      "        [--deadline-warning-hours N] [--webhook-retry-ms N] [--webhook-retry-max-ms N]\n"
      "        [--patrol-retention-days N] [--contact-retention-days N]\n"
      "        [--audit-retention-days N] [--log-format text|json]\n"
      "        [--metrics-from-loopback] [--trusted-proxy ADDRESS[,ADDRESS...]]\n"
      "        [--backup-dir DIR [--backup-every 6h] [--keep 28]] [--no-upgrade-backup] [--quiet]",
      {{"--db", "FILE", "the database", ""},
       {"--create", "", "create an empty database if FILE is missing", "refuse"},
       {"--listen", "ADDRESS:PORT", "where to listen (port 0: any free one)", "127.0.0.1:8080"},
       {"--threads", "N", "threads serving requests (1 to 256)", "one per core"},
       {"--public-url", "URL", "the address users see: https://host[:port]", "where it listens"},
       {"--cors-origin", "URL", "web pages that may call the API (repeat, or a,b)", "none"},
       {"--web", "DIR", "serve the web map from DIR", "the installed one"},
       {"--font", "FILE", "the font of the map's area names", std::string(tiles::kDefaultFontPath)},
       {"--basemap", "FILE", "a local MBTiles base map under the layers", "none"},
       {"--files", "DIR", "where attachments are stored", "next to the database"},
       {"--db-read", "URL", "a PostgreSQL hot standby for lists, statistics and tiles", "none"},
       {"--max-upload-mb", "N", "the largest attachment, in MB", "10"},
       {"--max-body-mb", "N", "the largest request body, in MB", "32"},
       {"--request-timeout-ms", "N", "time to read a request and answer it", "15000"},
       {"--max-connections", "N", "open connections at most",
        std::to_string(server::ServerOptions{}.max_connections)},
       {"--max-connections-per-address", "N", "open connections per client address (0: any)",
        std::to_string(server::ServerOptions{}.max_connections_per_address)},
       {"--sse-heartbeat-ms", "N", "keep-alive comment on event streams every N ms", "15000"},
       {"--sse-lifetime-ms", "N", "event streams are closed after N ms", "300000"},
       {"--notify-check-ms", "N", "deadline notifications checked every N ms", "60000"},
       {"--deadline-warning-hours", "N", "warn this long before a petition's deadline", "4"},
       {"--webhook-retry-ms", "N", "first wait before a failed webhook is retried", "1000"},
       {"--webhook-retry-max-ms", "N", "longest wait between webhook retries", "600000"},
       {"--patrol-retention-days", "N", "days patrol tracks are kept", "30"},
       {"--contact-retention-days", "N",
        "days a closed case keeps its reporter's contact (0: always)", "1095"},
       {"--audit-retention-days", "N",
        "audit entries of months older than N days are removed (0: never; else 180 or more)", "0"},
       {"--log-format", "FORMAT", "access log lines as text or json", "text"},
       {"--metrics-from-loopback", "", "/metrics from the loopback needs no token", "off"},
       {"--trusted-proxy", "ADDRESS",
        "a proxy in front whose X-Forwarded-For is believed (repeat, or a,b)", "none"},
       {"--backup-dir", "DIR", "take a backup (gridmap backup) into DIR on a schedule", "none"},
       {"--backup-every", "DURATION", "between scheduled backups: 90s, 30m, 6h or 1d", "6h"},
       {"--keep", "N", "scheduled backups kept in --backup-dir (the oldest go)", "28"},
       {"--no-upgrade-backup", "", "migrate an older database without backing it up first",
        "back up"},
       {"--quiet", "", "no access log", "one line per request"}}};
  return spec;
}

int cmd_serve(const Args& args) {
  if (!args.positional().empty())
    throw_invalid("serve: unexpected argument '" + args.positional()[0] + "'");
  server::ServerOptions so;
  std::string listen = args.get("--listen").value_or("127.0.0.1:8080");
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos)
    throw_invalid(args.describe("--listen") + " must be ADDRESS:PORT, not '" + listen + "'");
  so.address = listen.substr(0, colon);
  if (so.address.size() > 2 && so.address.front() == '[')
    so.address = so.address.substr(1, so.address.size() - 2);
  so.port = static_cast<uint16_t>(parse_integer(
      listen.substr(colon + 1), "serve: the port of " + args.describe("--listen"), 0, 65535));
  so.threads = static_cast<int>(
      args.integer("--threads", std::max(1u, std::thread::hardware_concurrency()), 1, 256));
  so.max_body_bytes = static_cast<size_t>(args.integer("--max-body-mb", 32, 1, 1024)) << 20;
  so.request_timeout =
      std::chrono::milliseconds(args.integer("--request-timeout-ms", 15000, 100, 3600000));
  so.max_connections =
      static_cast<int>(args.integer("--max-connections", so.max_connections, 1, 1000000));
  so.max_connections_per_address = static_cast<int>(
      args.integer("--max-connections-per-address", so.max_connections_per_address, 0, 1000000));
  server::AppOptions ao;
  ao.db_path = args.db();
  ao.create = args.flag("--create");
  ao.metrics_from_loopback = args.flag("--metrics-from-loopback");
  if (auto replica = args.get("--db-read")) {
    if (!data::is_postgresql(ao.db_path) || !data::is_postgresql(*replica))
      throw_invalid(args.describe("--db-read") +
                    " names a PostgreSQL standby (postgresql://...) of a PostgreSQL --db");
    ao.read_replica = *replica;
  }
  for (const std::string& one : list_option(args, "--trusted-proxy")) {
    in6_addr parsed;
    if (inet_pton(AF_INET, one.c_str(), &parsed) != 1 &&
        inet_pton(AF_INET6, one.c_str(), &parsed) != 1)
      throw_invalid(args.describe("--trusted-proxy") + " takes IP addresses (127.0.0.1), not '" +
                    one + "'");
    ao.trusted_proxies.push_back(one);
    so.uncapped_addresses.push_back(one);
  }
  if (auto url = args.get("--public-url")) ao.public_url = checked_public_url(*url);
  // --cors-origin, repeated or comma-separated: origins only (scheme, host, port).
  for (const std::string& one : list_option(args, "--cors-origin")) {
    if (one == "*")
      throw_invalid(
          "--cors-origin names origins (https://portal.example.gov.cn), not '*': "
          "signed-in answers are never for any site");
    ao.cors_origins.push_back(server::normal_origin(checked_public_url(one, "--cors-origin")));
  }
  ao.web_dir = args.get("--web").value_or("");
  ao.files_dir = args.get("--files").value_or("");
  ao.max_upload_bytes = static_cast<size_t>(args.integer("--max-upload-mb", 10, 1, 1024)) << 20;
  if (ao.max_upload_bytes + (64u << 10) > so.max_body_bytes)
    so.max_body_bytes = ao.max_upload_bytes + (64u << 10);  // room for a multipart form's wrapping
  ao.patrol_retention_days = static_cast<int>(args.integer("--patrol-retention-days", 30, 1, 3650));
  ao.contact_retention_days =
      static_cast<int>(args.integer("--contact-retention-days", 3 * 365, 0, 36500));
  ao.audit_retention_days = static_cast<int>(args.integer("--audit-retention-days", 0, 0, 36500));
  if (ao.audit_retention_days > 0 && ao.audit_retention_days < 180)
    throw_invalid(
        "--audit-retention-days: 0 (kept) or at least 180 (six months of logs, as the "
        "Cybersecurity Law asks)");
  ao.notify.deadline_warning_s = args.integer("--deadline-warning-hours", 4, 1, 24 * 30) * 3600;
  ao.notify.check_every =
      std::chrono::milliseconds(args.integer("--notify-check-ms", 60000, 50, 3600000));
  ao.notify.heartbeat =
      std::chrono::milliseconds(args.integer("--sse-heartbeat-ms", 15000, 100, 3600000));
  ao.notify.stream_lifetime =
      std::chrono::milliseconds(args.integer("--sse-lifetime-ms", 300000, 1000, 86400000));
  ao.notify.retry_first =
      std::chrono::milliseconds(args.integer("--webhook-retry-ms", 1000, 10, 3600000));
  ao.notify.retry_cap =
      std::chrono::milliseconds(args.integer("--webhook-retry-max-ms", 600000, 10, 86400000));
  // Map labels need a font: the one named, or the default when installed (a map without
  // names otherwise). A named font that cannot be read stops the server.
  if (auto font = args.get("--font")) {
    if (font->empty()) throw_invalid("--font needs a file name");
    ao.font_path = *font;
  } else if (std::filesystem::exists(tiles::kDefaultFontPath)) {
    ao.font_path = tiles::kDefaultFontPath;
  } else {
    std::cerr << "gridmap: no label font at " << tiles::kDefaultFontPath
              << " (install fonts-wqy-microhei or pass --font FILE): the map shows no names\n";
  }
  ao.basemap_path = args.get("--basemap").value_or("");
  if (args.get("--basemap") && ao.basemap_path.empty())
    throw_invalid("--basemap needs a file name");
  if (!ao.create && !data::is_postgresql(ao.db_path) && !std::filesystem::exists(ao.db_path))
    throw_invalid(
        "database " + ao.db_path +
        " does not exist (gridmap demo or gridmap import creates one, --create an empty one)");
  server::LogFormat log_format =
      server::parse_log_format(args.get("--log-format").value_or("text"));
  std::optional<std::string> backup_dir = args.get("--backup-dir");
  std::chrono::seconds backup_every =
      parse_duration(args.get("--backup-every").value_or("6h"), args.describe("--backup-every"));
  int keep = static_cast<int>(args.integer("--keep", 28, 1, 100000));
  if (backup_dir) {
    std::error_code ec;
    std::filesystem::create_directories(*backup_dir, ec);
    if (!std::filesystem::is_directory(*backup_dir))
      throw_invalid("--backup-dir " + *backup_dir + " is not a directory this server can make");
  }
  if (args.flag("--no-upgrade-backup")) setenv("GRIDMAP_NO_UPGRADE_BACKUP", "1", 1);
  // On PostgreSQL the audit log's anchor lives with the attachments, which every server shares,
  // unless GRIDMAP_AUDIT_DIR puts it elsewhere.
  if (data::is_postgresql(ao.db_path) && !ao.files_dir.empty() &&
      !std::getenv("GRIDMAP_AUDIT_DIR")) {
    std::filesystem::create_directories(ao.files_dir);
    setenv("GRIDMAP_AUDIT_DIR", ao.files_dir.c_str(), 1);
  }
  // One server per file; several on PostgreSQL, which follow each other's changes.
  data::ServeLock lock(ao.db_path, data::ServeLock::Mode::shared_on_postgresql);
  server::App app(ao);
  std::optional<BackupSchedule> backups;
  if (backup_dir) {
    data::BackupOptions bo;
    bo.db_path = ao.db_path;
    bo.files_dir = ao.files_dir;
    backups.emplace(bo, *backup_dir, backup_every, keep);
  }
  bool quiet = args.flag("--quiet");
  std::mutex log_lock;
  server::HttpServer http(
      so, [&app](server::Request& r) { return app.handle(r); },
      [&](const server::AccessRecord& a) {
        if (quiet) return;
        std::string line = server::access_line(a, log_format, std::chrono::system_clock::now());
        std::lock_guard l(log_lock);
        std::fwrite(line.data(), 1, line.size(), stderr);
      });
  http.bind();
  std::string host = so.address == "0.0.0.0" || so.address == "::" ? "127.0.0.1"
                     : so.address.find(':') != std::string::npos   ? "[" + so.address + "]"
                                                                   : so.address;
  std::string here = "http://" + host + ":" + std::to_string(http.port());
  // Problem types are absolute URIs under the server's public address (documented at
  // /problems/NAME); without --public-url, the address it listens on.
  server::set_problem_base(ao.public_url.empty() ? here : ao.public_url);
  std::cout << "gridmap serving " << data::display_name(ao.db_path) << " at " << here << "/"
            << std::endl;
  http.run();
  app.positions().flush();
  std::cerr << "gridmap: stopped cleanly\n";
  return 0;
}

}  // namespace gridmap::cli
