/**
 * What the Compose loader cannot know about this project, checked on the resolved
 * docker-compose.yml (see compose-validator.ts) and on the Dockerfile: that the images are
 * pinned, that every wait is a healthcheck or a finished job, that the project's services run
 * real `reports` subcommands and answer /healthz where their healthcheck asks, that the workers
 * share one archive volume and get time to drain, that the image installs and starts the way
 * the README and package.json say, and that Prometheus scrapes every worker replica and the relay
 * where they serve /metrics and Grafana gets its provisioning. Each problem is one line naming the
 * file, the place and the fix.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ComposeProject, ComposeService } from './compose-validator.js';

export interface DeployContext {
  /** The repository's top folder. */
  root: string;
  /** `reports` subcommands the CLI defines (from src/cli.ts). */
  cliCommands: Set<string>;
  /** package.json `bin`. */
  bins: Record<string, string>;
  /** package.json `engines.node`, e.g. `>=20.18.1`. */
  nodeEngine: string;
  /** The search attributes the workflows set: name and type (KEYWORD, DATETIME…). */
  searchAttributes: { name: string; type: string }[];
}

/** Worker default health port and relay default health port (README "Environment"). */
const DEFAULT_HEALTH_PORT: Record<string, number> = { worker: 9464, relay: 9465 };
const LONG_RUNNING = new Set(['worker', 'relay']);
/** The worker's drain on SIGTERM: REPORTS_SHUTDOWN_GRACE_SECONDS (default 30), then the SDK forces the rest within 30 s. */
const DEFAULT_SHUTDOWN_GRACE_SECONDS = 30;
const FORCED_SHUTDOWN_SECONDS = 30;

