// Once per e2e run, before any test file: one line for each browser engine that is not installed here,
// with the command that installs it. Its browser tests are then skipped (harness.mjs's eachEngine), or,
// with COS_SIGN_REQUIRE_ENGINES=1 (CI), run and fail on that same line.
import { ENGINES, REQUIRE_ENGINES, available } from './engines.mjs';

export default async function setup() {
  for (const engine of ENGINES) {
    const a = await available(engine);
    if (!a.ok)
      console.log(
        `e2e: ${a.message} — its browser tests ${REQUIRE_ENGINES ? 'fail (COS_SIGN_REQUIRE_ENGINES is set)' : 'are skipped'}`,
      );
  }
}
