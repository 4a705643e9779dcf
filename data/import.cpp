#include "data/import.hpp"

#include <cctype>
#include <charconv>
#include <map>
#include <memory>

#include "core/text.hpp"
#include "data/areas.hpp"
#include "data/calendar_store.hpp"
#include "data/catalogue.hpp"
#include "data/gdal_module.hpp"
#include "data/gdal_util.hpp"
#include "data/households.hpp"
#include "data/locator.hpp"
#include "data/petitions.hpp"
#include "data/workers.hpp"
#include "geo/error.hpp"
#include "geo/geos.hpp"

namespace gridmap::data {
namespace {

using geos::GeomPtr;
using Names = std::vector<std::string>;

// A feature that cannot be used; the message is the reason shown to the user.
struct Rejected : std::runtime_error {
  using std::runtime_error::runtime_error;
};
[[noreturn]] void reject(const std::string& why) {
  throw Rejected(why);
}

// A problem of the whole file (not of one feature): it aborts the import.
struct FileError : Error {
  explicit FileError(const std::string& m) : Error(ErrorKind::invalid_input, m) {}
};

std::string join(const Names& parts, const std::string& sep) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

std::string geos_type_name(int type) {
  static const char* const names[] = {"point",        "linestring",        "linearring",
                                      "polygon",      "multipoint",        "multilinestring",
                                      "multipolygon", "geometrycollection"};
  return type >= 0 && type < 8 ? names[type] : "geometry";
}

std::string lonlat_text(double x, double y) {
  return "(" + std::to_string(x) + ", " + std::to_string(y) + ")";
}

// ---------------------------------------------------------------------------------------
// Input: the source layer with its fields resolved and its coordinates converted to WGS84.

struct Outcome {
  std::string code;  // code or id, once known
  Names notes;       // repairs made
};

crs::Crs source_crs(const ImportOptions& o, OGRLayer& layer) {
  if (o.crs) return *o.crs;
  const OGRSpatialReference* srs = layer.GetSpatialRef();
  if (!srs) return crs::Crs{};
  if (auto c = gdal::identify(*srs)) return *c;
  const char* name = srs->GetName();
  throw_invalid("the CRS of " + o.file + " (" + (name ? name : "unnamed") +
                ") is not an EPSG CRS gridmap can identify; pass --crs (e.g. --crs EPSG:4548)");
}

class Input {
 public:
  Input(const ImportOptions& o, gdal::Source& src)
      : o_(o),
        layer_(src.layer(o.source_layer)),
        defn_(*layer_.GetLayerDefn()),
        to_wgs84_(source_crs(o, layer_), crs::Crs{}),
        recode_(o.encoding && src.driver() == "CSV") {
    if (o.encoding && src.driver() != "CSV" && src.driver() != "ESRI Shapefile")
      throw_invalid("--encoding applies to Shapefile and CSV files only (" + src.driver() +
                    " is UTF-8)");
    if (o.encoding) gdal::check_encoding(*o.encoding);
    wkt_ = field(std::nullopt, {"wkt"}, "");
    resolve_lonlat();
  }

  OGRLayer& layer() { return layer_; }
  const ImportOptions& options() const { return o_; }

  // The field the user named (it must exist), else the first candidate present, else -1.
  int field(const std::optional<std::string>& given, const Names& candidates,
            const std::string& option) const {
    if (given) {
      int idx = gdal::find_field(defn_, *given);
      if (idx < 0)
        throw_invalid("field '" + *given + "' (" + option + ") is not in " + o_.file +
                      "; its fields are: " + join(gdal::field_names(defn_), ", "));
      return idx;
    }
    for (const std::string& c : candidates)
      if (int idx = gdal::find_field(defn_, c); idx >= 0) return idx;
    return -1;
  }

  // Like field(), but the layer must have it.
  int required_field(const std::optional<std::string>& given, const Names& candidates,
                     const std::string& option, const std::string& what) const {
    int idx = field(given, candidates, option);
    if (idx < 0)
      throw_invalid(o_.file + " has no " + what + " field (tried " + join(candidates, ", ") +
                    "; its fields are: " + join(gdal::field_names(defn_), ", ") + ")" +
                    (option.empty() ? "" : "; name it with " + option));
    return idx;
  }

