/**
 * docker-compose.yml and the Dockerfile, checked without a Docker engine: the real Compose loader
 * (compose-go, built from deploy/compose-validate; the test fails if it cannot be built) on the
 * real file and on broken copies, then the project's own checks (src/tools/deploy-checks.ts).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureComposeValidator, validateComposeFile, validateDockerfile, type ComposeProject } from '../../src/tools/compose-validator.js';
import {
  checkComposeProject,
  checkDeployFiles,
  checkDockerfile,
  checkMonitoring,
  checkNamespaceScript,
  deployContext,
  durationSeconds,
  type DeployContext,
} from '../../src/tools/deploy-checks.js';
import { projectRoot } from '../../src/tools/go-binary.js';

const composeFile = path.join(projectRoot, 'docker-compose.yml');
const envExample = path.join(projectRoot, 'deploy', '.env.example');
const compose = readFileSync(composeFile, 'utf8');
const dockerfile = readFileSync(path.join(projectRoot, 'Dockerfile'), 'utf8');
const dockerignore = readFileSync(path.join(projectRoot, '.dockerignore'), 'utf8');
const dir = mkdtempSync(path.join(tmpdir(), 'compose-'));

let validator: string;
let project: ComposeProject;
let ctx: DeployContext;

beforeAll(async () => {
  validator = (await ensureComposeValidator((line) => process.stderr.write(`[compose-validate] ${line}\n`))).path;
  const result = validateComposeFile(validator, composeFile, { envFiles: [envExample] });
  if (!result.ok) throw new Error(result.message);
  project = result.project!;
  ctx = await deployContext(projectRoot);
}, 300_000);

/** A copy of docker-compose.yml with one textual change, validated. */
function validateEdited(from: string | RegExp, to: string, envFiles = [envExample]) {
  const edited = compose.replace(from, to);
  expect(edited, `the edit ${String(from)} must apply`).not.toBe(compose);
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, edited);
  return validateComposeFile(validator, file, { envFiles });
}

const clone = (): ComposeProject => structuredClone(project);

describe('docker-compose.yml through the Compose loader', () => {
  it('the real file loads: every service, the worker replicas, the shared archive volume', () => {
    expect(Object.keys(project.services).sort()).toEqual(
      ['grafana', 'postgresql', 'prometheus', 'reports-relay', 'reports-sync', 'reports-worker', 'temporal', 'temporal-admin-tools', 'temporal-create-namespace', 'temporal-ui'],
    );
    const worker = project.services['reports-worker']!;
    expect(worker.deploy?.replicas).toBe(2);
    expect(worker.volumes).toContainEqual(expect.objectContaining({ type: 'volume', source: 'reports-archive', target: '/archive' }));
    expect(worker.environment?.STRIPE_SECRET_KEY).toBe('sk_test_replace_me');
    expect(project.services['reports-relay']!.ports).toContainEqual(expect.objectContaining({ target: 8787, published: '8787' }));
    // Monitoring on localhost only; the health ports are reachable on the compose network, never published.
    expect(project.services['prometheus']!.ports).toEqual([expect.objectContaining({ target: 9090, published: '9090', host_ip: '127.0.0.1' })]);
    expect(project.services['grafana']!.ports).toEqual([expect.objectContaining({ target: 3000, published: '3000', host_ip: '127.0.0.1' })]);
    expect(worker.environment?.REPORTS_HEALTH_HOST).toBe('0.0.0.0');
    expect(worker.ports ?? []).toEqual([]);
  });

  it('fails without the required variables, naming them', () => {
    const result = validateComposeFile(validator, composeFile, { envFiles: [] });
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/required variable STRIPE_SECRET_KEY is missing a value: set STRIPE_SECRET_KEY/);
    expect(result.message).toMatch(/required variable STRIPE_WEBHOOK_SECRETS is missing a value/);
  });

  it('fails on a misspelt depends_on condition, naming the service and the allowed values', () => {
    const result = validateEdited('condition: service_completed_successfully', 'condition: service_completed');
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/depends_on\.temporal-admin-tools\.condition value must be one of .*service_completed_successfully/);
  });

  it('fails on depends_on naming a service that does not exist', () => {
    const result = validateEdited(/(reports-sync:[\s\S]*?depends_on:\n\s+)temporal-create-namespace:/, '$1temporal-create-namespaces:');
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/reports-sync.*depends on undefined service "?temporal-create-namespaces"?/);
  });

  it('fails on a key Compose does not know', () => {
    const result = validateEdited('stop_grace_period: 100s', 'stop_grace_periods: 100s');
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/services.reports-worker.stop_grace_periods: unknown key/);
  });

  it('fails on an undeclared named volume', () => {
    const result = validateEdited('- reports-archive:/archive', '- reports-archiv:/archive');
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/reports-worker.*undefined volume "?reports-archiv"?/);
  });
});

