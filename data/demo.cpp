#include "data/demo.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "data/areas.hpp"
#include "data/bulk.hpp"
#include "data/catalogue.hpp"
#include "data/demo_layout.hpp"
#include "data/departments.hpp"
#include "data/households.hpp"
#include "data/partitions.hpp"
#include "data/petitions.hpp"
#include "data/time.hpp"
#include "data/work_calendar.hpp"
#include "data/workers.hpp"
#include "geo/error.hpp"
#include "geo/geos.hpp"

namespace gridmap::data {

using demo::Layout;
using demo::Region;
using demo::Rng;

std::optional<Preset> parse_preset(std::string_view name) noexcept {
  if (name == "tatabu") return Preset::tatabu;
  if (name == "city") return Preset::city;
  if (name == "province") return Preset::province;
  return std::nullopt;
}

namespace {

// The demo's "now": 2026-11-01 00:00 China Standard Time. Fixed so a seed gives one city.
const int64_t kNow = days_from_civil(2026, 10, 31) * 86400 + 16 * 3600;
constexpr int64_t kHour = 3600, kDay = 86400;

struct PresetSpec {
  demo::LayoutSpec layout;
  std::vector<std::string> counties;
  int64_t households;
  int64_t petitions;
  int64_t window_days;
  bool residents;
  bool tatabu_counts;  // exactly 1,618 closed, 4 in handling, 1 pending review
};

std::vector<std::string> province_counties(int n) {
  std::vector<std::string> out;
  char buf[32];
  for (int k = 0; k < n; ++k) {
    std::snprintf(buf, sizeof buf, "15%02d%02d", k / 8 + 1, k % 8 + 2);
    out.push_back(buf);
  }
  return out;
}

PresetSpec spec_for(Preset p) {
  PresetSpec s{};
  switch (p) {
    case Preset::tatabu:
      s.layout.counties = 1, s.layout.subdistricts = 1, s.layout.communities = 9,
      s.layout.grids = 41;
      s.counties = {"150102"};
      s.households = 12000, s.petitions = 1623, s.window_days = 365, s.residents = true,
      s.tatabu_counts = true;
      break;
    case Preset::city:
      s.layout.counties = 3, s.layout.subdistricts = 10, s.layout.communities = 90,
      s.layout.grids = 1500;
      s.layout.special_subdistrict = 0, s.layout.special_communities = 9,
      s.layout.special_grids = 41;
      s.counties = {"150102", "150103", "150104"};
      s.households = 400000, s.petitions = 200000, s.window_days = 730, s.residents = true;
      break;
    case Preset::province:
      s.layout.counties = 70, s.layout.subdistricts = 700, s.layout.communities = 6300,
      s.layout.grids = 100000;
      s.layout.cells_per_grid = 3;
      s.counties = province_counties(70);
      s.households = 10000000, s.petitions = 10000000, s.window_days = 730, s.residents = false;
      break;
  }
  return s;
}

// ---- names ----------------------------------------------------------------------------------

const char* const kFirst[] = {"新", "东", "西", "南", "北", "中", "和", "兴", "安", "永",
                              "长", "康", "福", "华", "建", "民", "丰", "春", "文", "明",
                              "光", "德", "瑞", "泰", "宏", "昌", "广", "金", "青", "锦"};
const char* const kSecond[] = {"华", "风", "平", "盛", "宁", "乐", "顺", "源", "苑", "城",
                               "桥", "湖", "园", "林", "街", "山", "河", "阳", "泉", "台",
                               "庄", "营", "苑", "坊", "湾", "港", "亭", "门", "塘", "溪"};
const char* const kThird[] = {"", "里", "苑", "园", "村", "坊", "湾"};
const char* const kTatabuCommunities[] = {"光明", "光兴里", "幸福", "一棉", "杨河",
                                          "团结", "和平里", "新风", "东兴"};
const char* const kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄",
                                 "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
                                 "何", "郭", "马", "罗", "梁", "宋", "郑", "谢"};
const char* const kGiven[] = {"伟", "芳",   "娜", "敏", "静", "丽",   "强",   "磊",
                              "军", "洋",   "勇", "艳", "杰", "娟",   "涛",   "明",
                              "超", "秀英", "霞", "平", "刚", "桂英", "建华", "海燕"};
const char* const kStreets[] = {"建设路", "新华街", "人民路", "解放街", "团结路", "胜利街",
                                "民主路", "和平街", "光明路", "幸福街", "文化路", "友谊街"};

std::string place_name(size_t i) {
  constexpr size_t a = std::size(kFirst), b = std::size(kSecond), c = std::size(kThird);
  // A stride coprime with a*b*c spreads consecutive areas over the whole name space.
  size_t k = (i * 7919) % (a * b * c);
  std::string n = std::string(kFirst[k % a]) + kSecond[(k / a) % b] + kThird[(k / a / b) % c];
  if (i >= a * b * c) n += std::to_string(i / (a * b * c) + 1);
  return n;
}

std::string person_name(Rng& rng) {
  return std::string(kSurnames[rng.below(std::size(kSurnames))]) +
         kGiven[rng.below(std::size(kGiven))];
}

std::string phone(Rng& rng) {
  static const char* const prefixes[] = {"138", "139", "135", "136", "150",
                                         "151", "186", "187", "133", "177"};
  std::string p = prefixes[rng.below(std::size(prefixes))];
  for (int i = 0; i < 8; ++i) p += static_cast<char>('0' + rng.below(10));
  return p;
}

// A syntactically valid resident ID number (GB 11643: region, birth date, sequence, check).
std::string id_number(Rng& rng, const std::string& county) {
  int y = 1940 + static_cast<int>(rng.below(65)), m = 1 + static_cast<int>(rng.below(12)),
      d = 1 + static_cast<int>(rng.below(28));
  char body[64];
  std::snprintf(body, sizeof body, "%s%04d%02d%02d%03d", county.c_str(), y, m, d,
                static_cast<int>(rng.below(1000)));
  static const int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (body[i] - '0') * weights[i];
  return std::string(body, 17) + "10X98765432"[sum % 11];
}

// ---- categories, seasons, hotspots ------------------------------------------------------------

// The catalogue (事项目录) the demo ships: 8 大类, 40 小类; the petitions use the 小类 of
// kCategories below. The same text as data/catalogues/demo.csv.
constexpr std::string_view kDemoCatalogue =
    R"CSV(code,name,name_en,parent,level,deadline,on_site_close,photos_to_close
city_appearance,市容环境,City appearance,,grid,3d,yes,no
environment,环境卫生,Sanitation,city_appearance,grid,3d,yes,yes
noise,噪声扰民,Noise nuisance,city_appearance,grid,3d,yes,no
illegal_ads,乱贴乱画,Illegal posters and graffiti,city_appearance,grid,3d,yes,yes
street_vending,占道经营,Street vending,city_appearance,grid,2d,yes,yes
greenery,绿化养护,Greenery upkeep,city_appearance,community,5d,yes,yes
construction_waste,建筑垃圾,Construction waste,city_appearance,community,3d,no,yes
public_facilities,公共设施,Public facilities,,grid,5d,yes,no
facilities,市政设施,Municipal facilities,public_facilities,grid,5d,yes,yes
street_lights,路灯损坏,Broken street lights,public_facilities,grid,3d,yes,yes
manholes,井盖缺损,Missing or broken manhole covers,public_facilities,grid,8h,no,yes
water_supply,供水故障,Water supply faults,public_facilities,department,2d,no,no
heating,供暖问题,Heating problems,public_facilities,department,2d,no,no
drainage,排水不畅,Blocked drains,public_facilities,community,2d,yes,yes
public_safety,治安隐患,Public safety hazards,,grid,2d,yes,no
safety,安全隐患,Safety hazards,public_safety,grid,2d,yes,yes
fire_hazards,消防隐患,Fire hazards,public_safety,grid,8h,no,yes
ebike_charging,电动车违规充电,Unsafe e-bike charging,public_safety,grid,1d,yes,yes
falling_objects,高空坠物风险,Risk of falling objects,public_safety,community,1d,no,yes
gas_hazards,燃气隐患,Gas hazards,public_safety,department,4h,no,no
disputes,矛盾纠纷,Disputes,,grid,7d,yes,no
neighbour,邻里纠纷,Neighbour disputes,disputes,grid,7d,yes,no
family,家庭纠纷,Family disputes,disputes,community,5d,yes,no
estate_disputes,物业纠纷,Disputes with property managers,disputes,community,5d,no,no
wage_arrears,劳资纠纷,Unpaid wages,disputes,department,5d,no,no
land_disputes,土地纠纷,Land disputes,disputes,subdistrict,10d,no,no
livelihood,民生服务,Livelihood services,,grid,5d,yes,no
welfare,民生救助,Social assistance,livelihood,grid,5d,yes,no
elderly_care,养老服务,Care for the elderly,livelihood,community,5d,yes,no
disability,残疾人帮扶,Support for people with disabilities,livelihood,community,5d,yes,no
employment,就业服务,Employment services,livelihood,community,5d,yes,no
social_insurance,医保社保,Medical and social insurance,livelihood,department,5d,no,no
housing,房屋物业,Housing and property management,,grid,7d,yes,no
property,物业管理,Property management,housing,grid,7d,yes,no
elevators,电梯故障,Broken lifts,housing,grid,1d,no,yes
leaks,房屋漏水,Leaking homes,housing,grid,3d,yes,yes
estate_renewal,老旧小区改造,Renewal of old estates,housing,community,10d,no,no
illegal_building,违章搭建,Unauthorised building,housing,subdistrict,10d,no,yes
transport,交通出行,Transport,,grid,5d,yes,no
traffic,交通出行问题,Traffic problems,transport,grid,5d,yes,no
parking,乱停乱放,Illegal parking,transport,grid,2d,yes,yes
shared_bikes,共享单车乱停,Misparked shared bikes,transport,grid,1d,yes,yes
road_damage,道路破损,Damaged roads,transport,department,5d,no,yes
bus_stops,公交站点,Bus stops,transport,department,5d,no,no
general,其他,Other matters,,grid,7d,yes,no
other,其他诉求,Other requests,general,grid,7d,yes,no
consultation,政策咨询,Questions about policy,general,grid,3d,yes,no
suggestions,意见建议,Suggestions,general,community,5d,yes,no
)CSV";