  std::optional<std::string> text(const OGRFeature& f, int idx) const {
    std::optional<std::string> t = gdal::field_text(f, idx);
    if (!t) return t;
    if (recode_) t = gdal::recode_to_utf8(*t, *o_.encoding);
    if (!gdal::is_utf8(*t))
      throw FileError("field '" + std::string(defn_.GetFieldDefn(idx)->GetNameRef()) + "' of " +
                      o_.file + " is not UTF-8 text; pass --encoding (e.g. --encoding GBK)");
    return t;
  }

  std::optional<int64_t> time(const OGRFeature& f, int idx, const std::string& what) const {
    try {
      return gdal::field_time(f, idx);
    } catch (const Error& e) {
      reject(what + ": " + e.what());
    }
  }

  // Whether the source carries positions at all (a geometry column or lon/lat columns).
  bool has_positions() const { return layer_.GetGeomType() != wkbNone || lon_ >= 0; }

  // The feature's point in WGS84, from lon/lat columns or its geometry; nullopt when it has none.
  std::optional<LonLat> point(const OGRFeature& f) const {
    std::optional<LonLat> p;
    if (!explicit_lonlat_) p = geometry_point(f);
    if (!p) p = column_point(f);
    if (!p) return p;
    return to_wgs84(*p);
  }

  // The feature's area in WGS84, checked and repaired; `notes` receives what was repaired.
  GeomPtr area(const OGRFeature& f, Names& notes) const {
    GeomPtr g = source_area(f, notes);
    GeomPtr wgs84 = to_wgs84(g.get());
    try {
      return repaired(std::move(wgs84), notes);
    } catch (const Error& e) {
      // GEOS giving up on a real boundary (a topology exception while repairing) is about
      // this feature, not the file: the feature is rejected with the reason.
      if (e.kind() != ErrorKind::internal) throw;
      reject(std::string("the boundary cannot be repaired (") + e.what() + ")");
    }
  }

 private:
  void resolve_lonlat() {
    if (o_.lon_field.has_value() != o_.lat_field.has_value())
      throw_invalid("--lon-field and --lat-field go together");
    explicit_lonlat_ = o_.lon_field.has_value();
    lon_ = field(o_.lon_field, {"lon", "lng", "longitude", "x", "经度"}, "--lon-field");
    lat_ = field(o_.lat_field, {"lat", "latitude", "y", "纬度"}, "--lat-field");
    if (lon_ < 0 || lat_ < 0) lon_ = lat_ = -1;
  }

  std::optional<LonLat> geometry_point(const OGRFeature& f) const {
    const OGRGeometry* g = f.GetGeometryRef();
    if (!g || g->IsEmpty()) return std::nullopt;
    OGRwkbGeometryType type = wkbFlatten(g->getGeometryType());
    if (type == wkbMultiPoint && g->toMultiPoint()->getNumGeometries() == 1)
      g = g->toMultiPoint()->getGeometryRef(0);
    else if (type != wkbPoint)
      reject("expected a point, got a " + ascii_lower(g->getGeometryName()));
    return LonLat{g->toPoint()->getX(), g->toPoint()->getY()};
  }

  std::optional<LonLat> column_point(const OGRFeature& f) const {
    if (lon_ < 0) return std::nullopt;
    std::optional<double> lon, lat;
    try {
      lon = gdal::field_number(f, lon_);
      lat = gdal::field_number(f, lat_);
    } catch (const Error& e) {
      reject(std::string("lon/lat: ") + e.what());
    }
    if (!lon && !lat) return std::nullopt;
    if (!lon || !lat) reject("lon and lat must both be given");
    return LonLat{*lon, *lat};
  }

  LonLat to_wgs84(LonLat p) const {
    if (!is_finite(p)) reject("coordinate is not a finite number");
    LonLat w = to_wgs84_(p);
    if (!is_valid_wgs84(w))
      reject("coordinate " + lonlat_text(p.lon, p.lat) + " is not a longitude/latitude in " +
             to_wgs84_.from().name() + " (wrong CRS? pass --crs)");
    return w;
  }

  GeomPtr to_wgs84(const GEOSGeometry* g) const {
    try {
      return geos::map_points(g, [this](LonLat p) { return to_wgs84(p); });
    } catch (const Rejected&) {
      throw;
    } catch (const std::exception& e) {
      reject(e.what());
    }
  }