describe('the Dockerfile through BuildKit\'s parser', () => {
  it('the real Dockerfile parses and passes the build checks', () => {
    expect(validateDockerfile(validator, path.join(projectRoot, 'Dockerfile'))).toEqual({ ok: true, message: expect.stringMatching(/^ok: .*Dockerfile: 1 stage/) });
  });

  it('a broken copy fails, naming the line and the problem', () => {
    const unknown = path.join(dir, 'Dockerfile.unknown');
    writeFileSync(unknown, dockerfile.replace(/^WORKDIR /m, 'WORKDIRR '));
    expect(validateDockerfile(validator, unknown)).toEqual({ ok: false, message: expect.stringMatching(/parse error on line \d+: unknown instruction: WORKDIRR/) });
    const casing = path.join(dir, 'Dockerfile.casing');
    writeFileSync(casing, `${dockerfile}\nfrom node:20-bookworm-slim AS extra\n`);
    expect(validateDockerfile(validator, casing)).toEqual({ ok: false, message: expect.stringMatching(/Dockerfile\.casing:\d+: FromAsCasing/) });
  });
});

describe('the deploy files against the project', () => {
  it('the real files pass every check', async () => {
    expect(await checkDeployFiles(projectRoot, project)).toEqual([]);
  });

  it('names a lone worker, a short grace period, a missing archive volume and a webhook-less worker', () => {
    const p = clone();
    const w = p.services['reports-worker']!;
    w.deploy = { replicas: 1 };
    w.stop_grace_period = '10s';
    w.volumes = [];
    w.environment = { ...w.environment, REPORTS_WEBHOOKS: null };
    const problems = checkComposeProject(p, ctx).join('\n');
    expect(problems).toMatch(/reports-worker: deploy.replicas is 1: run at least 2 workers/);
    expect(problems).toMatch(/reports-worker: stop_grace_period 10s is shorter than the worker's 90 s shutdown on SIGTERM/);
    expect(problems).toMatch(/reports-worker: no named volume is mounted at REPORTS_ARCHIVE_DIR \(\/archive\)/);
    expect(problems).toMatch(/reports-worker: set REPORTS_WEBHOOKS=true/);
  });

  it('names an unpinned image, a service_started wait, a healthcheck on the wrong port, an unknown subcommand and a relay holding the key', () => {
    const p = clone();
    p.services['temporal-ui']!.image = 'temporalio/ui';
    p.services['postgresql']!.image = 'postgres:latest';
    p.services['reports-sync']!.depends_on = { temporal: { condition: 'service_started' } };
    p.services['reports-relay']!.healthcheck = { test: ['CMD', 'node', '-e', "fetch('http://127.0.0.1:9464/healthz')"] };
    p.services['reports-sync']!.command = ['npx', 'reports', 'synch'];
    p.services['reports-relay']!.environment = { ...p.services['reports-relay']!.environment, STRIPE_SECRET_KEY: 'sk_test_x' };
    const problems = checkComposeProject(p, ctx).join('\n');
    expect(problems).toMatch(/temporal-ui: image temporalio\/ui is not pinned/);
    expect(problems).toMatch(/postgresql: image postgres:latest is not pinned/);
    expect(problems).toMatch(/reports-sync: depends_on.temporal waits for service_started/);
    expect(problems).toMatch(/reports-relay: healthcheck .* does not call \/healthz on REPORTS_HEALTH_PORT 9465/);
    expect(problems).toMatch(/reports-sync: runs `reports synch`, which src\/cli.ts does not define/);
    expect(problems).toMatch(/reports-relay: the relay only verifies and forwards events: leave STRIPE_SECRET_KEY out/);
  });

  it('names a Dockerfile that installs with npm install, runs as root and starts in shell form', () => {
    const broken = dockerfile
      .replace('npm ci --omit=dev', 'npm install')
      .replace(/^USER node$/m, '')
      .replace(/^CMD .*$/m, 'CMD npx reports worker')
      .replace(/^ARG NODE_IMAGE=.*$/m, 'ARG NODE_IMAGE=node:18-bookworm-slim');
    const problems = checkDockerfile(broken, dockerignore, ctx).join('\n');
    expect(problems).toMatch(/installs with "npm install[^"]*": use npm ci/);
    expect(problems).toMatch(/non-root USER/);
    expect(problems).toMatch(/use the exec form \["npx", "reports", "worker"\]/);
    expect(problems).toMatch(/base image node:18-bookworm-slim is older than package.json's engines/);
    expect(checkDockerfile(dockerfile, 'node_modules\n', ctx).join('\n')).toMatch(/\.dockerignore: add \.git/);
  });

  it('names a Dockerfile that does not compile dist/, compiles it before the source is copied, or as the unprivileged user', () => {
    const build = /^RUN npm run build\n/m;
    expect(dockerfile).toMatch(build);
    expect(checkDockerfile(dockerfile, dockerignore, ctx)).toEqual([]);
    expect(checkDockerfile(dockerfile.replace(build, ''), dockerignore, ctx).join('\n')).toMatch(/no RUN npm run build: bin\/reports.js runs the compiled dist\//);
    const early = dockerfile.replace(build, '').replace(/^COPY bin /m, 'RUN npm run build\nCOPY bin ');
    expect(checkDockerfile(early, dockerignore, ctx).join('\n')).toMatch(/npm run build comes before COPY src/);
    const late = dockerfile.replace(build, '').replace(/^CMD /m, 'RUN npm run build\nCMD ');
    expect(checkDockerfile(late, dockerignore, ctx).join('\n')).toMatch(/npm run build comes after USER/);
  });

  it('names monitoring that cannot see the workers: loopback health host, one static target for two replicas, wrong port, missing files and mounts', () => {
    const p = clone();
    const relay = p.services['reports-relay']!;
    relay.environment = { ...relay.environment, REPORTS_HEALTH_HOST: '127.0.0.1' };
    p.services['grafana']!.volumes = p.services['grafana']!.volumes!.filter((v) => !v.source?.endsWith('provisioning'));
    const files = (edit: (file: string, text: string) => string | undefined) => (file: string) => {
      const full = path.join(projectRoot, file);
      return existsSync(full) ? edit(file, readFileSync(full, 'utf8')) : undefined;
    };
    const staticWorkers = files((file, text) =>
      file === 'deploy/prometheus/prometheus.yml'
        ? text.replace(/dns_sd_configs:\n\s+- names: \[reports-worker\]\n\s+type: A\n\s+port: 9464\n\s+refresh_interval: 30s/, 'static_configs:\n      - targets: ["reports-worker:9464"]').replace('reports-relay:9465', 'reports-relay:9464')
        : file === 'deploy/grafana/dashboards/reports.json'
          ? undefined
          : text,
    );
    const problems = checkMonitoring(p, ctx, staticWorkers).join('\n');
    expect(problems).toMatch(/reports-relay: REPORTS_HEALTH_HOST=127.0.0.1: Prometheus cannot scrape \/metrics/);
    expect(problems).toMatch(/job reports-worker scrapes reports-worker:9464, which reaches one of its 2 replicas at random: use dns_sd_configs/);
    expect(problems).toMatch(/no scrape job reads reports-relay's \/metrics/);
    expect(problems).toMatch(/deploy\/grafana\/dashboards\/reports.json: missing/);
    expect(problems).toMatch(/services.grafana: mount .\/deploy\/grafana\/provisioning at \/etc\/grafana\/provisioning/);

    const srv = checkMonitoring(clone(), ctx, files((file, text) => (file === 'deploy/prometheus/prometheus.yml' ? text.replace('type: A', 'type: SRV').replace('rule_files:\n  - alerts.yml', 'rule_files:\n  - alert.yml') : text)));
    expect(srv).toEqual([
      'deploy/prometheus/prometheus.yml: rule_files names alert.yml, which is not in deploy/prometheus',
      "deploy/prometheus/prometheus.yml: job reports-worker looks reports-worker up as SRV: Docker's DNS answers A records, set type: A",
    ]);
    const noPrometheus = clone();
    delete noPrometheus.services['prometheus'];
    expect(checkMonitoring(noPrometheus, ctx, files((_, t) => t)).join('\n')).toMatch(/no prom\/prometheus service/);
  });

  it('names a search attribute the namespace job forgets', () => {
    const script = readFileSync(path.join(projectRoot, 'deploy', 'temporal', 'create-namespace.sh'), 'utf8');
    const problems = checkNamespaceScript(script.replace(' ReportTarget:Keyword', ''), ctx);
    expect(problems).toEqual(['deploy/temporal/create-namespace.sh: SEARCH_ATTRIBUTES lacks ReportTarget (KEYWORD), which the workflows set']);
  });

  it('reads Go durations as compose-go prints them', () => {
    expect(durationSeconds('1m15s')).toBe(75);
    expect(durationSeconds('1h0m0s')).toBe(3600);
    expect(durationSeconds(undefined)).toBe(0);
  });
});
