// A well-behaved agent for the sandbox specs: picks the highest allowed action below `spec.cap`,
// and counts its decisions (state kept between calls, as a real strategy keeps its history).
let cap = 1;
let calls = 0;
export default {
  init(spec) {
    cap = spec.cap;
  },
  decide(observation, mask) {
    calls++;
    let best = 0;
    for (let a = 0; a < mask.length && a <= cap; a++) if (mask[a] === 1) best = a;
    return { action: best, info: { calls, sum: observation.reduce((s, x) => s + x, 0) } };
  },
};