  GeomPtr source_area(const OGRFeature& f, Names& notes) const {
    if (const OGRGeometry* g = f.GetGeometryRef(); g && !g->IsEmpty()) return ogr_area(*g, notes);
    if (std::optional<std::string> wkt = text(f, wkt_)) return geos_area(geos::from_wkt(*wkt));
    reject("missing geometry");
  }

  static GeomPtr ogr_area(const OGRGeometry& g, Names& notes) {
    OGRGeometryUniquePtr copy = gdal::linear_2d(g);
    OGRwkbGeometryType type = wkbFlatten(copy->getGeometryType());
    if (type == wkbPolygon) {
      if (!clean_rings(*copy->toPolygon(), notes))
        reject("the outer ring has " +
               std::to_string(copy->toPolygon()->getExteriorRing()->getNumPoints()) +
               " points; a ring needs at least 4 (zero area)");
    } else if (type == wkbMultiPolygon) {
      // Real boundaries from public sets carry slivers of 3 points beside the real parts:
      // those parts are dropped (and reported), the feature is kept.
      OGRMultiPolygon& multi = *copy->toMultiPolygon();
      int dropped = 0;
      for (int i = multi.getNumGeometries() - 1; i >= 0; --i) {
        if (clean_rings(*multi.getGeometryRef(i), notes)) continue;
        multi.removeGeometry(i);
        ++dropped;
      }
      if (multi.getNumGeometries() == 0)
        reject("every part has fewer than 4 points in its outer ring (zero area)");
      if (dropped > 0)
        notes.push_back("dropped " + std::to_string(dropped) +
                        " degenerate part(s) (outer rings of fewer than 4 points)");
    } else {
      reject("expected a polygon, got a " + ascii_lower(copy->getGeometryName()));
    }
    return gdal::to_geos(*copy);
  }

  static int ring_points(OGRLinearRing& ring) {
    return ring.getNumPoints() + (ring.get_IsClosed() ? 0 : 1);
  }

  // Closes open rings and drops holes of fewer than 4 points (both reported); false when the
  // outer ring itself has fewer than 4 points.
  static bool clean_rings(OGRPolygon& poly, Names& notes) {
    OGRLinearRing* outer = poly.getExteriorRing();
    if (!outer || ring_points(*outer) < 4) return false;
    int holes_dropped = 0;
    for (int i = poly.getNumInteriorRings() - 1; i >= 0; --i)
      if (ring_points(*poly.getInteriorRing(i)) < 4) {
        poly.removeRing(i + 1);  // ring 0 is the outer one
        ++holes_dropped;
      }
    if (holes_dropped > 0)
      notes.push_back("dropped " + std::to_string(holes_dropped) +
                      " degenerate hole(s) (fewer than 4 points)");
    int unclosed = 0;
    for (OGRLinearRing* ring : poly)
      if (ring->getNumPoints() > 0 && !ring->get_IsClosed()) ++unclosed;
    if (unclosed > 0) {
      poly.closeRings();
      notes.push_back("closed " + std::to_string(unclosed) + " open ring(s)");
    }
    return true;
  }

  static GeomPtr geos_area(GeomPtr g) {
    int type = geos::type_id(g.get());
    if (geos::is_empty(g.get())) reject("missing geometry");
    if (type != GEOS_POLYGON && type != GEOS_MULTIPOLYGON)
      reject("expected a polygon, got a " + geos_type_name(type));
    return g;
  }

  static GeomPtr repaired(GeomPtr g, Names& notes) {
    std::string reason = geos::invalid_reason(g.get());
    if (!reason.empty()) {
      g = geos::make_valid_areal(g.get());
      notes.push_back("repaired: " + reason);
    } else {
      int before = geos::num_coordinates(g.get());
      g = geos::own(GEOSRemoveRepeatedPoints_r(geos::ctx(), g.get(), 0.0), "duplicate removal");
      int removed = before - geos::num_coordinates(g.get());
      if (removed > 0)
        notes.push_back("removed " + std::to_string(removed) + " duplicate vertices");
      g = geos::to_multipolygon(g.get());
    }
    double area = 0;
    if (geos::is_empty(g.get()) || !GEOSArea_r(geos::ctx(), g.get(), &area) || !(area > 0))
      reject(reason.empty() ? "zero area"
                            : "zero area: nothing is left after repair (" + reason + ")");
    return g;
  }

