// The STS stand-in moved to server/cos-sts.mjs (shipped with cos-sign/server); tests import it from here.
export * from '../server/cos-sts.mjs';
