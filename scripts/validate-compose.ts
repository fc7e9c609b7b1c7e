/**
 * Validates docker-compose.yml with a real Compose loader (compose-go) and the Dockerfile with
 * BuildKit's parser (both in deploy/compose-validate, built on first use and cached in
 * .tools/bin), then checks the deploy files against the project (src/tools/deploy-checks.ts).
 * Exits 1 with each problem on any.
 *
 *   npx tsx scripts/validate-compose.ts [--build-only] [compose-file] [--env-file FILE]
 *
 * Interpolation reads deploy/.env.example (placeholders for what the file requires) unless
 * --env-file names another; never this shell's environment nor a local .env.
 */
import path from 'node:path';
import { ensureComposeValidator, validateComposeFile, validateDockerfile } from '../src/tools/compose-validator.js';
import { checkDeployFiles } from '../src/tools/deploy-checks.js';
import { projectRoot } from '../src/tools/go-binary.js';

const argv = process.argv.slice(2);
const buildOnly = argv.includes('--build-only');
const envIndex = argv.indexOf('--env-file');
const envFile = envIndex >= 0 ? path.resolve(argv[envIndex + 1] ?? '') : path.join(projectRoot, 'deploy', '.env.example');
const file = path.resolve(argv.find((a, i) => !a.startsWith('--') && i !== envIndex + 1) ?? path.join(projectRoot, 'docker-compose.yml'));

const validator = await ensureComposeValidator((line) => console.log(line));
console.log(`Compose validator: ${validator.path} (${validator.source})`);
if (buildOnly) process.exit(0);

const result = validateComposeFile(validator.path, file, { envFiles: [envFile] });
if (!result.ok) {
  console.error(result.message);
  process.exit(1);
}
console.log(result.message);
const dockerfile = validateDockerfile(validator.path, path.join(projectRoot, 'Dockerfile'));
if (!dockerfile.ok) {
  console.error(dockerfile.message);
  process.exit(1);
}
console.log(dockerfile.message);
const problems = await checkDeployFiles(projectRoot, result.project!);
for (const p of problems) console.error(p);
if (problems.length > 0) {
  console.error(`${problems.length} problem${problems.length === 1 ? '' : 's'} in the deploy files`);
  process.exit(1);
}
console.log('deploy files: docker-compose.yml, Dockerfile, .dockerignore, the namespace job and the Prometheus and Grafana files agree with the project');
