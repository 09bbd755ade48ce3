/**
 * libp2p waits on unref'd timers while it stops (e.g. a socket's 500 ms close grace after the
 * remote hung up). With nothing else alive, Node would end the process in the middle of that wait
 * (an unsettled top-level await, exit 13): `work` runs with a handle of our own holding it open.
 */
export async function keepingAlive<T> (work: () => Promise<T>): Promise<T> {
  const hold = setInterval(() => {}, 1 << 30)
  try {
    return await work()
  } finally {
    clearInterval(hold)
  }
}
