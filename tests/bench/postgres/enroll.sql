-- The CreateEnrollment rules in one PL/pgSQL function, as a PostgreSQL 15
-- team would write them, for tests/bench/postgres_enroll_bench.sh: the same
-- checks in the same order as gnlc's enroll script
-- (services/enrollment/enrollment_scripts.cc), the same writes (the
-- enrollment, its place in the learner's list, the roster and the seat or
-- waitlist count, an idempotency record when a request id is given) and the
-- same two outbox events per call (enrollment_changed, seats_changed).
-- Seats are counted under the offering's row lock, which serializes
-- enrollments into one offering as Redis's single thread does.

CREATE TABLE learners (
  id text PRIMARY KEY,
  display_name text NOT NULL
);

CREATE TABLE programs (
  id text PRIMARY KEY,
  state smallint NOT NULL,  -- 2: published
  kind smallint NOT NULL
);

CREATE TABLE offerings (
  id text PRIMARY KEY,
  name text NOT NULL,
  program text NOT NULL REFERENCES programs,
  capacity int NOT NULL,        -- -1: unlimited
  opens bigint NOT NULL,        -- unix seconds
  closes bigint NOT NULL,
  cancelled boolean NOT NULL DEFAULT false,
  waitlist_limit int NOT NULL,  -- -1: none
  modality smallint NOT NULL,
  seated int NOT NULL DEFAULT 0,
  waitlisted int NOT NULL DEFAULT 0,
  completed int NOT NULL DEFAULT 0,
  seat_version bigint NOT NULL DEFAULT 0
) WITH (fillfactor = 70);  -- room for HOT updates of the counters

CREATE TABLE enrollments (
  id uuid PRIMARY KEY,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  learner text NOT NULL,
  offering text NOT NULL,
  state smallint NOT NULL,  -- 1 confirmed, 2 waitlisted, 3 cancelled, 4 completed
  record bytea NOT NULL
);
-- One active enrollment per learner and offering (gnlc: the active hash).
CREATE UNIQUE INDEX enrollments_active ON enrollments (learner, offering) WHERE state IN (1, 2);
CREATE INDEX enrollments_by_learner ON enrollments (learner, seq);
CREATE INDEX enrollments_roster ON enrollments (offering, seq);
CREATE INDEX enrollments_waitlist ON enrollments (offering, seq) WHERE state = 2;

CREATE TABLE enrollment_requests (
  id text PRIMARY KEY,
  fingerprint text NOT NULL,
  response bytea NOT NULL,
  waitlist_position int NOT NULL,
  learner text NOT NULL,
  expires timestamptz NOT NULL
);

-- The transactional outbox (gnlc: the city's event stream).
CREATE TABLE outbox (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  type text NOT NULL,
  resource text NOT NULL,
  payload bytea NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION enroll(p_learner text, p_offering text, p_request text, p_fingerprint text,
                       p_record bytea, OUT status text, OUT enrollment uuid,
                       OUT waitlist_position int)
LANGUAGE plpgsql AS $$
DECLARE
  o offerings%ROWTYPE;
  prog programs%ROWTYPE;
  prior enrollment_requests%ROWTYPE;
  now_s bigint := extract(epoch FROM now())::bigint;
  new_state smallint := 1;
BEGIN
  waitlist_position := 0;
  IF p_request <> '' THEN
    SELECT * INTO prior FROM enrollment_requests WHERE id = p_request;
    IF FOUND THEN
      IF prior.fingerprint <> p_fingerprint THEN status := 'REQUEST_MISMATCH'; RETURN; END IF;
      status := 'DUPLICATE'; waitlist_position := prior.waitlist_position; RETURN;
    END IF;
  END IF;
  PERFORM 1 FROM learners WHERE id = p_learner;
  IF NOT FOUND THEN status := 'NO_LEARNER'; RETURN; END IF;
  SELECT * INTO o FROM offerings WHERE id = p_offering FOR UPDATE;
  IF NOT FOUND THEN status := 'NO_OFFERING'; RETURN; END IF;
  SELECT * INTO prog FROM programs WHERE id = o.program;
  IF prog.state <> 2 THEN status := 'NOT_PUBLISHED'; RETURN; END IF;
  IF o.cancelled THEN status := 'CANCELLED'; RETURN; END IF;
  IF now_s < o.opens THEN status := 'NOT_OPEN'; RETURN; END IF;
  IF now_s >= o.closes THEN status := 'CLOSED'; RETURN; END IF;
  PERFORM 1 FROM enrollments
    WHERE learner = p_learner AND offering = p_offering AND state IN (1, 2);
  IF FOUND THEN status := 'EXISTS'; RETURN; END IF;
  IF o.capacity >= 0 AND o.seated + o.completed >= o.capacity THEN
    IF o.waitlist_limit >= 0 AND o.waitlisted >= o.waitlist_limit THEN
      status := 'WAITLIST_FULL'; RETURN;
    END IF;
    new_state := 2;
    waitlist_position := o.waitlisted + 1;
  END IF;
  enrollment := gen_random_uuid();
  INSERT INTO enrollments (id, learner, offering, state, record)
    VALUES (enrollment, p_learner, p_offering, new_state, p_record);
  UPDATE offerings
    SET seated = seated + (new_state = 1)::int, waitlisted = waitlisted + (new_state = 2)::int,
        seat_version = seat_version + 1
    WHERE id = p_offering
    RETURNING * INTO o;
  INSERT INTO outbox (type, resource, payload) VALUES
    ('enrollment_changed', 'cities/nanjing/enrollments/' || enrollment, p_record),
    ('seats_changed', o.name,
     convert_to(concat_ws(' ', o.name, o.capacity, o.seated + o.completed,
                          greatest(o.capacity - o.seated - o.completed, 0), o.waitlisted,
                          o.seat_version), 'UTF8'));
  IF p_request <> '' THEN
    INSERT INTO enrollment_requests VALUES (p_request, p_fingerprint, p_record,
                                            waitlist_position, p_learner,
                                            now() + interval '1 day');
  END IF;
  status := 'OK';
END
$$;

-- The bench's set-up, as gnlc-enrollment-bench-setup makes it: `spread`
-- offerings of 30 seats, two hot ones of 100 (offering-<spread+1>, +2),
-- `learners` learners, every programme published and every offering open.
CREATE PROCEDURE set_up(spread int, learner_count int)
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO programs SELECT 'program-' || i, 2, 1 + i % 8 FROM generate_series(1, 100) i;
  INSERT INTO offerings (id, name, program, capacity, opens, closes, waitlist_limit, modality)
    SELECT 'offering-' || i, 'cities/nanjing/offerings/offering-' || i, 'program-' || 1 + i % 100,
           CASE WHEN i > spread THEN 100 ELSE 30 END,
           extract(epoch FROM now() - interval '1 day')::bigint,
           extract(epoch FROM now() + interval '30 days')::bigint, -1, 1 + i % 3
    FROM generate_series(1, spread + 2) i;
  INSERT INTO learners SELECT 'learner-' || i, 'Learner ' || i FROM generate_series(1, learner_count) i;
END
$$;
