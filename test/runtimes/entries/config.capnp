# workerd config for the conformance worker: `workerd test config.capnp` (no socket, no port).
# run.mjs writes one line per JavaScript module of the packed package's dist/ in place of the DIST_MODULES marker.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "conformance", worker = .worker) ],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.mjs", esModule = embed "worker.mjs"),
    (name = "suite.mjs", esModule = embed "suite.mjs"),
    (name = "python-sdk.jsonl", text = embed "python-sdk.jsonl"),
    @DIST_MODULES@
  ],
  compatibilityDate = "2026-11-17",
);
