// The local COS server moved to server/ (shipped as cos-sign/server); this path stays for the tests, benches
// and branches that import it from here.
export * from '../../server/cos-server.mjs';
