#include "data/worker_directory.hpp"

#include <mutex>

#include "data/areas.hpp"
#include "data/workers.hpp"
#include "geo/error.hpp"

namespace gridmap::data {

WorkerDirectory WorkerDirectory::load(Db& db) {
  WorkerDirectory d;
  for (const GridLineage& g : grid_lineage(db)) {
    d.grid_no_.emplace(g.grid_code.value, static_cast<uint32_t>(d.grid_codes_.size()));
    d.grid_codes_.push_back(g.grid_code.value);
    if (g.community_code) {
      auto c =
          d.community_no_.emplace(*g.community_code, static_cast<uint32_t>(d.community_no_.size()));
      d.community_of_grid_.emplace(g.grid_code.value, c.first->second);
    }
  }
  WorkerRepo repo(db);
  d.index_ = std::make_unique<WorkerIndex>(static_cast<size_t>(repo.count()));
  repo.for_each([&](const Worker& w) {
    if (!w.position) return;
    d.names_[WorkerId{*w.id}] = w.name;
    d.index_->upsert(d.state_of(w, *w.position));
  });
  return d;
}

WorkerState WorkerDirectory::state_of(const Worker& w, LonLat position) const {
  WorkerState s;
  s.id = WorkerId{*w.id};
  s.position = position;
  s.on_duty = w.on_duty;
  for (const std::string& g : w.grids) {
    auto it = grid_no_.find(g);
    if (it != grid_no_.end()) s.grids.push_back(it->second);
  }
  if (!w.grids.empty()) {
    auto c = community_of_grid_.find(w.grids.front());
    if (c != community_of_grid_.end()) s.community = c->second;
  }
  return s;
}

void WorkerDirectory::refresh(const Worker& w, std::optional<LonLat> at) {
  WorkerId id{*w.id};
  {
    std::unique_lock l(*names_lock_);
    names_[id] = w.name;
  }
  std::optional<WorkerState> held = index_->get(id);
  std::optional<LonLat> position = held ? held->position : at ? at : w.position;
  if (position) index_->upsert(state_of(w, *position));
}

WorkerFilter WorkerDirectory::filter_of(const NearbyFilter& f) const {
  WorkerFilter wf;
  wf.include_off_duty = f.include_off_duty;
  if (f.community_code) {
    auto it = community_no_.find(*f.community_code);
    if (it == community_no_.end())
      throw Error(ErrorKind::not_found, "no community with code " + *f.community_code);
    wf.community = it->second;
  }
  if (f.grid_code) {
    auto it = grid_no_.find(*f.grid_code);
    if (it == grid_no_.end())
      throw Error(ErrorKind::not_found, "no grid with code " + *f.grid_code);
    wf.grid = it->second;
  }
  return wf;
}

NearbyWorker WorkerDirectory::describe(const WorkerDistance& w) const {
  NearbyWorker n{w.id, w.distance_m, "", "", false, {}};
  if (auto s = index_->get(w.id)) {
    if (!s->grids.empty()) n.grid_code = grid_codes_[s->grids.front()];
    n.on_duty = s->on_duty;
    n.position = s->position;
  }
  std::shared_lock l(*names_lock_);
  if (auto it = names_.find(w.id); it != names_.end()) n.name = it->second;
  return n;
}

std::vector<NearbyWorker> WorkerDirectory::nearest(LonLat p, size_t k,
                                                   const NearbyFilter& f) const {
  std::vector<NearbyWorker> out;
  for (const WorkerDistance& w : index_->nearest(p, k, filter_of(f))) out.push_back(describe(w));
  return out;
}

std::vector<std::vector<NearbyWorker>> WorkerDirectory::nearest_all(std::span<const LonLat> points,
                                                                    size_t k,
                                                                    const NearbyFilter& f) const {
  NearestAnswers answers = index_->nearest_all(points, k, filter_of(f));
  std::vector<std::vector<NearbyWorker>> out(answers.queries());
  for (size_t i = 0; i < out.size(); ++i)
    for (const WorkerDistance& w : answers.of(i)) out[i].push_back(describe(w));
  return out;
}

}  // namespace gridmap::data