struct CategoryInfo {
  const char* code;
  const char* name;
  int hours;
  double weight;
  double summer, winter;  // seasonal multipliers
  std::array<const char*, 3> texts;
};

const CategoryInfo kCategories[] = {
    {"environment",
     "环境卫生",
     72,
     0.20,
     1.4,
     0.8,
     {"小区垃圾清运不及时", "楼道堆放杂物", "绿化带积存垃圾"}},
    {"facilities", "市政设施", 120, 0.16, 1.0, 1.5, {"路灯不亮", "井盖破损", "冬季暖气不热"}},
    {"neighbour",
     "邻里纠纷",
     168,
     0.10,
     1.1,
     1.0,
     {"楼上漏水影响楼下", "公共区域占用纠纷", "宠物扰邻"}},
    {"safety", "安全隐患", 48, 0.09, 1.0, 1.3, {"楼道电动车充电", "消防通道被占", "外墙脱落风险"}},
    {"traffic", "交通出行", 120, 0.10, 1.0, 1.0, {"路口车辆乱停", "公交站牌损坏", "道路坑洼"}},
    {"property", "物业管理", 168, 0.12, 1.0, 1.1, {"物业服务不到位", "电梯故障", "停车管理混乱"}},
    {"welfare",
     "民生救助",
     120,
     0.08,
     0.9,
     1.3,
     {"独居老人需要帮扶", "低保政策咨询", "就业援助申请"}},
    {"noise", "噪声扰民", 72, 0.10, 1.6, 0.7, {"夜间施工噪声", "广场舞音响过大", "商铺外放音乐"}},
    {"other", "其他", 168, 0.05, 1.0, 1.0, {"政策咨询", "意见建议", "其他诉求"}},
};