export function cliCommandsFrom(cliSource: string): Set<string> {
  return new Set([...cliSource.matchAll(/\.command\(\s*['"`]([\w-]+)/g)].map((m) => m[1]!));
}

/** Seconds in a Go duration as compose-go prints it (`1m15s`, `90s`, `1h`). */
export function durationSeconds(duration: string | undefined): number {
  if (!duration) return 0;
  const unit: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, µs: 1e-6, ns: 1e-9 };
  let total = 0;
  for (const m of duration.matchAll(/(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/g)) total += Number(m[1]) * unit[m[2]!]!;
  return total;
}

/** `npx reports <sub> …` → sub; undefined for anything else. */
function reportsSubcommand(service: ComposeService, bins: Record<string, string>): string | undefined {
  const cmd = service.command ?? [];
  return cmd[0] === 'npx' && cmd[1] !== undefined && cmd[1] in bins ? cmd[2] : undefined;
}

function usesProjectImage(service: ComposeService): boolean {
  return service.build !== undefined;
}

export function checkComposeProject(project: ComposeProject, ctx: DeployContext): string[] {
  const problems: string[] = [];
  const at = (name: string, what: string) => problems.push(`docker-compose.yml: services.${name}: ${what}`);
  const services = project.services;
  const workers: string[] = [];
  let relays = 0;

  for (const [name, s] of Object.entries(services)) {
    // Pinned images: a tag other than latest, or a digest. The project's own image is built here.
    if (!usesProjectImage(s)) {
      const image = s.image ?? '';
      const tag = image.includes('@') ? 'digest' : image.split('/').pop()!.split(':')[1];
      if (!tag || tag === 'latest') at(name, `image ${image || '(none)'} is not pinned: give it a version tag (e.g. postgres:16)`);
    }

    // Waits: a healthcheck or a finished job, never "started" (which races) and never a sleep.
    for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
      const target = services[dep];
      if (condition !== 'service_healthy' && condition !== 'service_completed_successfully') {
        at(name, `depends_on.${dep} waits for ${condition}: use service_healthy (a healthcheck) or service_completed_successfully (a one-shot job)`);
      } else if (condition === 'service_healthy' && (!target?.healthcheck?.test || target.healthcheck.disable)) {
        at(name, `depends_on.${dep} waits for service_healthy but ${dep} has no healthcheck`);
      } else if (condition === 'service_completed_successfully' && (target?.restart === 'always' || target?.restart === 'unless-stopped')) {
        at(name, `depends_on.${dep} waits for service_completed_successfully but ${dep} restarts ${target.restart}: a job restarts at most on-failure`);
      }
    }

    for (const v of s.volumes ?? []) {
      if (v.type === 'bind' && v.source && !existsSync(v.source)) at(name, `bind mount ${v.source} does not exist`);
    }

    if (!usesProjectImage(s)) continue;

    // The project's image: built from this repository's Dockerfile, running a real subcommand.
    const context = s.build!.context;
    const dockerfile = path.resolve(context, s.build!.dockerfile ?? 'Dockerfile');
    if (path.resolve(context) !== path.resolve(ctx.root)) at(name, `build.context ${context} is not the repository's top folder`);
    if (!existsSync(dockerfile)) at(name, `build.dockerfile ${dockerfile} does not exist`);
    const sub = reportsSubcommand(s, ctx.bins);
    if (!sub) {
      at(name, `command ${JSON.stringify(s.command)} is not \`npx ${Object.keys(ctx.bins)[0] ?? 'reports'} <subcommand>\``);
      continue;
    }
    if (!ctx.cliCommands.has(sub)) at(name, `runs \`reports ${sub}\`, which src/cli.ts does not define (it has: ${[...ctx.cliCommands].sort().join(', ')})`);
    if (!s.init) at(name, 'set init: true so SIGTERM reaches node through npx and exited children are reaped');
    const env = s.environment ?? {};
    if (!env.TEMPORAL_ADDRESS) at(name, 'environment.TEMPORAL_ADDRESS is not set');
    if (env.REPORTS_SCHEDULES_DIR && env.REPORTS_SCHEDULES_DIR !== dockerfileSchedulesDir(ctx.root)) {
      at(name, `environment.REPORTS_SCHEDULES_DIR=${env.REPORTS_SCHEDULES_DIR}, but the Dockerfile puts schedules/ at ${dockerfileSchedulesDir(ctx.root)}`);
    }

    if (LONG_RUNNING.has(sub)) {
      // Health: the container's healthcheck asks the port the process serves /healthz on.
      const port = Number(env.REPORTS_HEALTH_PORT ?? DEFAULT_HEALTH_PORT[sub]);
      const host = env.REPORTS_HEALTH_HOST ?? '127.0.0.1';
      const test = (s.healthcheck?.test ?? []).join(' ');
      if (!test) at(name, `has no healthcheck: call http://127.0.0.1:${port}/healthz inside the container`);
      else if (!test.includes(`:${port}/healthz`)) at(name, `healthcheck (${test}) does not call /healthz on REPORTS_HEALTH_PORT ${port}`);
      if (host !== '127.0.0.1' && host !== '0.0.0.0' && host !== 'localhost') at(name, `REPORTS_HEALTH_HOST=${host}: the healthcheck calls loopback inside the container`);
      if (s.restart === 'no' || !s.restart) at(name, 'a long-running process should restart: set restart: unless-stopped');
    }

    if (sub === 'worker') {
      workers.push(name);
      if ((s.deploy?.replicas ?? 1) < 2) at(name, `deploy.replicas is ${s.deploy?.replicas ?? 1}: run at least 2 workers`);
      if (s.container_name) at(name, 'container_name prevents more than one replica: remove it');
      const drain = Number(env.REPORTS_SHUTDOWN_GRACE_SECONDS ?? DEFAULT_SHUTDOWN_GRACE_SECONDS) + FORCED_SHUTDOWN_SECONDS;
      if (durationSeconds(s.stop_grace_period) < drain) {
        at(name, `stop_grace_period ${s.stop_grace_period ?? '10s (default)'} is shorter than the worker's ${drain} s shutdown on SIGTERM (REPORTS_SHUTDOWN_GRACE_SECONDS + ${FORCED_SHUTDOWN_SECONDS} s forced): SIGKILL would cut in-flight activities`);
      }
      const archive = env.REPORTS_ARCHIVE_DIR;
      if (!archive) at(name, 'environment.REPORTS_ARCHIVE_DIR is not set');
      else if (!(s.volumes ?? []).some((v) => v.type === 'volume' && v.target === archive)) {
        at(name, `no named volume is mounted at REPORTS_ARCHIVE_DIR (${archive}): every worker must see the same archive`);
      }
      if (Object.values(services).some((o) => reportsSubcommand(o, ctx.bins) === 'relay') && env.REPORTS_WEBHOOKS !== 'true') {
        at(name, 'set REPORTS_WEBHOOKS=true: the relay forwards events the workers must subscribe to');
      }
    }

    if (sub === 'relay') {
      relays += 1;
      const relayPort = Number(env.REPORTS_RELAY_PORT ?? 8787);
      if (env.REPORTS_RELAY_HOST !== '0.0.0.0') at(name, 'set REPORTS_RELAY_HOST=0.0.0.0: the relay must listen beyond the container loopback');
      if (!(s.ports ?? []).some((p) => p.target === relayPort)) at(name, `publishes no port for the relay's REPORTS_RELAY_PORT ${relayPort}`);
      if (!('STRIPE_WEBHOOK_SECRETS' in env)) at(name, 'environment.STRIPE_WEBHOOK_SECRETS is not set');
      if ('STRIPE_SECRET_KEY' in env) at(name, 'the relay only verifies and forwards events: leave STRIPE_SECRET_KEY out of its environment');
    }
  }

  if (workers.length === 0) problems.push('docker-compose.yml: no service runs `npx reports worker`');
  if (relays === 0) problems.push('docker-compose.yml: no service runs `npx reports relay`');

  // Every worker mounts the same archive volume.
  const archiveSources = new Set(
    workers.map((w) => services[w]!.volumes?.find((v) => v.target === services[w]!.environment?.REPORTS_ARCHIVE_DIR)?.source),
  );
  if (archiveSources.size > 1) problems.push(`docker-compose.yml: workers mount different archive volumes (${[...archiveSources].join(', ')})`);

  // One namespace and task queue for every project process.
  for (const key of ['TEMPORAL_NAMESPACE', 'TEMPORAL_TASK_QUEUE', 'TEMPORAL_ADDRESS']) {
    const values = new Set(Object.values(services).filter(usesProjectImage).map((s) => s.environment?.[key]));
    if (values.size > 1) problems.push(`docker-compose.yml: project services disagree on ${key} (${[...values].join(', ')})`);
  }
  return problems;
}

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Dockerfile instructions, with continuation lines joined and comments dropped. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      i += 1;
      const next = lines[i]!;
      if (/^\s*#/.test(next)) continue;
      line = line.replace(/\\\s*$/, ' ') + next.trim();
    }
    const m = line.trim().match(/^(\w+)\s+([\s\S]*)$/);
    if (m) out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start + 1 });
  }
  return out;
}

