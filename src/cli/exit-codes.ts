/** Exit codes of the CLI, one per outcome a script may want to tell apart (README lists them). */
export const ExitCode = {
  ok: 0,
  /** The node failed: no hub reached, an unusable identity, a locked data dir, a listen error. */
  failed: 1,
  /** Bad usage: an unknown flag, a bad value, a leaf without --bootstrap or token. */
  usage: 2,
  /** The hub (or bootstrap peer) refused the token. */
  badToken: 3,
  /** The hub refuses this peer for a while, after an earlier wrong token. */
  banned: 4,
  /** The name is taken in the mesh. */
  nameTaken: 5,
  /** A second Ctrl-C or signal forced the exit. */
  forced: 130
} as const

export function exitCodeFor (fatalCode: string): number {
  switch (fatalCode) {
    case 'bad_token': return ExitCode.badToken
    case 'banned': return ExitCode.banned
    case 'name_taken': return ExitCode.nameTaken
    default: return ExitCode.failed
  }
}
