import { createContext, useContext, useSyncExternalStore } from 'react'
import type { Slice, Store } from './store.ts'

export const StoreContext = createContext<Store | null>(null)

/** The store, re-rendering the caller when one of the given slices changed. */
export function useStore (...slices: Slice[]): Store {
  const store = useContext(StoreContext)
  if (store === null) throw new Error('useStore outside StoreContext')
  useSyncExternalStore(store.subscribe, () => slices.map(s => store.versions[s]).join(','))
  return store
}