function dockerfileSchedulesDir(root: string): string | undefined {
  const file = path.join(root, 'Dockerfile');
  if (!existsSync(file)) return undefined;
  const ins = parseDockerfile(readFileSync(file, 'utf8'));
  const workdir = ins.filter((i) => i.keyword === 'WORKDIR').pop()?.args ?? '/';
  const copy = ins.find((i) => i.keyword === 'COPY' && /^schedules\/?\s/.test(i.args));
  return copy ? path.posix.resolve(workdir, copy.args.split(/\s+/).pop()!) : undefined;
}

/** Names in .dockerignore (plain names and folder patterns; enough for this project's list). */
export function dockerignored(ignoreText: string): Set<string> {
  return new Set(
    ignoreText
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#') && !l.startsWith('!'))
      .map((l) => l.replace(/^\/+|\/+$/g, '')),
  );
}

export function checkDockerfile(text: string, ignoreText: string, ctx: DeployContext): string[] {
  const problems: string[] = [];
  const at = (line: number | undefined, what: string) => problems.push(`Dockerfile${line ? `:${line}` : ''}: ${what}`);
  const ins = parseDockerfile(text);
  const ignored = dockerignored(ignoreText);

  // Base image: node, of the major version package.json's engines asks for.
  const args = new Map<string, string>();
  for (const i of ins.filter((x) => x.keyword === 'ARG')) {
    const [k, v] = i.args.split('=');
    if (v !== undefined) args.set(k!.trim(), v.trim());
  }
  const from = ins.find((i) => i.keyword === 'FROM');
  if (!from) at(undefined, 'no FROM');
  else {
    const image = from.args.split(/\s+/)[0]!.replace(/\$\{?(\w+)\}?/g, (_, k: string) => args.get(k) ?? '');
    const wantMajor = Number(ctx.nodeEngine.match(/(\d+)/)?.[1]);
    const m = image.match(/^(?:docker\.io\/(?:library\/)?)?node:(\d+)(\S*)$/);
    if (!m) at(from.line, `base image ${image} is not node:<version> (package.json engines: node ${ctx.nodeEngine})`);
    else {
      if (Number(m[1]) < wantMajor) at(from.line, `base image ${image} is older than package.json's engines (node ${ctx.nodeEngine})`);
      if (!/slim/.test(m[2]!)) at(from.line, `base image ${image}: use a -bookworm-slim variant`);
    }
  }

  // Install: the lockfile install (`npm ci`, as .ci/run and the README's CI do) after copying the lockfile.
  const install = ins.find((i) => i.keyword === 'RUN' && /\bnpm\s+(ci|install|i)\b/.test(i.args));
  const lockCopy = ins.find((i) => i.keyword === 'COPY' && /\bpackage-lock\.json\b/.test(i.args));
  if (!install) at(undefined, 'no RUN npm ci: the image must install the dependencies');
  else {
    if (!/\bnpm\s+ci\b/.test(install.args)) at(install.line, `installs with "${install.args}": use npm ci (the lockfile install)`);
    if (!lockCopy || lockCopy.line > install.line) at(install.line, 'copy package.json and package-lock.json before npm ci');
  }

  // Everything COPYed exists and is not .dockerignored; bin/ and src/ are there for `npx reports`.
  const copied = new Set<string>();
  for (const c of ins.filter((i) => i.keyword === 'COPY')) {
    const parts = c.args.split(/\s+/).filter((p) => !p.startsWith('--'));
    for (const src of parts.slice(0, -1)) {
      const name = src.replace(/^\.\/|\/$/g, '');
      copied.add(name);
      if (!existsSync(path.join(ctx.root, name))) at(c.line, `COPY ${src}: no such file in the repository`);
      if (ignored.has(name)) at(c.line, `COPY ${src}: .dockerignore excludes it`);
    }
  }
  for (const [bin, file] of Object.entries(ctx.bins)) {
    const top = path.normalize(file).split(path.sep)[0]!;
    if (!copied.has(top) && !copied.has('.')) at(undefined, `package.json bin ${bin} (${file}) is not copied into the image`);
  }
  if (!copied.has('src') && !copied.has('.')) at(undefined, 'src/ is not copied into the image');
  // bin/reports.js runs dist/: compiled in the image, after the source, while /app is writable.
  const srcCopy = ins.find((i) => i.keyword === 'COPY' && /(^|\s)(\.\/)?src\/?\s/.test(i.args));
  const build = ins.find((i) => i.keyword === 'RUN' && /\bnpm\s+run\s+build\b|\bscripts\/build\.mjs\b/.test(i.args));
  const runAs = ins.find((i) => i.keyword === 'USER');
  if (!build) at(undefined, 'no RUN npm run build: bin/reports.js runs the compiled dist/');
  else if (srcCopy && build.line < srcCopy.line) at(build.line, 'npm run build comes before COPY src');
  else if (runAs && runAs.line < build.line) at(build.line, 'npm run build comes after USER: the build writes /app/dist');
  for (const must of ['node_modules', '.git', '.data', '.tools', 'archive', '.env']) {
    if (!ignored.has(must)) problems.push(`.dockerignore: add ${must}`);
  }

  // Non-root, before the command runs.
  const user = ins.filter((i) => i.keyword === 'USER').pop();
  const cmd = ins.filter((i) => i.keyword === 'CMD').pop();
  if (!user || /^(root|0)(:|$)/.test(user.args)) at(user?.line, 'the processes must run as a non-root USER (node)');
  else if (cmd && user.line > cmd.line) at(user.line, 'USER comes after CMD');

  // Start: `npx reports worker`, in exec form, with a bin package.json defines and a real subcommand.
  if (!cmd) at(undefined, 'no CMD: the default is `npx reports worker`');
  else {
    let argv: unknown;
    try {
      argv = JSON.parse(cmd.args);
    } catch {
      argv = undefined;
    }
    if (!Array.isArray(argv)) at(cmd.line, `CMD ${cmd.args}: use the exec form ["npx", "reports", "worker"] so SIGTERM reaches the process`);
    else {
      const [npx, bin, sub] = argv as string[];
      if (npx !== 'npx' || !bin || !(bin in ctx.bins)) at(cmd.line, `CMD ${cmd.args} does not run a package.json bin (${Object.keys(ctx.bins).join(', ')}) through npx`);
      else if (sub !== 'worker') at(cmd.line, `CMD runs \`${bin} ${sub}\`: the image's default is the worker`);
      else if (!ctx.cliCommands.has(sub)) at(cmd.line, `CMD runs \`${bin} ${sub}\`, which src/cli.ts does not define`);
    }
  }
  return problems;
}

