// gridmap serve --db FILE [--create] [--listen 127.0.0.1:8080] [--threads N] [--font FILE]
//               [--basemap FILE.mbtiles] [--public-url URL] [--max-connections N]
//               [--max-connections-per-address N] [--deadline-warning-hours N]
//               [--notify-check-ms N] [--sse-heartbeat-ms N] [--sse-lifetime-ms N]
//               [--webhook-retry-ms N]
//               [--webhook-retry-max-ms N] [--patrol-retention-days N] [--log-format text|json]
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "data/position_writer.hpp"
#include "data/serve_lock.hpp"
#include "geo/error.hpp"
#include "server/access_log.hpp"
#include "server/app.hpp"
#include "server/cli/args.hpp"
#include "server/cli/commands.hpp"
#include "server/http/server.hpp"
#include "tiles/glyphs.hpp"
#include "server/cors.hpp"

namespace gridmap::cli {

namespace {
// "http[s]://host[:port]" with nothing after it but an optional "/".
std::string checked_public_url(std::string url, const char* option = "--public-url") {
  while (!url.empty() && url.back() == '/') url.pop_back();
  size_t scheme = url.find("://");
  std::string host = scheme == std::string::npos ? "" : url.substr(scheme + 3);
  bool ok = (url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0) && !host.empty() &&
            host.find_first_of("/?#@ \"'<>\\") == std::string::npos;
  if (!ok)
    throw_invalid(
        std::string(option) +
        " must be like https://grid.example.gov.cn (scheme and host, no path), not '" +
        url + "'");
  return url;
}
}  // namespace

int cmd_serve(const ArgList& argv) {
  Args args("serve", argv,
            {"--db",
             "--listen",
             "--threads",
             "--max-body-mb",
             "--request-timeout-ms",
             "--web",
             "--font",
             "--basemap",
             "--public-url",
             "--max-connections",
             "--max-connections-per-address",
             "--deadline-warning-hours",
             "--notify-check-ms",
             "--sse-heartbeat-ms",
             "--sse-lifetime-ms",
             "--webhook-retry-ms",
             "--webhook-retry-max-ms",
             "--files",
             "--max-upload-mb",
             "--patrol-retention-days",
             "--cors-origin",
             "--log-format"},
            {"--quiet", "--create", "--metrics-from-loopback"});
  if (!args.positional().empty())
    throw_invalid("serve: unexpected argument '" + args.positional()[0] + "'");
  server::ServerOptions so;
  std::string listen = args.get("--listen").value_or("127.0.0.1:8080");
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos)
    throw_invalid("--listen must be ADDRESS:PORT, not '" + listen + "'");
  so.address = listen.substr(0, colon);
  if (so.address.size() > 2 && so.address.front() == '[')
    so.address = so.address.substr(1, so.address.size() - 2);
  Args port_args("serve", {"--port", listen.substr(colon + 1)}, {"--port"});
  so.port = static_cast<uint16_t>(port_args.integer("--port", 8080, 0, 65535));
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
  if (auto url = args.get("--public-url")) ao.public_url = checked_public_url(*url);
  // --cors-origin, repeated or comma-separated: origins only (scheme, host, port).
  for (const std::string& list : args.all("--cors-origin"))
    for (size_t at = 0; at <= list.size();) {
      size_t comma = std::min(list.find(',', at), list.size());
      std::string one = list.substr(at, comma - at);
      while (!one.empty() && one.front() == ' ') one.erase(0, 1);
      while (!one.empty() && one.back() == ' ') one.pop_back();
      if (one == "*")
        throw_invalid("--cors-origin names origins (https://portal.example.gov.cn), not '*': "
                      "signed-in answers are never for any site");
      ao.cors_origins.push_back(server::normal_origin(checked_public_url(one, "--cors-origin")));
      at = comma + 1;
    }
  ao.web_dir = args.get("--web").value_or("");
  ao.files_dir = args.get("--files").value_or("");
  ao.max_upload_bytes = static_cast<size_t>(args.integer("--max-upload-mb", 10, 1, 1024)) << 20;
  if (ao.max_upload_bytes + (64u << 10) > so.max_body_bytes)
    so.max_body_bytes = ao.max_upload_bytes + (64u << 10);  // room for a multipart form's wrapping
  ao.patrol_retention_days = static_cast<int>(args.integer("--patrol-retention-days", 30, 1, 3650));
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
  if (!ao.create && !std::filesystem::exists(ao.db_path))
    throw_invalid(
        "database " + ao.db_path +
        " does not exist (gridmap demo or gridmap import creates one, --create an empty one)");
  server::LogFormat log_format = server::parse_log_format(args.get("--log-format").value_or("text"));
  data::ServeLock lock(ao.db_path);  // one server per file
  server::App app(ao);
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
                     : so.address.find(':') != std::string::npos ? "[" + so.address + "]"
                                                                 : so.address;
  std::string here = "http://" + host + ":" + std::to_string(http.port());
  // Problem types are absolute URIs under the server's public address (documented at
  // /problems/NAME); without --public-url, the address it listens on.
  server::set_problem_base(ao.public_url.empty() ? here : ao.public_url);
  std::cout << "gridmap serving " << ao.db_path << " at " << here << "/" << std::endl;
  http.run();
  app.positions().flush();
  std::cerr << "gridmap: stopped cleanly\n";
  return 0;
}

}  // namespace gridmap::cli
