#include "server/access.hpp"

#include <algorithm>

namespace gridmap::server {

namespace {
constexpr Scope D = Scope::denied, A = Scope::all, O = Scope::own;
}

// Workers see their own patch; dispatchers petitions and workers everywhere (households
// without resident details); planners aggregates and boundaries only. A community's,
// subdistrict's or department's office has a worker's routes over its patch (the area's
// grids, or the department's cases: server/context.hpp), but not the residents' personal
// data nor a worker's field work in the street.
const std::vector<AccessRule>& access_rules() {
  static const std::vector<AccessRule> rules = {
      // route                     public  admin disp  worker plan  community subdistrict department
      {"healthz", true, A, A, A, A, A, A, A},
      {"problems.list", true, A, A, A, A, A, A, A},  // what each problem `type` means
      {"problems.item", true, A, A, A, A, A, A, A},
      {"openapi", true, A, A, A, A, A, A, A},  // the OpenAPI document of every route
      // OGC API - Features: the landing page and conformance are public; each collection
      // is read as its layer's list is (handlers/ogc.cpp), so any signed-in role may ask.
      {"ogc.landing", true, A, A, A, A, A, A, A},
      {"ogc.conformance", true, A, A, A, A, A, A, A},
      {"ogc.collections", false, A, A, A, A, A, A, A},
      {"ogc.collection", false, A, A, A, A, A, A, A},
      {"ogc.queryables", false, A, A, A, A, A, A, A},
      {"ogc.items", false, A, A, A, A, A, A, A},
      {"ogc.item", false, A, A, A, A, A, A, A},
      // Part 4: boundaries are an admin's (checked per collection in handlers/ogc.cpp);
      // households an admin's, or a worker's in their grids; removals an admin's.
      {"ogc.create", false, A, D, O, D, D, D, D},
      {"ogc.replace", false, A, D, O, D, D, D, D},
      {"ogc.update", false, A, D, O, D, D, D, D},
      {"ogc.delete", false, A, D, D, D, D, D, D},
      // Open311 GeoReport v2: the services (the catalogue) are public; requests are
      // petitions, read and reported as through the petitions' own routes.
      {"open311.discovery", true, A, A, A, A, A, A, A},
      {"open311.services", true, A, A, A, A, A, A, A},
      {"open311.service", true, A, A, A, A, A, A, A},
      {"open311.requests", false, A, A, O, D, O, O, O},
      {"open311.request", false, A, A, O, D, O, O, O},
      {"open311.create", false, A, A, A, D, A, A, A},
      // A whole layer as a file: for the roles that list all of it (handlers/exports.cpp).
      {"exports.layer", false, A, D, D, A, D, D, D},
      {"session.create", true, A, A, A, A, A, A, A},
      {"session.delete", false, A, A, A, A, A, A, A},
      {"session.me", true, A, A, A, A, A, A, A},  // answers {"signed_in": false} to strangers
      {"metrics", false, A, D, D, D, D, D, D},
      {"locate", false, A, A, A, A, A, A, A},
      {"locate.batch", false, A, A, A, A, A, A, A},
      {"workers.nearest", false, A, A, D, D, D, D, D},
      {"workers.nearest.batch", false, A, A, D, D, D, D, D},
      {"workers.position", false, A, D, O, D, D, D, D},
      {"workers.positions", false, A, D, O, D, D, D, D},  // own pings only, for a worker
      {"subdistricts.list", false, A, A, A, A, A, A, A},
      {"subdistricts.item", false, A, A, A, A, A, A, A},
      {"subdistricts.create", false, A, D, D, D, D, D, D},
      {"subdistricts.update", false, A, D, D, D, D, D, D},
      {"communities.list", false, A, A, A, A, A, A, A},
      {"communities.item", false, A, A, A, A, A, A, A},
      {"communities.create", false, A, D, D, D, D, D, D},
      {"communities.update", false, A, D, D, D, D, D, D},
      {"grids.list", false, A, A, A, A, A, A, A},
      {"grids.item", false, A, A, A, A, A, A, A},
      {"grids.create", false, A, D, D, D, D, D, D},
      {"grids.update", false, A, D, D, D, D, D, D},
      {"workers.list", false, A, A, O, D, O, O, O},
      {"workers.item", false, A, A, O, D, O, O, O},
      {"workers.update", false, A, A, D, D, D, D, D},
      {"households.list", false, A, A, O, D, O, O, O},
      {"households.item", false, A, A, O, D, O, O, O},
      {"households.create", false, A, D, O, D, D, D, D},
      {"residents.list", false, A, D, O, D, D, D, D},
      {"residents.reveal", false, A, D, O, D, D, D, D},
      {"residents.delete", false, A, D, D, D, D, D, D},
      {"residents.export", false, A, D, D, D, D, D, D},  // PIPL: all held about one person
      {"residents.erase", false, A, D, D, D, D, D, D},
      // The register (一标三实): a worker keeps their patch's residents and units; the
      // centre reads units (not residents); imports are an admin's.
      {"residents.create", false, A, D, O, D, D, D, D},
      {"residents.item", false, A, D, O, D, D, D, D},
      {"residents.update", false, A, D, O, D, D, D, D},
      {"residents.tag", false, A, D, O, D, D, D, D},
      {"residents.untag", false, A, D, O, D, D, D, D},
      {"residents.tagged", false, A, D, O, D, D, D, D},
      {"units.list", false, A, A, O, D, O, O, D},
      {"units.item", false, A, A, O, D, O, O, D},
      {"units.create", false, A, D, O, D, D, D, D},
      {"units.update", false, A, D, O, D, D, D, D},
      {"units.delete", false, A, D, D, D, D, D, D},
      {"units.reveal", false, A, A, O, D, D, D, D},
      {"register.import", false, A, D, D, D, D, D, D},
      {"register.export", false, A, D, D, D, D, D, D},
      {"register.template", false, A, A, A, D, A, A, D},
      {"petitions.list", false, A, A, O, D, O, O, O},
      {"petitions.item", false, A, A, O, D, O, O, O},
      {"petitions.create", false, A, A, A, D, A, A, A},
      {"petitions.transition", false, A, A, O, D, O, O, O},
      {"petitions.events", false, A, A, O, D, O, O, O},
      // 回访: the centre calls the reporter back.
      {"petitions.followup", false, A, A, D, D, D, D, D},
      {"petitions.followups", false, A, A, O, D, O, O, O},
      {"petitions.duplicates", false, A, A, O, D, O, O, O},
      {"petitions.reveal", false, A, A, D, D, D, D, D},
      // Field work: a worker records their own. A visit holds what residents said at home
      // (notes, form, photos): its worker and an admin read it, supervisors the coverage
      // figures only. Work logs: the centre reads everyone's, a community's or subdistrict's
      // office those of its area's workers (server/handlers/field_work.cpp).
      // A worker's offline package: what the phone takes into the street.
      {"workers.offline", false, A, D, O, D, D, D, D},
      {"workers.offline_tiles", false, A, D, O, D, D, D, D},
      {"visits.create", false, A, D, O, D, D, D, D},
      {"visits.list", false, A, D, O, D, D, D, D},
      {"visits.item", false, A, D, O, D, D, D, D},
      {"households.visits", false, A, D, O, D, D, D, D},
      {"visitform.get", false, A, A, A, A, A, A, A},
      {"visitform.put", false, A, D, D, D, D, O, D},  // a subdistrict's office: its own form
      {"worklog.create", false, A, D, O, D, D, D, D},
      {"worklog.edit", false, A, D, O, D, D, D, D},
      {"worklog.list", false, A, A, O, D, O, O, D},
      {"worklog.item", false, A, A, O, D, O, O, D},
      {"worklog.versions", false, A, A, O, D, O, O, D},
      {"worklog.put", false, A, D, O, D, D, D, D},
      {"worklog.get", false, A, A, O, D, O, O, D},
      // Attachments: uploaded to what the caller may change, read by whoever may read the
      // record they belong to (server/handlers/attachments.cpp decides per record).
      {"petitions.attachments.create", false, A, A, O, D, O, O, O},
      {"petitions.attachments.list", false, A, A, O, D, O, O, O},
      {"visits.attachments.create", false, A, D, O, D, D, D, D},
      {"visits.attachments.list", false, A, D, O, D, D, D, D},
      {"worklog.attachments.create", false, A, D, O, D, D, D, D},
      {"worklog.attachments.list", false, A, A, O, D, O, O, D},
      {"attachments.file", false, A, A, O, D, O, O, O},
      {"attachments.thumbnail", false, A, A, O, D, O, O, O},
      {"attachments.delete", false, A, A, O, D, O, O, O},
      // Patrol tracks: a worker opts in and reads their own; the centre reads everyone's, an
      // area's office its workers'; planners only aggregates. Visit coverage: figures per
      // grid or worker, an area's office its area's (server/handlers/patrols.cpp).
      {"patrols.set", false, A, D, O, D, D, D, D},
      {"patrols.track", false, A, A, O, D, O, O, D},
      {"patrols.stats", false, A, A, D, A, D, D, D},
      {"visits.coverage", false, A, A, D, A, O, O, D},
      // The catalogue: read by everyone who reports or counts cases, changed by an admin.
      {"catalogue.list", false, A, A, A, A, A, A, A},
      {"catalogue.item", false, A, A, A, A, A, A, A},
      {"catalogue.put", false, A, D, D, D, D, D, D},
      {"catalogue.delete", false, A, D, D, D, D, D, D},
      // Departments: read by whoever dispatches or handles cases, changed by an admin.
      {"departments.list", false, A, A, A, D, A, A, A},
      {"departments.item", false, A, A, A, D, A, A, A},
      {"departments.put", false, A, D, D, D, D, D, D},
      {"departments.delete", false, A, D, D, D, D, D, D},
      {"stats", false, A, A, D, A, D, D, D},
      {"coverage", false, A, A, D, A, D, D, D},
      {"hotspots", false, A, A, D, A, D, D, D},
      // Vector tiles: households and petitions as their lists, workers for dispatch only.
      {"tiles.subdistricts", false, A, A, A, A, A, A, A},
      {"tiles.communities", false, A, A, A, A, A, A, A},
      {"tiles.grids", false, A, A, A, A, A, A, A},
      {"tiles.households", false, A, A, O, D, O, O, O},
      {"tiles.petitions", false, A, A, O, D, O, O, O},
      {"tiles.workers", false, A, A, D, D, D, D, D},
      {"tilejson.subdistricts", false, A, A, A, A, A, A, A},
      {"tilejson.communities", false, A, A, A, A, A, A, A},
      {"tilejson.grids", false, A, A, A, A, A, A, A},
      {"tilejson.households", false, A, A, O, D, O, O, O},
      {"tilejson.petitions", false, A, A, O, D, O, O, O},
      {"tilejson.workers", false, A, A, D, D, D, D, D},
      // Hotspots are aggregates, as the hotspots route.
      {"tiles.hotspots", false, A, A, D, A, D, D, D},
      {"tilejson.hotspots", false, A, A, D, A, D, D, D},
      {"style", false, A, A, A, A, A, A, A},
      // Glyphs hold nothing but the shapes of a system font: public, so that any page
      // (the sign-in page too) may draw text. The base map follows the style.
      {"fonts", true, A, A, A, A, A, A, A},
      {"basemap.tile", false, A, A, A, A, A, A, A},
      {"basemap.tilejson", false, A, A, A, A, A, A, A},
      // Petition heat and density: aggregates for planners, k-anonymous for them (bins of
      // fewer than 5 petitions left out, see tiles/heat_render.hpp); admins and dispatchers
      // see every count. Workers are refused: their patch's petitions are theirs to see one
      // by one, and a heat map of their patch alone would add nothing while one of the
      // whole city would show them other grids' petitions.
      {"heatmap", false, A, A, D, A, D, D, D},
      {"tiles.density", false, A, A, D, A, D, D, D},
      // Notifications: the stream of the caller's scope (a worker's patch, as the petitions
      // list); webhook subscriptions are an admin's.
      {"events.stream", false, A, A, O, D, O, O, O},
      {"webhooks.list", false, A, D, D, D, D, D, D},
      {"webhooks.create", false, A, D, D, D, D, D, D},
      {"webhooks.item", false, A, D, D, D, D, D, D},
      {"webhooks.delete", false, A, D, D, D, D, D, D},
  };
  return rules;
}

const AccessRule* rule_for(std::string_view route) noexcept {
  const auto& rules = access_rules();
  auto it = std::find_if(rules.begin(), rules.end(),
                         [&](const AccessRule& r) { return r.route == route; });
  return it == rules.end() ? nullptr : &*it;
}

Scope scope_of(const AccessRule& r, std::string_view role) noexcept {
  if (role == "admin") return r.admin;
  if (role == "dispatcher") return r.dispatcher;
  if (role == "worker") return r.worker;
  if (role == "planner") return r.planner;
  if (role == "community") return r.community;
  if (role == "subdistrict") return r.subdistrict;
  if (role == "department") return r.department;
  return Scope::denied;
}

}  // namespace gridmap::server
