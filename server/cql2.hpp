// CQL2 text (OGC API - Features Part 3), the basic subset: comparisons of a property with a
// literal (=, <>, <, <=, >, >=, IS [NOT] NULL), joined by AND, OR, NOT and parentheses.
// Literals: 'text' ('' for a quote), numbers, TRUE/FALSE, TIMESTAMP('...'), DATE('...').
// Properties are names or "quoted names"; the layer checks them (data::list_features).
#pragma once

#include <string_view>

#include "data/features.hpp"

namespace gridmap::server {

// Throws invalid_input naming the offset of what it cannot read. At most 4096 bytes and 16
// levels of parentheses or NOT.
data::Condition parse_cql2_text(std::string_view text);

}  // namespace gridmap::server
