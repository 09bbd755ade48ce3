import { useMemo, useRef, useState } from 'react'
import { useVirtualizer } from '@tanstack/react-virtual'
import { useStore } from '../lib/use-store.ts'
import { useNow } from '../lib/use-now.ts'
import { useThrottled } from '../lib/use-throttled.ts'
import { ago, shortId } from '../lib/format.ts'
import { Field } from '../lib/Field.tsx'
import type { Member } from '../lib/types.ts'

const STATES = ['alive', 'suspect', 'failed', 'left'] as const
// One collator for every comparison (much cheaper than localeCompare per call); node-2 before node-10.
const { compare } = new Intl.Collator(undefined, { numeric: true })
const SORTS = {
  name: (a: Member, b: Member) => compare(a.name, b.name),
  state: (a: Member, b: Member) => STATES.indexOf(a.state) - STATES.indexOf(b.state) || compare(a.name, b.name),
  mode: (a: Member, b: Member) => compare(a.mode, b.mode) || compare(a.name, b.name),
  lastHeard: (a: Member, b: Member) => (b.lastHeard ?? 0) - (a.lastHeard ?? 0),
  rtt: (a: Member, b: Member) => (a.rttMs ?? Infinity) - (b.rttMs ?? Infinity)
} as const
type SortKey = keyof typeof SORTS

const ROW_PX = 44

export function Members () {
  const store = useStore('members')
  const now = useNow()
  const [query, setQuery] = useState('')
  const [state, setState] = useState<string>('any')
  const [mode, setMode] = useState<string>('any')
  const [sort, setSort] = useState<SortKey>('state')
  const [desc, setDesc] = useState(false)

  // With a thousand members changing state, re-sorting a few times a second is enough.
  const version = useThrottled(store.versions.members, 200)
  const all = useMemo(() => [...store.members.values()], [store, version])
  const modes = useMemo(() => [...new Set(all.map(m => m.mode).filter(m => m !== ''))].sort(), [all])
  const counts = useMemo(() => {
    const c: Record<string, number> = { alive: 0, suspect: 0, failed: 0, left: 0 }
    for (const m of all) c[m.state] = (c[m.state] ?? 0) + 1
    return c
  }, [all])
  const shown = useMemo(() => {
    const q = query.trim().toLowerCase()
    const list = all.filter(m => (state === 'any' || m.state === state) && (mode === 'any' || m.mode === mode) &&
      (q === '' || m.name.toLowerCase().includes(q) || m.peerId.toLowerCase().includes(q)))
    list.sort(SORTS[sort])
    if (desc) list.reverse()
    return list
  }, [all, query, state, mode, sort, desc])

  const scroller = useRef<HTMLDivElement>(null)
  const rows = useVirtualizer({ count: shown.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_PX, overscan: 10 })

  return (
    <section className="members" aria-label="Members">
      <form className="filters" onSubmit={e => { e.preventDefault() }}>
        <Field label="Filter"><input type="search" value={query} onChange={e => { setQuery(e.target.value) }} placeholder="name or peer id" /></Field>
        <Field label="State">
          <select value={state} onChange={e => { setState(e.target.value) }}>
            <option value="any">any</option>
            {STATES.map(s => <option key={s} value={s}>{s}</option>)}
          </select>
        </Field>
        <Field label="Mode">
          <select value={mode} onChange={e => { setMode(e.target.value) }}>
            <option value="any">any</option>
            {modes.map(m => <option key={m} value={m}>{m}</option>)}
          </select>
        </Field>
        <Field label="Sort by">
          <select value={sort} onChange={e => { setSort(e.target.value as SortKey) }}>
            <option value="state">state</option>
            <option value="name">name</option>
            <option value="mode">mode</option>
            <option value="lastHeard">last heard</option>
            <option value="rtt">round trip</option>
          </select>
        </Field>
        <label className="check"><input type="checkbox" checked={desc} onChange={e => { setDesc(e.target.checked) }} /><span>descending</span></label>
      </form>
      <p className="summary" data-testid="member-counts">
        {all.length} members: {STATES.map(s => <span key={s} className={`state-text ${s}`}>{counts[s]} {s} </span>)}
        {shown.length !== all.length && <> · {shown.length} shown</>}
      </p>
      <div className="grid-head member-row" role="row" aria-hidden="true">
        <span>State</span><span>Name</span><span>Mode</span><span className="wide">Peer id</span><span>Last heard</span><span>Round trip</span>
      </div>
      <div ref={scroller} className="scroll" role="table" aria-label="Members" aria-rowcount={shown.length} tabIndex={0}>
        <div style={{ height: rows.getTotalSize(), position: 'relative' }}>
          {rows.getVirtualItems().map(r => {
            const m = shown[r.index]!
            return (
              <div
                key={m.peerId} role="row" aria-rowindex={r.index + 1} className="member-row" data-testid="member" data-name={m.name} data-state={m.state}
                style={{ transform: `translateY(${r.start}px)`, height: ROW_PX }}
              >
                <span role="cell"><span className={`pill ${m.state}`}>{m.state}</span></span>
                <span role="cell" className="name">{m.name}{m.self && <em> (this node)</em>}</span>
                <span role="cell">{m.mode === '' ? '—' : m.mode}</span>
                <span role="cell" className="wide mono" title={m.peerId}>{shortId(m.peerId)}</span>
                <span role="cell">{m.self ? '—' : ago(m.lastHeard, now)}</span>
                <span role="cell">{m.rttMs === null ? '—' : `${m.rttMs.toFixed(m.rttMs < 10 ? 1 : 0)} ms`}</span>
              </div>
            )
          })}
        </div>
      </div>
    </section>
  )
}
