// Attachments: photos and documents on cases, visits and work-log entries. Uploaded as
// the raw body (its Content-Type) or as a multipart form's "file" part; checked by content,
// cleaned of metadata and thumbnailed (data/media.hpp) before the writer stores them.
// Whoever may read the record may read its files; to anyone else a file does not exist.
#include <algorithm>
#include <chrono>
#include <semaphore>

#include "data/attachments.hpp"
#include "data/audit.hpp"
#include "data/blob_store.hpp"
#include "data/field_work.hpp"
#include "data/media.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"
#include "server/access.hpp"
#include "server/app.hpp"
#include "server/conditional.hpp"
#include "server/http/multipart.hpp"
#include "server/json.hpp"

namespace gridmap::server {
namespace {

using data::OwnerKind;

const char* noun(OwnerKind k) {
  switch (k) {
    case OwnerKind::petition:
      return "petition";
    case OwnerKind::visit:
      return "visit";
    case OwnerKind::worklog:
      return "work-log entry";
  }
  return "record";
}

std::string owner_path(OwnerKind k, int64_t id) {
  switch (k) {
    case OwnerKind::petition:
      return "/api/v1/petitions/" + std::to_string(id);
    case OwnerKind::visit:
      return "/api/v1/visits/" + std::to_string(id);
    case OwnerKind::worklog:
      return "/api/v1/worklog/" + std::to_string(id);
  }
  return {};
}

// The caller may read the record (to read its files) or, with `change`, add to it; 404 for
// a record out of reach, exactly as for a missing one.
void require_owner(App& app, const Context& ctx, OwnerKind kind, int64_t owner, bool change) {
  const Principal& p = principal(ctx);
  auto missing = [&] {
    return Error(ErrorKind::not_found,
                 std::string("no ") + noun(kind) + " " + std::to_string(owner));
  };
  Context reading = ctx;
  if (kind == OwnerKind::petition) {
    reading.scope = scope_of(*rule_for("petitions.item"), p.role);
    if (reading.scope == Scope::denied ||
        !record_visible(app, data::Layer::petitions, reading, std::to_string(owner)))
      throw missing();
    return;
  }
  data::FieldWork fw(app.read_db());
  std::optional<int64_t> worker;
  if (kind == OwnerKind::visit) {
    if (auto v = fw.visit(owner)) worker = v->worker_id;
  } else if (auto e = fw.log_entry(owner, App::now())) {
    worker = e->worker_id;
  }
  reading.scope =
      scope_of(*rule_for(kind == OwnerKind::visit ? "visits.item" : "worklog.item"), p.role);
  if (!worker || reading.scope == Scope::denied) throw missing();
  try {
    require_worker_in_reach(app, reading, *worker);
    // Only the worker who recorded it (or an admin) adds to a visit or a log entry.
    if (change && p.role != "admin" && p.worker_id != worker) throw missing();
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::not_found || e.kind() == ErrorKind::forbidden) throw missing();
    throw;
  }
}

void write_attachment(JsonWriter& w, const data::Attachment& a) {
  w.StartObject();
  w.Key("id");
  w.Int64(a.id);
  w.Key("owner");
  write_string(w, data::to_string(a.owner_kind));
  w.Key("owner_id");
  w.Int64(a.owner_id);
  w.Key("owner_url");
  write_string(w, owner_path(a.owner_kind, a.owner_id));
  w.Key("stage");
  write_string(w, data::to_string(a.stage));
  w.Key("content_type");
  write_string(w, a.content_type);
  w.Key("original_type");
  write_string(w, a.original_type);
  w.Key("bytes");
  w.Int64(a.bytes);
  w.Key("width");
  w.Int(a.width);
  w.Key("height");
  w.Int(a.height);
  w.Key("taken_at");
  if (a.taken_at)
    write_string(w, data::format_time(*a.taken_at));
  else
    w.Null();
  w.Key("taken_position");
  if (a.taken_position)
    write_lonlat(w, *a.taken_position);
  else
    w.Null();
  w.Key("taken_distance_m");  // from the case's or the visit's place
  if (a.taken_distance_m)
    write_number(w, *a.taken_distance_m, 1);
  else
    w.Null();
  w.Key("file_name");
  write_string(w, a.file_name);
  w.Key("uploaded_by");
  write_string(w, a.uploaded_by);
  w.Key("created_at");
  write_string(w, data::format_time(a.created_at));
  w.Key("url");
  write_string(w, "/api/v1/attachments/" + std::to_string(a.id));
  w.Key("thumbnail_url");
  if (a.thumb_sha256)
    write_string(w, "/api/v1/attachments/" + std::to_string(a.id) + "/thumbnail");
  else
    w.Null();
  w.EndObject();
}

// A declared type that names another of the accepted types than the content is: refused.
void check_declared(const std::string& declared, const data::media::Processed& file) {
  static const char* known[] = {"image/jpeg", "image/png",  "image/webp",
                                "image/heic", "image/heif", "application/pdf"};
  if (std::find(std::begin(known), std::end(known), declared) == std::end(known)) return;
  std::string actual(data::media::mime_of(file.original_type));
  bool heic = file.original_type == data::media::MediaType::heic && declared == "image/heif";
  if (declared != actual && !heic)
    throw Error(ErrorKind::unsupported_media_type,
                "the file says it is " + declared + " but its content is " + actual);
}

Response upload(App& app, const Request& req, const Context& ctx, OwnerKind kind) {
  int64_t owner = path_id(req, "id", noun(kind));
  require_owner(app, ctx, kind, owner, true);
  std::string declared = media_type(req);
  std::string_view bytes = req.body;
  std::optional<std::string> stage_text = req.param("stage");
  std::string name = req.param("name").value_or("");
  if (auto boundary = multipart_boundary(req.header("content-type").value_or(""))) {
    auto parts = parse_multipart(req.body, *boundary);
    auto file = std::find_if(parts.begin(), parts.end(),
                             [](const FormPart& p) { return p.name == "file"; });
    if (file == parts.end()) throw_invalid("the form has no 'file' part");
    bytes = file->body;
    declared = file->content_type;
    if (file->filename && name.empty()) name = *file->filename;
    for (const FormPart& p : parts)
      if (p.name == "stage" && !stage_text) stage_text = std::string(p.body);
  } else if (declared == "multipart/form-data") {
    throw_invalid("a multipart form needs its boundary in Content-Type");
  }
  if (name.size() > 255) name.resize(255);
  if (bytes.size() > app.options().max_upload_bytes)
    throw Error(ErrorKind::too_large,
                "the file is " + std::to_string(bytes.size()) + " bytes; at most " +
                    std::to_string(app.options().max_upload_bytes) + " are taken");
  if (bytes.empty()) throw_invalid("the file is empty");
  data::Stage stage = kind == OwnerKind::petition ? data::Stage::report : data::Stage::record;
  if (stage_text) {
    auto s = data::parse_stage(*stage_text);
    if (!s || (kind == OwnerKind::petition) == (*s == data::Stage::record))
      throw_invalid(kind == OwnerKind::petition
                        ? "a case's photo stage is report, before, progress or after"
                        : "a visit's or a log's files take no stage");
    stage = *s;
  }
  // Decoding a 50-megapixel photo takes hundreds of MB and a CPU second: two at a time, so a
  // burst of uploads cannot exhaust the server (503 after 10 s of waiting).
  static std::counting_semaphore<64> decoders(2);
  if (!decoders.try_acquire_for(std::chrono::seconds(10)))
    throw Error(ErrorKind::unavailable,
                "too many photos are being processed; send this one again shortly");
  struct Release {
    ~Release() { decoders.release(); }
  } release;
  data::media::Processed file = data::media::process(bytes);
  check_declared(declared, file);
  const std::string& actor = principal(ctx).name;
  data::Attachment a = app.write([&](data::Db& db) {
    return data::Attachments(db, app.files())
        .add(kind, owner, stage, file, name, actor, App::now());
  });
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  write_attachment(w, a);
  Response r = json_response(buf.GetString(), 201);
  r.headers.emplace_back("Location", "/api/v1/attachments/" + std::to_string(a.id));
  return r;
}

Response list(App& app, const Request& req, const Context& ctx, OwnerKind kind) {
  int64_t owner = path_id(req, "id", noun(kind));
  require_owner(app, ctx, kind, owner, false);
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartArray();
  for (const auto& a : data::Attachments(app.read_db(), app.files()).of(kind, owner))
    write_attachment(w, a);
  w.EndArray();
  return json_response(buf.GetString());
}

// The attachment, when the caller may read its record (404 otherwise).
data::Attachment readable(App& app, const Request& req, const Context& ctx) {
  int64_t id = path_id(req, "id", "attachment");
  auto a = data::Attachments(app.read_db(), app.files()).get(id);
  try {
    if (a) require_owner(app, ctx, a->owner_kind, a->owner_id, false);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::not_found) throw;
    a.reset();
  }
  if (!a) throw Error(ErrorKind::not_found, "no attachment " + std::to_string(id));
  return *a;
}

