import { useMemo, useRef, useState } from 'react'
import { useVirtualizer } from '@tanstack/react-virtual'
import { useStore } from '../lib/use-store.ts'
import { clock } from '../lib/format.ts'
import { Field } from '../lib/Field.tsx'

const ROW_PX = 32

export function Events () {
  const store = useStore('events')
  const [type, setType] = useState('any')
  const [query, setQuery] = useState('')
  const v = store.versions.events
  const types = useMemo(() => [...new Set(store.events.map(e => e.type))].sort(), [store, v])
  const shown = useMemo(() => {
    const q = query.trim().toLowerCase()
    return store.events
      .filter(e => type === 'any' || e.type === type)
      .map(e => ({ e, line: describe(e) }))
      .filter(x => q === '' || x.line.toLowerCase().includes(q))
      .reverse()
  }, [store, v, type, query])
  const scroller = useRef<HTMLDivElement>(null)
  const rows = useVirtualizer({ count: shown.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_PX, overscan: 10 })

  return (
    <section className="events" aria-label="Events">
      <form className="filters" onSubmit={e => { e.preventDefault() }}>
        <Field label="Type">
          <select value={type} onChange={e => { setType(e.target.value) }}>
            <option value="any">any</option>
            {types.map(t => <option key={t} value={t}>{t}</option>)}
          </select>
        </Field>
        <Field label="Contains"><input type="search" value={query} onChange={e => { setQuery(e.target.value) }} placeholder="text" /></Field>
        <span className="summary">{shown.length} of {store.events.length} events, newest first</span>
      </form>
      <div ref={scroller} className="scroll" role="log" aria-label="Event log" tabIndex={0}>
        <div style={{ height: rows.getTotalSize(), position: 'relative' }}>
          {rows.getVirtualItems().map(r => {
            const { e, line } = shown[r.index]!
            return (
              <div key={r.key} className="event-row" data-testid="event" data-type={e.type} style={{ transform: `translateY(${r.start}px)`, height: ROW_PX }}>
                <time title={e.replayed === true ? 'kept by the node from before this page opened: at or before this time' : undefined}>{e.replayed === true ? '≤' : ''}{clock(e.at)}</time>
                <span className={`etype ${e.type}`}>{e.type}</span>
                <span className="mono ellipsis" title={line}>{line}</span>
              </div>
            )
          })}
        </div>
      </div>
    </section>
  )
}

// Each event's line is built once: the list is re-filtered on every new event.
const lines = new WeakMap<object, string>()

function describe (e: Record<string, unknown>): string {
  let line = lines.get(e)
  if (line === undefined) {
    const { type: _t, at: _a, seq: _s, replayed: _r, ...rest } = e
    line = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')
    lines.set(e, line)
  }
  return line
}
