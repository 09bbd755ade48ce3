import { useEffect, useRef, useState } from 'react'

/** `value`, changed at most every `ms` (the last change always arrives). */
export function useThrottled<T> (value: T, ms: number): T {
  const [shown, setShown] = useState(value)
  const last = useRef(0)
  useEffect(() => {
    const wait = last.current + ms - Date.now()
    if (wait <= 0) {
      last.current = Date.now()
      setShown(value)
      return
    }
    const t = setTimeout(() => { last.current = Date.now(); setShown(value) }, wait)
    return () => { clearTimeout(t) }
  }, [value, ms])
  return shown
}
