#include "data/bulk.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "core/text.hpp"
#include "geo/error.hpp"
#include "geo/spatialite_blob.hpp"

namespace gridmap::data {
namespace {

std::string quoted(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + '"';
}

// One box as the R-tree stores it: float32, the low bounds rounded down and the high ones
// up so that the box still holds the geometry.
struct Box {
  int64_t id;
  std::array<float, 4> c;  // xmin, xmax, ymin, ymax
};

float down(double d) {
  float f = static_cast<float>(d);
  return f > d ? std::nextafter(f, -std::numeric_limits<float>::infinity()) : f;
}
float up(double d) {
  float f = static_cast<float>(d);
  return f < d ? std::nextafter(f, std::numeric_limits<float>::infinity()) : f;
}

// The position of (x, y) on a Hilbert curve over a 2^16 × 2^16 grid.
uint64_t hilbert(uint32_t x, uint32_t y) {
  constexpr uint32_t n = 1u << 16;
  uint64_t d = 0;
  for (uint32_t s = n / 2; s > 0; s /= 2) {
    uint32_t rx = (x & s) ? 1 : 0, ry = (y & s) ? 1 : 0;
    d += static_cast<uint64_t>(s) * s * ((3 * rx) ^ ry);
    if (ry == 0) {
      if (rx == 1) {
        x = n - 1 - x;
        y = n - 1 - y;
      }
      std::swap(x, y);
    }
  }
  return d;
}

void put_be(std::string& node, size_t at, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i, v >>= 8)
    node[at + static_cast<size_t>(i)] = static_cast<char>(v & 0xFF);
}

Box cover(const Box* first, const Box* last, int64_t id) {
  Box b{id, {first->c[0], first->c[1], first->c[2], first->c[3]}};
  for (const Box* p = first + 1; p < last; ++p) {
    b.c[0] = std::min(b.c[0], p->c[0]);
    b.c[1] = std::max(b.c[1], p->c[1]);
    b.c[2] = std::min(b.c[2], p->c[2]);
    b.c[3] = std::max(b.c[3], p->c[3]);
  }
  return b;
}

}  // namespace

std::string point_blob(double lon, double lat) {
  // Start, little-endian, SRID, MBR, MBR end, class POINT, x, y, end.
  std::string b(60, '\0');
  auto put = [&](size_t at, const void* v, size_t n) { std::memcpy(b.data() + at, v, n); };
  static_assert(std::endian::native == std::endian::little,
                "SpatiaLite blobs written little-endian");
  int32_t srid = 4326, cls = 1;
  b[1] = 0x01;
  put(2, &srid, 4);
  double mbr[4] = {lon, lat, lon, lat}, xy[2] = {lon, lat};
  put(6, mbr, sizeof mbr);
  b[38] = 0x7C;
  put(39, &cls, 4);
  put(43, xy, sizeof xy);
  b[59] = static_cast<char>(0xFE);
  return b;
}

std::string point_geometry(const Db& db, double lon, double lat) {
  if (!db.postgresql()) return point_blob(lon, lat);
  // Little-endian, type POINT with the SRID flag, SRID, x, y.
  std::string b(25, '\0');
  uint32_t type = 1 | 0x20000000u;
  int32_t srid = 4326;
  double xy[2] = {lon, lat};
  b[0] = 0x01;
  std::memcpy(b.data() + 1, &type, 4);
  std::memcpy(b.data() + 5, &srid, 4);
  std::memcpy(b.data() + 9, xy, sizeof xy);
  return b;
}

