import { useEffect, useMemo, useRef, useState } from 'react'
import cytoscape, { type Core, type ElementDefinition } from 'cytoscape'
import { api } from '../lib/api.ts'
import { useStore } from '../lib/use-store.ts'
import type { MemberState, Topology as Topo } from '../lib/types.ts'

const REFETCH_DEBOUNCE_MS = 300
/** cose (force-directed) reads well up to a few hundred nodes; past that a circle is instant. */
const FORCE_LAYOUT_MAX = 150

function cssVar (name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim()
}

export default function Topology () {
  const store = useStore('topology', 'members')
  const [topo, setTopo] = useState<Topo | null>(null)
  const [error, setError] = useState<string | null>(null)
  const box = useRef<HTMLDivElement>(null)
  const cy = useRef<Core | null>(null)
  const nodeKey = useRef('')

  useEffect(() => {
    const ac = new AbortController()
    const t = setTimeout(() => {
      api.topology(ac.signal).then(t => { setTopo(t); setError(null) }, (err: unknown) => { if (!ac.signal.aborted) setError(String(err)) })
    }, topo === null ? 0 : REFETCH_DEBOUNCE_MS)
    return () => { clearTimeout(t); ac.abort() }
  }, [store, store.topologyHint])

  // Member states come live from the event stream, so colours change before the next fetch.
  const stateOf = (peerId: string, fallback: MemberState): MemberState => store.members.get(peerId)?.state ?? fallback

  useEffect(() => {
    if (box.current === null) return
    const c = cytoscape({
      container: box.current,
      minZoom: 0.2,
      maxZoom: 3,
      style: [
        { selector: 'node', style: { label: 'data(name)', color: cssVar('--fg'), 'font-size': 12, 'text-valign': 'bottom', 'text-margin-y': 4, width: 22, height: 22, 'background-color': cssVar('--alive'), 'border-width': 2, 'border-color': cssVar('--bg') } },
        { selector: 'node[state="suspect"]', style: { 'background-color': cssVar('--suspect') } },
        { selector: 'node[state="failed"]', style: { 'background-color': cssVar('--failed') } },
        { selector: 'node[state="left"]', style: { 'background-color': cssVar('--left') } },
        { selector: 'node[mode="hub"]', style: { shape: 'round-rectangle', width: 30, height: 30 } },
        { selector: 'node[?self]', style: { 'border-color': cssVar('--accent'), 'border-width': 4 } },
        { selector: 'edge', style: { width: 2, 'line-color': cssVar('--edge'), 'curve-style': 'straight' } },
        { selector: 'edge[kind="route"]', style: { 'line-style': 'dashed', width: 1 } }
      ]
    })
    cy.current = c
    window.overlayGraph = c
    return () => { c.destroy(); cy.current = null; nodeKey.current = ''; if (window.overlayGraph === c) delete window.overlayGraph }
  }, [])

  useEffect(() => {
    const c = cy.current
    if (c === null || topo === null) return
    const els: ElementDefinition[] = [
      ...topo.nodes.map(n => ({ group: 'nodes' as const, data: { id: n.peerId, name: n.name, state: stateOf(n.peerId, n.state), mode: n.mode, self: n.peerId === topo.self } })),
      ...topo.edges.filter(e => e.from !== e.to).map(e => ({ group: 'edges' as const, data: { id: `${e.kind}:${e.from}:${e.to}`, source: e.from, target: e.to, kind: e.kind } }))
    ]
    const ids = new Set(topo.nodes.map(n => n.peerId))
    const edgeIds = new Set(els.filter(d => d.group === 'edges').map(d => String(d.data.id)))
    const key = [...ids].sort().join(',')
    c.batch(() => {
      c.elements().filter(el => el.isEdge() ? !edgeIds.has(el.id()) : !ids.has(el.id())).remove()
      for (const d of els) {
        if (d.group === 'edges' && (!ids.has(String(d.data.source)) || !ids.has(String(d.data.target)))) continue
        const el = c.getElementById(String(d.data.id))
        if (el.empty()) c.add(d)
        else el.data(d.data)
      }
    })
    if (key !== nodeKey.current) {
      nodeKey.current = key
      c.layout(ids.size <= FORCE_LAYOUT_MAX ? { name: 'cose', animate: false, randomize: true, nodeRepulsion: () => 8000, idealEdgeLength: () => 80 } : { name: 'circle', animate: false }).run()
      c.fit(undefined, 30)
      // A handful of nodes would fill the screen: keep them at a readable size.
      if (c.zoom() > 1.2) { c.zoom(1.2); c.center() }
    }
  }, [topo])

  // Recolour from the live member states between fetches.
  useEffect(() => {
    const c = cy.current
    if (c === null) return
    c.batch(() => { c.nodes().forEach(n => { const s = store.members.get(n.id())?.state; if (s !== undefined && n.data('state') !== s) n.data('state', s) }) })
  }, [store.versions.members])

  const list = useMemo(() => topo?.nodes.map(n => ({ ...n, state: stateOf(n.peerId, n.state), links: topo.edges.filter(e => e.from === n.peerId || e.to === n.peerId).length })) ?? [], [topo, store.versions.members])

  return (
    <section className="topology" aria-label="Topology">
      <p className="legend" aria-hidden="true">
        <span className="pill alive">alive</span> <span className="pill suspect">suspect</span> <span className="pill failed">failed</span> <span className="pill left">left</span>
        <span> · solid line: session · dashed: route · square: hub · ringed: this node</span>
      </p>
      {error !== null && <p role="alert">Could not load the topology: {error}</p>}
      <div ref={box} className="graph" role="img" aria-label={`Graph of ${list.length} members and ${topo?.edges.length ?? 0} links; the list below has the same content`} data-testid="graph" />
      <details className="graph-list">
        <summary>Members in the graph ({list.length})</summary>
        <ul>
          {list.map(n => <li key={n.peerId} data-testid="graph-node" data-name={n.name} data-state={n.state}><span className={`pill ${n.state}`}>{n.state}</span> {n.name} ({n.mode}), {n.links} links</li>)}
        </ul>
      </details>
    </section>
  )
}
