/**
 * fauxqs (1.9) returns at most one message of a FIFO message group per ReceiveMessage. SQS returns as many of one
 * group as it can ("When you receive messages from a FIFO queue with multiple message group IDs, Amazon SQS first
 * attempts to return as many messages with the same message group ID as possible", SQS Developer Guide, FIFO queue
 * delivery logic), and the delivery function relies on that: a batch carries a channel's later messages, which it
 * hands back for the channel's interval once Slack has answered its post, so a busy channel costs one visit per post.
 * Without it every post costs a second visit locally, and the local figures would not say what AWS does.
 *
 * This makes the emulator's FIFO queues behave as SQS does here, on the queue objects of one emulator only:
 * - a receive takes as many of one group's available messages as it can, in order, then the next group's, up to the
 *   batch size; groups with a message in flight are skipped;
 * - a group stays blocked while any of its messages is in flight (fauxqs already counts them);
 * - messages made visible again (visibility 0, or a visibility timeout running out) go back into the group in their
 *   sequence order, not in the order they were returned (fauxqs puts each at the front, which reverses several).
 *
 * Depends on fauxqs's internals (pinned exactly in package.json); test/integration/fifo-receive.test.ts holds the
 * emulator to SQS's behaviour, so an upgrade that changes them fails there.
 */

interface FauxqsMessage {
  sequenceNumber?: string;
  messageGroupId?: string;
}

interface FauxqsFifoQueue {
  isFifo(): boolean;
  fifoMessages: Map<string, FauxqsMessage[]>;
  fifoLockedGroups: Map<string, number>;
  inflightMessages: Map<string, { message: FauxqsMessage }>;
  dequeueFifo(maxCount: number, visibilityTimeoutOverride?: number, dlqResolver?: unknown): unknown[];
  changeVisibility(receiptHandle: string, timeoutSeconds: number): void;
  processTimers(): void;
}

interface FauxqsSqsStore {
  createQueue(...args: unknown[]): unknown;
}

/** SQS sequence numbers are decimal strings of up to 128 bits: compared as numbers. */
const bySequence = (a: FauxqsMessage, b: FauxqsMessage) => {
  const x = BigInt(a.sequenceNumber ?? 0);
  const y = BigInt(b.sequenceNumber ?? 0);
  return x < y ? -1 : x > y ? 1 : 0;
};

function patchQueue(queue: FauxqsFifoQueue): void {
  const dequeueOne = queue.dequeueFifo.bind(queue);
  const changeVisibility = queue.changeVisibility.bind(queue);
  const processTimers = queue.processTimers.bind(queue);
  const restoreOrder = () => {
    for (const group of queue.fifoMessages.values()) group.sort(bySequence);
  };

  queue.processTimers = () => {
    processTimers();
    restoreOrder();
  };
  queue.changeVisibility = (receiptHandle, timeoutSeconds) => {
    changeVisibility(receiptHandle, timeoutSeconds);
    restoreOrder();
  };
  // As SQS: as many of one group as possible, then the next group. fauxqs takes one message of each unlocked group
  // per call, so each call here sees only the group being filled: the other available groups are marked locked for
  // that call and unmarked after it. The visibility timers run once, before the receive (fauxqs runs them in every
  // call, which would hand a message taken moments ago with visibility 0 straight back into the same receive), and
  // the lock counts of the groups taken from are counted again from the messages in flight at the end.
  queue.dequeueFifo = (maxCount, visibilityTimeoutOverride, dlqResolver) => {
    const wanted = Math.min(maxCount, 10);
    const locks = queue.fifoLockedGroups;
    const received: unknown[] = [];
    queue.processTimers();
    const available = [...queue.fifoMessages.keys()].filter((g) => !locks.has(g));
    const timers = queue.processTimers;
    queue.processTimers = () => {};
    try {
      for (const group of available) {
        while (received.length < wanted) {
          const others = [...queue.fifoMessages.keys()].filter((g) => g !== group && !locks.has(g));
          for (const g of others) locks.set(g, 1);
          locks.delete(group);
          try {
            const one = dequeueOne(1, visibilityTimeoutOverride, dlqResolver);
            if (!one.length) break;
            received.push(...one);
          } finally {
            for (const g of others) locks.delete(g);
          }
        }
        if (received.length >= wanted) break;
      }
    } finally {
      queue.processTimers = timers;
      for (const group of available) {
        const inFlight = [...queue.inflightMessages.values()].filter(
          (e) => (e.message.messageGroupId ?? "__default") === group,
        ).length;
        if (inFlight) locks.set(group, inFlight);
        else locks.delete(group);
      }
    }
    return received;
  };
}

/** Wraps a fauxqs SqsStore so that every FIFO queue it creates from now on receives as SQS does (see above). */
export function withSqsFifoReceive<S extends object>(store: S): S {
  const s = store as unknown as FauxqsSqsStore;
  const createQueue = s.createQueue.bind(s);
  s.createQueue = (...args: unknown[]) => {
    const queue = createQueue(...args) as FauxqsFifoQueue;
    if (queue.isFifo()) patchQueue(queue);
    return queue;
  };
  return store;
}
