# workerd config for the conformance worker: `workerd test config.capnp` (no socket, no port).
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "conformance", worker = .worker) ],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.mjs", esModule = embed "worker.mjs"),
    (name = "suite.mjs", esModule = embed "suite.mjs"),
    (name = "cos-sign.mjs", esModule = embed "node_modules/cos-sign/dist/cos-sign.mjs"),
    (name = "python-sdk.jsonl", text = embed "python-sdk.jsonl"),
  ],
  compatibilityDate = "2026-11-17",
);