enum class HotKind { market, dormitory, school };
struct Hotspot {
  HotKind kind;
  double u, v, sigma;  // lattice units
};

// Category bias near each kind of hotspot.
double hotspot_bias(HotKind k, size_t cat) {
  std::string c = kCategories[cat].code;
  switch (k) {
    case HotKind::market:
      return c == "environment" || c == "noise" || c == "traffic" ? 3.0 : 0.5;
    case HotKind::dormitory:
      return c == "facilities" || c == "safety" || c == "welfare" || c == "property" ? 3.0 : 0.5;
    case HotKind::school:
      return c == "traffic" || c == "safety" ? 4.0 : 0.4;
  }
  return 1;
}

double season(size_t cat, int64_t t) {
  double day_of_year = std::fmod(static_cast<double>(t + 8 * kHour) / kDay, 365.2425);
  double summer = std::cos((day_of_year - 196) / 365.2425 * 2 * 3.14159265358979);  // peak mid-July
  const CategoryInfo& c = kCategories[cat];
  double mult = summer > 0 ? 1 + (c.summer - 1) * summer : 1 + (c.winter - 1) * -summer;
  return mult;
}

size_t pick_category(Rng& rng, int64_t t, const Hotspot* near) {
  double w[std::size(kCategories)], sum = 0;
  for (size_t i = 0; i < std::size(kCategories); ++i) {
    w[i] = kCategories[i].weight * season(i, t) * (near ? hotspot_bias(near->kind, i) : 1.0);
    sum += w[i];
  }
  double x = rng.uniform() * sum;
  for (size_t i = 0; i < std::size(kCategories); ++i) {
    if (x < w[i]) return i;
    x -= w[i];
  }
  return std::size(kCategories) - 1;
}

