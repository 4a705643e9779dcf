// The application on the tatabu demo, made once per fuzzing process in a fresh directory,
// with an API token per role.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "data/db.hpp"
#include "data/demo.hpp"
#include "data/users.hpp"
#include "server/app.hpp"

namespace gridmap::fuzz {

struct AppFixture {
  std::string dir;
  std::unique_ptr<server::App> app;
  std::map<std::string, std::string> tokens;  // by role: admin, worker, planner

  AppFixture() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gridmap-fuzz-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) std::abort();
    dir = tmpl;
    std::string db_path = dir + "/tatabu.sqlite";
    {
      data::Db db = data::Db::open(db_path, true);
      data::DemoOptions demo;
      demo.preset = data::Preset::tatabu;
      data::generate_demo(db, demo);
      data::UserRepo users(db);
      int64_t now = server::App::now();
      for (const char* role : {"admin", "planner"}) {
        data::User u = users.add(std::string("fuzz-") + role, role, {}, std::nullopt, std::nullopt);
        tokens[role] = users.issue_token(u.id, "api", now, 365 * 86400);
      }
      // The demo worker of the first grid (see data/demo.cpp).
      if (auto w = users.find("demo-worker"))
        tokens["worker"] = users.issue_token(w->id, "api", now, 365 * 86400);
    }
    server::AppOptions options;
    options.db_path = db_path;
    app = std::make_unique<server::App>(options);
  }
  ~AppFixture() {
    app.reset();
    std::error_code ignore;
    std::filesystem::remove_all(dir, ignore);
  }
};

// The one fixture of this process, made on first use.
inline AppFixture& app_fixture() {
  static AppFixture f;
  return f;
}

}  // namespace gridmap::fuzz
