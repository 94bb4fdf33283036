// Where stack/install.sh keeps the stack's programs: stack/lib.sh's rule, with bash's `:-` (an empty
// variable counts as unset).
import { homedir } from 'node:os';
import { join } from 'node:path';

/** `${PINPIPE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pinpipe}` */
export function pinpipeCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PINPIPE_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'pinpipe');
}