int64_t pack_rtree(Db& db, const std::string& name, const std::string& table,
                   const std::string& column) {
  std::vector<Box> level;
  {
    Statement st(db, "SELECT rowid, " + quoted(column) + " FROM " + quoted(table));
    while (st.step())
      if (auto h = read_blob_header(st.blob_view(1))) {
        const gridmap::Box& m = h->box;
        level.push_back(
            {st.int64(0), {down(m.min_lon), up(m.max_lon), down(m.min_lat), up(m.max_lat)}});
      }
  }
  const auto count = static_cast<int64_t>(level.size());
  if (level.empty()) return 0;  // CREATE VIRTUAL TABLE wrote the empty root already
  size_t node_size = 0;
  {
    Statement st(db, "SELECT length(data) FROM " + quoted(name + "_node") + " WHERE nodeno = 1");
    if (st.step()) node_size = static_cast<size_t>(st.int64(0));
  }
  constexpr size_t cell = 8 + 4 * 4;
  if (node_size < 4 + 2 * cell) throw_internal("R-tree " + name + " has no root node to fill");
  const size_t per_node = (node_size - 4) / cell;

  // Hilbert order of the centres over the boxes' extent.
  Box all = cover(level.data(), level.data() + level.size(), 0);
  double w = std::max(1e-12, static_cast<double>(all.c[1]) - all.c[0]);
  double h = std::max(1e-12, static_cast<double>(all.c[3]) - all.c[2]);
  std::vector<std::pair<uint64_t, size_t>> order(level.size());
  for (size_t i = 0; i < level.size(); ++i) {
    const auto& c = level[i].c;
    double cx = (0.5 * (static_cast<double>(c[0]) + c[1]) - all.c[0]) / w;
    double cy = (0.5 * (static_cast<double>(c[2]) + c[3]) - all.c[2]) / h;
    auto cell_of = [](double v) {
      return static_cast<uint32_t>(std::clamp(v, 0.0, 1.0) * 65535.0);
    };
    order[i] = {hilbert(cell_of(cx), cell_of(cy)), i};
  }
  std::sort(order.begin(), order.end());
  {
    std::vector<Box> sorted;
    sorted.reserve(level.size());
    for (const auto& o : order) sorted.push_back(level[o.second]);
    level.swap(sorted);
  }

  BatchInsert put_node(db, "INSERT OR REPLACE INTO " + quoted(name + "_node") + "(nodeno, data)", 2,
                       {}, 16);
  BatchInsert put_parent(db, "INSERT INTO " + quoted(name + "_parent") + "(nodeno, parentnode)", 2,
                         {}, 256);
  std::vector<std::pair<int64_t, int64_t>> leaf_of;  // rowid, leaf node
  leaf_of.reserve(level.size());
  auto write = [&](int64_t nodeno, const Box* first, const Box* last, int depth, bool leaf) {
    std::string node(node_size, '\0');
    if (nodeno == 1) put_be(node, 0, static_cast<uint64_t>(depth), 2);
    put_be(node, 2, static_cast<uint64_t>(last - first), 2);
    size_t at = 4;
    for (const Box* p = first; p < last; ++p, at += cell) {
      put_be(node, at, static_cast<uint64_t>(p->id), 8);
      for (size_t k = 0; k < 4; ++k) {
        uint32_t bits;
        std::memcpy(&bits, &p->c[k], 4);
        put_be(node, at + 8 + 4 * k, bits, 4);
      }
      if (leaf)
        leaf_of.emplace_back(p->id, nodeno);
      else
        put_parent.rows().value(p->id).value(nodeno).end_row();
    }
    put_node.rows().value(nodeno).blob(node).end_row();
    if (put_node.full()) put_node.flush();
    if (put_parent.full()) put_parent.flush();
  };
  int64_t next = 2;
  int depth = 0;
  // Each level in nodes of equal share (none under half full), the last one the root.
  while (level.size() > per_node) {
    size_t n = level.size(), k = (n + per_node - 1) / per_node;
    std::vector<Box> up_level;
    up_level.reserve(k);
    for (size_t i = 0; i < k; ++i) {
      const Box* first = level.data() + i * n / k;
      const Box* last = level.data() + (i + 1) * n / k;
      int64_t nodeno = next++;
      write(nodeno, first, last, 0, depth == 0);
      up_level.push_back(cover(first, last, nodeno));
    }
    level.swap(up_level);
    ++depth;
  }
  write(1, level.data(), level.data() + level.size(), depth, depth == 0);
  put_node.flush();
  put_parent.flush();
  // The rowid → leaf table in rowid order: appended, not inserted at random.
  std::sort(leaf_of.begin(), leaf_of.end());
  BatchInsert put_rowid(db, "INSERT INTO " + quoted(name + "_rowid") + "(rowid, nodeno)", 2, {},
                        256);
  for (const auto& [rowid, node] : leaf_of) {
    put_rowid.rows().value(rowid).value(node).end_row();
    if (put_rowid.full()) put_rowid.flush();
  }
  put_rowid.flush();
  return count;
}