  const ImportOptions& o_;
  OGRLayer& layer_;
  OGRFeatureDefn& defn_;
  crs::Transformer to_wgs84_;
  bool recode_ = false;
  bool explicit_lonlat_ = false;
  int lon_ = -1, lat_ = -1, wkt_ = -1;
};

// ---------------------------------------------------------------------------------------
// Importers: one per kind of layer, each validating one feature and storing it.

class FeatureImporter {
 public:
  virtual ~FeatureImporter() = default;
  // Stores the feature or throws Rejected (or invalid_input) before storing anything.
  virtual void import(const OGRFeature& f, int64_t n, Outcome& out) = 0;

 protected:
  // Rejects a code or id already seen in this file.
  void claim(const std::string& code, int64_t n) {
    auto [it, fresh] = seen_.emplace(code, n);
    if (!fresh)
      reject("duplicate code " + code + " (also feature " + std::to_string(it->second) + ")");
  }

 private:
  std::map<std::string, int64_t> seen_;
};

std::optional<int64_t> parse_id(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || end != text->data() + text->size() || v <= 0)
    reject("id '" + *text + "' is not a positive whole number");
  return v;
}

// The parent areas, loaded when a feature without a parent code needs one found by position.
class ParentFinder {
 public:
  ParentFinder(Db& db, Layer parent_layer) {
    AreaRepo(db, parent_layer).for_each([&](const Area& a) {
      GeomPtr g = geos::from_wkb(a.wkb);
      geos::PreparedPtr p(GEOSPrepare_r(geos::ctx(), g.get()));
      if (!p) throw_internal("GEOS cannot prepare the " + std::string(to_string(parent_layer)));
      parents_.push_back({a.code, geos::envelope(g.get()), std::move(g), std::move(p)});
    });
  }

  // The parent holding the area's point on surface, if any.
  std::optional<std::string> find(const GEOSGeometry* area) const {
    GeomPtr pt = geos::own(GEOSPointOnSurface_r(geos::ctx(), area), "point on surface");
    double x = 0, y = 0;
    if (!GEOSGeomGetX_r(geos::ctx(), pt.get(), &x) || !GEOSGeomGetY_r(geos::ctx(), pt.get(), &y))
      return std::nullopt;
    for (const Parent& p : parents_) {
      if (x < p.box.min_lon || x > p.box.max_lon || y < p.box.min_lat || y > p.box.max_lat)
        continue;
      if (GEOSPreparedCovers_r(geos::ctx(), p.prepared.get(), pt.get()) == 1) return p.code;
    }
    return std::nullopt;
  }

 private:
  struct Parent {
    std::string code;
    Box box;
    GeomPtr geom;
    geos::PreparedPtr prepared;
  };
  std::vector<Parent> parents_;
};

Names code_candidates(Layer l) {
  if (l == Layer::subdistricts)
    return {"code", "subdistrict_code", "subdistric", "编码", "街道编码"};
  if (l == Layer::communities) return {"code", "community_code", "community_", "编码", "社区编码"};
  return {"code", "grid_code", "编码", "网格编码"};
}

Names parent_candidates(Layer l) {
  if (l == Layer::communities)
    return {"subdistrict_code", "subdistric", "subdistrict", "parent", "parent_code", "街道编码"};
  return {"community_code", "community_", "community", "parent", "parent_code", "社区编码"};
}

class AreaImporter : public FeatureImporter {
 public:
  AreaImporter(Db& db, Input& in, Layer layer) : db_(db), in_(in), layer_(layer), repo_(db, layer) {
    const ImportOptions& o = in.options();
    code_ = in.required_field(o.code_field, code_candidates(layer), "--code-field", "code");
    name_ = in.field(o.name_field, {"name", "名称"}, "--name-field");
    if (parent_of(layer)) {
      parent_ = in.field(o.parent_field, parent_candidates(layer), "--parent-field");
      parent_repo_.emplace(db, *parent_of(layer));
    } else if (o.parent_field) {
      throw_invalid("--parent-field does not apply to " + std::string(to_string(layer)));
    }
  }

  void import(const OGRFeature& f, int64_t n, Outcome& out) override {
    std::optional<std::string> code = in_.text(f, code_);
    if (!code) reject("missing code");
    out.code = *code;
    claim(*code, n);
    Area a;
    a.code = *code;
    a.name = in_.text(f, name_).value_or(*code);
    GeomPtr g = in_.area(f, out.notes);
    a.parent = parent(f, g.get());
    a.wkb = geos::to_wkb(g.get());
    repo_.upsert(a);
  }

