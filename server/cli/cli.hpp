// Entry point of the command line: dispatches subcommands and maps errors to one-line
// messages and exit codes (0 ok, 1 findings, 2 error) in one place.
#pragma once

namespace gridmap::cli {

int run(int argc, char** argv);

}  // namespace gridmap::cli
