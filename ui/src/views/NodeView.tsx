import { useEffect, useState } from 'react'
import { api } from '../lib/api.ts'
import { useStore } from '../lib/use-store.ts'
import type { Session } from '../lib/types.ts'
import type { StatSample } from '../lib/store.ts'

export function NodeView () {
  const store = useStore('node', 'stats', 'topology')
  const node = store.node
  const [sessions, setSessions] = useState<Session[]>([])
  useEffect(() => {
    const ac = new AbortController()
    api.sessions(ac.signal).then(setSessions, () => {})
    return () => { ac.abort() }
  }, [store, store.topologyHint, store.connection])

  if (node === null) return <p>Waiting for the node…</p>
  const last = store.stats.at(-1)
  return (
    <section className="node" aria-label="Node">
      <dl className="facts">
        <dt>Name</dt><dd data-testid="node-name">{node.name}</dd>
        <dt>Mode</dt><dd>{node.mode}</dd>
        <dt>Peer id</dt><dd className="mono break">{node.peerId} <CopyButton text={node.peerId} label="Copy peer id" /></dd>
        <dt>Version</dt><dd>{node.version}</dd>
        <dt>Started</dt><dd>{new Date(node.startedAt).toLocaleString()}</dd>
      </dl>
      <h2>Addresses</h2>
      <ul className="addrs">
        {node.addrs.map(a => <li key={a}><code className="break">{a}</code> <CopyButton text={a} label={`Copy address ${a}`} /></li>)}
      </ul>
      <h2>Join this node</h2>
      <p>Run this on another machine or terminal to start a node that joins this one:</p>
      <div className="join"><code className="break" data-testid="join-command">{node.joinCommand}</code> <CopyButton text={node.joinCommand} label="Copy join command" /></div>
      <div className="charts">
        <Chart title="Messages delivered per second" unit="/s" samples={store.stats} pick={s => s.delivered} value={last?.delivered} />
        <Chart title="Frames relayed per second" unit="/s" samples={store.stats} pick={s => s.relayed} value={last?.relayed} />
        <Chart title="Sessions" unit="" samples={store.stats} pick={s => s.sessions} value={last?.sessions} />
      </div>
      <h2>Sessions ({sessions.length})</h2>
      <ul className="sessions">
        {sessions.map(s => <li key={s.peerId}><strong>{s.name}</strong> {s.mode}, {s.wire}, {s.encryption}, {s.remoteAddr}</li>)}
      </ul>
    </section>
  )
}

function CopyButton ({ text, label }: { text: string, label: string }) {
  const [done, setDone] = useState(false)
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(text)
    } catch {
      // Without clipboard permission: select a copy and use the older command.
      const ta = document.createElement('textarea')
      ta.value = text
      document.body.append(ta)
      ta.select()
      document.execCommand('copy')
      ta.remove()
    }
    setDone(true)
    setTimeout(() => { setDone(false) }, 1500)
  }
  return <button type="button" className="copy" aria-label={label} onClick={() => { void copy() }}>{done ? 'Copied' : 'Copy'}</button>
}

const W = 240
const H = 60

function Chart ({ title, unit, samples, pick, value }: { title: string, unit: string, samples: StatSample[], pick: (s: StatSample) => number, value: number | undefined }) {
  const ys = samples.map(pick)
  const max = Math.max(1, ...ys)
  const pts = ys.map((y, i) => `${(i / Math.max(1, ys.length - 1)) * W},${H - (y / max) * (H - 4) - 2}`).join(' ')
  const shown = value === undefined ? '—' : `${Number.isInteger(value) || value >= 10 ? Math.round(value) : value.toFixed(1)}${unit}`
  return (
    <figure className="chart">
      <figcaption>{title}: <strong>{shown}</strong></figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" height={H} role="img" aria-label={`${title}, last minute, now ${shown}, peak ${Math.round(max)}`} preserveAspectRatio="none">
        <polyline points={pts} fill="none" stroke="currentColor" strokeWidth="2" vectorEffect="non-scaling-stroke" />
      </svg>
    </figure>
  )
}
