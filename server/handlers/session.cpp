// POST /api/v1/session (sign in), DELETE /api/v1/session (sign out), GET /api/v1/session
#include <deque>
#include <mutex>
#include <unordered_map>

#include "data/users.hpp"
#include "geo/error.hpp"
#include "server/app.hpp"
#include "server/json.hpp"

namespace gridmap::server {
namespace {

constexpr int64_t kSessionSeconds = 12 * 3600;
constexpr int64_t kWindow = 15 * 60;
constexpr size_t kPerUser = 5, kPerAddress = 20;

// Failed sign-ins per user name and per address in a sliding window.
class LoginLimiter {
 public:
  // Seconds to wait before trying again, or 0.
  int64_t blocked(const std::string& user, const std::string& address, int64_t now) {
    std::lock_guard l(lock_);
    return std::max(wait(users_[user], kPerUser, now), wait(addresses_[address], kPerAddress, now));
  }
  void failed(const std::string& user, const std::string& address, int64_t now) {
    std::lock_guard l(lock_);
    users_[user].push_back(now);
    addresses_[address].push_back(now);
  }
  void succeeded(const std::string& user) {
    std::lock_guard l(lock_);
    users_.erase(user);
  }

 private:
  static int64_t wait(std::deque<int64_t>& q, size_t limit, int64_t now) {
    while (!q.empty() && q.front() <= now - kWindow) q.pop_front();
    return q.size() >= limit ? q.front() + kWindow - now : 0;
  }
  std::mutex lock_;
  std::unordered_map<std::string, std::deque<int64_t>> users_, addresses_;
};

std::string cookie(const std::string& token, int64_t max_age) {
  return "gridmap_session=" + token + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age);
}

Response me_json(const Principal& p) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("signed_in");
  w.Bool(true);
  w.Key("name");
  write_string(w, p.name);
  w.Key("role");
  write_string(w, p.role);
  w.Key("grids");
  w.StartArray();
  for (auto& g : p.grids) write_string(w, g);
  w.EndArray();
  w.Key("worker_id");
  if (p.worker_id) w.Int64(*p.worker_id);
  else w.Null();
  w.EndObject();
  return json_response(buf.GetString());
}

}  // namespace

void register_session(Router& r, App& app) {
  auto limiter = std::make_shared<LoginLimiter>();
  r.add("POST", "/api/v1/session", "session.create", [&app, limiter](Request& req) {
    rapidjson::Document d = parse_json(req.body);
    std::string name = need_string(d, "name"), password = need_string(d, "password");
    int64_t now = App::now();
    if (int64_t wait = limiter->blocked(name, req.remote, now)) {
      Response res = problem(429, "too_many_attempts", "Too many failed sign-ins",
                             "too many failed sign-ins; try again in " + std::to_string(wait) + " s");
      res.headers.emplace_back("Retry-After", std::to_string(wait));
      return res;
    }
    auto user = app.write([&](data::Db& db) { return data::UserRepo(db).check_password(name, password); });
    if (!user) {
      limiter->failed(name, req.remote, now);
      throw Error(ErrorKind::unauthorized, "wrong name or password");
    }
    limiter->succeeded(name);
    std::string token = app.write([&](data::Db& db) { return data::UserRepo(db).issue_token(user->id, "session", now, kSessionSeconds); });
    Response res = me_json({user->id, user->name, user->role, user->grids, user->worker_id, false});
    res.headers.emplace_back("Set-Cookie", cookie(token, kSessionSeconds));
    res.headers.emplace_back("Cache-Control", "no-store");
    return res;
  });
  r.add("DELETE", "/api/v1/session", "session.delete", [&app](Request& req) {
    std::string token = credential(req).value_or("");
    app.write([&](data::Db& db) {
      data::UserRepo(db).revoke_token(token, "session", App::now());
      return 0;
    });
    app.forget_token(token);
    Response res;
    res.status = 204;
    res.headers.emplace_back("Set-Cookie", cookie("", 0));
    return res;
  });
  r.add("GET", "/api/v1/session", "session.me", [&app](Request& req) {
    try {
      return me_json(app.authenticate(req));
    } catch (const Error&) {
      return json_response("{\"signed_in\":false}");
    }
  });
}

}  // namespace gridmap::server
