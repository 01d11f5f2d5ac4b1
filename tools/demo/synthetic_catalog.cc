#include "tools/demo/synthetic_catalog.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"

namespace gnlc::demo {
namespace {

namespace pb = gnlc::catalog::v1;
namespace type = gnlc::type::v1;
using google::protobuf::util::TimeUtil;

struct Subject {
  const char* zh;
  const char* en;
  const char* topic;
};

constexpr Subject kSubjects[] = {{"书法", "Calligraphy", "calligraphy"},
                                 {"茶艺", "Tea Art", "tea"},
                                 {"摄影", "Photography", "photography"},
                                 {"编程", "Coding", "coding"},
                                 {"英语口语", "Spoken English", "english"},
                                 {"烹饪", "Cooking", "cooking"},
                                 {"园艺", "Gardening", "gardening"},
                                 {"太极拳", "Tai Chi", "taichi"},
                                 {"舞蹈", "Dance", "dance"},
                                 {"国画", "Chinese Painting", "painting"},
                                 {"剪纸", "Paper Cutting", "papercut"},
                                 {"围棋", "Go", "go"},
                                 {"数字素养", "Digital Literacy", "digital-literacy"},
                                 {"急救", "First Aid", "first-aid"},
                                 {"陶艺", "Pottery", "pottery"},
                                 {"合唱", "Choir", "choir"},
                                 {"阅读", "Reading", "reading"},
                                 {"理财", "Personal Finance", "finance"},
                                 {"育儿", "Parenting", "parenting"},
                                 {"电工", "Electrician Skills", "vocational"},
                                 {"数据分析", "Data Analytics", "data"},
                                 {"昆曲", "Kunqu Opera", "kunqu"},
                                 {"苏绣", "Embroidery", "embroidery"},
                                 {"人工智能", "Artificial Intelligence", "ai"}};

struct Format {
  const char* zh;
  const char* en;
};

constexpr Format kFormats[] = {{"入门", "for Beginners"}, {"进阶", "Advanced"},
                               {"工作坊", "Workshop"},    {"体验课", "Taster"},
                               {"训练营", "Bootcamp"},    {"讲座", "Talk"},
                               {"社团", "Club"},          {"周末班", "Weekend Class"}};

constexpr const char* kVenuesZh[] = {"社区学习中心", "图书馆",   "文化馆", "老年大学",
                                     "职业学院",     "青少年宫", "博物馆", "社区服务中心"};

}  // namespace

Area AreaOf(const std::string& city_id) {
  if (city_id == "suzhou") return {31.15, 31.45, 120.45, 120.85};
  return {31.85, 32.20, 118.60, 119.00};
}

SyntheticCatalog::SyntheticCatalog(const CityConfig& config, uint32_t seed)
    : config_(config), area_(AreaOf(config.city_id())), rng_(seed) {}

pb::Program SyntheticCatalog::NextProgram() {
  auto pick = [this](size_t n) { return static_cast<size_t>(rng_() % n); };
  const Subject& s = kSubjects[pick(std::size(kSubjects))];
  const Format& f = kFormats[pick(std::size(kFormats))];
  pb::Program p;
  p.set_kind(static_cast<type::ProgramKind>(1 + pick(7)));
  p.mutable_title()->set_zh(absl::StrCat(s.zh, f.zh));
  p.mutable_title()->set_en(absl::StrCat(s.en, " ", f.en));
  const Subject& other = kSubjects[pick(std::size(kSubjects))];
  p.mutable_description()->set_zh(absl::StrCat("本课程由社区教师和志愿者讲授", s.zh,
                                               "的基础知识与实践，", "也会介绍", other.zh,
                                               "，欢迎居民报名参加。"));
  p.mutable_description()->set_en(
      absl::StrCat("Community teachers and volunteers cover the basics and "
                   "practice of ",
                   s.en, ", with a look at ", other.en, ". All residents are welcome."));
  p.add_topics(s.topic);
  if (pick(3) == 0) p.add_topics(other.topic);
  if (pick(2) == 0) p.add_audiences(static_cast<type::AgeBand>(1 + pick(5)));
  p.add_languages("zh");
  if (pick(3) == 0) p.add_languages("en");
  p.add_sdg_goals(4);
  p.set_state(pb::PROGRAM_STATE_PUBLISHED);
  if (!config_.districts().empty()) {
    p.set_district(config_.districts(static_cast<int>(pick(config_.districts_size()))).id());
  }
  return p;
}

std::vector<pb::Offering> SyntheticCatalog::OfferingsFor(absl::Time now) {
  auto pick = [this](size_t n) { return static_cast<size_t>(rng_() % n); };
  auto uniform = [this](double lo, double hi) {
    return lo + (hi - lo) * (static_cast<double>(rng_()) / std::mt19937::max());
  };
  const int count = 1 + static_cast<int>(pick(4));  // 1..4, mean 2.5
  std::vector<pb::Offering> out;
  for (int i = 0; i < count; ++i) {
    pb::Offering o;
    const absl::Time start = now + absl::Hours(24 * (static_cast<int>(pick(120)) - 30));
    const absl::Time end = start + absl::Hours(24 * (1 + static_cast<int>(pick(60))));
    const absl::Time open = start - absl::Hours(24 * (1 + static_cast<int>(pick(30))));
    *o.mutable_start_time() = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(start));
    *o.mutable_end_time() = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(end));
    *o.mutable_enrollment_open_time() = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(open));
    if (pick(10) == 0) {
      o.mutable_capacity()->set_unlimited(true);
    } else {
      o.mutable_capacity()->set_seats(10 + static_cast<int>(pick(50)));
    }
    const size_t m = pick(10);
    o.set_modality(m < 7   ? type::MODALITY_IN_PERSON
                   : m < 9 ? type::MODALITY_HYBRID
                           : type::MODALITY_ONLINE);
    if (o.modality() != type::MODALITY_IN_PERSON) {
      o.set_online_url("https://learning.example.org/live");
    }
    if (o.modality() != type::MODALITY_ONLINE) {
      auto* v = o.mutable_venue();
      v->mutable_name()->set_zh(kVenuesZh[pick(std::size(kVenuesZh))]);
      if (!config_.districts().empty()) {
        v->set_district(config_.districts(static_cast<int>(pick(config_.districts_size()))).id());
      }
      v->mutable_location()->set_latitude(uniform(area_.min_lat, area_.max_lat));
      v->mutable_location()->set_longitude(uniform(area_.min_lng, area_.max_lng));
    }
    if (pick(4) == 0) {
      o.mutable_price()->set_currency_code("CNY");
      o.mutable_price()->set_units(20 + static_cast<int>(pick(300)));
    }
    out.push_back(std::move(o));
  }
  return out;
}

std::vector<std::string> SyntheticCatalog::ChineseQueries() {
  return {"书法", "茶艺", "编程", "数字素养", "太极", "陶艺", "人工智能", "摄影"};
}

std::vector<std::string> SyntheticCatalog::EnglishQueries() {
  return {"calligraphy", "tea", "coding", "digital literacy", "pottery", "dance", "first aid"};
}

}  // namespace gnlc::demo