// ---- the generator ------------------------------------------------------------------------------

struct Point {
  double u, v;
};

class Generator {
 public:
  Generator(Db& db, const DemoOptions& o)
      : db_(db), opt_(o), spec_(spec_for(o.preset)), rng_(o.seed * 7919 + 17) {}

  DemoSummary run() {
    report(0);
    layout_ = demo::make_layout(spec_.layout, rng_);
    codes();
    report(1);
    BulkLoad bulk(db_, {"subdistricts", "communities", "grids", "workers", "households",
                        "petitions", "petition_events", "residents"});
    Transaction tx(db_);
    bulk.suspend();
    write_categories();
    write_areas();
    report(2);
    write_workers();
    write_households();
    report(3);
    write_petitions();
    bulk.finish();
    tx.commit();
    report(4);
    return sum_;
  }

 private:
  void report(int64_t step) {
    if (opt_.progress) opt_.progress(step, 4);
  }

  // Codes and names: subdistrict = county (6) + 3 digits, community + 3, grid + 3.
  void codes() {
    auto& L = layout_;
    std::vector<int> per_county(L.counties.size(), 0), per_sub(L.subdistricts.size(), 0),
        per_comm(L.communities.size(), 0);
    char seq[16];
    for (auto& s : L.subdistricts) {
      std::snprintf(seq, sizeof seq, "%03d", ++per_county[s.parent]);
      sub_code_.push_back(spec_.counties[s.parent] + seq);
      bool tatabu =
          sub_code_.size() == 1 && (opt_.preset == Preset::tatabu || opt_.preset == Preset::city);
      sub_name_.push_back(tatabu ? "塔塔埠街道" : place_name(sub_name_.size() + 11) + "街道");
    }
    for (auto& c : L.communities) {
      std::snprintf(seq, sizeof seq, "%03d", ++per_sub[c.parent]);
      comm_code_.push_back(sub_code_[c.parent] + seq);
      bool tatabu = c.parent == 0 && sub_name_[0] == "塔塔埠街道";
      comm_name_.push_back(tatabu ? std::string(kTatabuCommunities[per_sub[c.parent] - 1])
                                  : place_name(comm_name_.size() + 400));
    }
    for (auto& g : L.grids) {
      int n = ++per_comm[g.parent];
      std::snprintf(seq, sizeof seq, "%03d", n);
      grid_code_.push_back(comm_code_[g.parent] + seq);
      grid_name_.push_back(comm_name_[g.parent] + "社区第" + std::to_string(n) + "网格");
    }
    for (auto& n : comm_name_) n += "社区";
    grid_sub_.resize(L.grids.size());
    for (size_t g = 0; g < L.grids.size(); ++g)
      grid_sub_[g] = L.communities[L.grids[g].parent].parent;
  }

  static std::string wkb_of(const Region& r) {
    std::vector<GEOSGeometry*> parts;
    for (auto& poly : r.polygons) parts.push_back(geos::polygon(poly).release());
    geos::GeomPtr mp =
        geos::own(GEOSGeom_createCollection_r(geos::ctx(), GEOS_MULTIPOLYGON, parts.data(),
                                              static_cast<unsigned>(parts.size())),
                  "multipolygon");
    return geos::to_wkb(mp.get());
  }

  void write_categories() {
    std::istringstream in{std::string(kDemoCatalogue)};
    CatalogueImport r = Catalogue(db_).import_csv(in);
    if (!r.committed())
      throw_internal("the demo catalogue has a bad row: " + r.issues.front().message);
    // The departments (职能部门) cases go to above the subdistrict, each routed the 大类 it
    // handles in every subdistrict.
    DepartmentRepo departments(db_);
    departments.put(
        {0, "city-management", "区城市管理局", {{"city_appearance", ""}, {"transport", ""}}});
    departments.put({0,
                     "housing-construction",
                     "区住房和城乡建设局",
                     {{"housing", ""}, {"public_facilities", ""}}});
    departments.put({0, "public-security", "公安分局", {{"public_safety", ""}}});
    departments.put({0, "civil-affairs", "区民政局", {{"livelihood", ""}}});
    departments.put({0, "justice", "区司法局", {{"disputes", ""}}});
  }

