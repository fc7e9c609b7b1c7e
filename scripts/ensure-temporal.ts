/** Finds or builds the Temporal CLI ahead of time and says which one is used (CI, first setup). */
import { ensureTemporalCli, findTemporalCli } from '../src/temporal/cli-binary.js';

const found = findTemporalCli();
if (found) console.log(`Temporal CLI: ${found.path} (from ${found.source})`);
else {
  const built = await ensureTemporalCli((line) => console.log(line));
  console.log(built ? `Temporal CLI: ${built} (built)` : 'No Temporal CLI and no Go: the SDK will download the dev server on first use.');
}
