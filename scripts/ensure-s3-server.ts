/** Finds or builds the S3-compatible test server (versitygw) ahead of time and says which one is used. */
import { spawnSync } from 'node:child_process';
import { ensureVersitygw, findVersitygw, versitygw } from '../src/archive/s3-server-binary.js';

const found = findVersitygw();
const binary = found ? found.path : await ensureVersitygw((line) => console.log(line));
const version = spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout.match(/Version\s*:\s*(\S+)/)?.[1];
console.log(`S3 server: ${binary} (${found ? `from ${found.source}` : 'built'}; versitygw ${version ?? `? (wanted ${versitygw.version})`})`);
