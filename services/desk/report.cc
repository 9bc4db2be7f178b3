#include "services/desk/report.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "google/protobuf/util/time_util.h"

namespace infrashare::desk {
namespace {

using google::protobuf::util::TimeUtil;

// Nearest-rank percentile of sorted values.
int64_t Percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

double Share(int64_t part, int64_t whole) {
  return whole == 0 ? 0.0 : static_cast<double>(part) / whole;
}

}  // namespace

v1::DeskReport BuildReport(const v1::DeskReportRequest& request,
                           const std::vector<v1::Inquiry>& inquiries) {
  v1::DeskReport report;
  report.set_network_id(request.network_id());
  *report.mutable_start_time() = request.start_time();
  *report.mutable_end_time() = request.end_time();
  std::map<std::string, int64_t> by_entry;
  std::map<int, int64_t> by_need, by_outcome;
  std::vector<int64_t> first_accept_ms;
  int64_t within_deadline = 0, referrals = 0, sme = 0, open = 0, escalated = 0, escalations = 0;
  int64_t feedback = 0, score_sum = 0, recommend = 0, again = 0;
  int64_t resolved = 0, confirmed = 0, not_started = 0, pending = 0;
  for (const auto& i : inquiries) {
    ++by_entry[i.entry_organization_id()];
    ++by_need[i.need_type()];
    if (i.has_first_accept_time()) {
      first_accept_ms.push_back(TimeUtil::TimestampToMilliseconds(i.first_accept_time()) -
                                TimeUtil::TimestampToMilliseconds(i.create_time()));
      within_deadline += i.accepted_within_deadline();
    }
    referrals += i.referrals();
    escalations += i.escalations();
    escalated += i.escalations() > 0;
    sme += i.asker_is_sme();
    if (i.state() == v1::INQUIRY_STATE_RESOLVED) {
      ++by_outcome[i.outcome()];
      ++resolved;
      const auto follow_up = i.follow_up().state();
      confirmed += follow_up == v1::FollowUp::STATE_ANSWERED && i.follow_up().help_started();
      not_started += follow_up == v1::FollowUp::STATE_ANSWERED && !i.follow_up().help_started();
      pending += follow_up == v1::FollowUp::STATE_SCHEDULED || follow_up == v1::FollowUp::STATE_DUE;
    } else {
      ++open;
    }
    if (i.has_feedback()) {
      ++feedback;
      score_sum += i.feedback().score();
      recommend += i.feedback().would_recommend();
      again += i.feedback().would_work_again();
    }
  }
  const int64_t total = static_cast<int64_t>(inquiries.size());
  report.set_inquiries(total);
  for (const auto& [org, count] : by_entry) {
    auto* c = report.add_by_entry_partner();
    c->set_organization_id(org);
    c->set_inquiries(count);
  }
  for (const auto& [need, count] : by_need) {
    auto* c = report.add_by_need_type();
    c->set_need_type(static_cast<v1::NeedType>(need));
    c->set_inquiries(count);
  }
  for (const auto& [outcome, count] : by_outcome) {
    auto* c = report.add_outcomes();
    c->set_outcome(static_cast<v1::Outcome>(outcome));
    c->set_inquiries(count);
  }
  std::sort(first_accept_ms.begin(), first_accept_ms.end());
  report.set_accepted(static_cast<int64_t>(first_accept_ms.size()));
  *report.mutable_first_accept_p50() =
      TimeUtil::MillisecondsToDuration(Percentile(first_accept_ms, 0.5));
  *report.mutable_first_accept_p90() =
      TimeUtil::MillisecondsToDuration(Percentile(first_accept_ms, 0.9));
  report.set_accepted_within_deadline_share(Share(within_deadline, report.accepted()));
  report.set_referrals_per_inquiry(Share(referrals, total));
  report.set_escalated_inquiries(escalated);
  report.set_escalations(escalations);
  report.set_open_inquiries(open);
  report.set_feedback_responses(feedback);
  report.set_average_score(Share(score_sum, feedback));
  report.set_would_recommend_share(Share(recommend, feedback));
  report.set_would_work_again_share(Share(again, feedback));
  report.set_sme_share(Share(sme, total));
  report.set_resolved(resolved);
  report.set_confirmed_by_asker(confirmed);
  report.set_help_not_started(not_started);
  report.set_follow_ups_pending(pending);
  return report;
}

absl::Status AddCrossNetworkReferrals(DeskStore& store, v1::DeskReport* report) {
  auto across = store.CrossNetworkReferrals(report->network_id(),
                                            TimeUtil::TimestampToMilliseconds(report->start_time()),
                                            TimeUtil::TimestampToMilliseconds(report->end_time()));
  if (!across.ok()) return across.status();
  report->set_referrals_sent(across->first);
  report->set_referrals_received(across->second);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::Inquiry>> InquiriesCreatedBetween(DeskStore& store,
                                                                 const std::string& network_id,
                                                                 int64_t start_ms, int64_t end_ms) {
  auto ids = store.NetworkInquiriesBetween(network_id, start_ms, end_ms);
  if (!ids.ok()) return ids.status();
  std::vector<v1::Inquiry> inquiries;
  constexpr size_t kChunk = 500;
  for (size_t from = 0; from < ids->size(); from += kChunk) {
    std::vector<std::string> chunk(ids->begin() + from,
                                   ids->begin() + std::min(ids->size(), from + kChunk));
    auto loaded = store.GetInquiries(chunk);
    if (!loaded.ok()) return loaded.status();
    // The network's index also holds what other networks referred to it: counted where it entered.
    for (auto& i : *loaded)
      if (i.network_chain().empty() || i.network_chain(0) == network_id)
        inquiries.push_back(std::move(i));
  }
  return inquiries;
}

}  // namespace infrashare::desk