Response serve_bytes(App& app, const Request& req, const std::string& key, const std::string& type,
                     const std::string& disposition) {
  std::string etag = "\"" + key + "\"";
  Response r;
  r.headers.emplace_back("ETag", etag);
  r.headers.emplace_back("Cache-Control", "private, max-age=86400");
  // Bytes users sent: never sniffed into something else, never run as a page of this site.
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Content-Security-Policy", "sandbox; default-src 'none'");
  if (etag_matches(req, etag)) {
    r.status = 304;
    return r;
  }
  auto bytes = app.files().get(key);
  if (!bytes)
    throw Error(ErrorKind::unavailable, "the file of this attachment is missing from the store");
  r.status = 200;
  r.content_type = type;
  r.headers.emplace_back("Content-Disposition", disposition);
  r.body = std::move(*bytes);
  return r;
}

// A file name for Content-Disposition: its ASCII letters, digits, '.', '-' and '_' only.
std::string safe_name(const data::Attachment& a) {
  std::string out;
  for (char c : a.file_name)
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') out += c;
  if (out.empty()) out = "attachment-" + std::to_string(a.id);
  return out;
}

Response file(App& app, const Request& req, const Context& ctx) {
  data::Attachment a = readable(app, req, ctx);
  bool image = a.content_type.rfind("image/", 0) == 0;
  // A PDF is downloaded, not opened in the page.
  std::string disposition =
      std::string(image ? "inline" : "attachment") + "; filename=\"" + safe_name(a) + "\"";
  return serve_bytes(app, req, a.sha256, a.content_type, disposition);
}

