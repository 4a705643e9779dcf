// One function per subcommand and the options it declares; each file under cli/ implements
// one (user.cpp and catalogue.cpp two). cli.cpp reads the options (Args) and calls it.
#pragma once

#include "server/cli/args.hpp"
#include "server/cli/progress.hpp"

namespace gridmap::cli {

const CommandSpec& demo_spec();
int cmd_demo(const Args& args);
const CommandSpec& import_spec();
int cmd_import(const Args& args);
const CommandSpec& export_spec();
int cmd_export(const Args& args);
const CommandSpec& convert_spec();
int cmd_convert(const Args& args);
const CommandSpec& locate_spec();
int cmd_locate(const Args& args);
const CommandSpec& nearest_spec();
int cmd_nearest(const Args& args);
const CommandSpec& check_spec();
int cmd_check(const Args& args);
const CommandSpec& serve_spec();
int cmd_serve(const Args& args);
const CommandSpec& user_spec();
int cmd_user(const Args& args);
const CommandSpec& audit_spec();
int cmd_audit(const Args& args);
const CommandSpec& tiles_spec();
int cmd_tiles(const Args& args);
const CommandSpec& catalogue_spec();
int cmd_catalogue(const Args& args);
const CommandSpec& calendar_spec();
int cmd_calendar(const Args& args);
const CommandSpec& backup_spec();
int cmd_backup(const Args& args);
const CommandSpec& restore_spec();
int cmd_restore(const Args& args);
const CommandSpec& migrate_spec();
int cmd_migrate(const Args& args);
const CommandSpec& resident_spec();
int cmd_resident(const Args& args);

}  // namespace gridmap::cli
