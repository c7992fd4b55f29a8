/**
 * Resolves true once `promise` resolves, or false after `ms` if it has not by then; a rejection
 * within `ms` passes through. For shutdowns and acknowledgements that must not wait for ever.
 */
export async function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), expired]);
  } finally {
    clearTimeout(timer);
  }
}
