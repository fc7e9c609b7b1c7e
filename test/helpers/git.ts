/** git, for tests that read the project's own history (recorded histories, earlier releases). */
import { execFileSync } from 'node:child_process';

/** `git <args>`'s output lines; fails saying the tests need a git clone. */
export function git(args: string[]): string[] {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n').filter(Boolean);
  } catch (err) {
    throw new Error(`git ${args.join(' ')} failed (${(err as Error).message.split('\n')[0]}); these tests read the project's git history: run them in a full git clone`);
  }
}
