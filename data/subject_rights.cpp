#include "data/subject_rights.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <vector>

#include "data/audit.hpp"
#include "data/idempotency.hpp"
#include "data/time.hpp"
#include "geo/error.hpp"

namespace gridmap::data {
namespace {

constexpr const char* kErased = "[已删除]";

struct Person {
  int64_t id = 0;
  int64_t household_id = 0;
  std::string name;
  std::optional<std::string> phone, id_number;
};

Person person(Db& db, int64_t id) {
  Statement st(db, "SELECT id, household_id, name, phone, id_number FROM residents WHERE id = ?1");
  st.bind(1, id);
  if (!st.step()) throw Error(ErrorKind::not_found, "no resident " + std::to_string(id));
  return {st.int64(0), st.int64(1), st.text(2), st.opt_text(3), st.opt_text(4)};
}

// What identifies the person in free text: their phone and ID number (long enough not to
// match by chance), and, within their own household's records, their name.
std::vector<std::string> identifiers(const Person& p, bool with_name) {
  std::vector<std::string> out;
  if (p.phone && p.phone->size() >= 6) out.push_back(*p.phone);
  if (p.id_number && p.id_number->size() >= 6) out.push_back(*p.id_number);
  if (with_name && p.name.size() >= 2) out.push_back(p.name);
  return out;
}

// " OR col LIKE ?n ..." over the identifiers, numbered from `first`; ASCII case ignored on
// either engine (an ID number's X), a condition that is false when there are none.
std::string mentions(const std::string& column, size_t count, int first) {
  std::string out;
  for (size_t i = 0; i < count; ++i)
    out += (i ? " OR " : "") + std::string("lower(") + column + ") LIKE '%' || lower(?" +
           std::to_string(first + static_cast<int>(i)) + ") || '%'";
  return out.empty() ? "(1 = 0)" : "(" + out + ")";
}

// replace(replace(col, ?a, '[已删除]'), ?b, ...)
std::string redacted(const std::string& column, size_t count, int first) {
  std::string out = column;
  for (size_t i = 0; i < count; ++i)
    out = "replace(" + out + ", ?" + std::to_string(first + static_cast<int>(i)) + ", '" + kErased +
          "')";
  return out;
}

void bind_all(Statement& st, const std::vector<std::string>& ids, int first) {
  for (size_t i = 0; i < ids.size(); ++i) st.bind(first + static_cast<int>(i), ids[i]);
}

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void field(Writer& w, const char* name, const std::optional<std::string>& v) {
  w.Key(name);
  if (v)
    w.String(v->c_str(), static_cast<rapidjson::SizeType>(v->size()));
  else
    w.Null();
}

std::string csv_cell(const std::string& v) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

std::optional<int64_t> find_resident(Db& db, const std::string& who) {
  int64_t id = 0;
  auto [p, ec] = std::from_chars(who.data(), who.data() + who.size(), id);
  if (ec == std::errc() && p == who.data() + who.size() && who.size() < 15) {
    Statement st(db, "SELECT id FROM residents WHERE id = ?1");
    st.bind(1, id);
    if (st.step()) return id;
    return std::nullopt;
  }
  Statement st(db, "SELECT id FROM residents WHERE id_number = ?1");
  st.bind(1, who);
  if (st.step()) return st.int64(0);
  return std::nullopt;
}

PersonalDataExport export_resident(Db& db, int64_t resident_id) {
  Person p = person(db, resident_id);
  PersonalDataExport out;
  std::string csv =
      "\xEF\xBB\xBF"
      "section,item,field,value\r\n";
  auto row = [&](const std::string& section, const std::string& item, const std::string& f,
                 const std::optional<std::string>& v) {
    csv += csv_cell(section) + "," + csv_cell(item) + "," + csv_cell(f) + "," +
           csv_cell(v.value_or("")) + "\r\n";
  };
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  // The record, every column of it.
  {
    Statement st(db, "SELECT * FROM residents WHERE id = ?1");
    st.bind(1, resident_id);
    st.step();
    w.Key("resident");
    w.StartObject();
    for (int i = 0; i < st.columns(); ++i) {
      std::string name = st.column_name(i);
      field(w, name.c_str(), st.opt_text(i));
      row("resident", std::to_string(resident_id), name, st.opt_text(i));
    }
    w.EndObject();
  }
  {
    Statement st(
        db, "SELECT tag, set_by, set_at FROM resident_tags WHERE resident_id = ?1 ORDER BY tag");
    st.bind(1, resident_id);
    w.Key("tags");
    w.StartArray();
    while (st.step()) {
      w.StartObject();
      field(w, "tag", st.text(0));
      field(w, "set_by", st.text(1));
      field(w, "set_at", format_time(st.int64(2)));
      w.EndObject();
      row("tag", st.text(0), "set_at", format_time(st.int64(2)));
    }
    w.EndArray();
  }
  {
    Statement st(db,
                 "SELECT h.id, h.address, h.unit, h.room, h.grid_code, h.community_code, "
                 "h.subdistrict_code, "
                 "X(h.geom), Y(h.geom) FROM households h WHERE h.id = ?1");
    st.bind(1, p.household_id);
    w.Key("household");
    if (st.step()) {
      w.StartObject();
      const char* names[] = {
          "id",  "address", "unit", "room", "grid_code", "community_code", "subdistrict_code",
          "lon", "lat"};
      for (int i = 0; i < 9; ++i) {
        field(w, names[i], st.opt_text(i));
        row("household", std::to_string(p.household_id), names[i], st.opt_text(i));
      }
      w.EndObject();
    } else {
      w.Null();
    }
  }
  // Visits of their household that name them.
  std::vector<std::string> with_name = identifiers(p, true);
  {
    Statement st(
        db, "SELECT v.id, v.at, v.worker_id, v.note FROM visits v WHERE v.household_id = ?1 AND (" +
                mentions("v.note", with_name.size(), 2) +
                " OR EXISTS (SELECT 1 FROM visit_answers a WHERE a.visit_id = v.id AND " +
                mentions("a.value", with_name.size(), 2) + ")) ORDER BY v.at");
    st.bind(1, p.household_id);
    bind_all(st, with_name, 2);
    w.Key("visits");
    w.StartArray();
    while (st.step()) {
      ++out.visits;
      w.StartObject();
      field(w, "id", st.text(0));
      field(w, "at", format_time(st.int64(1)));
      field(w, "worker_id", st.text(2));
      field(w, "note", st.text(3));
      w.EndObject();
      row("visit", st.text(0), "note", st.text(3));
    }
    w.EndArray();
  }
  // Cases that name them (by phone or ID number) as their reporter or in their text.
  std::vector<std::string> ids = identifiers(p, false);
  {
    Statement st(
        db,
        "SELECT id, category, status, created_at, description, reporter_contact FROM petitions "
        "WHERE " +
            mentions("coalesce(reporter_contact, '')", ids.size(), 1) + " OR " +
            mentions("description", ids.size(), 1) + " ORDER BY id");
    bind_all(st, ids, 1);
    w.Key("cases");
    w.StartArray();
    while (st.step()) {
      ++out.cases;
      w.StartObject();
      field(w, "id", st.text(0));
      field(w, "category", st.text(1));
      field(w, "status", st.text(2));
      field(w, "created_at", format_time(st.int64(3)));
      field(w, "description", st.text(4));
      field(w, "reporter_contact", st.opt_text(5));
      w.EndObject();
      row("case", st.text(0), "description", st.text(4));
      row("case", st.text(0), "reporter_contact", st.opt_text(5));
    }
    w.EndArray();
  }
  // Who read or changed their record, when.
  {
    Statement st(db,
                 "SELECT at, actor, action, detail FROM audit_log WHERE subject = ?1 ORDER BY id");
    st.bind(1, "resident:" + std::to_string(resident_id));
    w.Key("audit");
    w.StartArray();
    while (st.step()) {
      ++out.audit_entries;
      w.StartObject();
      field(w, "at", format_time(st.int64(0)));
      field(w, "actor", st.text(1));
      field(w, "action", st.text(2));
      field(w, "detail", st.text(3));
      w.EndObject();
      row("audit", format_time(st.int64(0)), st.text(2), st.text(1));
    }
    w.EndArray();
  }
  w.EndObject();
  out.json = buf.GetString();
  out.csv = std::move(csv);
  return out;
}

Erasure erase_resident(Db& db, int64_t resident_id, const std::string& actor,
                       const std::string& reason, int64_t now) {
  if (reason.empty())
    throw_invalid("an erasure needs its reason (--reason): it goes to the audit log");
  Erasure e;
  e.resident_id = resident_id;
  {
    Transaction tx(db);
    Person p = person(db, resident_id);
    std::vector<std::string> with_name = identifiers(p, true), ids = identifiers(p, false);
    // Their household's visits: notes and answers that name them.
    {
      Statement st(db, "UPDATE visits SET note = " + redacted("note", with_name.size(), 2) +
                           " WHERE household_id = ?1 AND " + mentions("note", with_name.size(), 2));
      st.bind(1, p.household_id);
      bind_all(st, with_name, 2);
      st.run();
      e.visits = db.changes();
      Statement answers(
          db, "UPDATE visit_answers SET value = " + redacted("value", with_name.size(), 2) +
                  " WHERE visit_id IN (SELECT id FROM visits WHERE household_id = ?1) AND " +
                  mentions("value", with_name.size(), 2));
      answers.bind(1, p.household_id);
      bind_all(answers, with_name, 2);
      answers.run();
      e.visits += db.changes();
    }
    // Cases: the reporter's contact goes when it names them; mentions in the text are redacted.
    if (!ids.empty()) {
      Statement st(db, "UPDATE petitions SET reporter_contact = CASE WHEN " +
                           mentions("coalesce(reporter_contact, '')", ids.size(), 1) +
                           " THEN NULL ELSE reporter_contact END, description = " +
                           redacted("description", ids.size(), 1) + " WHERE " +
                           mentions("coalesce(reporter_contact, '')", ids.size(), 1) + " OR " +
                           mentions("description", ids.size(), 1));
      bind_all(st, ids, 1);
      st.run();
      e.cases = db.changes();
      Statement f(db, "UPDATE petition_followups SET note = " + redacted("note", ids.size(), 1) +
                          " WHERE " + mentions("note", ids.size(), 1));
      bind_all(f, ids, 1);
      f.run();
      e.followups = db.changes();
      // A case's history keeps the text it was reported with (the report event's note).
      Statement ev(db, "UPDATE petition_events SET note = " + redacted("note", ids.size(), 1) +
                           " WHERE " + mentions("note", ids.size(), 1));
      bind_all(ev, ids, 1);
      ev.run();
      e.followups += db.changes();
    }
    {
      Statement n(db, "SELECT count(*) FROM resident_tags WHERE resident_id = ?1");
      n.bind(1, resident_id);
      n.step();
      e.tags = n.int64(0);
    }
    Statement del(db, "DELETE FROM residents WHERE id = ?1");  // tags go with it (cascade)
    del.bind(1, resident_id).run();
    // Writes' kept answers (idempotency keys) may quote the person: forgotten, every one.
    forget_idempotency_keys(db);
    audit(db, now, actor, "erase_resident", "resident:" + std::to_string(resident_id),
          reason + " (cases " + std::to_string(e.cases) + ", visits " + std::to_string(e.visits) +
              ", follow-ups " + std::to_string(e.followups) + ")");
    tx.commit();
  }
  // The WAL still holds the old pages until a checkpoint copies the rewritten ones back;
  // secure_delete has zeroed the freed bytes in them.
  Statement cp(db, "PRAGMA wal_checkpoint(TRUNCATE)");
  e.wal_truncated = cp.step() && cp.int64(0) == 0;
  return e;
}

int64_t expire_case_contacts(Db& db, int64_t closed_before) {
  Transaction tx(db);
  Statement st(
      db,
      "UPDATE petitions SET reporter_contact = NULL WHERE reporter_contact IS NOT NULL AND "
      "status IN ('closed', 'rejected', 'withdrawn') AND coalesce(closed_at, created_at) < ?1");
  st.bind(1, closed_before).run();
  int64_t n = db.changes();
  tx.commit();
  return n;
}

}  // namespace gridmap::data
