#!/usr/bin/env bash
# Writes the checked-in seed corpus under tests/fuzz/corpus/: valid requests
# of each service (text format, encoded by protoc) behind the byte that
# picks their method, and small valid inputs of the other targets. Run it
# again after a contract change; the fuzzers' findings are kept beside
# these seeds as regression inputs (tests/fuzz/run.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$root/tests/fuzz/corpus"
mkdir -p "$out"

seed() {  # seed SERVICE METHOD_INDEX TYPE NAME TEXT
  local dir="$out/$1_request_fuzzer" file
  mkdir -p "$dir"
  file="$dir/$4"
  printf "\\x$(printf '%02x' "$2")" >"$file"
  protoc -I "$root/protos" --encode="$3" "$root/protos/gnlc/$1/v1/$1_service.proto" <<<"$5" >>"$file"
}
c=gnlc.catalog.v1
seed catalog 0 $c.CreateProgramRequest create_program 'parent: "cities/nanjing" request_id: "r-1"
  program { kind: PROGRAM_KIND_WORKSHOP title { zh: "书法入门" en: "Calligraphy" }
    description { en: "Brush and ink" } topics: "art" audiences: AGE_BAND_CHILD languages: "zh"
    providers: "Gulou library" sdg_goals: 4 district: "gulou" }'
seed catalog 1 $c.GetProgramRequest get_program 'name: "cities/nanjing/programs/p8k2"'
seed catalog 2 $c.UpdateProgramRequest update_program 'program { name: "cities/nanjing/programs/p1"
  title { en: "New" } } update_mask { paths: "title.en" paths: "topics" } etag: "3"'
seed catalog 4 $c.ListProgramsRequest list_programs 'parent: "cities/nanjing" page_size: 20 page_token: "abc"'
seed catalog 5 $c.SearchProgramsRequest search 'parent: "cities/nanjing" query: "书法 calligraphy"
  kinds: PROGRAM_KIND_WORKSHOP topics: "art" districts: "gulou" modalities: MODALITY_IN_PERSON
  near { center { latitude: 32.06 longitude: 118.79 } radius_meters: 5000 } order_by: 2 page_size: 10'
seed catalog 6 $c.CreateOfferingRequest create_offering 'parent: "cities/nanjing/programs/p1"
  offering { start_time { seconds: 1800100000 } end_time { seconds: 1800107200 }
    enrollment_open_time { seconds: 1799900000 } capacity { seats: 20 } modality: MODALITY_IN_PERSON
    venue { name { zh: "鼓楼图书馆" } address: "1 Road" district: "gulou" location { latitude: 32.06 longitude: 118.78 } }
    price { currency_code: "CNY" units: 12 nanos: 500000000 } }'
seed catalog 8 $c.UpdateOfferingRequest update_offering 'offering { name: "cities/nanjing/programs/p1/offerings/o1"
  capacity { seats: 30 } } update_mask { paths: "capacity" }'
seed catalog 11 $c.BatchGetOfferingsRequest batch_get 'names: "cities/nanjing/programs/p1/offerings/o1"
  names: "cities/nanjing/programs/p2/offerings/o9"'
seed catalog 12 $c.ListProgramChangesRequest feed 'parent: "cities/nanjing" cursor: "c1" page_size: 100'

e=gnlc.enrollment.v1
seed enrollment 0 $e.CreateLearnerRequest create_learner 'parent: "cities/nanjing" request_id: "l-1"
  learner { external_subject: "wechat-1" district: "gulou" age_band: AGE_BAND_CHILD consents { city_statistics: true } }'
seed enrollment 2 $e.UpdateLearnerRequest update_learner 'learner { name: "cities/nanjing/learners/l1" district: "xuanwu" }
  update_mask { paths: "district" paths: "consents.city_statistics" } etag: "2"'
seed enrollment 3 $e.CreateEnrollmentRequest create_enrollment 'parent: "cities/nanjing" learner: "cities/nanjing/learners/l1"
  offering: "cities/nanjing/programs/p1/offerings/o1" request_id: "e-1"'
seed enrollment 5 $e.CancelEnrollmentRequest cancel 'name: "cities/nanjing/enrollments/e1" reason { en: "moved" }'
seed enrollment 6 $e.ListEnrollmentsRequest list 'learner: "cities/nanjing/learners/l1" state: ENROLLMENT_STATE_CONFIRMED page_size: 5'
seed enrollment 7 $e.CompleteEnrollmentRequest complete 'name: "cities/nanjing/enrollments/e1"
  completion { outcome: COMPLETION_OUTCOME_COMPLETED hours: 12.5 credential_ref: "cert-1" }'
seed enrollment 9 $e.RecordEmploymentOutcomeRequest employment 'enrollment: "cities/nanjing/enrollments/e1"
  outcome { employed: true employed_since { seconds: 1790000000 } }'
seed enrollment 10 $e.SubmitFeedbackRequest feedback 'enrollment: "cities/nanjing/enrollments/e1" feedback { rating: 5 comment: "很好" }'

p=gnlc.partnership.v1
seed partnership 0 $p.CreatePartnerRequest create_partner 'parent: "cities/nanjing" partner { type: ORGANISATION_TYPE_UNIVERSITY
  display_name { zh: "南京大学" en: "Nanjing University" } home_city: "nanjing" website: "https://nju.edu.cn" contact_email: "a@nju.edu.cn" }'
seed partnership 2 $p.UpdatePartnerRequest update_partner 'partner { name: "cities/nanjing/partners/u1" website: "https://x.cn" }
  update_mask { paths: "website" }'