  void write_areas() {
    auto& L = layout_;
    AreaRepo subs(db_, Layer::subdistricts), comms(db_, Layer::communities),
        grids(db_, Layer::grids);
    for (size_t i = 0; i < L.subdistricts.size(); ++i)
      subs.upsert({sub_code_[i], sub_name_[i], std::nullopt, wkb_of(L.subdistricts[i])});
    for (size_t i = 0; i < L.communities.size(); ++i)
      comms.upsert({comm_code_[i], comm_name_[i], sub_code_[L.communities[i].parent],
                    wkb_of(L.communities[i])});
    for (size_t i = 0; i < L.grids.size(); ++i)
      grids.upsert(
          {grid_code_[i], grid_name_[i], comm_code_[L.grids[i].parent], wkb_of(L.grids[i])});
    sum_.subdistricts = static_cast<int64_t>(L.subdistricts.size());
    sum_.communities = static_cast<int64_t>(L.communities.size());
    sum_.grids = static_cast<int64_t>(L.grids.size());
  }

  // A random point well inside a random block of grid g.
  Point point_in_grid(size_t g) {
    const auto& cells = layout_.grids[g].cells;
    int c = cells[static_cast<size_t>(rng_.below(static_cast<int64_t>(cells.size())))];
    return {c % layout_.nx + rng_.uniform(0.08, 0.92), c / layout_.nx + rng_.uniform(0.08, 0.92)};
  }

  void write_workers() {
    WorkerRepo repo(db_);
    for (size_t g = 0; g < layout_.grids.size(); ++g) {
      Worker w;
      w.id = static_cast<int64_t>(g + 1);
      w.name = person_name(rng_);
      w.phone = phone(rng_);
      w.on_duty = rng_.chance(0.75);
      Point p = point_in_grid(g);
      w.position = layout_.at(p.u, p.v);
      w.position_at = kNow - rng_.below(8 * kHour) + shift();
      w.grids = {grid_code_[g]};
      repo.upsert(w);
    }
    sum_.workers = static_cast<int64_t>(layout_.grids.size());
  }

  void write_households() {
    auto& L = layout_;
    std::vector<double> weight;
    for (auto& g : L.grids) weight.push_back(g.cells.size() * rng_.uniform(0.7, 1.3));
    double total_w = 0;
    for (double w : weight) total_w += w;
    households_per_grid_.assign(L.grids.size(), 0);
    int64_t assigned = 0;
    for (size_t g = 0; g < L.grids.size(); ++g) {
      households_per_grid_[g] = static_cast<int64_t>(spec_.households * weight[g] / total_w);
      assigned += households_per_grid_[g];
    }
    for (size_t g = 0; assigned < spec_.households; g = (g + 1) % L.grids.size())
      ++households_per_grid_[g], ++assigned;
    // Millions of rows: written in batches (data/bulk.hpp), ids given here.
    BatchInsert households(
        db_,
        "INSERT INTO households(id, address, geom, grid_code, community_code, subdistrict_code)",
        6);
    BatchInsert residents(db_, "INSERT INTO residents(household_id, name, phone, id_number, notes)",
                          5);
    int64_t id = 0;
    for (size_t g = 0; g < L.grids.size(); ++g) {
      size_t comm = L.grids[g].parent;
      const std::string& county = spec_.counties[L.subdistricts[grid_sub_[g]].parent];
      for (int64_t k = 0; k < households_per_grid_[g]; ++k) {
        Point p = point_in_grid(g);
        std::string address = comm_name_[comm] + kStreets[rng_.below(std::size(kStreets))] +
                              std::to_string(1 + rng_.below(200)) + "号" +
                              std::to_string(1 + rng_.below(30)) + "栋" +
                              std::to_string(1 + rng_.below(6)) + "单元" +
                              std::to_string(101 + rng_.below(18) * 100 + rng_.below(4)) + "室";
        LonLat at = L.at(p.u, p.v);
        households.rows().value(++id).value(address).blob(point_blob(at.lon, at.lat));
        households.rows()
            .value(grid_code_[g])
            .value(comm_code_[comm])
            .value(sub_code_[grid_sub_[g]])
            .end_row();
        if (spec_.residents) add_residents(residents.rows(), id, county);
        if (households.full() || residents.full()) {
          households.flush();
          residents.flush();
        }
      }
    }
    households.flush();
    residents.flush();
    sum_.households = id;
  }

  void add_residents(RowBuffer& rows, int64_t household, const std::string& county) {
    int n = 1 + static_cast<int>(rng_.below(4));
    for (int i = 0; i < n; ++i) {
      std::string name = person_name(rng_);
      std::string tel = phone(rng_);
      std::string id = id_number(rng_, county);
      std::optional<std::string> notes;
      if (rng_.chance(0.05)) notes = rng_.chance(0.5) ? "独居老人" : "低保户";
      rows.value(household).value(name).value(tel).value(id).value(notes).end_row();
      ++sum_.residents;
    }
  }