RowBuffer& RowBuffer::null() {
  values_.push_back({});
  return *this;
}
RowBuffer& RowBuffer::value(int64_t v) {
  values_.push_back({Value::Kind::integer, v, 0, 0, 0});
  return *this;
}
RowBuffer& RowBuffer::value(double v) {
  values_.push_back({Value::Kind::real, 0, v, 0, 0});
  return *this;
}
RowBuffer& RowBuffer::value(std::string_view text) {
  values_.push_back({Value::Kind::text, 0, 0, bytes_.size(), text.size()});
  bytes_.append(text);
  return *this;
}
RowBuffer& RowBuffer::value(const std::optional<std::string>& text) {
  return text ? value(std::string_view(*text)) : null();
}
RowBuffer& RowBuffer::blob(std::string_view bytes) {
  values_.push_back({Value::Kind::blob, 0, 0, bytes_.size(), bytes.size()});
  bytes_.append(bytes);
  return *this;
}

void RowBuffer::end_row() {
  if (values_.size() != (rows_ + 1) * columns_)
    throw_internal("a row of " + std::to_string(values_.size() - rows_ * columns_) +
                   " values where " + std::to_string(columns_) + " are due");
  ++rows_;
}

void RowBuffer::clear() noexcept {
  values_.clear();
  bytes_.clear();
  rows_ = 0;
}

void RowBuffer::bind_row(Statement& st, size_t row, int first) const {
  int i = first;
  std::string_view bytes(bytes_);
  for (size_t k = row * columns_; k < (row + 1) * columns_; ++k, ++i) {
    const Value& v = values_[k];
    switch (v.kind) {
      case Value::Kind::null:
        st.bind_null(i);
        break;
      case Value::Kind::integer:
        st.bind(i, v.i);
        break;
      case Value::Kind::real:
        st.bind(i, v.d);
        break;
      case Value::Kind::text:
        st.bind_unowned(i, bytes.substr(v.at, v.size), false);
        break;
      case Value::Kind::blob:
        st.bind_unowned(i, bytes.substr(v.at, v.size), true);
        break;
    }
  }
}

BatchInsert::BatchInsert(Db& db, std::string into, int columns, std::string tail, int batch)
    : BatchInsert(db, std::move(into), std::vector<std::string>(static_cast<size_t>(columns), "?"),
                  std::move(tail), batch) {}

BatchInsert::BatchInsert(Db& db, std::string into, std::vector<std::string> values,
                         std::string tail, int batch)
    : db_(db),
      into_(std::move(into)),
      tail_(std::move(tail)),
      columns_(values.size()),
      batch_(static_cast<size_t>(batch)),
      pending_(static_cast<int>(values.size())) {
  row_ = "(";
  for (size_t c = 0; c < values.size(); ++c) row_ += (c ? ", " : "") + values[c];
  row_ += ")";
}

std::string BatchInsert::sql_for(size_t rows) const {
  std::string sql = into_ + " VALUES ";
  for (size_t r = 0; r < rows; ++r) sql += (r ? ", " : "") + row_;
  return tail_.empty() ? sql : sql + " " + tail_;
}

void BatchInsert::write(const RowBuffer& rows) {
  if (rows.columns() != columns_)
    throw_internal(into_ + ": rows of " + std::to_string(rows.columns()) + " columns");
  const int width = static_cast<int>(columns_);
  size_t r = 0;
  for (; r + batch_ <= rows.rows(); r += batch_) {
    if (!full_) full_.emplace(db_, sql_for(batch_));
    for (size_t k = 0; k < batch_; ++k)
      rows.bind_row(*full_, r + k, 1 + static_cast<int>(k) * width);
    full_->run();
  }
  if (r < rows.rows()) {
    Statement st(db_, sql_for(rows.rows() - r));
    for (size_t k = 0; r + k < rows.rows(); ++k)
      rows.bind_row(st, r + k, 1 + static_cast<int>(k) * width);
    st.run();
  }
}

void BatchInsert::flush() {
  write(pending_);
  pending_.clear();
}

BulkLoad::BulkLoad(Db& db, std::vector<std::string> tables, std::vector<std::string> keep)
    : db_(db), tables_(std::move(tables)), keep_(std::move(keep)) {
  db_.exec("PRAGMA journal_mode = DELETE");
  db_.exec("PRAGMA synchronous = NORMAL");
  // 128 MB: pages beyond it go to the file before the commit, and the memory is reused
  // (fresh memory costs more here than writing a page early).
  db_.exec("PRAGMA cache_size = -131072");
  db_.exec("PRAGMA threads = 2");  // the indexes' sorts on both cores
  // Each insert checking its references costs it a statement journal; finish() checks
  // them all at once instead.
  db_.exec("PRAGMA foreign_keys = OFF");
}

