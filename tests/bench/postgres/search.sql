-- gnlc's SearchPrograms on PostgreSQL 15 + PostGIS 3, for the comparison in
-- BENCHMARKS.md (issue: residents first). The same programs (exported from
-- gnlc's feed by gnlc-catalog-pg-export), the same terms (gnlc's tokenizer),
-- the same rules: only published or cancelled programs; relevance
-- sum(ln(1 + N/df) * (weight + 0.5)); availability the best of the
-- program's offerings at `now`; exact totals and four facets over every
-- match; the first page of 20 in gnlc's order (its key, then the id's
-- order key, then the name).
--
-- Tuned as a PostgreSQL expert would serve these queries:
-- * the inverted index is a covering B-tree (term, program) INCLUDE (weight),
--   read by index-only scans; term counts are kept in term_stats;
-- * what a program's facets need of its offerings and does not change with
--   time (its live modalities and districts) is kept on the program row,
--   and so is its availability with the time it is valid until
--   (refresh_availability, run by a job in a live system); a search
--   computes it from the offerings only for a row whose value has expired,
--   so answers stay exact;
-- * offering-level district filters read program_districts: one row per
--   program and district with what its live offerings there need;
-- * near-me reads a GiST index over the live offerings' places.
-- Each function returns a summary (total, facets, page names) and the
-- page's stored records. The three spell out the same facet queries over
-- their own matches rather than share a function that takes the matches as
-- an array, which would cost PostgreSQL a copy of every match.

CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE programs (
  id int PRIMARY KEY,
  name text COLLATE "C" NOT NULL,  -- ordered bytewise, as gnlc compares names
  order_key bigint NOT NULL,
  kind text NOT NULL,
  state smallint NOT NULL,
  audience_mask int NOT NULL,
  district text,
  record bytea NOT NULL,
  -- Derived from the offerings (derive_program_facts):
  live_modalities text[],
  live_districts text[],  -- the live offerings' districts, else the home one
  availability int,  -- rank, see offering_rank
  availability_until bigint  -- when that can change next
);

CREATE TABLE offerings (
  program int NOT NULL REFERENCES programs,
  modality text NOT NULL,
  district text,  -- the venue's, else the program's
  -- In-person or hybrid with a place: where, and as a point for the index.
  lat float8,
  lng float8,
  geom geometry(Point, 4326),
  free boolean NOT NULL,
  start_time bigint NOT NULL,
  end_time bigint NOT NULL,
  open_time bigint NOT NULL,
  close_time bigint NOT NULL,
  capacity int NOT NULL,  -- -1: unlimited
  taken int NOT NULL,
  cancelled boolean NOT NULL
);

-- The inverted index: one row per (term, program) with the term's weight.
CREATE TABLE terms (
  term text NOT NULL,
  program int NOT NULL,
  weight smallint NOT NULL
);

-- How many programs hold each term, and how many programs there are (kept
-- by the loader here; by triggers in a live system).
CREATE TABLE term_stats (term text PRIMARY KEY, programs int NOT NULL);
CREATE TABLE corpus (programs int NOT NULL);

