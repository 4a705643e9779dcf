#include "geo/coverage.hpp"

#include <algorithm>
#include <map>
#include <regex>
#include <unordered_map>

#include "geo/error.hpp"
#include "geo/geodesic.hpp"
#include "geo/geojson.hpp"

namespace gridmap {

std::string_view to_string(FindingKind k) noexcept {
  switch (k) {
    case FindingKind::gap: return "gap";
    case FindingKind::overlap: return "overlap";
    case FindingKind::sliver: return "sliver";
    case FindingKind::outside_parent: return "outside_parent";
    case FindingKind::missing_parent: return "missing_parent";
    case FindingKind::duplicate_code: return "duplicate_code";
    case FindingKind::duplicate_name: return "duplicate_name";
    case FindingKind::malformed_code: return "malformed_code";
    case FindingKind::no_worker: return "no_worker";
  }
  return "";
}

namespace {

using geos::GeomPtr;

GeomPtr union_of(const std::vector<const GEOSGeometry*>& parts) {
  std::vector<GEOSGeometry*> copies;
  for (const GEOSGeometry* p : parts) copies.push_back(geos::clone(p).release());
  GeomPtr coll = geos::own(GEOSGeom_createCollection_r(geos::ctx(), GEOS_GEOMETRYCOLLECTION, copies.data(),
                                                       static_cast<unsigned>(copies.size())),
                           "collection");
  return geos::own(GEOSUnaryUnion_r(geos::ctx(), coll.get()), "union");
}

// The polygonal pieces of g, each on its own.
std::vector<GeomPtr> pieces(const GEOSGeometry* g) {
  std::vector<GeomPtr> out;
  int type = geos::type_id(g);
  if (type == GEOS_POLYGON) {
    if (!geos::is_empty(g)) out.push_back(geos::clone(g));
  } else if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
    int n = GEOSGetNumGeometries_r(geos::ctx(), g);
    for (int i = 0; i < n; ++i)
      for (auto& p : pieces(GEOSGetGeometryN_r(geos::ctx(), g, i))) out.push_back(std::move(p));
  }
  return out;
}

class Checker {
 public:
  explicit Checker(const CoverageInput& in) : in_(in) {}

  std::vector<Finding> run() {
    codes("subdistrict", in_.subdistricts, std::regex("\\d{9}"), nullptr);
    codes("community", in_.communities, std::regex("\\d{12}"), &in_.subdistricts);
    codes("grid", in_.grids, std::regex("\\d{15}"), &in_.communities);
    for (const CoverageArea& g : in_.grids) {
      if (!in_.grids_with_worker.count(g.code))
        add(FindingKind::no_worker, "grid", {g.code}, geodesic_area_m2(g.geom), g.geom, "no worker is assigned to this grid");
      double a = geodesic_area_m2(g.geom);
      if (a < in_.sliver_m2) add(FindingKind::sliver, "grid", {g.code}, a, g.geom, "the grid itself is smaller than the sliver threshold");
    }
    tiling("community", in_.communities, "grid", in_.grids);
    tiling("subdistrict", in_.subdistricts, "community", in_.communities);
    return std::move(out_);
  }

 private:
  void add(FindingKind k, std::string level, std::vector<std::string> codes, double area, const GEOSGeometry* g,
           std::string detail) {
    out_.push_back({k, std::move(level), std::move(codes), area, g ? to_geojson(g) : "", std::move(detail)});
  }

  static std::string normalised(const std::string& code) {
    std::string out;
    for (size_t i = 0; i < code.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(code[i]);
      // Full-width digits U+FF10..U+FF19 are EF BC 90..99 in UTF-8.
      if (c == 0xEF && i + 2 < code.size() && static_cast<unsigned char>(code[i + 1]) == 0xBC &&
          static_cast<unsigned char>(code[i + 2]) >= 0x90 && static_cast<unsigned char>(code[i + 2]) <= 0x99) {
        out += static_cast<char>('0' + (static_cast<unsigned char>(code[i + 2]) - 0x90));
        i += 2;
      } else if (!std::isspace(c)) {
        out += static_cast<char>(std::toupper(c));
      }
    }
    return out;
  }

