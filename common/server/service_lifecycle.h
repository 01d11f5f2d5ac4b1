// What every gnlc service is to the process that runs it: one lifecycle.
//
//   Start()  once the server listens: begins the service's background work
//            (building its index, loading a directory, following streams).
//            INVALID_ARGUMENT is a configuration the service cannot run
//            with, and the process exits; any other error is retried every
//            second (Redis not answering yet).
//   ready()  whether it answers calls yet: health says NOT_SERVING until
//            then. True at once for a service with nothing to load.
//   Stop()   ends the background work, after the server stopped taking
//            calls; also run by the destructor.
//
//   int main(int argc, char** argv) {
//     ...
//     CatalogService catalog(*options, &pool, &metrics);
//     GnlcServer server(*options, &metrics);
//     server.AddService(&catalog, "gnlc.catalog.v1.CatalogService");
//     return ServeUntilSignal(server, catalog);
//   }
#ifndef GNLC_COMMON_SERVER_SERVICE_LIFECYCLE_H_
#define GNLC_COMMON_SERVER_SERVICE_LIFECYCLE_H_

#include "absl/status/status.h"
#include "common/server/server.h"

namespace gnlc {

class ServiceLifecycle {
 public:
  virtual ~ServiceLifecycle() = default;
  virtual absl::Status Start() = 0;
  virtual bool ready() const = 0;
  virtual void Stop() = 0;
};

// The rest of a service's main() once its server is set up: readiness from
// the service, the server started, then the service; waits for SIGTERM or
// SIGINT and shuts the server down, then the service. Returns the exit
// code: 0, 1 if the server cannot start, 2 for a bad configuration.
int ServeUntilSignal(GnlcServer& server, ServiceLifecycle& service);

}  // namespace gnlc

#endif  // GNLC_COMMON_SERVER_SERVICE_LIFECYCLE_H_
