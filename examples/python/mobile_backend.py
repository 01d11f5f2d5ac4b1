#!/usr/bin/env python3
"""A mobile backend's calls to a gnlc city, in Python with grpcio.

What a backend does for a resident of the city, over TLS with the city's CA
and a token on every call:

  1. search the catalog near a point (public: no resident data),
  2. create the resident's learner and enroll them in an offering found
     (with the resident's token; a retried request_id never enrolls twice),
  3. follow the backend's notification stream, drop the connection, and
     resume after the last notification it handled, missing nothing.

It prints what it does and exits 0 only if every step worked: CI runs it
against the local two-city network (tests/e2e/two_city_network_test.sh), a
second gRPC implementation checking the contract in protos/.

    python3 mobile_backend.py --city=nanjing --catalog=HOST:PORT \\
        --enrollment=HOST:PORT --ca=ca.crt \\
        --resident_token=JWT --backend_token=JWT

The stubs are generated from protos/ (run.sh does it with protoc).
"""
import argparse
import sys
import uuid

import grpc

from gnlc.catalog.v1 import catalog_service_pb2 as catalog_pb
from gnlc.catalog.v1 import catalog_service_pb2_grpc as catalog_grpc
from gnlc.enrollment.v1 import enrollment_pb2
from gnlc.enrollment.v1 import enrollment_service_pb2 as enrollment_pb
from gnlc.enrollment.v1 import enrollment_service_pb2_grpc as enrollment_grpc
from gnlc.type.v1 import age_band_pb2

TIMEOUT_S = 10


def channel(address, ca_file, token):
    """A TLS channel that sends `token` as a bearer token on every call."""
    with open(ca_file, "rb") as f:
        tls = grpc.ssl_channel_credentials(root_certificates=f.read())
    bearer = grpc.access_token_call_credentials(token)
    return grpc.secure_channel(address, grpc.composite_channel_credentials(tls, bearer))


def search_near(catalog, city, latitude, longitude, radius_m):
    req = catalog_pb.SearchProgramsRequest(parent=f"cities/{city}", page_size=20)
    req.near.center.latitude = latitude
    req.near.center.longitude = longitude
    req.near.radius_meters = radius_m
    req.order_by = catalog_pb.SEARCH_ORDER_DISTANCE
    return catalog.SearchPrograms(req, timeout=TIMEOUT_S).results


def enroll_somewhere(catalog, enrollment, city, learner, programs):
    """Enrolls `learner` in the first offering that takes them."""
    for result in programs:
        offerings = catalog.ListOfferings(
            catalog_pb.ListOfferingsRequest(parent=result.program.name), timeout=TIMEOUT_S)
        for offering in offerings.offerings:
            req = enrollment_pb.CreateEnrollmentRequest(
                parent=f"cities/{city}", learner=learner, offering=offering.name,
                request_id=str(uuid.uuid4()))
            try:
                first = enrollment.CreateEnrollment(req, timeout=TIMEOUT_S).enrollment
            except grpc.RpcError as e:
                # Closed, full with no waitlist, already started: try the next.
                if e.code() in (grpc.StatusCode.FAILED_PRECONDITION,
                                grpc.StatusCode.RESOURCE_EXHAUSTED):
                    continue
                raise
            # The same request again (a phone that lost the reply): the same
            # enrollment, not a second one.
            again = enrollment.CreateEnrollment(req, timeout=TIMEOUT_S).enrollment
            if again.name != first.name:
                sys.exit(f"a retried request_id enrolled twice: {first.name}, {again.name}")
            return first
    sys.exit("no offering near the point took the learner")


def notifications(enrollment, city, cursor, replay, want):
    """Reads up to `want` notifications from the backend's stream, then
    drops the connection. Returns them."""
    req = enrollment_pb.SubscribeNotificationsRequest(
        parent=f"cities/{city}", cursor=cursor, replay_retained=replay)
    stream = enrollment.SubscribeNotifications(req, timeout=30)
    got = []
    try:
        for response in stream:
            got.extend(response.notifications)
            if len(got) >= want:
                break
    finally:
        stream.cancel()  # the disconnect
    return got[:want]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--city", required=True)
    p.add_argument("--catalog", required=True, help="the city's catalog, HOST:PORT")
    p.add_argument("--enrollment", required=True, help="the city's enrollment, HOST:PORT")
    p.add_argument("--ca", required=True, help="the city's CA certificate (PEM)")
    p.add_argument("--resident_token", required=True)
    p.add_argument("--backend_token", required=True)
    p.add_argument("--district", default="gulou", help="the resident's district id")
    p.add_argument("--latitude", type=float, default=32.05)
    p.add_argument("--longitude", type=float, default=118.78)
    p.add_argument("--radius_meters", type=int, default=20000)
    a = p.parse_args()

    resident_catalog = catalog_grpc.CatalogServiceStub(
        channel(a.catalog, a.ca, a.resident_token))
    resident = enrollment_grpc.EnrollmentServiceStub(
        channel(a.enrollment, a.ca, a.resident_token))
    backend = enrollment_grpc.EnrollmentServiceStub(
        channel(a.enrollment, a.ca, a.backend_token))

    programs = search_near(resident_catalog, a.city, a.latitude, a.longitude, a.radius_meters)
    if not programs:
        sys.exit("nothing found near the point")
    print(f"search: {len(programs)} programs within {a.radius_meters} m, nearest "
          f"{programs[0].program.title.en!r}")

    req = enrollment_pb.CreateLearnerRequest(parent=f"cities/{a.city}")
    req.learner.district = a.district
    req.learner.age_band = age_band_pb2.AGE_BAND_ADULT
    req.learner.consents.city_statistics = True
    learner = resident.CreateLearner(req, timeout=TIMEOUT_S).learner
    print(f"learner: {learner.name} (backend {learner.backend or '-'})")
    e = enroll_somewhere(resident_catalog, resident, a.city, learner.name, programs)
    print(f"enrollment: {e.name} {enrollment_pb2.EnrollmentState.Name(e.state)}")

    # Notifications: the two oldest retained, then a disconnect, then a
    # resume after the first: the second must come next, nothing skipped.
    first_two = notifications(backend, a.city, cursor="", replay=True, want=2)
    if len(first_two) < 2:
        sys.exit(f"expected at least 2 retained notifications, got {len(first_two)}")
    resumed = notifications(backend, a.city, cursor=first_two[0].cursor, replay=False, want=1)
    if not resumed or resumed[0].id != first_two[1].id:
        sys.exit(f"resuming after {first_two[0].id} gave "
                 f"{resumed[0].id if resumed else 'nothing'}, not {first_two[1].id}")
    print(f"notifications: resumed after {first_two[0].id} with {resumed[0].id}, as before "
          "the disconnect")
    print("ok")


if __name__ == "__main__":
    try:
        main()
    except grpc.RpcError as e:
        sys.exit(f"call failed: {e.code().name}: {e.details()}")