Response thumbnail(App& app, const Request& req, const Context& ctx) {
  data::Attachment a = readable(app, req, ctx);
  if (!a.thumb_sha256)
    throw Error(ErrorKind::not_found,
                "attachment " + std::to_string(a.id) + " has no thumbnail (a document)");
  return serve_bytes(app, req, *a.thumb_sha256, "image/jpeg", "inline");
}

Response remove(App& app, const Request& req, const Context& ctx) {
  data::Attachment a = readable(app, req, ctx);
  const Principal& p = principal(ctx);
  if (p.role != "admin" && p.role != "dispatcher" && p.name != a.uploaded_by)
    throw Error(ErrorKind::forbidden, "only who uploaded a file (or the centre) may delete it");
  app.write([&](data::Db& db) {
    data::Transaction tx(db);
    data::Attachments(db, app.files()).remove(a.id, App::now());
    data::audit(db, App::now(), p.name, "delete_attachment", "attachment:" + std::to_string(a.id),
                std::string(data::to_string(a.owner_kind)) + " " + std::to_string(a.owner_id));
    tx.commit();
    return 0;
  });
  return no_content();
}

}  // namespace

void register_attachments(Router& r) {
  r.add("POST", "/api/v1/petitions/{id}/attachments", "petitions.attachments.create",
        [](App& a, const Request& q, const Context& c) {
          return upload(a, q, c, OwnerKind::petition);
        });
  r.add("GET", "/api/v1/petitions/{id}/attachments", "petitions.attachments.list",
        [](App& a, const Request& q, const Context& c) {
          return list(a, q, c, OwnerKind::petition);
        });
  r.add(
      "POST", "/api/v1/visits/{id}/attachments", "visits.attachments.create",
      [](App& a, const Request& q, const Context& c) { return upload(a, q, c, OwnerKind::visit); });
  r.add("GET", "/api/v1/visits/{id}/attachments", "visits.attachments.list",
        [](App& a, const Request& q, const Context& c) { return list(a, q, c, OwnerKind::visit); });
  r.add("POST", "/api/v1/worklog/{id}/attachments", "worklog.attachments.create",
        [](App& a, const Request& q, const Context& c) {
          return upload(a, q, c, OwnerKind::worklog);
        });
  r.add(
      "GET", "/api/v1/worklog/{id}/attachments", "worklog.attachments.list",
      [](App& a, const Request& q, const Context& c) { return list(a, q, c, OwnerKind::worklog); });
  r.add("GET", "/api/v1/attachments/{id}", "attachments.file", file);
  r.add("GET", "/api/v1/attachments/{id}/thumbnail", "attachments.thumbnail", thumbnail);
  r.add("DELETE", "/api/v1/attachments/{id}", "attachments.delete", remove);
}

}  // namespace gridmap::server
