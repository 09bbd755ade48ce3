import { cloneElement, useId, type ReactElement } from 'react'

/** A visible label tied to its control by id, so the control's name is the label alone. */
export function Field ({ label, children, className }: { label: string, children: ReactElement<{ id?: string }>, className?: string }) {
  const id = useId()
  return (
    <div className={`field${className === undefined ? '' : ` ${className}`}`}>
      <label htmlFor={id}>{label}</label>
      {cloneElement(children, { id })}
    </div>
  )
}