  bool inland(Point p, double d) const {
    for (double du : {-d, 0.0, d})
      for (double dv : {-d, 0.0, d})
        if (layout_.grid_at(p.u + du, p.v + dv) < 0) return false;
    return true;
  }

  std::vector<Hotspot> make_hotspots() {
    auto& L = layout_;
    size_t n = L.grids.size();
    std::vector<Hotspot> out;
    auto add = [&](HotKind k, size_t count, double sigma) {
      for (size_t i = 0; i < count; ++i) {
        size_t g = static_cast<size_t>(rng_.below(static_cast<int64_t>(n)));
        if (k == HotKind::dormitory && sub_name_[0] == "塔塔埠街道" && i == 0) {
          // The old cotton mill's dormitories (一棉) are in tatabu.
          for (size_t q = 0; q < n; ++q)
            if (comm_name_[L.grids[q].parent] == "一棉社区") g = q;
        }
        Point p = point_in_grid(g);
        // Keep sites a few blocks inside the city so their spread is not lost outside it.
        for (int tries = 0; tries < 200 && !inland(p, 2.5); ++tries) {
          if (k == HotKind::dormitory && i == 0 && sub_name_[0] == "塔塔埠街道")
            p = point_in_grid(g);
          else
            p = point_in_grid(static_cast<size_t>(rng_.below(static_cast<int64_t>(n))));
        }
        out.push_back({k, p.u, p.v, sigma});
      }
    };
    // Spreads of a few hundred metres: a market or a dormitory block draws petitions from
    // the grids around it, which is what makes it a statistically significant hotspot.
    // Few enough sites that each stands out of the household-driven background (tatabu's
    // 41 grids get one of each).
    add(HotKind::market, std::max<size_t>(1, n / 150), 1.8);
    add(HotKind::dormitory, std::max<size_t>(1, n / 250), 2.0);
    add(HotKind::school, std::max<size_t>(1, n / 125), 1.5);
    return out;
  }

  // A petition's place: near a hotspot or where people live (grids weighted by households).
  int sample_place(const std::vector<Hotspot>& hot, const std::vector<double>& cum, Point& p,
                   const Hotspot*& near) {
    for (int attempt = 0; attempt < 50; ++attempt) {
      near = nullptr;
      if (!hot.empty() && rng_.chance(0.45)) {
        near = &hot[static_cast<size_t>(rng_.below(static_cast<int64_t>(hot.size())))];
        p = {near->u + near->sigma * rng_.normal(), near->v + near->sigma * rng_.normal()};
        // keep clear of block edges so the generated grid is the geometric one
        double fu = p.u - std::floor(p.u), fv = p.v - std::floor(p.v);
        p.u = std::floor(p.u) + std::clamp(fu, 0.05, 0.95);
        p.v = std::floor(p.v) + std::clamp(fv, 0.05, 0.95);
        int g = layout_.grid_at(p.u, p.v);
        if (g >= 0) return g;
        continue;
      }
      double x = rng_.uniform() * cum.back();
      size_t g = static_cast<size_t>(std::upper_bound(cum.begin(), cum.end(), x) - cum.begin());
      g = std::min(g, cum.size() - 1);
      p = point_in_grid(g);
      return static_cast<int>(g);
    }
    size_t g = 0;
    p = point_in_grid(g);
    return 0;
  }

  int64_t sample_time(size_t& cat_out, Rng& rng) {
    (void)cat_out;
    int64_t start = kNow - spec_.window_days * kDay;
    for (;;) {
      int64_t day = start / kDay + rng.below(spec_.window_days);
      // Weekends are quieter; hours follow office and evening peaks.
      int64_t weekday = (day + 4) % 7;  // 1970-01-01 was a Thursday
      if ((weekday == 0 || weekday == 6) && rng.chance(0.35)) continue;
      double hour =
          std::clamp(rng.chance(0.6) ? 10 + 2.5 * rng.normal() : 19 + 2 * rng.normal(), 6.0, 23.5);
      return day * kDay - 8 * kHour + static_cast<int64_t>(hour * kHour);
    }
  }

