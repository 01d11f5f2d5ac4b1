#include "services/analytics/definitions.h"

#include "absl/strings/str_cat.h"

namespace gnlc::analytics {

namespace pb = gnlc::analytics::v1;

std::string IndicatorDefinition(pb::Indicator indicator, bool zh, int follow_up_months) {
  const std::string months = absl::StrCat(follow_up_months);
  switch (indicator) {
    case pb::INDICATOR_PARTICIPATION_RATE:
      return zh ? "本期内获得确认学位或完成学习的不同学员人数 ÷ 全市常住人口。"
                  "只统计同意用于统计的学员。本期未结束时为截至目前的人数，不作评估。"
                : "Distinct learners with a confirmed seat or a completion in the period, divided "
                  "by the city's population. Only learners who consented to statistics count. "
                  "For a period under way it counts so far and is not judged.";
    case pb::INDICATOR_PARTICIPATION_GROWTH:
      return zh ? "本期参与学员人数 ÷ 基线年同期人数 − 1。本期未结束时，基线只计相同的日历日"
                  "（例如 12 月 1–7 日对比基线年 12 月 1–7 日）。"
                : "Learners in the period divided by learners in the same period of the baseline "
                  "year, minus 1. For a period under way the baseline counts the same calendar "
                  "days only (1-7 December against 1-7 December of the baseline year).";
    case pb::INDICATOR_JOB_PLACEMENT_RATE:
      return zh ? absl::StrCat("按毕业期分组：本期完成技能培训的学员中，完成后 ", months,
                               " 个月内开始就业的比例。跟踪期（期末后 ", months,
                               " 个月）结束前，结果仍在登记，数值为暂定，不与目标比较。")
                : absl::StrCat(
                      "By cohort: of the learners who completed skills training in the period, "
                      "the share employed within ",
                      months, " months of completing. Until the follow-up window closes (", months,
                      " months after the period's end) outcomes are still being recorded: the "
                      "value is provisional and not judged against the target.");
    case pb::INDICATOR_SATISFACTION:
      return zh ? "本期首次提交的反馈中评分为 4 或 5 分的比例。"
                : "Share of feedback first given in the period rated 4 or 5 (of 5).";
    case pb::INDICATOR_MEAN_RATING:
      return zh ? "本期首次提交的反馈的平均评分（1–5）。"
                : "Mean rating, 1 to 5, of feedback first given in the period.";
    case pb::INDICATOR_COMPLETION_RATE:
      return zh ? "本期完成的报名 ÷（完成 + 确认后取消）。"
                : "Enrollments completed in the period divided by those completed plus those "
                  "cancelled after being confirmed.";
    case pb::INDICATOR_WAITLIST_PRESSURE:
      return zh ? "本期进入候补名单的报名 ÷ 获得确认的报名。越低越好。"
                : "Enrollments put on a waitlist in the period per enrollment confirmed. Lower "
                  "is better.";
    case pb::INDICATOR_ACTIVE_PARTNERSHIPS:
      return zh ? "期末处于有效状态的合作伙伴关系数。"
                : "Partnerships active at the end of the period.";
    case pb::INDICATOR_FUNDING_UTILISATION:
      return zh ? "截至期末累计已拨付资金 ÷ 已承诺资金（报告货币）。"
                : "Funding disbursed divided by funding committed, cumulative to the end of the "
                  "period, in the reporting currency.";
    case pb::INDICATOR_PROGRAMS_ON_OFFER:
      return zh ? "期末在目录中发布的学习项目数。"
                : "Programs published in the catalog at the end of the period.";
    default:
      return "";
  }
}

}  // namespace gnlc::analytics
