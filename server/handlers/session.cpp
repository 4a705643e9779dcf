// POST /api/v1/session (sign in), DELETE /api/v1/session (sign out), GET /api/v1/session
#include <algorithm>
#include <deque>
#include <mutex>
#include <unordered_map>

#include "data/throttle.hpp"
#include "data/users.hpp"
#include "geo/error.hpp"
#include "server/app.hpp"
#include "server/json.hpp"

namespace gridmap::server {
namespace {

constexpr int64_t kSessionSeconds = 12 * 3600;
constexpr int64_t kWindow = 15 * 60;         // failures older than this are forgotten
constexpr size_t kFreeFailures = 3;          // per name and address, before any delay
constexpr size_t kFreeAddressFailures = 20;  // per address over all names
constexpr int64_t kMaxDelay = 15 * 60;
constexpr int64_t kSuccessWindow = 60;
constexpr size_t kSuccessesPerAddress = 30, kSuccessesPerName = 10;  // per kSuccessWindow

// Sign-in throttle. Failures delay further attempts of the same name from the same address
// (1 s, 2 s, 4 s, ... up to 15 min after kFreeFailures) and, past kFreeAddressFailures,
// every attempt from that address: someone guessing elsewhere never locks the real user
// out. Successful sign-ins are limited too (a stolen password replayed in a loop). Every
// attempt counts as a failure from its start until its password checks out, so parallel
// guesses gain nothing. The times are kept in memory (SQLite: one server), or in the
// database (PostgreSQL: data/throttle.hpp), where every server's attempts count together.
class LoginLimiter {
 public:
  // Seconds to wait before trying again, or 0 (and the attempt is counted).
  int64_t attempt(App& app, const std::string& user, const std::string& address, int64_t now) {
    int64_t wait = 0;
    with_times(app, keys_of(user, address), now, [&](std::vector<Times*>& t) {
      wait =
          std::max({delay(*t[0], kFreeFailures, now), delay(*t[1], kFreeAddressFailures, now),
                    rate(*t[2], kSuccessesPerAddress, now), rate(*t[3], kSuccessesPerName, now)});
      if (wait > 0) return false;
      t[0]->push_back(now);
      t[1]->push_back(now);
      return true;
    });
    return wait;
  }
  void succeeded(App& app, const std::string& user, const std::string& address, int64_t now) {
    with_times(app, keys_of(user, address), now, [&](std::vector<Times*>& t) {
      t[0]->clear();
      if (!t[1]->empty()) t[1]->pop_back();
      t[2]->push_back(now);
      t[3]->push_back(now);
      return true;
    });
  }

 private:
  using Times = std::deque<int64_t>;
  // The name's failures from the address, the address's failures, its successes and the
  // name's successes, in that order.
  static std::vector<std::string> keys_of(const std::string& user, const std::string& address) {
    return {"f\n" + user + '\n' + address, "a\n" + address, "s\n" + address, "u\n" + user};
  }
  // Runs f over the times of `keys`, keeping what it changes when it returns true: one
  // sign-in at a time, on every server of a PostgreSQL database (in a writing transaction).
  template <class F>
  void with_times(App& app, const std::vector<std::string>& keys, int64_t now, F f) {
    if (!data::is_postgresql(app.options().db_path)) {
      std::lock_guard l(lock_);
      std::vector<Times*> t;
      for (const std::string& k : keys) t.push_back(&times_[k]);
      f(t);
      if (times_.size() > 100000) prune(now);
      return;
    }
    app.write([&](data::Db& db) {
      data::Transaction tx(db);
      std::vector<Times> held;
      for (const std::string& k : keys) held.push_back(data::throttle_times(db, k, now - kWindow));
      std::vector<Times*> t;
      for (Times& h : held) t.push_back(&h);
      if (!f(t)) return 0;
      for (size_t i = 0; i < keys.size(); ++i) data::set_throttle_times(db, keys[i], held[i]);
      tx.commit();
      return 0;
    });
  }
  static int64_t delay(Times& q, size_t free, int64_t now) {
    while (!q.empty() && q.front() <= now - kWindow) q.pop_front();
    if (q.size() < free) return 0;
    int64_t d = int64_t{1} << std::min<size_t>(q.size() - free, 10);
    return std::max<int64_t>(0, q.back() + std::min(d, kMaxDelay) - now);
  }
  static int64_t rate(Times& q, size_t most, int64_t now) {
    while (!q.empty() && q.front() <= now - kSuccessWindow) q.pop_front();
    return q.size() >= most ? q.front() + kSuccessWindow - now : 0;
  }
  // Forgets windows that have passed (a flood of names must not grow memory for ever).
  void prune(int64_t now) {
    for (auto it = times_.begin(); it != times_.end();)
      it = (it->second.empty() || it->second.back() <= now - kWindow) ? times_.erase(it)
                                                                      : std::next(it);
  }
  std::mutex lock_;
  std::unordered_map<std::string, Times> times_;
};

std::string cookie(const std::string& token, int64_t max_age) {
  return "gridmap_session=" + token +
         "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age);
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
  if (p.worker_id)
    w.Int64(*p.worker_id);
  else
    w.Null();
  w.EndObject();
  return json_response(buf.GetString());
}

}  // namespace

void register_session(Router& r) {
  auto limiter = std::make_shared<LoginLimiter>();
  r.add("POST", "/api/v1/session", "session.create",
        [limiter](App& app, const Request& req, const Context&) {
          rapidjson::Document d = parse_json(req.body);
          std::string name = need_string(d, "name"), password = need_string(d, "password");
          if (name.size() > 64 || password.size() > 1024)
            throw Error(ErrorKind::unauthorized, "wrong name or password");
          int64_t now = App::now();
          if (int64_t wait = limiter->attempt(app, name, req.remote, now)) {
            Response res =
                problem(429, "too_many_attempts", "Too many sign-ins",
                        "too many sign-ins; try again in " + std::to_string(wait) + " s");
            res.headers.emplace_back("Retry-After", std::to_string(wait));
            return res;
          }
          // argon2id takes tens of milliseconds and 64 MB: computed off the event loops, without
          // the write lock, so that sign-ins never slow down anyone else's requests.
          Response later;
          later.deferred = [&app, limiter, name, password, remote = req.remote, now]() {
            auto user = data::UserRepo(app.read_db()).check_password(name, password);
            if (!user) throw Error(ErrorKind::unauthorized, "wrong name or password");
            limiter->succeeded(app, name, remote, now);
            std::string token = app.write([&](data::Db& db) {
              return data::UserRepo(db).issue_token(user->id, "session", now, kSessionSeconds);
            });
            Response res = me_json({user->id, user->name, user->role, user->grids, user->worker_id,
                                    user->area_code, user->department_id});
            res.headers.emplace_back("Set-Cookie", cookie(token, kSessionSeconds));
            res.headers.emplace_back("Cache-Control", "no-store");
            return res;
          };
          return later;
        });
  r.add("DELETE", "/api/v1/session", "session.delete",
        [](App& app, const Request& req, const Context&) {
          std::string token = credential(req).value_or("");
          app.write([&](data::Db& db) {
            data::UserRepo(db).revoke_token(token, App::now());
            return 0;
          });
          app.forget_token(token);
          Response res;
          res.status = 204;
          res.headers.emplace_back("Set-Cookie", cookie("", 0));
          return res;
        });
  r.add("GET", "/api/v1/session", "session.me", [](App& app, const Request& req, const Context&) {
    try {
      return me_json(app.authenticate(req));
    } catch (const Error&) {
      return json_response("{\"signed_in\":false}");
    }
  });
}

}  // namespace gridmap::server
