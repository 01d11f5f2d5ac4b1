#!/usr/bin/env python3
"""SearchPrograms requests of tests/bench/catalog_bench.sh, as calls of the
PostgreSQL functions in search.sql (tests/bench/postgres_search_bench.sh).

  search_requests.py params DIR EXPORTER
      writes DIR/q_{zh,zh2,en,geo,filter}.copy: the requests of each class as
      the rows pgbench picks from (i, then the function's arguments)
  search_requests.py compare DIR EXPORTER -- PSQL...
      asks PostgreSQL (the command PSQL...) each request of DIR/sample.jsonl
      at the time gnlc answered it (DIR/now) and compares total, facets and
      page with gnlc's answer in DIR/answers/N.json
"""
import json
import subprocess
import sys

CLASSES = ["zh", "zh2", "en", "geo", "filter"]


def query_terms(exporter, texts):
    out = subprocess.run([exporter, "--query_terms"], input="\n".join(texts) + "\n",
                         capture_output=True, text=True, check=True).stdout
    return out.splitlines()


def sql_call(req, terms, now):
    """The function call that answers one request (page of 20)."""
    if "query" in req:
        return "search_text('%s'::text[], %d, %d)" % (terms, now, req.get("page_size", 20))
    if "near" in req:
        c = req["near"]["center"]
        return "search_near(%r, %r, %r, %d, %d)" % (
            c["latitude"], c["longitude"], float(req["near"]["radius_meters"]), now,
            req.get("page_size", 20))
    return "search_filter('{%s}'::text[], '{%s}'::text[], %d, %d)" % (
        ",".join(req["kinds"]), ",".join(req["districts"]), now, req.get("page_size", 20))


def params(directory, exporter):
    for cls in CLASSES:
        reqs = [json.loads(l) for l in open("%s/search_%s.jsonl" % (directory, cls))]
        with open("%s/q_%s.copy" % (directory, cls), "w") as out:
            if cls in ("zh", "zh2", "en"):
                for i, t in enumerate(query_terms(exporter, [r["query"] for r in reqs]), 1):
                    out.write("%d\t%s\n" % (i, t))
            elif cls == "geo":
                for i, r in enumerate(reqs, 1):
                    c = r["near"]["center"]
                    out.write("%d\t%r\t%r\t%r\n" % (i, c["latitude"], c["longitude"],
                                                    float(r["near"]["radius_meters"])))
            else:
                for i, r in enumerate(reqs, 1):
                    out.write("%d\t{%s}\t{%s}\n" % (i, ",".join(r["kinds"]), ",".join(r["districts"])))
        print("%s: %d requests" % (cls, len(reqs)))


def facets(answer, field):
    return {f["value"]: f["count"] for f in answer.get(field, [])}


def compare(directory, exporter, psql):
    now = int(open(directory + "/now").read())
    reqs = [json.loads(l) for l in open(directory + "/sample.jsonl")]
    terms = query_terms(exporter, [r.get("query", "") for r in reqs])
    same = 0
    for n, (req, t) in enumerate(zip(reqs, terms), 1):
        gnlc = json.load(open("%s/answers/%d.json" % (directory, n)))
        row = subprocess.run(psql + ["-At", "-c", "SELECT summary FROM " + sql_call(req, t, now)],
                             capture_output=True, text=True, check=True).stdout
        pg = json.loads(row)
        ours = {
            "total": gnlc.get("total_size", 0),
            "kinds": facets(gnlc, "kind_facets"),
            "modalities": facets(gnlc, "modality_facets"),
            "districts": facets(gnlc, "district_facets"),
            "availability": facets(gnlc, "availability_facets"),
            "page": [r["program"]["name"] for r in gnlc.get("results", [])],
        }
        theirs = {k: pg[k] or ([] if k == "page" else pg[k]) for k in ours}
        diff = [k for k in ours if ours[k] != theirs[k]]
        label = req.get("query") or (req.get("near") and "near %(latitude).3f,%(longitude).3f"
                                     % req["near"]["center"]) or " ".join(req["kinds"] + req["districts"])
        if diff:
            print("  differs: %-40s %s" % (label, ", ".join(
                "%s gnlc=%s postgres=%s" % (k, ours[k], theirs[k]) for k in diff)))
        else:
            same += 1
    print("same answers (total, four facets, first page in order) on %d of %d requests"
          % (same, len(reqs)))


if __name__ == "__main__":
    if sys.argv[1] == "params":
        params(sys.argv[2], sys.argv[3])
    else:
        compare(sys.argv[2], sys.argv[3], sys.argv[5:])
