import { useEffect, useState } from 'react'

/** The current time, refreshed every `ms` (for "5 s ago" labels). */
export function useNow (ms = 1000): number {
  const [now, setNow] = useState(Date.now)
  useEffect(() => {
    const t = setInterval(() => { setNow(Date.now()) }, ms)
    return () => { clearInterval(t) }
  }, [ms])
  return now
}
