/** The variants of the pairwise figures (throughput, rtt, dial): one worker file each, same commands. */
export const PAIR_VARIANTS = [
  { variant: 'raw-tcp', file: 'raw-tcp.ts' },
  { variant: 'libp2p', file: 'bare-libp2p.ts' },
  { variant: 'overlay', file: 'overlay-pair.ts' }
] as const
