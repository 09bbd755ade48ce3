import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App.tsx'
import { Store } from './lib/store.ts'
import { StoreContext } from './lib/use-store.ts'
import './styles.css'

const store = new Store()
store.start()
createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <StoreContext.Provider value={store}>
      <App />
    </StoreContext.Provider>
  </StrictMode>
)