 private:
  std::optional<std::string> parent(const OGRFeature& f, const GEOSGeometry* area) {
    if (!parent_repo_) return std::nullopt;
    if (std::optional<std::string> code = in_.text(f, parent_)) {
      if (!parent_repo_->exists(*code))
        reject("parent " + *code + " is not in " + std::string(to_string(*parent_of(layer_))) +
               " (import those first)");
      return code;
    }
    if (!finder_) finder_ = std::make_unique<ParentFinder>(db_, *parent_of(layer_));
    return finder_->find(area);
  }

  Db& db_;
  Input& in_;
  Layer layer_;
  AreaRepo repo_;
  std::optional<AreaRepo> parent_repo_;
  std::unique_ptr<ParentFinder> finder_;
  int code_ = -1, name_ = -1, parent_ = -1;
};

bool parse_bool(const std::string& text) {
  static const Names yes = {"1", "true", "t", "yes", "y", "on", "是", "在岗"};
  static const Names no = {"0", "false", "f", "no", "n", "off", "否", "不在岗"};
  std::string s = ascii_lower(text);
  for (const std::string& y : yes)
    if (s == y) return true;
  for (const std::string& v : no)
    if (s == v) return false;
  reject("on_duty '" + text + "' is not a yes/no value");
}

Names split_codes(const std::string& text) {
  Names out;
  std::string cur;
  auto flush = [&] {
    while (!cur.empty() && cur.back() == ' ') cur.pop_back();
    if (!cur.empty()) out.push_back(cur);
    cur.clear();
  };
  for (char c : text) {
    if (c == ';' || c == ',') {
      flush();
    } else if (c != ' ' || !cur.empty()) {
      cur += c;
    }
  }
  flush();
  return out;
}

class WorkerImporter : public FeatureImporter {
 public:
  WorkerImporter(Db& db, Input& in) : in_(in), repo_(db), grids_(db, Layer::grids) {
    const ImportOptions& o = in.options();
    if (o.parent_field) throw_invalid("--parent-field does not apply to workers");
    id_ = in.field(o.code_field, {"id", "worker_id"}, "--code-field");
    name_ = in.required_field(o.name_field, {"name", "姓名"}, "--name-field", "name");
    phone_ = in.field(std::nullopt, {"phone", "mobile", "tel", "电话", "手机"}, "");
    on_duty_ = in.field(std::nullopt, {"on_duty", "onduty", "在岗"}, "");
    grids_field_ = in.field(std::nullopt, {"grids", "grid_codes", "grid_code", "grid", "网格"}, "");
    position_at_ = in.field(std::nullopt, {"position_at", "pos_at"}, "");
  }

  void import(const OGRFeature& f, int64_t n, Outcome& out) override {
    Worker w;
    if (std::optional<int64_t> id = parse_id(in_.text(f, id_))) {
      out.code = std::to_string(*id);
      claim(out.code, n);
      w = repo_.get(*id).value_or(Worker{});
      w.id = id;
    }
    std::optional<std::string> name = in_.text(f, name_);
    if (!name) reject("missing name");
    w.name = *name;
    if (phone_ >= 0) w.phone = in_.text(f, phone_);
    if (on_duty_ >= 0) w.on_duty = parse_bool(in_.text(f, on_duty_).value_or("0"));
    if (in_.has_positions()) w.position = in_.point(f);
    if (position_at_ >= 0) w.position_at = in_.time(f, position_at_, "position_at");
    if (grids_field_ >= 0) w.grids = grid_codes(f);
    repo_.upsert(w);
  }

 private:
  Names grid_codes(const OGRFeature& f) {
    Names codes = split_codes(in_.text(f, grids_field_).value_or(""));
    for (const std::string& c : codes)
      if (!grids_.exists(c)) reject("grid " + c + " is not in grids (import the grids first)");
    return codes;
  }