  void codes(const std::string& level, const std::vector<CoverageArea>& areas, const std::regex& scheme,
             const std::vector<CoverageArea>* parents) {
    std::unordered_map<std::string, std::string> seen;
    std::map<std::pair<std::string, std::string>, std::string> names;
    std::unordered_set<std::string> parent_codes;
    if (parents)
      for (auto& p : *parents) parent_codes.insert(p.code);
    for (const CoverageArea& a : areas) {
      auto [it, fresh] = seen.emplace(normalised(a.code), a.code);
      if (!fresh) add(FindingKind::duplicate_code, level, {it->second, a.code}, 0, a.geom, "codes differ only in spacing, width or case");
      if (!std::regex_match(a.code, scheme)) {
        add(FindingKind::malformed_code, level, {a.code}, 0, a.geom, "not a " + level + " code of the national scheme");
      } else if (a.parent && parents && a.code.rfind(*a.parent, 0) != 0) {
        add(FindingKind::malformed_code, level, {a.code}, 0, a.geom, "does not start with its parent's code " + *a.parent);
      }
      if (a.parent && parents && !parent_codes.count(*a.parent))
        add(FindingKind::missing_parent, level, {a.code}, 0, a.geom, "parent " + *a.parent + " does not exist");
      auto [n, new_name] = names.emplace(std::make_pair(a.parent.value_or(""), a.name), a.code);
      if (!new_name && !a.name.empty())
        add(FindingKind::duplicate_name, level, {n->second, a.code}, 0, a.geom, "two areas named '" + a.name + "' under one parent");
    }
  }

  void report_pieces(FindingKind big, const std::string& level, const std::vector<std::string>& codes, const GEOSGeometry* g,
                     const std::string& what) {
    for (auto& p : pieces(g)) {
      double a = geodesic_area_m2(p.get());
      if (a < in_.noise_m2) continue;
      bool sliver = a < in_.sliver_m2;
      add(sliver ? FindingKind::sliver : big, level, codes, a, p.get(), sliver ? what + " (sliver)" : what);
    }
  }

  // Children must tile each parent: no gaps, no overlaps, nothing outside.
  void tiling(const std::string& parent_level, const std::vector<CoverageArea>& parents, const std::string& child_level,
              const std::vector<CoverageArea>& children) {
    std::unordered_map<std::string, std::vector<const CoverageArea*>> kids;
    for (const CoverageArea& c : children)
      if (c.parent) kids[*c.parent].push_back(&c);
    for (const CoverageArea& p : parents) {
      auto it = kids.find(p.code);
      if (it == kids.end()) {
        add(FindingKind::gap, parent_level, {p.code}, geodesic_area_m2(p.geom), p.geom, "no " + child_level + " in this " + parent_level);
        continue;
      }
      std::vector<const GEOSGeometry*> geoms;
      for (auto* k : it->second) geoms.push_back(k->geom);
      GeomPtr u = union_of(geoms);
      GeomPtr gap = geos::own(GEOSDifference_r(geos::ctx(), p.geom, u.get()), "difference");
      report_pieces(FindingKind::gap, parent_level, {p.code}, gap.get(), child_level + "s leave a gap in " + parent_level + " " + p.code);
      for (auto* k : it->second) {
        GeomPtr outside = geos::own(GEOSDifference_r(geos::ctx(), k->geom, p.geom), "difference");
        report_pieces(FindingKind::outside_parent, child_level, {k->code, p.code}, outside.get(),
                      child_level + " reaches outside its " + parent_level);
      }
      double sum = 0;
      for (auto* g : geoms) sum += geodesic_area_m2(g);
      if (sum > geodesic_area_m2(u.get()) + in_.noise_m2) overlaps(child_level, it->second);
    }
  }

  void overlaps(const std::string& level, const std::vector<const CoverageArea*>& areas) {
    std::vector<Box> boxes;
    for (auto* a : areas) boxes.push_back(geos::envelope(a->geom));
    for (size_t i = 0; i < areas.size(); ++i)
      for (size_t j = i + 1; j < areas.size(); ++j) {
        const Box &a = boxes[i], &b = boxes[j];
        if (a.max_lon < b.min_lon || b.max_lon < a.min_lon || a.max_lat < b.min_lat || b.max_lat < a.min_lat) continue;
        char interiors = GEOSRelatePattern_r(geos::ctx(), areas[i]->geom, areas[j]->geom, "T********");
        if (interiors != 1) continue;
        GeomPtr both = geos::own(GEOSIntersection_r(geos::ctx(), areas[i]->geom, areas[j]->geom), "intersection");
        report_pieces(FindingKind::overlap, level, {areas[i]->code, areas[j]->code}, both.get(), level + "s overlap");
      }
  }

  const CoverageInput& in_;
  std::vector<Finding> out_;
};

}  // namespace

std::vector<Finding> check_coverage(const CoverageInput& input) { return Checker(input).run(); }

}  // namespace gridmap