seed partnership 4 $p.CreatePartnershipRequest create_partnership 'parent: "cities/nanjing" partnership { model: PARTNERSHIP_MODEL_ACADEMIC
  title { en: "Skills alliance" } sdg_goals: 4 start_time { seconds: 1800000000 }
  members { partner: "cities/nanjing/partners/u1" role: MEMBER_ROLE_LEAD }
  members { partner: "cities/suzhou/partners/s1" role: 2 } programs: "cities/nanjing/programs/p1" }'
seed partnership 6 $p.UpdatePartnershipRequest update_partnership 'partnership { name: "cities/nanjing/partnerships/q1"
  title { en: "Renamed" } } update_mask { paths: "title" }'
seed partnership 8 $p.AddPartnershipMemberRequest add_member 'partnership: "cities/nanjing/partnerships/q1"
  member { partner: "cities/nanjing/partners/u2" role: 2 }'
seed partnership 10 $p.TransitionPartnershipRequest transition 'name: "cities/nanjing/partnerships/q1" to_state: 2 reason: "signed"'
seed partnership 11 $p.RecordFundingCommitmentRequest commit 'partnership: "cities/nanjing/partnerships/q1"
  commitment { funder: "cities/nanjing/partners/u1" amount { currency_code: "CNY" units: 700000 } } request_id: "f-1"'
seed partnership 12 $p.RecordDisbursementRequest disburse 'partnership: "cities/nanjing/partnerships/q1"
  disbursement { recipient_partner: "cities/nanjing/partners/u2" amount { currency_code: "CNY" units: 150000 nanos: 10000000 } }'

a=gnlc.analytics.v1
seed analytics 0 $a.GetScorecardRequest scorecard 'parent: "cities/nanjing" period { kind: PERIOD_KIND_MONTH year: 2026 index: 11 }'
seed analytics 1 $a.GetIndicatorSeriesRequest series 'parent: "cities/nanjing" indicator: INDICATOR_PARTICIPATION_RATE
  from_period { kind: PERIOD_KIND_MONTH year: 2025 index: 1 } to_period { kind: PERIOD_KIND_MONTH year: 2026 index: 11 }'
seed analytics 2 $a.GetBreakdownRequest breakdown 'parent: "cities/nanjing" indicator: 1 dimension: DIMENSION_DISTRICT'

# The other targets: plain bytes.
mkdir -p "$out/text_fuzzer" "$out/names_fuzzer" "$out/page_token_fuzzer" "$out/money_fuzzer" \
  "$out/city_config_fuzzer" "$out/jwt_fuzzer"
printf '书法入门 Calligraphy for beginners, 2026!' >"$out/text_fuzzer/mixed"
printf '南京市民终身学习节' >"$out/text_fuzzer/zh"
printf 'cities/nanjing/programs/p8k2/offerings/o3' >"$out/names_fuzzer/offering"
printf 'cities/nanjing/partnerships/q1' >"$out/names_fuzzer/partnership"
printf 'start_time|1800000000|cities/nanjing/programs/p1' >"$out/page_token_fuzzer/position"
printf '\x40\x42\x0f\x00\x00\x00\x00\x00\x00\xe1\xf5\x05CNY' >"$out/money_fuzzer/cny"
{ printf '\x01'; cat "$root/deploy/cities/nanjing.json"; } >"$out/city_config_fuzzer/nanjing_json"
printf '\x00city_id: "suzhou" time_zone: "Asia/Shanghai" districts { id: "gusu" population: 1000 }' \
  >"$out/city_config_fuzzer/suzhou_text"
printf 'eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.eyJhdWQiOiJnbmxjOmZ1enoiLCJleHAiOjE4MDAwMDA2MDAsImlzcyI6Imh0dHBzOi8vZnV6ei5pZHAiLCJyb2xlIjoicmVzaWRlbnQiLCJzdWIiOiJyMSJ9.AAAA' \
  >"$out/jwt_fuzzer/shape"
printf '{"kty":"EC","crv":"P-256","kid":"k1","x":"AAAA","y":"AAAA"}' >"$out/jwt_fuzzer/jwk"
# The dashboard port: a sign-in's request head and its form body.
mkdir -p "$out/http_request_fuzzer"
printf 'POST /login?lang=en HTTP/1.1\r\nHost: 127.0.0.1:8443\r\nOrigin: https://127.0.0.1:8443\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 40' \
  >"$out/http_request_fuzzer/login"
printf 'token=eyJ.a%%2Bb.c&next=%%2Fdashboard%%3Flang%%3Den&lang=en' >"$out/http_request_fuzzer/form"
# A page of a peer's feed (what the harvester receives).
mkdir -p "$out/peer_feed_fuzzer"
protoc -I "$root/protos" --encode=gnlc.catalog.v1.ListProgramChangesResponse \
  "$root/protos/gnlc/catalog/v1/catalog_service.proto" >"$out/peer_feed_fuzzer/page" <<'PAGE'
changes { sequence: 7 name: "cities/suzhou/programs/p1"
  program { name: "cities/suzhou/programs/p1" kind: PROGRAM_KIND_WORKSHOP etag: "2"
    title { zh: "苏绣" en: "Embroidery" } state: PROGRAM_STATE_PUBLISHED origin_city: "suzhou" } }
changes { sequence: 8 name: "cities/suzhou/programs/p1/offerings/o1"
  offering { name: "cities/suzhou/programs/p1/offerings/o1" etag: "1" modality: MODALITY_ONLINE
    online_url: "https://x.example" start_time { seconds: 1800000000 } end_time { seconds: 1800003600 }
    capacity { seats: 20 } seats_taken: 20 } }
changes { sequence: 9 name: "cities/wuhan/programs/p2" deleted: true }
next_cursor: "djI6ZWFiYzoxMA" has_more: true head_sequence: 12
PAGE
printf 'djI6ZWFiYzoxMA' >"$out/peer_feed_fuzzer/cursor"
echo "seeds written under $out"