/** The create-namespace job registers exactly the search attributes the workflows set. */
export function checkNamespaceScript(script: string, ctx: DeployContext): string[] {
  const listed = script.match(/^SEARCH_ATTRIBUTES="([^"]*)"/m)?.[1];
  const where = 'deploy/temporal/create-namespace.sh';
  if (listed === undefined) return [`${where}: no SEARCH_ATTRIBUTES="name:Type …" line`];
  const cliType = (t: string) => t.toLowerCase().replace(/_/g, '');
  const have = new Map(listed.split(/\s+/).filter(Boolean).map((p) => p.split(':') as [string, string]));
  const problems: string[] = [];
  for (const a of ctx.searchAttributes) {
    const t = have.get(a.name);
    if (!t) problems.push(`${where}: SEARCH_ATTRIBUTES lacks ${a.name} (${a.type}), which the workflows set`);
    else if (t.toLowerCase() !== cliType(a.type)) problems.push(`${where}: ${a.name} is registered as ${t}, the workflows set a ${a.type}`);
    have.delete(a.name);
  }
  for (const name of have.keys()) problems.push(`${where}: SEARCH_ATTRIBUTES names ${name}, which no workflow sets`);
  return problems;
}

/** The monitoring files docker-compose.yml mounts into prometheus and grafana. */
export const MONITORING_FILES = [
  'deploy/prometheus/prometheus.yml',
  'deploy/prometheus/alerts.yml',
  'deploy/grafana/provisioning/datasources/prometheus.yml',
  'deploy/grafana/provisioning/dashboards/reports.yml',
  'deploy/grafana/dashboards/reports.json',
] as const;

