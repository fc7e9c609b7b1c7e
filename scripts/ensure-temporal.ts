/** Finds, downloads or builds the Temporal CLI ahead of time and says which one is used (CI, first setup). */
import { locateTemporalCli } from '../src/temporal/cli-binary.js';

const started = Date.now();
const cli = await locateTemporalCli({ log: (line) => console.log(line) });
console.log(
  cli
    ? `Temporal CLI: ${cli.path} (from ${cli.source}, ${((Date.now() - started) / 1000).toFixed(1)} s)`
    : 'No Temporal CLI, no download and no Go: the SDK will download the dev server on first use.',
);
