import { lazy, Suspense, useEffect, useRef, useState, type KeyboardEvent } from 'react'
import { useStore } from './lib/use-store.ts'
import { Chat } from './views/Chat.tsx'
import { Members } from './views/Members.tsx'
import { NodeView } from './views/NodeView.tsx'
import { Events } from './views/Events.tsx'
import { Field } from './lib/Field.tsx'

// The graph library is the heaviest dependency: load it only when the view is opened.
const Topology = lazy(async () => await import('./views/Topology.tsx'))

const VIEWS = [
  { id: 'chat', label: 'Chat' },
  { id: 'members', label: 'Members' },
  { id: 'topology', label: 'Topology' },
  { id: 'node', label: 'Node' },
  { id: 'events', label: 'Events' }
] as const
type ViewId = typeof VIEWS[number]['id']

function viewFromHash (): ViewId {
  const h = location.hash.replace(/^#\/?/, '')
  return VIEWS.find(v => v.id === h)?.id ?? 'chat'
}

type Theme = 'auto' | 'light' | 'dark'

export function App () {
  const store = useStore('conn', 'node', 'messages')
  const [view, setView] = useState<ViewId>(viewFromHash)
  const [theme, setTheme] = useState<Theme>(() => (localStorage.getItem('overlay-theme') as Theme | null) ?? 'auto')
  const tabs = useRef<Array<HTMLButtonElement | null>>([])

  useEffect(() => {
    const onHash = (): void => { setView(viewFromHash()) }
    addEventListener('hashchange', onHash)
    return () => { removeEventListener('hashchange', onHash) }
  }, [])
  useEffect(() => {
    if (theme === 'auto') delete document.documentElement.dataset.theme
    else document.documentElement.dataset.theme = theme
    localStorage.setItem('overlay-theme', theme)
  }, [theme])

  const select = (id: ViewId): void => {
    setView(id)
    history.replaceState(null, '', `#${id}`)
  }
  // Arrow keys move between tabs (the WAI-ARIA tabs pattern); Tab leaves the tab list.
  const onTabKey = (e: KeyboardEvent, i: number): void => {
    const n = VIEWS.length
    const next = e.key === 'ArrowRight' ? (i + 1) % n : e.key === 'ArrowLeft' ? (i - 1 + n) % n : e.key === 'Home' ? 0 : e.key === 'End' ? n - 1 : -1
    if (next < 0) return
    e.preventDefault()
    select(VIEWS[next]!.id)
    tabs.current[next]?.focus()
  }

  const unread = [...store.unread.values()].reduce((a, b) => a + b, 0)
  const conn = store.connection
  return (
    <div className="app">
      <header className="top">
        <h1>p2p-overlay{store.node !== null && <span className="who"> · {store.node.name}</span>}</h1>
        <p className={`conn conn-${conn}`} role="status" data-testid="connection">
          {conn === 'online' ? 'online' : conn === 'unauthorized' ? 'not authorized: open the URL that overlay ui prints' : conn === 'connecting' ? 'connecting…' : 'node offline, reconnecting…'}
        </p>
        <Field label="Theme" className="theme">
          <select value={theme} onChange={e => { setTheme(e.target.value as Theme) }}>
            <option value="auto">system</option>
            <option value="light">light</option>
            <option value="dark">dark</option>
          </select>
        </Field>
      </header>
      <nav role="tablist" aria-label="Views" className="tabs">
        {VIEWS.map((v, i) => (
          <button
            key={v.id}
            ref={el => { tabs.current[i] = el }}
            role="tab"
            id={`tab-${v.id}`}
            aria-selected={view === v.id}
            aria-controls={`panel-${v.id}`}
            tabIndex={view === v.id ? 0 : -1}
            onClick={() => { select(v.id) }}
            onKeyDown={e => { onTabKey(e, i) }}
          >
            {v.label}
            {v.id === 'chat' && unread > 0 && <span className="badge" aria-label={`${unread} unread`}>{unread}</span>}
          </button>
        ))}
      </nav>
      <main role="tabpanel" id={`panel-${view}`} aria-labelledby={`tab-${view}`} className="panel">
        {view === 'chat' && <Chat />}
        {view === 'members' && <Members />}
        {view === 'topology' && <Suspense fallback={<p>Loading the graph…</p>}><Topology /></Suspense>}
        {view === 'node' && <NodeView />}
        {view === 'events' && <Events />}
      </main>
    </div>
  )
}