interface ScrapeConfig {
  job_name?: string;
  metrics_path?: string;
  static_configs?: { targets?: string[] }[];
  dns_sd_configs?: { names?: string[]; type?: string; port?: number }[];
}

function imageIs(service: ComposeService, repository: string): boolean {
  const image = (service.image ?? '').split('@')[0]!.replace(/^docker\.io\//, '');
  return image === repository || image.startsWith(`${repository}:`);
}

/** The bind mount of a repository folder (relative to root), if the service has one. */
function bindOf(service: ComposeService, root: string, folder: string) {
  return (service.volumes ?? []).find((v) => v.type === 'bind' && v.source && path.resolve(v.source) === path.resolve(root, folder));
}

function parsed<T>(text: string | undefined, where: string, problems: string[], parse: (t: string) => unknown): T | undefined {
  if (text === undefined) return undefined;
  try {
    return (parse(text) ?? {}) as T;
  } catch (err) {
    problems.push(`${where}: does not parse: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

/**
 * Prometheus and Grafana in docker-compose.yml: the files exist and are mounted where the
 * containers read them, a scrape job reaches every worker replica (DNS service discovery: a
 * static `reports-worker:9464` would hit one replica at random per scrape) and the relay on
 * their health ports, those listen beyond the container's loopback, the rule files exist, and
 * Grafana's data source is the compose file's Prometheus. `read` gives a repository file's text,
 * undefined when it does not exist.
 */
export function checkMonitoring(project: ComposeProject, ctx: DeployContext, read: (file: string) => string | undefined): string[] {
  const problems: string[] = [];
  const at = (name: string, what: string) => problems.push(`docker-compose.yml: services.${name}: ${what}`);
  for (const file of MONITORING_FILES) if (read(file) === undefined) problems.push(`${file}: missing`);
  const services = Object.entries(project.services);

  const prometheus = services.find(([, s]) => imageIs(s, 'prom/prometheus'));
  if (!prometheus) problems.push('docker-compose.yml: no prom/prometheus service: add one that scrapes the workers and the relay (deploy/prometheus)');
  else {
    const [name, s] = prometheus;
    const configFile = (s.command ?? []).find((a) => a.startsWith('--config.file='))?.split('=')[1] ?? '/etc/prometheus/prometheus.yml';
    const mount = bindOf(s, ctx.root, 'deploy/prometheus');
    if (!mount) at(name, 'does not mount ./deploy/prometheus');
    else if (path.posix.dirname(configFile) !== mount.target) at(name, `mounts ./deploy/prometheus at ${mount.target} but reads --config.file=${configFile}`);
  }

  const where = 'deploy/prometheus/prometheus.yml';
  const config = parsed<{ rule_files?: string[]; scrape_configs?: ScrapeConfig[] }>(read(where), where, problems, parseYaml);
  if (config) {
    for (const rules of config.rule_files ?? []) {
      if (!rules.includes('*') && read(path.posix.join('deploy/prometheus', rules)) === undefined) problems.push(`${where}: rule_files names ${rules}, which is not in deploy/prometheus`);
    }
    const jobs = config.scrape_configs ?? [];
    for (const [name, s] of services) {
      const sub = reportsSubcommand(s, ctx.bins);
      if (!usesProjectImage(s) || !sub || !LONG_RUNNING.has(sub)) continue;
      const env = s.environment ?? {};
      const port = Number(env.REPORTS_HEALTH_PORT ?? DEFAULT_HEALTH_PORT[sub]);
      const host = env.REPORTS_HEALTH_HOST ?? '127.0.0.1';
      if (host !== '0.0.0.0' && host !== '::') at(name, `REPORTS_HEALTH_HOST=${host}: Prometheus cannot scrape /metrics over the compose network; set 0.0.0.0 (the port stays unpublished)`);
      const replicas = s.deploy?.replicas ?? 1;
      const byDns = jobs.find((j) => (j.dns_sd_configs ?? []).some((d) => d.names?.includes(name)));
      const byStatic = jobs.find((j) => (j.static_configs ?? []).some((c) => c.targets?.includes(`${name}:${port}`)));
      const job = byDns ?? byStatic;
      if (!job) {
        problems.push(`${where}: no scrape job reads ${name}'s /metrics: add dns_sd_configs { names: [${name}], type: A, port: ${port} }`);
        continue;
      }
      if (job.metrics_path && job.metrics_path !== '/metrics') problems.push(`${where}: job ${job.job_name} scrapes ${job.metrics_path}; the processes serve /metrics`);
      if (byDns) {
        const sd = byDns.dns_sd_configs!.find((d) => d.names?.includes(name))!;
        if ((sd.type ?? 'SRV') !== 'A') problems.push(`${where}: job ${byDns.job_name} looks ${name} up as ${sd.type ?? 'SRV (the default)'}: Docker's DNS answers A records, set type: A`);
        if (sd.port !== port) problems.push(`${where}: job ${byDns.job_name} scrapes ${name} on port ${sd.port ?? '(none)'}, it serves /metrics on REPORTS_HEALTH_PORT ${port}`);
      } else if (replicas > 1) {
        problems.push(`${where}: job ${byStatic!.job_name} scrapes ${name}:${port}, which reaches one of its ${replicas} replicas at random: use dns_sd_configs { names: [${name}], type: A, port: ${port} }`);
      }
    }
  }

  const grafana = services.find(([, s]) => imageIs(s, 'grafana/grafana'));
  if (!grafana) problems.push('docker-compose.yml: no grafana/grafana service: add one with deploy/grafana');
  else {
    const [name, s] = grafana;
    const provisioning = bindOf(s, ctx.root, 'deploy/grafana/provisioning');
    if (provisioning?.target !== '/etc/grafana/provisioning') at(name, 'mount ./deploy/grafana/provisioning at /etc/grafana/provisioning');
    const providerFile = 'deploy/grafana/provisioning/dashboards/reports.yml';
    const provider = parsed<{ providers?: { options?: { path?: string } }[] }>(read(providerFile), providerFile, problems, parseYaml);
    const dashboardsPath = provider?.providers?.[0]?.options?.path;
    if (provider && bindOf(s, ctx.root, 'deploy/grafana/dashboards')?.target !== dashboardsPath) {
      at(name, `mount ./deploy/grafana/dashboards at ${dashboardsPath ?? '(no options.path)'}, where ${providerFile} reads dashboards`);
    }
    const sourceFile = 'deploy/grafana/provisioning/datasources/prometheus.yml';
    const sources = parsed<{ datasources?: { type?: string; url?: string }[] }>(read(sourceFile), sourceFile, problems, parseYaml);
    const url = sources?.datasources?.find((d) => d.type === 'prometheus')?.url;
    if (sources && prometheus && url !== `http://${prometheus[0]}:9090`) problems.push(`${sourceFile}: the prometheus data source's url is ${url ?? '(none)'}, not http://${prometheus[0]}:9090`);
  }
  parsed(read('deploy/grafana/dashboards/reports.json'), 'deploy/grafana/dashboards/reports.json', problems, JSON.parse);
  return problems;
}

