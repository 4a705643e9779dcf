#include "data/worker_directory.hpp"

#include "data/areas.hpp"
#include "data/workers.hpp"
#include "geo/error.hpp"

namespace gridmap::data {

WorkerDirectory WorkerDirectory::load(Db& db) {
  WorkerDirectory d;
  std::unordered_map<std::string, std::string> community_of;
  for (const GridLineage& g : grid_lineage(db)) {
    d.grid_no_.emplace(g.grid_code, static_cast<uint32_t>(d.grid_codes_.size()));
    d.grid_codes_.push_back(g.grid_code);
    if (g.community_code) {
      community_of[g.grid_code] = *g.community_code;
      d.community_no_.emplace(*g.community_code, static_cast<uint32_t>(d.community_no_.size()));
    }
  }
  WorkerRepo repo(db);
  d.index_ = std::make_unique<WorkerIndex>(static_cast<size_t>(repo.count()));
  repo.for_each([&](const Worker& w) {
    if (!w.position) return;
    WorkerState s;
    s.id = *w.id;
    s.position = *w.position;
    s.on_duty = w.on_duty;
    for (const std::string& g : w.grids) {
      auto it = d.grid_no_.find(g);
      if (it != d.grid_no_.end()) s.grids.push_back(it->second);
    }
    if (!w.grids.empty()) {
      auto c = community_of.find(w.grids.front());
      if (c != community_of.end()) s.community = d.community_no_.at(c->second);
    }
    d.names_[s.id] = w.name;
    d.index_->upsert(s);
  });
  return d;
}

std::vector<NearbyWorker> WorkerDirectory::nearest(LonLat p, size_t k, const NearbyFilter& f) const {
  WorkerFilter wf;
  wf.include_off_duty = f.include_off_duty;
  if (f.community_code) {
    auto it = community_no_.find(*f.community_code);
    if (it == community_no_.end()) throw Error(ErrorKind::not_found, "no community with code " + *f.community_code);
    wf.community = it->second;
  }
  if (f.grid_code) {
    auto it = grid_no_.find(*f.grid_code);
    if (it == grid_no_.end()) throw Error(ErrorKind::not_found, "no grid with code " + *f.grid_code);
    wf.grid = it->second;
  }
  std::vector<NearbyWorker> out;
  for (const WorkerDistance& w : index_->nearest(p, k, wf)) {
    NearbyWorker n{w.id, w.distance_m, "", ""};
    if (auto s = index_->get(w.id); s && !s->grids.empty()) n.grid_code = grid_codes_[s->grids.front()];
    if (auto it = names_.find(w.id); it != names_.end()) n.name = it->second;
    out.push_back(std::move(n));
  }
  return out;
}

}  // namespace gridmap::data