  Input& in_;
  WorkerRepo repo_;
  AreaRepo grids_;
  int id_ = -1, name_ = -1, phone_ = -1, on_duty_ = -1, grids_field_ = -1, position_at_ = -1;
};

// Stamps a position with the grid, community and subdistrict holding it (none outside).
template <class T>
void stamp(const Locator& locator, T& item) {
  const GridLineage* g = locator.locate(item.position);
  item.grid_code = g ? std::optional<std::string>(g->grid_code.value) : std::nullopt;
  item.community_code = g ? g->community_code : std::nullopt;
  item.subdistrict_code = g ? g->subdistrict_code : std::nullopt;
}

void refuse_area_options(const ImportOptions& o, const std::string& layer) {
  if (o.parent_field) throw_invalid("--parent-field does not apply to " + layer);
  if (o.name_field) throw_invalid("--name-field does not apply to " + layer);
}

LonLat required_point(const Input& in, const OGRFeature& f) {
  std::optional<LonLat> p = in.point(f);
  if (!p) reject("missing geometry (no point and no lon/lat)");
  return *p;
}

class HouseholdImporter : public FeatureImporter {
 public:
  HouseholdImporter(Db& db, Input& in) : in_(in), repo_(db), locator_(Locator::load(db)) {
    refuse_area_options(in.options(), "households");
    id_ = in.field(in.options().code_field, {"id", "household_id"}, "--code-field");
    address_ = in.field(std::nullopt, {"address", "addr", "地址"}, "");
  }

  void import(const OGRFeature& f, int64_t n, Outcome& out) override {
    Household h;
    if (std::optional<int64_t> id = parse_id(in_.text(f, id_))) {
      out.code = std::to_string(*id);
      claim(out.code, n);
      h.id = id;
    }
    h.address = in_.text(f, address_).value_or("");
    h.position = required_point(in_, f);
    stamp(locator_, h);
    repo_.upsert(h);
  }

 private:
  Input& in_;
  HouseholdRepo repo_;
  Locator locator_;
  int id_ = -1, address_ = -1;
};

class PetitionImporter : public FeatureImporter {
 public:
  PetitionImporter(Db& db, Input& in)
      : in_(in),
        repo_(db),
        locator_(Locator::load(db)),
        catalogue_(db),
        calendar_(load_calendar(db)) {
    refuse_area_options(in.options(), "petitions");
    id_ = in.field(in.options().code_field, {"id", "petition_id"}, "--code-field");
    kind_ = in.field(std::nullopt, {"kind", "类型"}, "");
    category_ = in.required_field(std::nullopt, {"category", "类别"}, "", "category");
    description_ = in.field(std::nullopt, {"description", "descr", "desc", "描述"}, "");
    status_ = in.field(std::nullopt, {"status", "状态"}, "");
    handler_ = in.field(std::nullopt, {"handler", "handler_level"}, "");
    created_ =
        in.required_field(std::nullopt, {"created_at", "created", "上报时间"}, "", "created_at");
    deadline_ = in.field(std::nullopt, {"deadline", "deadline_at", "期限"}, "");
    closed_ = in.field(std::nullopt, {"closed_at", "办结时间"}, "");
  }

  void import(const OGRFeature& f, int64_t n, Outcome& out) override {
    Petition p;
    if (std::optional<int64_t> id = parse_id(in_.text(f, id_))) {
      out.code = std::to_string(*id);
      claim(out.code, n);
      p = repo_.get(PetitionId{*id}).value_or(Petition{});
      p.id = PetitionId{*id};
    }
    read_labels(f, p);
    read_times(f, p);
    p.position = required_point(in_, f);
    stamp(locator_, p);
    repo_.upsert(p);
  }

 private:
  void read_labels(const OGRFeature& f, Petition& p) {
    if (std::optional<std::string> kind = in_.text(f, kind_)) {
      std::optional<Kind> k = parse_kind(*kind);
      if (!k) reject("kind '" + *kind + "' is not " + kind_names());
      p.kind = *k;
    }
    std::optional<std::string> category = in_.text(f, category_);
    if (!category) reject("missing category");
    p.category = *category;
    category_of(p.category);
    if (description_ >= 0) p.description = in_.text(f, description_).value_or("");
    if (std::optional<std::string> status = in_.text(f, status_)) {
      std::optional<Status> s = parse_status(*status);
      if (!s) reject("status '" + *status + "' is not " + status_names());
      p.status = *s;
    }
    if (std::optional<std::string> handler = in_.text(f, handler_)) {
      std::optional<Level> l = parse_level(*handler);
      if (!l)
        reject("handler '" + *handler + "' is not grid, community, subdistrict or department");
      p.handler_level = *l;
    }
  }