  void write_petitions() {
    auto& L = layout_;
    std::vector<Hotspot> hot = make_hotspots();
    for (const Hotspot& h : hot) {
      const char* kind = h.kind == HotKind::market      ? "market"
                         : h.kind == HotKind::dormitory ? "dormitory"
                                                        : "school";
      sum_.hotspots.push_back({kind, L.at(h.u, h.v)});
    }
    std::vector<double> cum;
    double acc = 0;
    for (int64_t h : households_per_grid_) cum.push_back(acc += static_cast<double>(h));
    std::vector<int64_t> times(static_cast<size_t>(spec_.petitions));
    size_t dummy = 0;
    for (auto& t : times) t = sample_time(dummy, rng_);
    std::sort(times.begin(), times.end());
    BatchInsert petitions(
        db_,
        "INSERT INTO petitions(id, kind, category, description, reporter_contact, status, "
        "handler_level, handler_worker_id, created_at, deadline_at, closed_at, reopened, geom, "
        "grid_code, community_code, subdistrict_code)",
        16);
    BatchInsert history(
        db_,
        "INSERT INTO petition_events(petition_id, at, actor, action, from_status, to_status, "
        "handler_level, note)",
        8);
    std::vector<CatalogueEntry> entries;  // of kCategories, for the deadlines in working time
    for (const CategoryInfo& c : kCategories) entries.push_back(Catalogue(db_).get(c.code).value());
    const WorkCalendar& calendar = WorkCalendar::china_default();
    int64_t n = static_cast<int64_t>(times.size());
    for (int64_t i = 0; i < n; ++i) {
      Point p;
      const Hotspot* near = nullptr;
      int g = sample_place(hot, cum, p, near);
      // Seasonality: thin by the category's season so summer noise and winter heating peak.
      size_t cat = pick_category(rng_, times[i], near);
      Petition pet;
      pet.id = PetitionId{i + 1};
      pet.kind = rng_.chance(0.7) ? Kind::appeal : Kind::incident;
      pet.category = kCategories[cat].code;
      pet.description = kCategories[cat].texts[static_cast<size_t>(rng_.below(3))];
      if (pet.kind == Kind::appeal) pet.reporter_contact = phone(rng_);
      pet.created_at = times[i];
      pet.deadline_at = due_at(entries[cat], times[i], calendar);
      pet.position = L.at(p.u, p.v);
      pet.grid_code = grid_code_[g];
      pet.community_code = comm_code_[L.grids[g].parent];
      pet.subdistrict_code = sub_code_[grid_sub_[g]];
      pet.handler_worker_id = WorkerId{g + 1};
      std::optional<Status> target;
      if (spec_.tatabu_counts)
        target = i == n - 1   ? Status::pending_review
                 : i >= n - 5 ? Status::in_progress
                              : Status::closed;
      std::vector<PetitionEvent> events = lifecycle(pet, kCategories[cat].hours, g + 1, target);
      apply(pet, events);
      if (int64_t dt = shift()) {
        pet.created_at += dt;
        pet.deadline_at = due_at(entries[cat], pet.created_at, calendar);
        if (pet.closed_at) *pet.closed_at += dt;
        for (auto& e : events) e.at += dt;
      }
      RowBuffer& row = petitions.rows();
      row.value(pet.id->value)
          .value(to_string(pet.kind))
          .value(pet.category)
          .value(pet.description);
      row.value(pet.reporter_contact)
          .value(to_string(pet.status))
          .value(to_string(pet.handler_level));
      row.value(pet.handler_worker_id->value)
          .value(pet.created_at)
          .value(pet.deadline_at)
          .value(pet.closed_at);
      row.value(int64_t{pet.reopened}).blob(point_blob(pet.position.lon, pet.position.lat));
      row.value(pet.grid_code).value(pet.community_code).value(pet.subdistrict_code).end_row();
      for (auto& e : events) {
        RowBuffer& ev = history.rows();
        ev.value(pet.id->value).value(e.at).value(e.actor).value(to_string(e.action));
        if (e.from_status)
          ev.value(to_string(*e.from_status));
        else
          ev.null();
        ev.value(to_string(e.to_status));
        if (e.handler_level)
          ev.value(to_string(*e.handler_level));
        else
          ev.null();
        ev.value(e.note).end_row();
      }
      if (petitions.full() || history.full()) {
        petitions.flush();
        history.flush();
      }
      sum_.events += static_cast<int64_t>(events.size());
      if (opt_.progress && i % 50000 == 0) opt_.progress(3, 4);
    }
    petitions.flush();
    history.flush();
    sum_.petitions = n;
  }