/** Reads the project's own files for the checks' context. */
export async function deployContext(root: string): Promise<DeployContext> {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin?: Record<string, string>; engines?: { node?: string } };
  const { projectSearchAttributes } = await import('../workflows/search-attributes.js');
  return {
    root,
    cliCommands: cliCommandsFrom(readFileSync(path.join(root, 'src', 'cli.ts'), 'utf8')),
    bins: pkg.bin ?? {},
    nodeEngine: pkg.engines?.node ?? '>=20',
    searchAttributes: projectSearchAttributes.map((a) => ({ name: a.name, type: String(a.type) })),
  };
}

/** Every check beyond the Compose loader's, on the repository's files. */
export async function checkDeployFiles(root: string, project: ComposeProject): Promise<string[]> {
  const ctx = await deployContext(root);
  const read = (f: string) => (existsSync(path.join(root, f)) ? readFileSync(path.join(root, f), 'utf8') : '');
  return [
    ...checkComposeProject(project, ctx),
    ...checkDockerfile(read('Dockerfile'), read('.dockerignore'), ctx),
    ...checkNamespaceScript(read('deploy/temporal/create-namespace.sh'), ctx),
    ...checkMonitoring(project, ctx, (f) => (existsSync(path.join(root, f)) ? readFileSync(path.join(root, f), 'utf8') : undefined)),
  ];
}
