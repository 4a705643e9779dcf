#include "server/cli/cli.hpp"

int main(int argc, char** argv) { return gridmap::cli::run(argc, argv); }