-- Per program and district: the live offerings there (or none, for the
-- program's home district), for filters by district.
CREATE TABLE program_districts (
  kind text NOT NULL,
  district text NOT NULL,
  program int NOT NULL,
  home_only boolean NOT NULL,  -- no live offering there: matches as the home district
  modality_mask int NOT NULL,  -- of modality_bits
  starts bigint[],
  ends bigint[]
);

-- A bit for each modality, for masks.
CREATE TABLE modality_bits (name text PRIMARY KEY, bit int NOT NULL);

-- The order of availability, best first: OPEN 6, OPENING_SOON 5, FULL 4,
-- CLOSED 3, ENDED 2, CANCELLED 1, none 0 (gnlc's BetterAvailability).
CREATE FUNCTION offering_rank(o_cancelled boolean, o_end bigint, o_open bigint, o_close bigint,
                              o_capacity int, o_taken int, now_s bigint) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN o_cancelled THEN 1
    WHEN now_s >= o_end THEN 2
    WHEN now_s >= o_open AND now_s < o_close THEN
      CASE WHEN o_capacity >= 0 AND o_taken >= o_capacity THEN 4 ELSE 6 END
    WHEN now_s < o_open AND o_open - now_s <= 14 * 24 * 3600 THEN 5
    ELSE 3
  END
$$;

-- The next time an offering's availability can change after now_s.
CREATE FUNCTION offering_next_change(o_cancelled boolean, o_end bigint, o_open bigint,
                                     o_close bigint, now_s bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN o_cancelled THEN NULL ELSE
    (SELECT min(b) FROM unnest(ARRAY[o_open - 14 * 24 * 3600, o_open, o_close, o_end]) b
     WHERE b > now_s) END
$$;

-- A program's availability rank at now_s, from its offerings.
CREATE FUNCTION program_rank(p int, p_state smallint, now_s bigint) RETURNS int
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN p_state = 3 THEN 1 ELSE
    coalesce((SELECT max(offering_rank(o.cancelled, o.end_time, o.open_time, o.close_time,
                                       o.capacity, o.taken, now_s))
              FROM offerings o WHERE o.program = p), 0) END
$$;

-- The job that keeps availability current: every program whose value has
-- expired (all of them on the first run).
CREATE PROCEDURE refresh_availability(now_s bigint) LANGUAGE sql AS $$
  UPDATE programs p SET availability = a.rank, availability_until = a.until
  FROM (SELECT p2.id, program_rank(p2.id, p2.state, now_s) AS rank,
               coalesce(min(offering_next_change(o.cancelled, o.end_time, o.open_time,
                                                 o.close_time, now_s)), 9223372036854775807) AS until
        FROM programs p2 LEFT JOIN offerings o ON o.program = p2.id
        WHERE p2.availability_until IS NULL OR p2.availability_until <= now_s
        GROUP BY p2.id, p2.state) a
  WHERE p.id = a.id;
$$;

CREATE FUNCTION availability_name(rank int) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (ARRAY['AVAILABILITY_UNSPECIFIED', 'AVAILABILITY_CANCELLED', 'AVAILABILITY_ENDED',
                'AVAILABILITY_CLOSED', 'AVAILABILITY_FULL', 'AVAILABILITY_OPENING_SOON',
                'AVAILABILITY_OPEN'])[rank + 1]
$$;

-- Totals and facets of a set of matches, as one JSON object.
CREATE FUNCTION summary_of(total bigint, kinds jsonb, modalities jsonb, districts jsonb,
                           availability jsonb, page text[]) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object('total', total, 'kinds', coalesce(kinds, '{}'),
                            'modalities', coalesce(modalities, '{}'),
                            'districts', coalesce(districts, '{}'),
                            'availability', coalesce(availability, '{}'), 'page', page)
$$;

-- The programs holding every term of q, with their relevance. Two plans,
-- chosen by the terms' counts as a planner with term statistics would:
-- walk the rarest term's programs and look the others up in the index when
-- that reads fewer rows (a selective query), else read every term's
-- programs and count.
CREATE FUNCTION text_hits(q text[]) RETURNS TABLE(program int, score numeric)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  found int;
  fewest int;
  all_rows bigint;
BEGIN
  SELECT count(*), min(s.programs), sum(s.programs) INTO found, fewest, all_rows
  FROM term_stats s WHERE s.term = ANY(q);
  IF found < cardinality(q) THEN
    RETURN;  -- a term no program holds
  END IF;
  IF cardinality(q) > 1 AND fewest::bigint * (cardinality(q) - 1) * 4 < all_rows THEN
    RETURN QUERY
    WITH idf AS (
      SELECT s.term, s.programs,
             ln(1 + (SELECT c.programs FROM corpus c) / s.programs::float8) AS idf
      FROM term_stats s WHERE s.term = ANY(q)
    ), rarest AS (
      SELECT i.term, i.idf FROM idf i ORDER BY i.programs, i.term LIMIT 1
    )
    SELECT t0.program, round((r.idf * (t0.weight + 0.5) + o.score)::numeric, 9)
    FROM rarest r JOIN terms t0 ON t0.term = r.term
    CROSS JOIN LATERAL (
      SELECT count(*) AS n, sum(i.idf * (t.weight + 0.5)) AS score
      FROM idf i JOIN terms t ON t.term = i.term AND t.program = t0.program
      WHERE i.term <> r.term) o
    WHERE o.n = cardinality(q) - 1;
  ELSE
    RETURN QUERY
    WITH idf AS (
      SELECT s.term, ln(1 + (SELECT c.programs FROM corpus c) / s.programs::float8) AS idf
      FROM term_stats s WHERE s.term = ANY(q)
    )
    SELECT t.program, round(sum(i.idf * (t.weight + 0.5))::numeric, 9)
    FROM terms t JOIN idf i ON i.term = t.term
    WHERE t.term = ANY(q)
    GROUP BY t.program
    HAVING count(*) = cardinality(q);
  END IF;
END
$$;

-- Text: every term present; ranked by relevance.
CREATE FUNCTION search_text(q text[], now_s bigint, page_size int)
RETURNS TABLE(summary jsonb, records bytea[]) LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN QUERY
  WITH hits AS (
    SELECT h.program, h.score FROM text_hits(q) h
  ), m AS MATERIALIZED (
    SELECT p.id, p.name, p.order_key, p.kind, h.score, p.live_modalities AS modalities,
           p.live_districts AS districts,
           CASE WHEN p.availability_until > now_s THEN p.availability
                ELSE program_rank(p.id, p.state, now_s) END AS avail
    FROM hits h JOIN programs p ON p.id = h.program
    WHERE p.state IN (2, 3)
  ), top AS (
    SELECT m.id, m.name, m.score, m.order_key FROM m
    ORDER BY m.score DESC, m.order_key, m.name LIMIT page_size
  )
  SELECT summary_of(
    (SELECT count(*) FROM m),
    (SELECT jsonb_object_agg(x.kind, x.n) FROM (SELECT m.kind, count(*) n FROM m GROUP BY 1) x),
    (SELECT jsonb_object_agg(x.v, x.n) FROM
      (SELECT u.v, count(*) n FROM m, unnest(m.modalities) u(v) GROUP BY 1) x),
    (SELECT jsonb_object_agg(x.v, x.n) FROM
      (SELECT u.v, count(*) n FROM m, unnest(m.districts) u(v) GROUP BY 1) x),
    (SELECT jsonb_object_agg(availability_name(x.avail), x.n) FROM
      (SELECT m.avail, count(*) n FROM m GROUP BY 1) x),
    (SELECT array_agg(t.name ORDER BY t.score DESC, t.order_key, t.name) FROM top t)),
    (SELECT array_agg(p.record ORDER BY t.score DESC, t.order_key, t.name)
     FROM top t JOIN programs p ON p.id = t.id);
END
$$;

-- Near me: every program with a live offering inside the circle, nearest
-- first; its modalities and districts are those of the offerings inside.
CREATE FUNCTION search_near(q_lat float8, q_lng float8, radius float8, now_s bigint,
                            page_size int)
RETURNS TABLE(summary jsonb, records bytea[]) LANGUAGE plpgsql STABLE AS $$
DECLARE
  -- The circle's bounding box in degrees, with 1% to spare.
  dlat float8 := radius * 1.01 / 111195.0;
  dlng float8 := radius * 1.01 / (111195.0 * greatest(cos(radians(abs(q_lat) + dlat)), 1e-6));
BEGIN
  RETURN QUERY
  WITH inside AS (
    -- The index finds the box around the circle; the distance is gnlc's
    -- haversine on the same sphere, so both agree to the metre.
    SELECT o.program, o.modality, o.district,
           2 * 6371008.8 * asin(least(1, sqrt(sin(radians(o.lat - q_lat) / 2) ^ 2 +
             cos(radians(q_lat)) * cos(radians(o.lat)) * sin(radians(o.lng - q_lng) / 2) ^ 2)))
             AS distance
    FROM offerings o
    WHERE NOT o.cancelled AND o.geom && ST_MakeEnvelope(
      q_lng - dlng, q_lat - dlat, q_lng + dlng, q_lat + dlat, 4326)
  ), near AS (
    SELECT i.program, min(i.distance) AS distance, array_agg(DISTINCT i.modality) AS modalities,
           array_agg(DISTINCT i.district) FILTER (WHERE i.district IS NOT NULL) AS districts
    FROM inside i WHERE i.distance <= radius
    GROUP BY i.program
  ), m AS MATERIALIZED (
    SELECT p.id, p.name, p.order_key, p.kind, n.distance, n.modalities, n.districts,
           CASE WHEN p.availability_until > now_s THEN p.availability
                ELSE program_rank(p.id, p.state, now_s) END AS avail
    FROM near n JOIN programs p ON p.id = n.program
    WHERE p.state IN (2, 3)
  ), top AS (
    SELECT m.id, m.name, m.distance, m.order_key FROM m
    ORDER BY m.distance, m.order_key, m.name LIMIT page_size
  )
  SELECT summary_of(
    (SELECT count(*) FROM m),
    (SELECT jsonb_object_agg(x.kind, x.n) FROM (SELECT m.kind, count(*) n FROM m GROUP BY 1) x),
    (SELECT jsonb_object_agg(x.v, x.n) FROM
      (SELECT u.v, count(*) n FROM m, unnest(m.modalities) u(v) GROUP BY 1) x),
    (SELECT jsonb_object_agg(x.v, x.n) FROM
      (SELECT u.v, count(*) n FROM m, unnest(m.districts) u(v) GROUP BY 1) x),
    (SELECT jsonb_object_agg(availability_name(x.avail), x.n) FROM
      (SELECT m.avail, count(*) n FROM m GROUP BY 1) x),
    (SELECT array_agg(t.name ORDER BY t.distance, t.order_key, t.name) FROM top t)),
    (SELECT array_agg(p.record ORDER BY t.distance, t.order_key, t.name)
     FROM top t JOIN programs p ON p.id = t.id);
END
$$;

-- Kind + district: programs of those kinds with a live offering in those
-- districts, or else whose home is there; soonest next matching offering
-- first.
CREATE FUNCTION search_filter(kinds text[], districts text[], now_s bigint, page_size int)
RETURNS TABLE(summary jsonb, records bytea[]) LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN QUERY
  WITH per_program AS (
    -- A program's live offerings in the districts; its home district only
    -- when it has none there. One row per program and district.
    SELECT d.program,
           array_agg(d.district) FILTER (WHERE NOT d.home_only) AS live_districts,
           array_agg(d.district) FILTER (WHERE d.home_only) AS home_district,
           bit_or(d.modality_mask) AS modality_mask,
           min((SELECT min(u.s) FROM unnest(d.starts, d.ends) u(s, e) WHERE u.e > now_s))
             AS next_start
    FROM program_districts d
    WHERE d.kind = ANY(kinds) AND d.district = ANY(districts)
    GROUP BY d.program
  ), m AS MATERIALIZED (
    SELECT p.id, p.name, p.order_key, p.kind, c.modality_mask, c.next_start,
           coalesce(c.live_districts, c.home_district) AS districts,
           CASE WHEN p.availability_until > now_s THEN p.availability
                ELSE program_rank(p.id, p.state, now_s) END AS avail
    FROM per_program c JOIN programs p ON p.id = c.program
    WHERE p.state IN (2, 3)
  ), top AS (
    SELECT m.id, m.name, m.next_start, m.order_key FROM m
    ORDER BY m.next_start NULLS LAST, m.order_key, m.name LIMIT page_size
  )
  SELECT summary_of(
    (SELECT count(*) FROM m),
    (SELECT jsonb_object_agg(x.kind, x.n) FROM (SELECT m.kind, count(*) n FROM m GROUP BY 1) x),
    (SELECT jsonb_object_agg(x.name, x.n) FROM
      (SELECT b.name, count(*) n FROM m JOIN modality_bits b ON m.modality_mask & b.bit <> 0
       GROUP BY 1) x),
    (SELECT jsonb_object_agg(x.v, x.n) FROM
      (SELECT u.v, count(*) n FROM m, unnest(m.districts) u(v) GROUP BY 1) x),
    (SELECT jsonb_object_agg(availability_name(x.avail), x.n) FROM
      (SELECT m.avail, count(*) n FROM m GROUP BY 1) x),
    (SELECT array_agg(t.name ORDER BY t.next_start NULLS LAST, t.order_key, t.name) FROM top t)),
    (SELECT array_agg(p.record ORDER BY t.next_start NULLS LAST, t.order_key, t.name)
     FROM top t JOIN programs p ON p.id = t.id);
END
$$;

-- After the load (tests/bench/postgres_search_bench.sh): the derived facts
-- (triggers would keep them in a live system) and the indexes.
CREATE PROCEDURE derive_program_facts() LANGUAGE sql AS $$
  UPDATE programs p SET live_modalities = f.modalities,
    live_districts = CASE WHEN f.live > 0 THEN f.districts
                          ELSE array_remove(ARRAY[p.district], NULL) END
  FROM (SELECT p2.id, count(o.program) FILTER (WHERE NOT o.cancelled) AS live,
               array_agg(DISTINCT o.modality) FILTER (WHERE NOT o.cancelled) AS modalities,
               array_agg(DISTINCT o.district) FILTER (WHERE NOT o.cancelled AND o.district IS NOT NULL)
                 AS districts
        FROM programs p2 LEFT JOIN offerings o ON o.program = p2.id GROUP BY p2.id) f
  WHERE p.id = f.id;
  INSERT INTO modality_bits
    SELECT m, 1 << (row_number() OVER (ORDER BY m) - 1)::int FROM (SELECT DISTINCT modality m FROM offerings) x;
  INSERT INTO program_districts
    SELECT p.kind, o.district, o.program, false, bit_or(b.bit),
           array_agg(o.start_time), array_agg(o.end_time)
    FROM offerings o JOIN programs p ON p.id = o.program JOIN modality_bits b ON b.name = o.modality
    WHERE NOT o.cancelled AND o.district IS NOT NULL
    GROUP BY p.kind, o.district, o.program;
  INSERT INTO program_districts
    SELECT p.kind, p.district, p.id, true, 0, NULL, NULL FROM programs p
    WHERE p.district IS NOT NULL AND NOT EXISTS (
      SELECT 1 FROM program_districts d WHERE d.program = p.id AND d.district = p.district);
$$;

CREATE PROCEDURE build_indexes() LANGUAGE sql AS $$
  ALTER TABLE terms ADD PRIMARY KEY (term, program) INCLUDE (weight);
  INSERT INTO term_stats SELECT term, count(*) FROM terms GROUP BY term;
  INSERT INTO corpus SELECT count(*) FROM programs;
  CREATE INDEX offerings_of_program ON offerings (program)
    INCLUDE (cancelled, end_time, open_time, close_time, capacity, taken);
  CREATE INDEX offerings_where ON offerings USING gist (geom)
    INCLUDE (program, modality, district, lat, lng) WHERE NOT cancelled;
  CALL derive_program_facts();
  -- What searches read of a program, in one index-only scan.
  CREATE INDEX programs_facts ON programs (id) INCLUDE (state, kind, order_key, name,
    availability, availability_until, live_modalities, live_districts);
  CREATE INDEX program_districts_by_kind ON program_districts (kind, district, program)
    INCLUDE (home_only, modality_mask, starts, ends);
$$;