void BulkLoad::suspend() {
  if (suspended_) return;
  suspended_ = true;
  for (const auto& t : tables_) {
    std::vector<std::string> spatial_triggers;
    {
      Statement geo(db_,
                    "SELECT f_geometry_column, geometry_type, srid, spatial_index_enabled "
                    "FROM geometry_columns WHERE lower(f_table_name) = lower(?1)");
      geo.bind(1, t);
      while (geo.step()) {
        Column c{t, geo.text(0), geo.int64(1), geo.int64(2), geo.int64(3) == 1, 0};
        Statement max(db_, "SELECT coalesce(max(rowid), 0) FROM " + quoted(t));
        if (max.step()) c.max_rowid = max.int64(0);
        std::string suffix = ascii_lower(t) + "_" + ascii_lower(c.column);
        for (const char* kind : {"ggi_", "tmi_"}) spatial_triggers.push_back(kind + suffix);
        if (c.indexed)
          for (const char* kind : {"gii_", "giu_", "gid_"})
            spatial_triggers.push_back(kind + suffix);
        columns_.push_back(std::move(c));
      }
    }
    std::vector<std::string> triggers, indexes;
    {
      Statement st(db_,
                   "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
                   "AND tbl_name = ?1 AND sql IS NOT NULL");
      st.bind(1, t);
      while (st.step()) {
        if (st.text(0) == "index") {
          if (std::find(keep_.begin(), keep_.end(), st.text(1)) != keep_.end()) continue;
          indexes.push_back(st.text(1));
          index_sql_.push_back(st.text(2));
        } else if (std::find(spatial_triggers.begin(), spatial_triggers.end(),
                             ascii_lower(st.text(1))) != spatial_triggers.end()) {
          triggers.push_back(st.text(1));
          trigger_sql_.push_back(st.text(2));
        }
      }
    }
    for (const auto& n : triggers) db_.exec("DROP TRIGGER " + quoted(n));
    for (const auto& n : indexes) db_.exec("DROP INDEX " + quoted(n));
  }
  for (const auto& c : columns_)
    if (c.indexed) db_.exec("DROP TABLE IF EXISTS " + quoted("idx_" + c.table + "_" + c.column));
}

void BulkLoad::finish() {
  if (!suspended_) return;
  for (const auto& t : tables_) {
    Statement fk(db_, "PRAGMA foreign_key_check(" + quoted(t) + ")");
    if (fk.step())
      throw_internal("row " + std::to_string(fk.int64(1)) + " of " + t + " refers to no row of " +
                     fk.text(2));
  }
  for (const auto& c : columns_) {
    // What ggi_ checked on each insert: the geometry's type and SRID fit the column.
    Statement bad(db_, "SELECT rowid FROM " + quoted(c.table) + " WHERE rowid > ?1 AND " +
                           "coalesce(GeometryConstraints(" + quoted(c.column) +
                           ", ?2, ?3), 0) <> 1 LIMIT 1");
    bad.bind(1, c.max_rowid).bind(2, c.type).bind(3, c.srid);
    if (bad.step())
      throw_internal(c.table + "." + c.column + " of row " + std::to_string(bad.int64(0)) +
                     " violates its geometry constraint (type or SRID)");
    // What tmi_ noted on each insert, once.
    Statement when(
        db_,
        "UPDATE geometry_columns_time SET last_insert = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
        "WHERE lower(f_table_name) = lower(?1) AND lower(f_geometry_column) = lower(?2)");
    when.bind(1, c.table).bind(2, c.column).run();
    if (c.indexed) {
      std::string name = "idx_" + c.table + "_" + c.column;
      db_.exec("CREATE VIRTUAL TABLE " + quoted(name) +
               " USING rtree(pkid, xmin, xmax, ymin, ymax)");
      pack_rtree(db_, name, c.table, c.column);
    }
  }
  for (const auto& sql : trigger_sql_) db_.exec(sql);
  for (const auto& sql : index_sql_) db_.exec(sql);
  suspended_ = false;
}

BulkLoad::~BulkLoad() {
  try {
    db_.exec("PRAGMA journal_mode = WAL");
    db_.exec("PRAGMA synchronous = FULL");
    db_.exec("PRAGMA cache_size = -2000");
    db_.exec("PRAGMA foreign_keys = ON");
    db_.exec("PRAGMA threads = 0");
  } catch (...) {
    // A destructor never throws; the next open sets the pragmas again.
  }
}

}  // namespace gridmap::data
