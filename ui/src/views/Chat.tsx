import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react'
import { useVirtualizer } from '@tanstack/react-virtual'
import { BROADCAST } from '../lib/store.ts'
import { useStore } from '../lib/use-store.ts'
import { clock } from '../lib/format.ts'
import type { ChatMessage } from '../lib/types.ts'
import { Field } from '../lib/Field.tsx'

export function Chat () {
  const store = useStore('messages', 'members', 'node')
  const [conv, setConv] = useState<string>(store.activeConv ?? BROADCAST)
  const [text, setText] = useState('')
  const input = useRef<HTMLInputElement>(null)

  useEffect(() => {
    store.setActiveConv(conv)
    return () => { store.setActiveConv(null) }
  }, [store, conv])

  const v = store.versions.messages
  const shown = useMemo(() => store.messages.filter(m => m.conv === conv), [store, conv, v])
  const convs = useMemo(() => {
    const set = new Set<string>([BROADCAST])
    for (const m of store.messages) set.add(m.conv)
    for (const c of store.unread.keys()) set.add(c)
    if (conv !== BROADCAST) set.add(conv)
    return [...set]
  }, [store, v, conv])
  const people = useMemo(
    () => [...store.members.values()].filter(m => !m.self && (m.state === 'alive' || m.state === 'suspect')).map(m => m.name).sort(),
    [store, store.versions.members]
  )

  const submit = (e: FormEvent): void => {
    e.preventDefault()
    const line = text.trim()
    if (line === '') return
    setText('')
    void store.send(line, conv === BROADCAST ? undefined : conv)
    input.current?.focus()
  }

  return (
    <section className="chat" aria-label="Chat">
      <nav className="convs" aria-label="Conversations">
        <ul>
          {convs.map(c => {
            const n = store.unread.get(c) ?? 0
            return (
              <li key={c}>
                <button type="button" aria-pressed={c === conv} onClick={() => { setConv(c) }} data-conv={c}>
                  {c === BROADCAST ? 'Everyone' : c}
                  {n > 0 && <span className="badge" aria-label={`${n} unread`}>{n}</span>}
                </button>
              </li>
            )
          })}
        </ul>
      </nav>
      <div className="chat-main">
        <Timeline messages={shown} />
        <form className="compose" onSubmit={submit}>
          <Field label="Send to">
            <select value={conv} onChange={e => { setConv(e.target.value) }}>
              <option value={BROADCAST}>everyone (broadcast)</option>
              {[...new Set([...people, ...convs.filter(c => c !== BROADCAST)])].map(n => <option key={n} value={n}>{n} (direct)</option>)}
            </select>
          </Field>
          <Field label="Message" className="grow">
            <input ref={input} value={text} onChange={e => { setText(e.target.value) }} placeholder={conv === BROADCAST ? 'Message everyone' : `Message ${conv}`} maxLength={4096} />
          </Field>
          <button type="submit" disabled={text.trim() === ''}>Send</button>
        </form>
      </div>
    </section>
  )
}

function Timeline ({ messages }: { messages: ChatMessage[] }) {
  const scroller = useRef<HTMLDivElement>(null)
  const stick = useRef(true)
  const rows = useVirtualizer({
    count: messages.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 52,
    overscan: 8
  })
  // Follow new messages while the reader is at the bottom; leave them alone when they scrolled up.
  useEffect(() => {
    if (stick.current && messages.length > 0) rows.scrollToIndex(messages.length - 1, { align: 'end' })
  }, [messages.length, rows])

  return (
    <div
      ref={scroller}
      className="timeline"
      role="log"
      aria-label="Timeline"
      tabIndex={0}
      onScroll={e => { const el = e.currentTarget; stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40 }}
    >
      {messages.length === 0 && <p className="empty">No messages yet.</p>}
      <div style={{ height: rows.getTotalSize(), position: 'relative' }}>
        {rows.getVirtualItems().map(r => {
          const m = messages[r.index]!
          return (
            <article key={r.key} data-index={r.index} ref={rows.measureElement} className={`msg${m.mine ? ' mine' : ''}`} style={{ transform: `translateY(${r.start}px)` }} data-testid="message">
              <header>
                <strong className="from">{m.from}</strong>
                <time dateTime={new Date(m.ts).toISOString()}>{clock(m.ts)}</time>
                <span className={`kind ${m.direct ? 'direct' : 'broadcast'}`}>{m.direct ? 'direct' : 'broadcast'}</span>
                {m.mine && (m.direct || m.status === 'failed') && <Status m={m} />}
              </header>
              <p className="text">{m.text}</p>
            </article>
          )
        })}
      </div>
    </div>
  )
}

function Status ({ m }: { m: ChatMessage }) {
  if (m.status === 'delivered') return <span className="status delivered" title="acknowledged by the recipient">✓ delivered</span>
  if (m.status === 'failed') return <span className="status failed">✗ {m.error ?? 'failed'}</span>
  return <span className="status sending">sending…</span>
}
