/* global process */
// An agent whose process dies mid-session (exit code 3) when the first observation value is negative.
export default {
  decide(observation) {
    if (observation[0] < 0) process.exit(3);
    return 1;
  },
};