  // The full event history of a petition, cut at "now" (or shaped to reach `target`).
  std::vector<PetitionEvent> lifecycle(const Petition& p, int hours, int64_t worker,
                                       std::optional<Status> target) {
    std::string w = "worker:" + std::to_string(worker);
    std::vector<PetitionEvent> ev;
    int64_t t = p.created_at;
    using enum Status;
    auto add = [&](int64_t dt, std::string actor, Action action, std::optional<Status> from,
                   Status to, std::string note, std::optional<Level> level = std::nullopt) {
      t += std::max<int64_t>(60, dt);
      ev.push_back({PetitionId{0}, t, std::move(actor), action, from, to, level, std::move(note)});
    };
    ev.push_back({PetitionId{0}, t, p.kind == Kind::appeal ? "resident" : w, Action::report,
                  std::nullopt, reported, Level::grid, p.description});
    bool on_site =
        !target || target == closed ? rng_.chance(p.kind == Kind::incident ? 0.25 : 0.06) : false;
    if (on_site) {
      add(static_cast<int64_t>(rng_.uniform(10, 60) * 60), w, Action::transition, reported, closed,
          "当场处理");
    } else {
      add(static_cast<int64_t>(rng_.lognormal(1.0, 0.8) * kHour), "dispatcher", Action::transition,
          reported, dispatched, "派遣至网格员");
      if (rng_.chance(0.05)) {
        add(static_cast<int64_t>(rng_.lognormal(2.0, 0.6) * kHour), "dispatcher", Action::escalate,
            dispatched, dispatched, "上报社区协调", Level::community);
        if (rng_.chance(0.25))
          add(static_cast<int64_t>(rng_.lognormal(6.0, 0.6) * kHour), "dispatcher",
              Action::escalate, dispatched, dispatched, "上报街道协调", Level::subdistrict);
      }
      add(static_cast<int64_t>(rng_.lognormal(2.0, 0.8) * kHour), w, Action::transition, dispatched,
          in_progress, "已接单");
      if (target != in_progress) {
        add(static_cast<int64_t>(rng_.lognormal(hours * 0.3, 0.7) * kHour), w, Action::transition,
            in_progress, pending_review, "处理完毕，提交审核");
        if (target != pending_review) {
          if (rng_.chance(0.03)) {
            add(static_cast<int64_t>(rng_.lognormal(4.0, 0.8) * kHour), "dispatcher",
                Action::transition, pending_review, in_progress, "审核未通过，返工");
            add(static_cast<int64_t>(rng_.lognormal(hours * 0.15, 0.7) * kHour), w,
                Action::transition, in_progress, pending_review, "返工完成");
          }
          add(static_cast<int64_t>(rng_.lognormal(4.0, 0.8) * kHour), "dispatcher",
              Action::transition, pending_review, closed, "审核通过，办结");
        }
      }
    }
    if (!target) {
      while (ev.size() > 1 && ev.back().at > kNow) ev.pop_back();
    } else if (ev.back().at > kNow - 600) {
      // Squeeze the history so the wanted state is reached before now.
      int64_t span = ev.back().at - p.created_at,
              room = std::max<int64_t>(600, kNow - 600 - p.created_at);
      for (auto& e : ev)
        e.at = p.created_at + (e.at - p.created_at) * room / std::max<int64_t>(1, span);
    }
    return ev;
  }

  // How far the timeline moves from the fixed "now" (DemoOptions::now).
  int64_t shift() const { return opt_.now ? *opt_.now - kNow : 0; }

  static void apply(Petition& p, const std::vector<PetitionEvent>& ev) {
    p.status = ev.back().to_status;
    p.handler_level = Level::grid;
    for (auto& e : ev) {
      if (e.handler_level) p.handler_level = *e.handler_level;
      if (e.from_status == Status::pending_review && e.to_status == Status::in_progress)
        p.reopened = 1;
    }
    if (p.status == Status::closed) p.closed_at = ev.back().at;
  }

  Db& db_;
  DemoOptions opt_;
  PresetSpec spec_;
  Rng rng_;
  Layout layout_;
  std::vector<std::string> sub_code_, sub_name_, comm_code_, comm_name_, grid_code_, grid_name_;
  std::vector<int> grid_sub_;
  std::vector<int64_t> households_per_grid_;
  DemoSummary sum_;
};

}  // namespace

DemoSummary generate_demo(Db& db, const DemoOptions& options) {
  if (AreaRepo(db, Layer::grids).count() > 0)
    throw Error(ErrorKind::conflict,
                db.path() + " already holds grids; the demo needs an empty database");
  DemoSummary summary = Generator(db, options).run();
  // On PostgreSQL the months of the demo's history get their partitions.
  Transaction t(db);
  ensure_month_partitions(db, now_seconds());
  t.commit();
  return summary;
}

}  // namespace gridmap::data
