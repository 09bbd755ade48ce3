/**
 * What the two mesh host workers (gossip-host.ts, overlay-host.ts) share: receipts of broadcasts
 * with their one-way latency, the per-process 'local-done' signal, and the commands
 *   plan {publishers}  -> planned      (publisher of each seq, for 'local-done')
 *   receipts           -> receipts {rows: [[seq, index, latencyUs], ...]}
 *   connect {edges, addrs} -> connected {ok, failed, firstError}: node a dials b for each edge [a, b] hosted here
 */
import { attempts, assertLoopback, reply } from './worker.ts'
import type { Msg } from './proc.ts'

export function meshHost (hosted: Map<number, unknown>, dial: (a: number, addr: string) => Promise<unknown>, concurrency: number): { received: (seq: number, index: number, sentNs: bigint, atNs: bigint) => void, handle: (msg: Msg) => Promise<boolean> } {
  const rows: number[][] = []
  const perSeq = new Map<number, number>()
  let publishers: number[] = []
  return {
    /** `atNs`: taken first thing in the receiver's handler. Tells the driver once every local node but the publisher has `seq`. */
    received (seq, index, sentNs, atNs) {
      rows.push([seq, index, Number(atNs - sentNs) / 1000])
      const c = (perSeq.get(seq) ?? 0) + 1
      perSeq.set(seq, c)
      const pub = publishers[seq]
      if (c === hosted.size - (pub !== undefined && hosted.has(pub) ? 1 : 0)) reply({ type: 'local-done', seq })
    },
    async handle (msg) {
      if (msg.type === 'plan') {
        publishers = msg.publishers as number[]
        perSeq.clear()
        reply({ type: 'planned' })
      } else if (msg.type === 'receipts') {
        reply({ type: 'receipts', rows: rows.splice(0) })
      } else if (msg.type === 'connect') {
        const addrs = msg.addrs as Record<string, string>
        const mine = (msg.edges as Array<[number, number]>).filter(([a]) => hosted.has(a))
        reply({
          type: 'connected',
          ...await attempts(mine.length, concurrency, async (i) => {
            const [a, b] = mine[i] as [number, number]
            const addr = addrs[String(b)]
            if (addr === undefined) throw new Error(`no address for node ${b}`)
            assertLoopback(addr)
            await dial(a, addr)
          })
        })
      } else {
        return false
      }
      return true
    }
  }
}
