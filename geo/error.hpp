// The error family lives in core/ (the floor under every library, server/http included).
#pragma once

#include "core/error.hpp"
