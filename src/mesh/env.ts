/**
 * The mesh's clock, timers and randomness, injected so the same code runs on the wall clock in a
 * node and on virtual time in the simulator (src/sim/) and in unit tests.
 */
export type TimerHandle = unknown

export interface Env {
  now: () => number
  /** Runs `fn` once after `ms`; the handle goes to clearTimeout. Must not keep a process alive. */
  setTimeout: (fn: () => void, ms: number) => TimerHandle
  clearTimeout: (handle: TimerHandle) => void
  /** Uniform in [0, 1). */
  random: () => number
}

/** The real clock: unref'd timers, Math.random. */
export const systemEnv: Env = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms)
    t.unref()
    return t
  },
  clearTimeout: handle => { clearTimeout(handle as ReturnType<typeof setTimeout>) },
  random: () => Math.random()
}

/** Runs `fn` every `ms` on `env` until the returned function is called. */
export function every (env: Env, ms: number, fn: () => void): () => void {
  let handle: TimerHandle
  let stopped = false
  const arm = (): void => {
    handle = env.setTimeout(() => {
      if (stopped) return
      arm()
      fn()
    }, ms)
  }
  arm()
  return () => { stopped = true; env.clearTimeout(handle) }
}

/** Fisher-Yates with the env's randomness. */
export function shuffle<T> (env: Env, list: T[]): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(env.random() * (i + 1))
    const t = list[i] as T
    list[i] = list[j] as T
    list[j] = t
  }
  return list
}