  void read_times(const OGRFeature& f, Petition& p) {
    std::optional<int64_t> created = in_.time(f, created_, "created_at");
    if (!created) reject("missing created_at");
    p.created_at = *created;
    p.deadline_at = in_.time(f, deadline_, "deadline");
    if (!p.deadline_at) p.deadline_at = due_at(category_of(p.category), p.created_at, calendar_);
    if (closed_ >= 0) p.closed_at = in_.time(f, closed_, "closed_at");
    if (p.closed_at && *p.closed_at < p.created_at) reject("closed_at is before created_at");
  }

  // The catalogue's entry for a petition's category; rejects the row for an unknown one.
  const CatalogueEntry& category_of(const std::string& code) {
    auto it = categories_.find(code);
    if (it != categories_.end()) return it->second;
    std::optional<CatalogueEntry> e = catalogue_.get(code);
    if (!e)
      reject("unknown category '" + code +
             "' (not in the catalogue: `gridmap catalogue import` adds it)");
    return categories_.emplace(code, *e).first->second;
  }

  Input& in_;
  PetitionRepo repo_;
  Locator locator_;
  Catalogue catalogue_;
  WorkCalendar calendar_;
  std::map<std::string, CatalogueEntry> categories_;
  int id_ = -1, kind_ = -1, category_ = -1, description_ = -1, status_ = -1, handler_ = -1;
  int created_ = -1, deadline_ = -1, closed_ = -1;
};

std::unique_ptr<FeatureImporter> importer_for(Db& db, Input& in) {
  Layer l = in.options().layer;
  if (is_area(l)) {
    if (in.options().lon_field) throw_invalid("--lon-field applies to point layers only");
    return std::make_unique<AreaImporter>(db, in, l);
  }
  if (l == Layer::workers) return std::make_unique<WorkerImporter>(db, in);
  if (l == Layer::households) return std::make_unique<HouseholdImporter>(db, in);
  return std::make_unique<PetitionImporter>(db, in);
}

// ---------------------------------------------------------------------------------------
// The run: every feature in one transaction, committed only when none was rejected (or the
// caller allowed skipping them).

void import_one(FeatureImporter& imp, const OGRFeature& f, int64_t n, ImportReport& r) {
  Outcome out;
  std::string why;
  try {
    imp.import(f, n, out);
  } catch (const Rejected& e) {
    why = e.what();
  } catch (const FileError&) {
    throw;
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::invalid_input) throw;
    why = e.what();
  }
  if (!why.empty()) {
    ++r.rejected;
    r.issues.push_back({n, out.code, why, true});
    return;
  }
  ++r.imported;
  if (out.notes.empty()) return;
  ++r.repaired;
  r.issues.push_back({n, out.code, join(out.notes, "; "), false});
}

OGRFeatureUniquePtr next_feature(OGRLayer& layer, const std::string& file) {
  CPLErrorReset();
  OGRFeatureUniquePtr f(layer.GetNextFeature());
  if (!f && CPLGetLastErrorType() == CE_Failure)
    throw_invalid("cannot read " + file + ": " + CPLGetLastErrorMsg());
  return f;
}

}  // namespace

ImportReport gdal::import_layer(Db& db, const ImportOptions& o) {
  gdal::ErrorCapture quiet;  // GDAL's warnings about single values are not worth a stderr line
  gdal::Source src(o.file, o.encoding);
  Input in(o, src);
  std::unique_ptr<FeatureImporter> imp = importer_for(db, in);
  OGRLayer& layer = in.layer();
  const int64_t total = layer.GetFeatureCount(FALSE);
  ImportReport report;
  Transaction tx(db);
  layer.ResetReading();
  while (OGRFeatureUniquePtr f = next_feature(layer, o.file)) {
    import_one(*imp, *f, ++report.read, report);
    if (o.progress && report.read % 256 == 0) o.progress(report.read, total);
  }
  if (o.progress) o.progress(report.read, total);
  if (report.rejected > 0 && !o.skip_invalid) {
    report.imported = 0;  // the transaction rolls back as it goes out of scope
    return report;
  }
  tx.commit();
  report.committed = true;
  return report;
}

}  // namespace gridmap::data
