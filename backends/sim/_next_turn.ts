/** One macrotask turn through a MessageChannel (setTimeout(0) costs about 2 ms in Deno). */
export function nextTurn(): Promise<void> {
  const ch = new MessageChannel();
  return new Promise((resolve) => {
    ch.port1.onmessage = () => {
      ch.port1.close();
      ch.port2.close();
      resolve();
    };
    ch.port2.postMessage(0);
  });
}
